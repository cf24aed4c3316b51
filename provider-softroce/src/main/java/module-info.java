/**
 * Soft-RoCE for Weft: the {@code softroce://NETDEV} provider (an rxe device on a network
 * interface, driven by the verbs provider) and the testbed that runs commands and tests on a real
 * RDMA stack on hosts without RDMA hardware. See {@code docs/provider-softroce.md}.
 *
 * <p>JUnit is an optional dependency: only tests that use {@code OnSoftRoce} need it, and they
 * have it; the exported extension types mention JUnit types for that reason.
 */
module dev.weft.provider.softroce {
    requires transitive dev.weft.api;
    requires dev.weft.provider.verbs;
    requires static org.junit.jupiter.api;
    requires static org.junit.platform.launcher;

    exports dev.weft.provider.softroce;
    exports dev.weft.provider.softroce.testbed;

    provides dev.weft.spi.FabricProvider with dev.weft.provider.softroce.SoftRoceProvider;
}
