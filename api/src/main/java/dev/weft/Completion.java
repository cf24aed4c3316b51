package dev.weft;

/**
 * The outcome of one work request, like {@code struct ibv_wc}.
 *
 * <p><b>Lifetime.</b> Instances handed out by {@link CompletionBatch#get(int)} are reusable
 * slots owned by the batch: their content is valid until the batch is passed to the next
 * poll. Use {@link #copy()} to keep one.
 *
 * <p><b>Threading.</b> Not thread-safe; confined to the thread that owns the batch.
 */
public final class Completion {
    private long workRequestId;
    private Opcode opcode;
    private Status status;
    private int byteCount;
    private int immediate;
    private boolean hasImmediate;
    private long endpointId;
    private int vendorError;

    /** Creates an empty completion slot. */
    public Completion() {
    }

    /** @return the work request id given when the request was posted */
    public long workRequestId() {
        return workRequestId;
    }

    /** @return what was completed */
    public Opcode opcode() {
        return opcode;
    }

    /** @return the result; anything but {@link Status#SUCCESS} is an error */
    public Status status() {
        return status;
    }

    /**
     * @return bytes transferred: received bytes for a receive (for the receive a write-with-immediate consumes, the bytes
     *         the write placed), requested bytes for a read, 8 for an atomic; not defined for a write or a send
     */
    public int byteCount() {
        return byteCount;
    }

    /** @return the immediate data, valid if {@link #hasImmediate()} */
    public int immediate() {
        return immediate;
    }

    /** @return {@code true} if the completion carries immediate data */
    public boolean hasImmediate() {
        return hasImmediate;
    }

    /** @return {@link Endpoint#id()} of the endpoint the request was posted on */
    public long endpointId() {
        return endpointId;
    }

    /** @return a provider-specific error detail ({@code vendor_err} on verbs), 0 if none */
    public int vendorError() {
        return vendorError;
    }

    /**
     * Fills this slot. For providers; applications only read completions.
     *
     * @param workRequestId the request's id
     * @param opcode what completed
     * @param status the result
     * @param byteCount bytes transferred
     * @param immediate immediate data (ignored unless {@code hasImmediate})
     * @param hasImmediate whether immediate data is present
     * @param endpointId the endpoint's id
     * @param vendorError provider-specific detail, 0 if none
     * @return this slot
     */
    public Completion set(long workRequestId, Opcode opcode, Status status, int byteCount, int immediate,
                          boolean hasImmediate, long endpointId, int vendorError) {
        this.workRequestId = workRequestId;
        this.opcode = opcode;
        this.status = status;
        this.byteCount = byteCount;
        this.immediate = hasImmediate ? immediate : 0;
        this.hasImmediate = hasImmediate;
        this.endpointId = endpointId;
        this.vendorError = vendorError;
        return this;
    }

    /**
     * Copies another completion into this slot.
     *
     * @param other the source
     * @return this slot
     */
    public Completion set(Completion other) {
        return set(other.workRequestId, other.opcode, other.status, other.byteCount, other.immediate,
                other.hasImmediate, other.endpointId, other.vendorError);
    }

    /** @return a new completion with the same content (allocates) */
    public Completion copy() {
        return new Completion().set(this);
    }

    @Override
    public String toString() {
        return "Completion[wr=" + workRequestId + ", " + opcode + ", " + status + ", bytes=" + byteCount
                + (hasImmediate ? ", imm=0x" + Integer.toHexString(immediate) : "") + ", endpoint=" + endpointId
                + (vendorError != 0 ? ", vendorError=" + vendorError : "") + "]";
    }
}
