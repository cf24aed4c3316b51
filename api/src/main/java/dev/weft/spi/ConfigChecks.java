package dev.weft.spi;

import dev.weft.CompletionQueue;
import dev.weft.EndpointConfig;
import dev.weft.FabricException;
import dev.weft.Limits;
import java.util.function.Predicate;

/**
 * The checks every provider makes on an {@link EndpointConfig} before {@code connect} or {@code listen} builds anything
 * with it, so that the same configuration is taken or refused, with the same code, on every fabric. Stateless;
 * thread-safe.
 */
public final class ConfigChecks {
    private ConfigChecks() {
    }

    /**
     * Refuses a configuration the domain cannot use: {@code null}, a completion queue of another domain, fabric or
     * provider ({@link dev.weft.ErrorCode#INVALID_ARGUMENT}: a queue takes completions of its own domain's endpoints
     * only, and its domain must be able to close it), a closed queue ({@link dev.weft.ErrorCode#CLOSED}), a queue depth
     * above {@link Limits#maxQueueDepth()} ({@code INVALID_ARGUMENT}). A {@link EndpointConfig#maxScatterGather()} above
     * {@link Limits#maxScatterGather()} is not refused: the provider lowers it to the limit (see
     * {@link #scatterGather}).
     *
     * @param config the caller's configuration
     * @param ofThisDomain whether a queue is the provider's type and opened by the connecting or listening domain
     * @param limits the provider's (or device's) limits
     * @param whose whose configuration, for the message, e.g. "the listener's"
     * @throws FabricException as above, naming what is wrong and what would do
     */
    public static void require(EndpointConfig config, Predicate<CompletionQueue> ofThisDomain, Limits limits, String whose) {
        if (config == null) {
            throw FabricException.invalid(whose + " endpoint config is null; use EndpointConfig.of(completionQueue)");
        }
        for (CompletionQueue q : new CompletionQueue[] {config.sendQueue(), config.receiveQueue()}) {
            if (!ofThisDomain.test(q)) {
                throw FabricException.invalid(whose + " completion queue belongs to another domain, fabric or provider;"
                        + " open the endpoint's queues with openCompletionQueue of the domain that connects or listens");
            }
            if (!q.isOpen()) {
                throw FabricException.closed(whose + " completion queue");
            }
        }
        if (config.sendQueueDepth() > limits.maxQueueDepth() || config.receiveQueueDepth() > limits.maxQueueDepth()) {
            throw FabricException.invalid(whose + " queue depths " + config.sendQueueDepth() + "/" + config.receiveQueueDepth()
                    + " exceed the limit of " + limits.maxQueueDepth() + " (Limits.maxQueueDepth())");
        }
    }

    /**
     * @param config a configuration {@link #require} took
     * @param limits the provider's (or device's) limits
     * @return the scatter-gather width an endpoint of {@code config} takes: the configured one, at most
     *         {@link Limits#maxScatterGather()}
     */
    public static int scatterGather(EndpointConfig config, Limits limits) {
        return Math.min(config.maxScatterGather(), limits.maxScatterGather());
    }
}
