package dev.weft;

/**
 * A feature a provider declares in its {@link ProviderInfo}. Capabilities are
 * data: applications and the TCK branch on them, never on provider names.
 */
public enum Capability {
    /** RDMA read. */
    RMA_READ,
    /** RDMA write. */
    RMA_WRITE,
    /** RDMA write with 32-bit immediate data that consumes a receive at the target. */
    WRITE_IMM,
    /** Two-sided send and receive. */
    SEND_RECV,
    /** 8-byte atomic fetch-and-add. */
    ATOMIC_FETCH_ADD,
    /** 8-byte atomic compare-and-swap. */
    ATOMIC_CMP_SWAP,
    /** Listeners publish named regions that a connect names in its URI path. */
    WELL_KNOWN_REGION,
    /** Small payloads are copied at post time (the buffer may be reused as soon as post returns). */
    INLINE,
    /** Shared receive queues. */
    SRQ,
    /** More than one local segment per work request. */
    SCATTER_GATHER,
    /** {@link CompletionQueue#await} blocks without spinning (a completion channel or equivalent). */
    BLOCKING_WAIT,
    /** Connections can prove knowledge of a shared secret before any operation is served. */
    AUTHENTICATION
}
