/**
 * Weft's TCP provider: RDMA semantics (write, write-with-immediate, read, send/receive,
 * atomics, well-known regions) emulated over TCP for hosts without RDMA hardware.
 * See {@code docs/provider-tcp.md} and {@code docs/wire-tcp.md}.
 */
module dev.weft.provider.tcp {
    requires transitive dev.weft.api;

    exports dev.weft.provider.tcp;

    provides dev.weft.spi.FabricProvider with dev.weft.provider.tcp.TcpProvider;
}
