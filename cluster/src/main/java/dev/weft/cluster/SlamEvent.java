package dev.weft.cluster;

/** What happens to a node: the inputs of the slam-connect state machine. */
public enum SlamEvent {
    /** The node starts (power on, or a retry after Error). */
    START,
    /** An RDMA read of the partner's record returned a valid record. */
    READ_OK,
    /** The RDMA read failed: the partner (or its interconnect) is not ready. */
    READ_FAILED,
    /** An RDMA write into the partner's region completed. */
    WRITE_OK,
    /** An RDMA write into the partner's region failed. */
    WRITE_FAILED,
    /** The partner's record says it reached state 5. */
    PARTNER_AT_5,
    /** The partner's record says it is connected. */
    PARTNER_CONNECTED,
    /** A wait ran past its configured timeout. */
    TIMEOUT,
    /** The retry policy's back-off elapsed. */
    RETRY
}
