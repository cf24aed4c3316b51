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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;

/**
 * A {@link CompletableFuture} layer over an {@link Endpoint}, for callers that do not need the
 * last microsecond. It is built only on the public post/poll primitives.
 *
 * <p>The endpoint's send and receive completions must both go to the one
 * {@link CompletionQueue} given here, and nobody else may poll that queue: a daemon thread of
 * this object polls it (blocking, not spinning) and completes the futures. Each future
 * completes normally with a private copy of the {@link Completion} on {@code SUCCESS}, or
 * exceptionally with an {@link OperationFailedException} carrying the error status, or with a
 * {@link FabricException} if the request could not be posted.
 *
 * <p>Requests that find the endpoint's queue full ({@link PostStatus#AGAIN}) wait here and are
 * posted, in order, as completions free the queue; later requests queue behind them, so the
 * posted order is the call order.
 *
 * <p><b>Buffers.</b> The memory of a request must stay untouched until its future completes.
 * <b>Threading.</b> Thread-safe; futures complete on the polling thread, so keep dependent
 * actions short or use the {@code ...Async} variants of {@link CompletableFuture}.
 * <b>Lifetime.</b> {@link #close()} stops the polling thread and fails pending futures with
 * {@link ErrorCode#CLOSED}; it does not close the endpoint or the queue.
 */
public final class AsyncEndpoint implements AutoCloseable {
    private final Endpoint endpoint;
    private final CompletionQueue queue;
    private final Map<Long, CompletableFuture<Completion>> pending = new ConcurrentHashMap<>();
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private final Object postLock = new Object();
    private final Thread poller;
    private volatile boolean running = true;
    private long nextId = 1;

    private record Waiting(long id, LongFunction<PostStatus> post) {
    }

    /**
     * Starts polling {@code queue} on a daemon thread.
     *
     * @param endpoint the endpoint whose operations this object posts
     * @param queue the endpoint's only completion queue, polled by nobody else
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a null endpoint or queue
     */
    public AsyncEndpoint(Endpoint endpoint, CompletionQueue queue) {
        if (endpoint == null || queue == null) {
            throw FabricException.invalid("an async endpoint needs an endpoint and its completion queue; got "
                    + (endpoint == null ? "no endpoint" : "no queue"));
        }
        this.endpoint = endpoint;
        this.queue = queue;
        this.poller = Thread.ofPlatform().daemon().name("weft-async-" + endpoint.id()).unstarted(this::pollLoop);
        poller.start();
    }

    /** @return the endpoint */
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
        return submit(id -> endpoint.write(id, local, localOffset, length, remote, remoteOffset));
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
        return submit(id -> endpoint.read(id, local, localOffset, length, remote, remoteOffset));
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
        return submit(id -> endpoint.send(id, local, localOffset, length));
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
        return submit(id -> endpoint.receive(id, local, localOffset, length));
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
        return submit(id -> endpoint.fetchAndAdd(id, result, resultOffset, remote, remoteOffset, add))
                .thenApply(c -> result.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, resultOffset));
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
        return submit(id -> endpoint.compareAndSwap(id, result, resultOffset, remote, remoteOffset, expected, desired))
                .thenApply(c -> result.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, resultOffset));
    }

    private CompletableFuture<Completion> submit(LongFunction<PostStatus> post) {
        CompletableFuture<Completion> future = new CompletableFuture<>();
        synchronized (postLock) {
            if (!running) {
                future.completeExceptionally(FabricException.closed("async endpoint"));
                return future;
            }
            long id = nextId++;
            pending.put(id, future);
            if (waiting.isEmpty()) {
                PostStatus status = post.apply(id);
                if (status == PostStatus.AGAIN) {
                    waiting.add(new Waiting(id, post));
                } else if (status != PostStatus.OK) {
                    fail(id, status);
                }
            } else {
                waiting.add(new Waiting(id, post));
            }
        }
        return future;
    }

    private void fail(long id, PostStatus status) {
        CompletableFuture<Completion> future = pending.remove(id);
        if (future != null) {
            future.completeExceptionally(status == PostStatus.CLOSED
                    ? FabricException.closed("endpoint " + endpoint.id())
                    : new FabricException(ErrorCode.INVALID_ARGUMENT, "the request was rejected at post time (" + status
                    + "): check lengths, offsets, regions and the provider's capabilities"));
        }
    }

    private void retryWaiting() {
        synchronized (postLock) {
            while (!waiting.isEmpty()) {
                Waiting w = waiting.peek();
                PostStatus status = w.post().apply(w.id());
                if (status == PostStatus.AGAIN) {
                    return;
                }
                waiting.poll();
                if (status != PostStatus.OK) {
                    fail(w.id(), status);
                }
            }
        }
    }

    private void pollLoop() {
        try {
            pollUntilClosed();
        } finally {
            failAll(); // also after an unforeseen failure: no future is left waiting for a thread that has ended
        }
    }

    private void pollUntilClosed() {
        CompletionBatch batch = new CompletionBatch(64);
        while (running) {
            int n = queue.await(batch, 50, TimeUnit.MILLISECONDS);
            if (n < 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                Completion c = batch.get(i);
                CompletableFuture<Completion> future = pending.remove(c.workRequestId());
                if (future == null) {
                    continue;
                }
                Completion copy = c.copy();
                if (copy.status().isSuccess()) {
                    future.complete(copy);
                } else {
                    future.completeExceptionally(new OperationFailedException(copy));
                }
            }
            retryWaiting();
        }
    }

    private void failAll() {
        synchronized (postLock) {
            running = false;
            waiting.clear();
        }
        for (Long id : pending.keySet()) {
            CompletableFuture<Completion> future = pending.remove(id);
            if (future != null) {
                future.completeExceptionally(FabricException.closed("async endpoint"));
            }
        }
    }

    /** Stops the polling thread and fails pending futures. Idempotent. */
    @Override
    public void close() {
        running = false;
        try {
            poller.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        failAll();
    }
}
