package dev.weft;

/** The state of an {@link Endpoint}; the only transitions are CONNECTED → ERROR → CLOSED and CONNECTED → CLOSED. */
public enum EndpointState {
    /** Connected; posts are executed. */
    CONNECTED,
    /** A fatal error occurred; outstanding and later requests complete with {@link Status#FLUSHED}. */
    ERROR,
    /** Closed by the application; posts return {@link PostStatus#CLOSED}. */
    CLOSED
}
