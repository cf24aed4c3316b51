package dev.weft;

import java.time.Duration;
import java.util.Objects;

/**
 * Numeric limits of a provider or device. Data, not prose: the TCK and applications size
 * their requests by them.
 *
 * @param maxMessageSize largest byte count of one request
 * @param maxScatterGather most scatter-gather entries per request
 * @param maxInlineData largest payload copied at post time (0 if none)
 * @param maxQueueDepth largest send or receive queue depth of an endpoint
 * @param maxCompletionQueueDepth largest completion queue depth
 * @param maxEndpoints most endpoints per fabric
 * @param maxRegionSize largest registrable segment
 * @param peerFailureTimeout time within which outstanding work completes with an error after the peer died
 * @param readSinkNeedsRemoteWrite {@code true} where the sink of an RDMA read must grant {@link Access#REMOTE_WRITE} (iWARP)
 * @param transmitCompletion {@code true} where a write or send completes once the transport has taken
 *        its data, before the target has checked it (iWARP; libfabric calls it transmit complete): a
 *        target's rejection (bad key, bounds, rights, no receive posted) then does not fail that
 *        request but ends the connection afterwards — the endpoint moves to
 *        {@link EndpointState#ERROR}, later requests complete {@link Status#FLUSHED} and nothing after
 *        the rejected request is placed. {@code false} where the completion carries the target's
 *        verdict (InfiniBand, RoCE, tcp). Reads and atomics always carry it.
 */
public record Limits(long maxMessageSize, int maxScatterGather, int maxInlineData, int maxQueueDepth,
                     int maxCompletionQueueDepth, int maxEndpoints, long maxRegionSize, Duration peerFailureTimeout,
                     boolean readSinkNeedsRemoteWrite, boolean transmitCompletion) {
    /**
     * Validates the components.
     *
     * @param maxMessageSize positive
     * @param maxScatterGather positive
     * @param maxInlineData not negative
     * @param maxQueueDepth positive
     * @param maxCompletionQueueDepth positive
     * @param maxEndpoints positive
     * @param maxRegionSize positive
     * @param peerFailureTimeout positive
     * @param readSinkNeedsRemoteWrite the iWARP read-sink rule
     * @param transmitCompletion writes and sends complete before the target checked them
     */
    public Limits {
        Objects.requireNonNull(peerFailureTimeout, "peerFailureTimeout");
        if (maxMessageSize <= 0 || maxScatterGather <= 0 || maxInlineData < 0 || maxQueueDepth <= 0
                || maxCompletionQueueDepth <= 0 || maxEndpoints <= 0 || maxRegionSize <= 0) {
            throw FabricException.invalid("limits must be positive: " + maxMessageSize + ", " + maxScatterGather + ", "
                    + maxInlineData + ", " + maxQueueDepth + ", " + maxCompletionQueueDepth + ", " + maxEndpoints + ", " + maxRegionSize);
        }
    }

    /**
     * The rights a region needs to serve as the local sink of an RDMA read on this provider:
     * {@link Access#LOCAL_WRITE}, and {@link Access#REMOTE_WRITE} where
     * {@link #readSinkNeedsRemoteWrite()} (iWARP).
     *
     * @return a new mutable set; add further rights the region needs
     */
    public java.util.EnumSet<Access> readSinkAccess() {
        java.util.EnumSet<Access> access = java.util.EnumSet.of(Access.LOCAL_WRITE);
        if (readSinkNeedsRemoteWrite) {
            access.add(Access.REMOTE_WRITE);
        }
        return access;
    }
}
