package dev.weft;

/**
 * Completion status of a work request. Mirrors {@code enum ibv_wc_status} of libibverbs one to
 * one: {@link #ibvCode()} is the verbs value, so that applications that know verbs know Weft.
 *
 * <p>Every provider reports the status a verbs device would report for the same event; the TCP
 * provider, for example, completes a send that found no posted receive with
 * {@link #RNR_RETRY_EXCEEDED} after its configured retries.
 */
public enum Status {
    /** The operation completed successfully ({@code IBV_WC_SUCCESS}). */
    SUCCESS(0),
    /** A received message was longer than the posted receive buffer ({@code IBV_WC_LOC_LEN_ERR}). */
    LOCAL_LENGTH_ERROR(1),
    /** An internal consistency error of the local queue pair ({@code IBV_WC_LOC_QP_OP_ERR}). */
    LOCAL_QP_OPERATION_ERROR(2),
    /** An internal consistency error of the local EE context ({@code IBV_WC_LOC_EEC_OP_ERR}). */
    LOCAL_EEC_OPERATION_ERROR(3),
    /** A local buffer is outside its region, or its region is closed or of another domain ({@code IBV_WC_LOC_PROT_ERR}). */
    LOCAL_PROTECTION_ERROR(4),
    /** The endpoint was in error or closed, so the request was flushed without executing ({@code IBV_WC_WR_FLUSH_ERR}). */
    FLUSHED(5),
    /** A memory-window bind failed ({@code IBV_WC_MW_BIND_ERR}). */
    MEMORY_WINDOW_BIND_ERROR(6),
    /** The responder returned an unexpected response ({@code IBV_WC_BAD_RESP_ERR}). */
    BAD_RESPONSE(7),
    /** A protection error on a local buffer targeted by an incoming message ({@code IBV_WC_LOC_ACCESS_ERR}). */
    LOCAL_ACCESS_ERROR(8),
    /** The responder found the request malformed: bad length, misaligned atomic, unsupported opcode ({@code IBV_WC_REM_INV_REQ_ERR}). */
    REMOTE_INVALID_REQUEST(9),
    /** The responder refused access: unknown key, out of bounds, access flag not granted ({@code IBV_WC_REM_ACCESS_ERR}). */
    REMOTE_ACCESS_ERROR(10),
    /** The responder could not complete the operation ({@code IBV_WC_REM_OP_ERR}). */
    REMOTE_OPERATION_ERROR(11),
    /** The transport retry counter was exceeded: the peer is unreachable or dead ({@code IBV_WC_RETRY_EXC_ERR}). */
    RETRY_EXCEEDED(12),
    /** The peer had no receive posted for the configured number of retries ({@code IBV_WC_RNR_RETRY_EXC_ERR}). */
    RNR_RETRY_EXCEEDED(13),
    /** A reliable-datagram domain violation ({@code IBV_WC_LOC_RDD_VIOL_ERR}). */
    LOCAL_RDD_VIOLATION(14),
    /** An invalid reliable-datagram request ({@code IBV_WC_REM_INV_RD_REQ_ERR}). */
    REMOTE_INVALID_RD_REQUEST(15),
    /** The responder aborted the operation ({@code IBV_WC_REM_ABORT_ERR}). */
    REMOTE_ABORTED(16),
    /** An invalid EE context number ({@code IBV_WC_INV_EECN_ERR}). */
    INVALID_EECN(17),
    /** An invalid EE context state ({@code IBV_WC_INV_EEC_STATE_ERR}). */
    INVALID_EEC_STATE(18),
    /** A fatal error of the device or provider ({@code IBV_WC_FATAL_ERR}). */
    FATAL(19),
    /** The response did not arrive in time ({@code IBV_WC_RESP_TIMEOUT_ERR}). */
    RESPONSE_TIMEOUT(20),
    /** Any other error ({@code IBV_WC_GENERAL_ERR}). */
    GENERAL_ERROR(21),
    /** A tag-matching error ({@code IBV_WC_TM_ERR}). */
    TAG_MATCHING_ERROR(22),
    /** A tag-matching rendezvous did not complete ({@code IBV_WC_TM_RNDV_INCOMPLETE}). */
    TAG_MATCHING_RENDEZVOUS_INCOMPLETE(23);

    private static final Status[] BY_IBV_CODE = values();

    private final int ibvCode;

    Status(int ibvCode) {
        this.ibvCode = ibvCode;
    }

    /** @return the {@code ibv_wc_status} value of this status */
    public int ibvCode() {
        return ibvCode;
    }

    /** @return {@code true} for {@link #SUCCESS} */
    public boolean isSuccess() {
        return this == SUCCESS;
    }

    /**
     * Maps a verbs completion status to Weft's. Never allocates.
     *
     * @param code an {@code ibv_wc_status} value
     * @return the matching status; {@link #GENERAL_ERROR} for a value this version does not know
     */
    public static Status fromIbvCode(int code) {
        return code >= 0 && code < BY_IBV_CODE.length ? BY_IBV_CODE[code] : GENERAL_ERROR;
    }
}
