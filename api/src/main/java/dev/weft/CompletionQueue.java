package dev.weft;

import java.util.concurrent.TimeUnit;

/**
 * Where completions of posted work arrive, like {@code ibv_cq}. One queue may serve many
 * endpoints, for their send side, receive side or both ({@link EndpointConfig}).
 *
 * <p><b>Threading.</b> {@link #poll} and {@link #await} may be called from several threads;
 * each completion is returned exactly once. The fastest pattern is one polling thread per queue.
 *
 * <p><b>Depth.</b> Open a queue deep enough for every completion that can be waiting in it at once:
 * the requests the application keeps outstanding on the endpoints that report to it, counting a
 * listener's accepted endpoints; the sum of their send and receive queue depths
 * ({@link EndpointConfig}) is always enough. What happens past the depth depends on the provider,
 * as an overrun of {@code ibv_cq} does on verbs: the TCP provider grows the queue and loses nothing;
 * the verbs provider moves the endpoints that use the queue to {@link EndpointState#ERROR} and
 * completes the requests whose completions the device dropped {@link Status#FLUSHED}, although they
 * may have executed. A program that passes on one provider with too small a queue can therefore fail
 * on another. (Stated here since 2026-12-07; it was said only in the verbs provider's page.)
 *
 * <p><b>Progress.</b> On providers with a manual progress mode, polling also drives the
 * provider's protocol; see the provider's documentation.
 *
 * <p><b>Lifetime.</b> Created by {@link Domain#openCompletionQueue(int)}; closed by
 * {@link #close()} or with its domain. Closing a queue that an open endpoint still uses fails
 * with {@link ErrorCode#BUSY}; close the endpoint first.
 */
public interface CompletionQueue extends AutoCloseable {
    /**
     * Moves up to {@code batch.capacity()} completions into {@code batch}, without blocking and
     * without allocating.
     *
     * @param batch a caller-owned batch; cleared first. Not null: the data path spends no check on it, and a null batch
     *        ends in a NullPointerException
     * @return the number of completions, 0 if none is ready, or -1 if this queue is closed
     */
    int poll(CompletionBatch batch);

    /**
     * Waits until at least one completion is ready or the timeout passes, then polls. On
     * providers with {@link Capability#BLOCKING_WAIT} the thread sleeps instead of spinning.
     * An interrupt ends the wait early and keeps the thread's interrupt flag set.
     *
     * @param batch a caller-owned batch; cleared first. Not null, as for {@link #poll}
     * @param timeout how long to wait at most; 0 (or less) polls once
     * @param unit the unit of {@code timeout}. Not null: a null unit, like a null batch, ends in a NullPointerException
     * @return the number of completions, 0 on timeout or interrupt, or -1 if this queue is closed
     */
    int await(CompletionBatch batch, long timeout, TimeUnit unit);

    /** @return the number of completions this queue can hold */
    int depth();

    /** @return {@code false} once closed */
    boolean isOpen();

    /**
     * Destroys the queue. Idempotent. Completions still in it are discarded.
     *
     * @throws FabricException with {@link ErrorCode#BUSY} if an open endpoint still uses it
     */
    @Override
    void close();
}
