package dev.weft.provider.verbs.internal;

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
 */
record CmEvent(int type, int status, long id, long listenId, byte[] privateData) {
    @Override
    public String toString() {
        return RdmaCm.eventString(type) + (status != 0 ? " (status " + status + ")" : "");
    }
}
