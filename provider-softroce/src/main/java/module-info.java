/**
 * Soft-RoCE for Weft: the {@code softroce://NETDEV} provider (an rxe device on a network
 * interface, driven by the verbs provider) and the testbed that runs commands and tests on a real
 * RDMA stack on hosts without RDMA hardware. See {@code docs/provider-softroce.md}.
 */
module dev.weft.provider.softroce {
    requires transitive dev.weft.api;
    requires dev.weft.provider.verbs;
    requires static transitive org.junit.jupiter.api;
    requires static org.junit.platform.launcher;

    exports dev.weft.provider.softroce;
    exports dev.weft.provider.softroce.testbed;

    provides dev.weft.spi.FabricProvider with dev.weft.provider.softroce.SoftRoceProvider;
}
