package dev.weft.provider.verbs.internal;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.verbs.internal.nat.Errno;
import dev.weft.provider.verbs.internal.nat.Libc;
import dev.weft.provider.verbs.internal.nat.RdmaCm;

/**
 * A connection-manager event, copied out of librdmacm's {@code struct rdma_cm_event} before it
 * was acknowledged.
 *
 * @param type {@code enum rdma_cm_event_type}
 * @param status the event's status (negative errno, or a reject reason)
 * @param id the {@code rdma_cm_id} the event is for (for a connect request: the new id)
 * @param listenId the listening id, for connect requests; else 0
 * @param privateData the connection private data, possibly empty
 * @param responderResources for a connect request: the reads the requester lets its peer have outstanding towards it
 *                           ({@code param.conn.responder_resources}); else what the event carried there
 * @param initiatorDepth for a connect request: the reads the requester will have outstanding towards its peer
 *                       ({@code param.conn.initiator_depth}); else what the event carried there
 */
record CmEvent(int type, int status, long id, long listenId, byte[] privateData, int responderResources, int initiatorDepth) {
    /**
     * The status as text: a reject's reason as a number (the IB CM's or iWARP's reason, not an errno), an error
     * event's negative errno by name and {@code strerror} text.
     */
    @Override
    public String toString() {
        if (status == 0) {
            return RdmaCm.eventString(type);
        }
        if (type == RdmaCm.EVENT_REJECTED || status > 0) {
            return RdmaCm.eventString(type) + " (reject reason " + status + ")";
        }
        return RdmaCm.eventString(type) + " (" + Errno.name(-status) + ": " + Libc.strerror(-status) + ")";
    }

    /** @return the errno an error event carries (its status negated), or 0 */
    int errno() {
        return type != RdmaCm.EVENT_REJECTED && status < 0 ? -status : 0;
    }

    /**
     * A connect's failure on this event, with the message {@code before} this event's text (its errno by name)
     * {@code after}, and {@link #errno()} as {@link FabricException#errno()}. The code says what the event tells about
     * the peer: TIMEOUT for {@code ETIMEDOUT} (a resolution or a connection the device gave up on); UNREACHABLE where
     * this host found no way to the address ({@code ENETUNREACH}, {@code EHOSTUNREACH}, {@code ENODEV} or
     * {@code EADDRNOTAVAIL}: no route, no device for it; or an {@code UNREACHABLE} event that carries no refusal);
     * CONNECTION_REFUSED otherwise (a reject, {@code ECONNREFUSED}: the peer's side answered).
     */
    FabricException connectFailure(String before, String after) {
        int errno = errno();
        ErrorCode code = switch (errno) {
            case Errno.ETIMEDOUT -> ErrorCode.TIMEOUT;
            case Errno.ENETUNREACH, Errno.EHOSTUNREACH, Errno.ENODEV, Errno.EADDRNOTAVAIL -> ErrorCode.UNREACHABLE;
            case Errno.ECONNREFUSED -> ErrorCode.CONNECTION_REFUSED;
            default -> type == RdmaCm.EVENT_UNREACHABLE ? ErrorCode.UNREACHABLE : ErrorCode.CONNECTION_REFUSED;
        };
        return new FabricException(code, before + this + after, errno, null);
    }
}
