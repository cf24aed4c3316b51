package dev.weft;

import java.time.Duration;

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
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} naming the first component out of range
     */
    public Limits {
        positive("maxMessageSize", maxMessageSize);
        positive("maxScatterGather", maxScatterGather);
        if (maxInlineData < 0) {
            throw FabricException.invalid("Limits.maxInlineData must be 0 (no inline data) or more, got " + maxInlineData);
        }
        positive("maxQueueDepth", maxQueueDepth);
        positive("maxCompletionQueueDepth", maxCompletionQueueDepth);
        positive("maxEndpoints", maxEndpoints);
        positive("maxRegionSize", maxRegionSize);
        if (peerFailureTimeout == null || peerFailureTimeout.isNegative() || peerFailureTimeout.isZero()) {
            throw FabricException.invalid("Limits.peerFailureTimeout must be a positive duration (how long outstanding work takes"
                    + " to fail after the peer died), got " + peerFailureTimeout);
        }
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw FabricException.invalid("Limits." + name + " must be positive, got " + value);
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
