package dev.weft;

import java.time.Duration;

/**
 * How to create an endpoint: its completion queues, queue depths, scatter-gather width and
 * connect timeout. Immutable; the {@code with...} methods return modified copies.
 *
 * @param sendQueue where completions of posted sends, writes, reads and atomics arrive
 * @param receiveQueue where completions of posted receives arrive (may be {@code sendQueue})
 * @param sendQueueDepth most outstanding initiator requests; a further post returns {@link PostStatus#AGAIN}
 * @param receiveQueueDepth most outstanding posted receives
 * @param maxScatterGather most entries in one {@link ScatterGatherList}; an endpoint takes at most the fabric's
 *        {@link Limits#maxScatterGather()} and lowers a larger value to it without an error (see
 *        {@link #withMaxScatterGather})
 * @param connectTimeout how long {@link Domain#connect} waits for the peer; in a listener's configuration, how long
 *        a connection the listener answered may take to be established before the listener gives it up
 */
public record EndpointConfig(CompletionQueue sendQueue, CompletionQueue receiveQueue, int sendQueueDepth,
                             int receiveQueueDepth, int maxScatterGather, Duration connectTimeout) {
    /** Default send and receive queue depth. */
    public static final int DEFAULT_QUEUE_DEPTH = 128;
    /** Default scatter-gather width. */
    public static final int DEFAULT_SCATTER_GATHER = 4;
    /** Default connect timeout. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The longest connect timeout: a day (longer ones would overflow the providers' clocks and help no one). */
    public static final Duration MAX_CONNECT_TIMEOUT = Duration.ofDays(1);

    /**
     * Validates the components.
     *
     * @param sendQueue send-side completion queue
     * @param receiveQueue receive-side completion queue
     * @param sendQueueDepth at least 1
     * @param receiveQueueDepth at least 1
     * @param maxScatterGather at least 1
     * @param connectTimeout positive, at most {@link #MAX_CONNECT_TIMEOUT}
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a missing queue or timeout or a value out of range
     */
    public EndpointConfig {
        if (sendQueue == null || receiveQueue == null) {
            throw FabricException.invalid("an endpoint needs a send and a receive completion queue (the same one may serve both), got "
                    + sendQueue + " and " + receiveQueue + "; open one with domain.openCompletionQueue(depth)");
        }
        if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()
                || connectTimeout.compareTo(MAX_CONNECT_TIMEOUT) > 0) {
            throw FabricException.invalid("connectTimeout must be positive and at most " + MAX_CONNECT_TIMEOUT.toHours() + " h, got "
                    + connectTimeout);
        }
        if (sendQueueDepth < 1 || receiveQueueDepth < 1) {
            throw FabricException.invalid("queue depths must be at least 1, got send=" + sendQueueDepth + " receive=" + receiveQueueDepth);
        }
        if (maxScatterGather < 1) {
            throw FabricException.invalid("maxScatterGather must be at least 1, got " + maxScatterGather);
        }
    }

    /**
     * A configuration with one queue for both sides and default depths.
     *
     * @param queue the completion queue for sends and receives
     * @return the configuration
     */
    public static EndpointConfig of(CompletionQueue queue) {
        return new EndpointConfig(queue, queue, DEFAULT_QUEUE_DEPTH, DEFAULT_QUEUE_DEPTH, DEFAULT_SCATTER_GATHER, DEFAULT_CONNECT_TIMEOUT);
    }

    /**
     * @param depth most outstanding initiator requests
     * @return a copy with that send queue depth
     */
    public EndpointConfig withSendQueueDepth(int depth) {
        return new EndpointConfig(sendQueue, receiveQueue, depth, receiveQueueDepth, maxScatterGather, connectTimeout);
    }

    /**
     * @param depth most outstanding posted receives
     * @return a copy with that receive queue depth
     */
    public EndpointConfig withReceiveQueueDepth(int depth) {
        return new EndpointConfig(sendQueue, receiveQueue, sendQueueDepth, depth, maxScatterGather, connectTimeout);
    }

    /**
     * @param queue the receive-side completion queue
     * @return a copy with that receive queue
     */
    public EndpointConfig withReceiveQueue(CompletionQueue queue) {
        return new EndpointConfig(sendQueue, queue, sendQueueDepth, receiveQueueDepth, maxScatterGather, connectTimeout);
    }

    /**
     * Sets the scatter-gather width. Unlike a queue depth above {@link Limits#maxQueueDepth()}, which {@code connect} and
     * {@code listen} refuse, a width above the fabric's {@link Limits#maxScatterGather()} is not refused: the endpoint
     * is created with the limit instead. No accessor reports the width an endpoint was granted; it is
     * {@code Math.min(entries, domain.fabric().info().limits().maxScatterGather())}, and a {@link ScatterGatherList}
     * with more entries than that is refused at the post with {@link PostStatus#INVALID}.
     *
     * @param entries most scatter-gather entries per request, at least 1
     * @return a copy with that width
     */
    public EndpointConfig withMaxScatterGather(int entries) {
        return new EndpointConfig(sendQueue, receiveQueue, sendQueueDepth, receiveQueueDepth, entries, connectTimeout);
    }

    /**
     * @param timeout how long a connect waits
     * @return a copy with that timeout
     */
    public EndpointConfig withConnectTimeout(Duration timeout) {
        return new EndpointConfig(sendQueue, receiveQueue, sendQueueDepth, receiveQueueDepth, maxScatterGather, timeout);
    }
}
