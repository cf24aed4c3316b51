package dev.weft;

/**
 * What a {@link Completion} completes. Initiator-side opcodes name the posted operation;
 * {@link #RECEIVE} and {@link #RECEIVE_WRITE_WITH_IMMEDIATE} are produced on the target side
 * when a posted receive is consumed.
 */
public enum Opcode {
    /** A send posted on this endpoint. */
    SEND,
    /** An RDMA write posted on this endpoint. */
    WRITE,
    /** An RDMA write with immediate data posted on this endpoint. */
    WRITE_WITH_IMMEDIATE,
    /** An RDMA read posted on this endpoint. */
    READ,
    /** An atomic fetch-and-add posted on this endpoint. */
    FETCH_AND_ADD,
    /** An atomic compare-and-swap posted on this endpoint. */
    COMPARE_AND_SWAP,
    /** A posted receive consumed by the peer's send. */
    RECEIVE,
    /** A posted receive consumed by the peer's write-with-immediate; only the immediate data is delivered into it. */
    RECEIVE_WRITE_WITH_IMMEDIATE
}
