package dev.weft.async;

import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * A {@link CompletableFuture} layer over an {@link Endpoint}, for callers that do not need the
 * last microsecond. It is built only on the public post/poll primitives.
 *
 * <p><b>The queue.</b> The endpoint's send and receive completions must both go to the one
 * {@link CompletionQueue} given here. One daemon thread per queue polls it (blocking, not
 * spinning) and hands each completion to the {@code AsyncEndpoint} of the endpoint that
 * reported it ({@link Completion#endpointId()}), so several endpoints, each wrapped once, may
 * share a queue (a listener's accepted endpoints do). Nobody else may poll that queue, and
 * nobody may post on a wrapped endpoint directly: a completion no future waits for is dropped.
 * An endpoint may be wrapped again after {@link #close()}; completions of requests the earlier
 * wrapper left posted are then dropped, never matched to the new wrapper's futures.
 *
 * <p><b>Results.</b> Each future completes normally with a private copy of the {@link Completion}
 * on {@code SUCCESS}, or exceptionally with an {@link OperationFailedException} carrying the
 * error status (for example {@code FLUSHED} once the endpoint is closed or failed), or with a
 * {@link FabricException} if the request could not be posted ({@code CLOSED}, or
 * {@code INVALID_ARGUMENT} for a request {@link PostStatus#INVALID} refuses). The atomics' futures
 * fail with the same exceptions, unwrapped, as the others'; an atomic whose result memory's arena
 * was closed before its completion fails with {@code CLOSED} (the atomic did take place).
 *
 * <p><b>Full queues.</b> A request that finds the endpoint's send or receive queue full
 * ({@link PostStatus#AGAIN}) waits here and is posted, in order, as completions free that queue;
 * later requests of the same kind queue behind it, so the posted order of the initiator requests
 * (write, read, send, atomics) is their call order, and likewise for receives. The two kinds wait
 * apart: a full receive queue never holds back a send.
 *
 * <p><b>Buffers.</b> The memory of a request must stay untouched until its future completes, and
 * after {@link #close()} until the endpoint is closed too: close fails the futures still pending
 * without taking their requests back from the endpoint.
 *
 * <p><b>Cancellation and timeouts.</b> A future that the caller completes itself ({@code cancel},
 * {@code orTimeout}, {@code completeExceptionally}, ...) while its request still waits here for room
 * in a full queue withdraws that request: it is not posted (unless the polling thread is posting it
 * at that very moment, which the caller cannot tell from a withdrawal). A request already posted cannot be
 * taken back (as on verbs, where only closing the endpoint ends a posted request): it runs to its
 * completion, which this layer then drops, so its memory stays in use until the endpoint is
 * closed, and a receive whose future was cancelled still takes the next message, which nobody is
 * given. The caller cannot tell which of the two happened, so do not cancel or time out the futures
 * of receives, nor of requests whose memory you mean to reuse; to wait for a future with a time
 * limit, wait on a copy ({@code future.copy().orTimeout(...)}, or {@code future.get(timeout, unit)}),
 * which leaves the request and its future in place. (Until 2026-12-07 a withdrawn request that
 * waited for room was posted anyway once room came.)
 *
 * <p><b>Threading.</b> Thread-safe. Futures complete on the queue's polling thread, or on the
 * {@link Executor} given to the constructor (on the polling thread when the executor throws on a
 * task); a request refused at post fails before the call returns, on the caller's thread, and
 * {@link #close()} fails the pending ones on the closing thread. A dependent action that runs on the polling thread must not block on another future of
 * this layer (nothing would complete it): give an executor, or use the {@code ...Async} methods
 * of {@link CompletableFuture}.
 *
 * <p><b>Lifetime.</b> {@link #close()} fails pending futures with {@link ErrorCode#CLOSED} and
 * stops the queue's polling thread once no {@code AsyncEndpoint} uses the queue (an {@code AsyncEndpoint} made on the
 * queue while the last one closes keeps that thread instead of starting a second); it closes neither
 * the endpoint nor the queue. If the queue is closed first, every future waiting on it fails with
 * {@code CLOSED}.
 */
public final class AsyncEndpoint implements AutoCloseable {
    /** The running pollers, one per queue; guarded by itself. */
    private static final Map<CompletionQueue, Poller> POLLERS = new IdentityHashMap<>();

    private final Endpoint endpoint;
    private final Executor callbacks;
    private final Poller poller;
    private final Map<Long, CompletableFuture<Completion>> pending = new ConcurrentHashMap<>();
    private final ArrayDeque<Waiting> waitingSends = new ArrayDeque<>();
    private final ArrayDeque<Waiting> waitingReceives = new ArrayDeque<>();
    private final Object postLock = new Object();
    private volatile boolean running = true; // written under postLock
    /**
     * Request ids, one sequence for every {@code AsyncEndpoint} of the JVM: an endpoint wrapped again after a close
     * left requests posted gets ids the old wrapper never used, so their late completions match no new future.
     */
    private static final AtomicLong NEXT_ID = new AtomicLong(1);

    private record Waiting(long id, LongFunction<PostStatus> post) {
    }

    private record Failure(CompletableFuture<Completion> future, Throwable cause) {
    }

    /**
     * Wraps {@code endpoint}; futures complete on the queue's polling thread.
     *
     * @param endpoint the endpoint whose operations this object posts
     * @param queue the endpoint's completion queue, for both its sends and its receives, polled by nobody else
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a null endpoint or queue, {@link ErrorCode#BUSY}
     *         if the endpoint is already wrapped on that queue
     */
    public AsyncEndpoint(Endpoint endpoint, CompletionQueue queue) {
        this(endpoint, queue, null);
    }

    /**
     * Wraps {@code endpoint}; futures complete on {@code callbacks} (where a dependent action may block).
     *
     * @param endpoint the endpoint whose operations this object posts
     * @param queue the endpoint's completion queue, for both its sends and its receives, polled by nobody else
     * @param callbacks where futures complete, or {@code null} for the polling thread; one that throws on a task (it
     *                  refuses it, or was shut down) gets the future completed on the polling thread instead
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a null endpoint or queue, {@link ErrorCode#BUSY}
     *         if the endpoint is already wrapped on that queue
     */
    public AsyncEndpoint(Endpoint endpoint, CompletionQueue queue, Executor callbacks) {
        if (endpoint == null || queue == null) {
            throw FabricException.invalid("an async endpoint needs an endpoint and its completion queue; got "
                    + (endpoint == null ? "no endpoint" : "no queue"));
        }
        this.endpoint = endpoint;
        this.callbacks = callbacks;
        this.poller = Poller.join(queue, this);
    }

    /** @return the endpoint (post nothing on it directly: see the class comment) */
    public Endpoint endpoint() {
        return endpoint;
    }

    /**
     * RDMA write.
     *
     * @param local source memory
     * @param localOffset offset in {@code local}
     * @param length byte count
     * @param remote target region
     * @param remoteOffset offset in {@code remote}
     * @return the future completion
     */
    public CompletableFuture<Completion> write(MemoryRegion local, long localOffset, int length, RemoteRegion remote, long remoteOffset) {
        return submit(false, id -> endpoint.write(id, local, localOffset, length, remote, remoteOffset));
    }

    /**
     * RDMA read.
     *
     * @param local sink memory
     * @param localOffset offset in {@code local}
     * @param length byte count
     * @param remote source region
     * @param remoteOffset offset in {@code remote}
     * @return the future completion
     */
    public CompletableFuture<Completion> read(MemoryRegion local, long localOffset, int length, RemoteRegion remote, long remoteOffset) {
        return submit(false, id -> endpoint.read(id, local, localOffset, length, remote, remoteOffset));
    }

    /**
     * RDMA write with immediate data: the data lands in {@code remote}, then it consumes a receive at the peer, whose
     * completion carries {@code immediate} ({@link dev.weft.Opcode#RECEIVE_WRITE_WITH_IMMEDIATE}). Needs the provider's
     * {@link dev.weft.Capability#WRITE_IMM}: without it the post is refused and the future fails with
     * {@code INVALID_ARGUMENT}, as for any request refused at post time. (Since 2026-12-07; before, a doorbell could only be rung by posting on the
     * endpoint directly, which this layer does not allow.)
     *
     * @param local source memory
     * @param localOffset offset in {@code local}
     * @param length byte count
     * @param remote target region; null fails the future with {@code INVALID_ARGUMENT}, as for {@link #write}
     * @param remoteOffset offset in {@code remote}
     * @param immediate the immediate data
     * @return the future completion
     */
    public CompletableFuture<Completion> writeWithImmediate(MemoryRegion local, long localOffset, int length, RemoteRegion remote,
                                                            long remoteOffset, int immediate) {
        return submit(false, id -> remote == null ? PostStatus.INVALID
                : endpoint.writeWithImmediate(id, local, localOffset, length, remote.addressOf(remoteOffset), remote.key(), immediate));
    }

    /**
     * Send.
     *
     * @param local payload memory
     * @param localOffset offset in {@code local}
     * @param length byte count
     * @return the future completion
     */
    public CompletableFuture<Completion> send(MemoryRegion local, long localOffset, int length) {
        return submit(false, id -> endpoint.send(id, local, localOffset, length));
    }

    /**
     * Posts a receive; the future completes when a message arrives.
     *
     * @param local buffer memory
     * @param localOffset offset in {@code local}
     * @param length buffer size
     * @return the future completion ({@link Completion#byteCount()} is the received size)
     */
    public CompletableFuture<Completion> receive(MemoryRegion local, long localOffset, int length) {
        return submit(true, id -> endpoint.receive(id, local, localOffset, length));
    }

    /**
     * Atomic fetch-and-add.
     *
     * @param result 8 bytes of local memory for the previous value
     * @param resultOffset offset in {@code result}
     * @param remote target region
     * @param remoteOffset offset of the word in {@code remote}
     * @param add the addend
     * @return the future previous value
     */
    public CompletableFuture<Long> fetchAndAdd(MemoryRegion result, long resultOffset, RemoteRegion remote, long remoteOffset, long add) {
        return previousValue(submit(false, id -> endpoint.fetchAndAdd(id, result, resultOffset, remote, remoteOffset, add)),
                result, resultOffset);
    }

    /**
     * Atomic compare-and-swap.
     *
     * @param result 8 bytes of local memory for the previous value
     * @param resultOffset offset in {@code result}
     * @param remote target region
     * @param remoteOffset offset of the word in {@code remote}
     * @param expected the value to compare with
     * @param desired the value to store on a match
     * @return the future previous value (equal to {@code expected} if the swap happened)
     */
    public CompletableFuture<Long> compareAndSwap(MemoryRegion result, long resultOffset, RemoteRegion remote, long remoteOffset,
                                                  long expected, long desired) {
        return previousValue(submit(false, id -> endpoint.compareAndSwap(id, result, resultOffset, remote, remoteOffset, expected,
                desired)), result, resultOffset);
    }

    /**
     * The word an atomic left in {@code result}; a failure passes through as it is (thenApply would wrap it). If the word
     * cannot be read (the result memory's arena was closed before the completion), the future fails with {@code CLOSED}.
     */
    private static CompletableFuture<Long> previousValue(CompletableFuture<Completion> done, MemoryRegion result, long resultOffset) {
        CompletableFuture<Long> value = new CompletableFuture<>();
        // the caller holds only value: its cancel or timeout reaches the request's own future, so that a request still
        // waiting for room is withdrawn (a no-op once done completed)
        value.whenComplete((v, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
            }
        });
        done.whenComplete((c, failure) -> {
            if (failure != null) {
                value.completeExceptionally(failure);
                return;
            }
            long previous;
            try {
                previous = result.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, resultOffset);
            } catch (RuntimeException e) { // its arena closed (IllegalStateException), or a region that no longer answers
                value.completeExceptionally(new FabricException(ErrorCode.CLOSED, "the atomic took place at the target, but its"
                        + " previous value cannot be read from the result memory (" + e.getMessage() + "); keep the result region's"
                        + " arena open until the atomic's future completes", e));
                return;
            }
            value.complete(previous);
        });
        return value;
    }

    private CompletableFuture<Completion> submit(boolean receive, LongFunction<PostStatus> post) {
        CompletableFuture<Completion> future = new CompletableFuture<>();
        Failure failure;
        synchronized (postLock) {
            if (!running) {
                failure = new Failure(future, FabricException.closed("async endpoint of endpoint " + endpoint.id()));
            } else {
                long id = NEXT_ID.getAndIncrement();
                pending.put(id, future);
                ArrayDeque<Waiting> waiting = receive ? waitingReceives : waitingSends;
                if (!waiting.isEmpty()) {
                    waiting.add(new Waiting(id, post));
                    return future;
                }
                failure = tryPost(new Waiting(id, post), waiting, false);
            }
        }
        if (failure != null) {
            failure.future().completeExceptionally(failure.cause());
        }
        return future;
    }

    /**
     * Posts {@code w}, or files it in {@code waiting} on AGAIN (unless it is already there); the caller holds postLock.
     *
     * @return the failure to report once the lock is released, or {@code null} if it was posted or waits
     */
    private Failure tryPost(Waiting w, ArrayDeque<Waiting> waiting, boolean queued) {
        if (queued) {
            CompletableFuture<Completion> future = pending.get(w.id());
            if (future == null || future.isDone()) { // the caller cancelled it, or it timed out, while it waited: withdrawn
                waiting.poll();
                pending.remove(w.id());
                return null;
            }
        }
        PostStatus status;
        try {
            status = w.post().apply(w.id());
        } catch (RuntimeException e) { // the data path returns codes; a provider that throws fails this request alone
            if (queued) {
                waiting.poll();
            }
            return failure(w.id(), e);
        }
        if (status == PostStatus.AGAIN) {
            if (!queued) {
                waiting.add(w);
            }
            return null;
        }
        if (queued) {
            waiting.poll();
        }
        if (status == PostStatus.OK) {
            return null;
        }
        return failure(w.id(), status == PostStatus.CLOSED ? FabricException.closed("endpoint " + endpoint.id())
                : new FabricException(ErrorCode.INVALID_ARGUMENT, "the request was rejected at post time (" + status
                + "): check lengths, offsets, regions, the local region's rights and the provider's capabilities"));
    }

    private Failure failure(long id, Throwable cause) {
        CompletableFuture<Completion> future = pending.remove(id);
        return future == null ? null : new Failure(future, cause);
    }

    /** Posts what waits for room, on the polling thread after completions freed some; failures complete after the lock. */
    private void retryWaiting() {
        List<Failure> failures = null;
        synchronized (postLock) {
            for (ArrayDeque<Waiting> waiting : List.of(waitingSends, waitingReceives)) {
                while (!waiting.isEmpty()) {
                    int before = waiting.size();
                    Failure f = tryPost(waiting.peek(), waiting, true);
                    if (f != null) {
                        failures = failures == null ? new ArrayList<>() : failures;
                        failures.add(f);
                    }
                    if (waiting.size() == before) {
                        break; // AGAIN: still no room for this kind
                    }
                }
            }
        }
        if (failures != null) {
            failures.forEach(f -> f.future().completeExceptionally(f.cause()));
        }
    }

    /** A completion of this endpoint, on the polling thread. */
    private void completed(Completion c) {
        CompletableFuture<Completion> future = pending.remove(c.workRequestId());
        if (future == null) {
            return; // not a request of this layer's (see the class comment), or its future was failed by close
        }
        Completion copy = c.copy();
        Runnable finish = copy.status().isSuccess() ? () -> future.complete(copy)
                : () -> future.completeExceptionally(new OperationFailedException(copy));
        if (callbacks == null) {
            finish.run();
            return;
        }
        try {
            callbacks.execute(finish);
        } catch (RuntimeException | Error e) { // rejected, shut down, broken or out of threads: the future is no longer
                                                // pending, so finish here (and the polling thread goes on for the others)
            finish.run();
        }
    }

    /** Fails every pending and waiting request with CLOSED and refuses later ones; on the caller's thread. */
    private void failAll(String why) {
        synchronized (postLock) {
            running = false;
            waitingSends.clear();
            waitingReceives.clear();
        }
        for (Long id : pending.keySet()) {
            CompletableFuture<Completion> future = pending.remove(id);
            if (future != null) {
                future.completeExceptionally(FabricException.closed(why));
            }
        }
    }

    /**
     * Fails the pending futures with {@code CLOSED} and refuses later requests; the queue's polling thread stops once
     * no {@code AsyncEndpoint} uses the queue. The last one's close waits, up to 5 s, until that thread has stopped
     * taking completions, unless another {@code AsyncEndpoint} of the queue is made meanwhile (it takes the thread over,
     * so its completions are never taken by a thread that has stopped serving), and does not wait when it runs on that
     * thread. Idempotent.
     */
    @Override
    public void close() {
        poller.leave(this);
        failAll("async endpoint of endpoint " + endpoint.id() + " (closed)");
    }

    /**
     * The polling thread of one completion queue and the async endpoints it serves, by endpoint id. A poller is in
     * {@link #POLLERS} exactly as long as its thread may still take completions from the queue: it leaves the map only when
     * its thread decides, under the lock, that nobody is served any more (or when the thread fails or the queue closes).
     * So a wrapper made while the last one closes joins the thread that is still polling, and no two threads ever poll one
     * queue (the old one would take, and drop, the new wrapper's completions).
     */
    private static final class Poller {
        private final CompletionQueue queue;
        private final Map<Long, AsyncEndpoint> served = new ConcurrentHashMap<>();
        private final Thread thread;
        private boolean ended; // under POLLERS: the thread takes no more completions

        private Poller(CompletionQueue queue) {
            this.queue = queue;
            this.thread = Thread.ofPlatform().daemon().name("weft-async-poller").unstarted(this::loop);
        }

        /** The queue's poller, started if none polls it, with {@code a} added. */
        static Poller join(CompletionQueue queue, AsyncEndpoint a) {
            synchronized (POLLERS) {
                Poller p = POLLERS.get(queue);
                boolean fresh = p == null;
                if (fresh) {
                    p = new Poller(queue);
                }
                if (p.served.putIfAbsent(a.endpoint.id(), a) != null) {
                    throw new FabricException(ErrorCode.BUSY, "endpoint " + a.endpoint.id() + " already has an AsyncEndpoint on this"
                            + " queue; use that one (two would take each other's completions)");
                }
                if (fresh) {
                    POLLERS.put(queue, p);
                    p.thread.start();
                } else {
                    POLLERS.notifyAll(); // a close waiting for this thread to end may return: the thread polls on for a's endpoint
                }
                return p;
            }
        }

        /**
         * Removes {@code a}; if it was the last, waits (up to 5 s, not on the polling thread itself) until the thread has
         * stopped taking completions or another wrapper has joined it.
         */
        void leave(AsyncEndpoint a) {
            synchronized (POLLERS) {
                if (!served.remove(a.endpoint.id(), a) || !served.isEmpty() || Thread.currentThread() == thread) {
                    return;
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (!ended && served.isEmpty()) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        return;
                    }
                    try {
                        POLLERS.wait(left);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }

        /** @return {@code true} if nobody is served: the poller is then ended and out of {@link #POLLERS} */
        private boolean endIfUnused() {
            synchronized (POLLERS) {
                if (!served.isEmpty()) {
                    return false;
                }
                end();
                return true;
            }
        }

        /** Under POLLERS. */
        private void end() {
            ended = true;
            POLLERS.remove(queue, this);
            POLLERS.notifyAll();
        }

        private void loop() {
            String why = "async endpoint (its polling thread stopped)";
            try {
                CompletionBatch batch = new CompletionBatch(64);
                while (!endIfUnused()) {
                    Thread.interrupted(); // a dependent action that restored an interrupt would make every await return at once
                    int n = queue.await(batch, 50, TimeUnit.MILLISECONDS);
                    if (n < 0) {
                        why = "async endpoint (its completion queue was closed)";
                        break;
                    }
                    for (int i = 0; i < n; i++) {
                        Completion c = batch.get(i);
                        AsyncEndpoint a = served.get(c.endpointId());
                        if (a != null) {
                            a.completed(c);
                        }
                    }
                    for (AsyncEndpoint a : served.values()) {
                        a.retryWaiting();
                    }
                }
            } finally {
                // also after an unforeseen failure: no future is left waiting for a thread that has ended
                List<AsyncEndpoint> left;
                synchronized (POLLERS) {
                    end();
                    left = new ArrayList<>(served.values());
                }
                for (AsyncEndpoint a : left) {
                    a.failAll(why);
                }
            }
        }
    }
}
