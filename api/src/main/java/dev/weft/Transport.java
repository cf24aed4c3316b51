package dev.weft;

/** The wire transport underneath a provider or device. */
public enum Transport {
    /** TCP sockets (emulated RDMA semantics). */
    TCP,
    /** InfiniBand. */
    INFINIBAND,
    /** RDMA over Converged Ethernet, version 1 (Ethertype 0x8915). */
    ROCE_V1,
    /** RDMA over Converged Ethernet, version 2 (UDP port 4791). */
    ROCE_V2,
    /** iWARP (RDMA over TCP/SCTP; rdma_cm is mandatory, no atomics). */
    IWARP,
    /** A transport the provider cannot classify. */
    UNKNOWN
}
