package dev.weft;

/**
 * The immediate result of posting a work request on an {@link Endpoint}.
 *
 * <p>Posting never throws for these outcomes and never allocates. A request for which
 * {@link #OK} was returned produces exactly one {@link Completion}; any other status means the
 * request was not accepted and produces none.
 */
public enum PostStatus {
    /** Accepted; exactly one completion will follow. */
    OK,
    /** The queue is full; poll completions and post again. Nothing was queued. */
    AGAIN,
    /** The endpoint (or its domain or fabric) is closed. Nothing was queued. */
    CLOSED,
    /**
     * The request itself is malformed and can never succeed as given: a negative length or one
     * above {@link Limits#maxMessageSize()}, a null region, gather list or remote region, a local region of another domain or already closed,
     * a local range outside its region, more scatter-gather entries than the
     * endpoint allows, or an operation the provider does not support. Nothing was queued.
     */
    INVALID;

    /** @return {@code true} for {@link #OK} */
    public boolean isOk() {
        return this == OK;
    }
}
