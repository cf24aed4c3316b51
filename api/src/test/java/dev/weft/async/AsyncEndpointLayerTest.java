package dev.weft.async;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The {@link AsyncEndpoint} layer over a completion queue the test feeds by hand, for the orders of events a real
 * provider produces only by chance. provider-tcp's {@code AsyncEndpointTest} runs the layer over real connections.
 */
class AsyncEndpointLayerTest {
    private static final long WAIT = 10;
    private static final RemoteRegion REMOTE = new RemoteRegion(0x10000, 4096, 7, Set.of(Access.REMOTE_WRITE, Access.REMOTE_ATOMIC));

    /**
     * A queue the test fills with {@link #feed}. Only the first thread that awaits on it is given completions, and until
     * the first completion is fed it waits for one (or for the close) whatever its timeout: so it is known which thread
     * takes a completion, and that this thread is still inside await when the test changes the wrappers around it.
     */
    private static final class HandFedQueue implements CompletionQueue {
        private static final Completion CLOSED = new Completion();
        private final LinkedBlockingQueue<Completion> fed = new LinkedBlockingQueue<>();
        private final CountDownLatch firstAwaits = new CountDownLatch(1);
        private Thread first; // guarded by this
        private volatile boolean open = true;
        private volatile boolean anyFed;

        void feed(FakeEndpoint e, Opcode opcode, Status status) {
            anyFed = true;
            fed.add(new Completion().set(e.lastWorkRequestId.get(), opcode, status, 8, 0, false, e.id, 0));
        }

        /** Waits until the first poller is inside {@link #await}. */
        void awaitFirstPoller() throws InterruptedException {
            assertTrue(firstAwaits.await(WAIT, TimeUnit.SECONDS), "a polling thread awaited completions");
        }

        @Override
        public int poll(CompletionBatch batch) {
            batch.clear();
            return open ? 0 : -1;
        }

        @Override
        public int await(CompletionBatch batch, long timeout, TimeUnit unit) {
            batch.clear();
            synchronized (this) {
                if (first == null) {
                    first = Thread.currentThread();
                }
            }
            try {
                if (Thread.currentThread() != first) {
                    unit.sleep(timeout);
                    return open ? 0 : -1;
                }
                firstAwaits.countDown();
                Completion c = anyFed ? fed.poll(timeout, unit) : fed.take();
                if (c == null) {
                    return 0;
                }
                if (c == CLOSED) {
                    fed.add(CLOSED);
                    return -1;
                }
                batch.next().set(c);
                return 1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }

        @Override
        public int depth() {
            return 64;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            fed.add(CLOSED);
        }
    }

    /** An endpoint that takes every post (OK) and remembers the last work request id. */
    private static final class FakeEndpoint {
        final long id;
        final AtomicLong lastWorkRequestId = new AtomicLong();
        final Endpoint endpoint;

        FakeEndpoint(long id) {
            this.id = id;
            this.endpoint = (Endpoint) Proxy.newProxyInstance(Endpoint.class.getClassLoader(), new Class<?>[] {Endpoint.class},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "id" -> id;
                        case "close" -> null;
                        case "toString" -> "fake endpoint " + id;
                        case "hashCode" -> Long.hashCode(id);
                        case "equals" -> proxy == args[0];
                        default -> {
                            lastWorkRequestId.set((Long) args[0]);
                            yield PostStatus.OK;
                        }
                    });
        }
    }

    private static MemoryRegion region(MemorySegment segment) {
        return (MemoryRegion) Proxy.newProxyInstance(MemoryRegion.class.getClassLoader(), new Class<?>[] {MemoryRegion.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "segment" -> segment;
                    case "length" -> segment.byteSize();
                    case "isOpen" -> segment.scope().isAlive();
                    case "toString" -> "fake region";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static Throwable failure(CompletableFuture<?> f) {
        return assertThrows(ExecutionException.class, () -> f.get(WAIT, TimeUnit.SECONDS)).getCause();
    }

    /**
     * The last wrapper on a queue closes on one thread while another thread wraps a second endpoint on the same queue
     * and posts: the polling thread, still inside its await when the second wrapper came, must hand the second
     * endpoint its completion (until 2026-12-06 it dropped it, and a second thread polled the same queue).
     */
    @Test
    void aWrapperMadeWhileTheLastOneClosesGetsItsCompletions() throws Exception {
        HandFedQueue queue = new HandFedQueue();
        FakeEndpoint e1 = new FakeEndpoint(1);
        FakeEndpoint e2 = new FakeEndpoint(2);
        MemoryRegion local = region(Arena.global().allocate(64));
        AsyncEndpoint first = new AsyncEndpoint(e1.endpoint, queue);
        queue.awaitFirstPoller();
        Thread closer = Thread.ofPlatform().start(first::close);
        // close has let go of the queue and waits for the polling thread, which is still inside await
        while (closer.getState() != Thread.State.TIMED_WAITING && closer.getState() != Thread.State.TERMINATED) {
            Thread.onSpinWait();
        }
        try (AsyncEndpoint second = new AsyncEndpoint(e2.endpoint, queue)) {
            CompletableFuture<Completion> write = second.write(local, 0, 8, REMOTE, 0);
            queue.feed(e2, Opcode.WRITE, Status.SUCCESS);
            Completion done = write.get(WAIT, TimeUnit.SECONDS);
            assertEquals(2, done.endpointId(), "the second endpoint's future got its completion");
            assertEquals(Status.SUCCESS, done.status());
            closer.join();
            CompletableFuture<Completion> again = second.write(local, 0, 8, REMOTE, 0);
            queue.feed(e2, Opcode.WRITE, Status.SUCCESS);
            assertEquals(Status.SUCCESS, again.get(WAIT, TimeUnit.SECONDS).status(), "and the queue keeps being polled for it");
        } finally {
            queue.close();
        }
    }

    /**
     * An executor that throws something other than RejectedExecutionException (one shut down by hand, say, or one that
     * cannot start a thread: an OutOfMemoryError) gets the future completed on the polling thread, which keeps serving
     * the other endpoints of the queue.
     */
    @Test
    void anExecutorThatThrowsLosesNoFutureAndStopsNoEndpoint() throws Exception {
        for (Throwable thrown : List.of(new IllegalStateException("executor is shut down"),
                new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached"))) {
            HandFedQueue queue = new HandFedQueue();
            FakeEndpoint e1 = new FakeEndpoint(1);
            FakeEndpoint e2 = new FakeEndpoint(2);
            MemoryRegion local = region(Arena.global().allocate(64));
            Executor broken = task -> {
                if (thrown instanceof Error error) {
                    throw error;
                }
                throw (RuntimeException) thrown;
            };
            try (AsyncEndpoint withExecutor = new AsyncEndpoint(e1.endpoint, queue, broken);
                 AsyncEndpoint other = new AsyncEndpoint(e2.endpoint, queue)) {
                CompletableFuture<Completion> write = withExecutor.write(local, 0, 8, REMOTE, 0);
                queue.feed(e1, Opcode.WRITE, Status.SUCCESS);
                assertEquals(1, write.get(WAIT, TimeUnit.SECONDS).endpointId(), thrown + ": completed on the polling thread instead");
                CompletableFuture<Completion> failed = withExecutor.write(local, 0, 8, REMOTE, 0);
                queue.feed(e1, Opcode.WRITE, Status.REMOTE_ACCESS_ERROR);
                assertEquals(Status.REMOTE_ACCESS_ERROR, assertInstanceOf(OperationFailedException.class, failure(failed)).status());
                CompletableFuture<Completion> elsewhere = other.write(local, 0, 8, REMOTE, 0);
                queue.feed(e2, Opcode.WRITE, Status.SUCCESS);
                assertEquals(2, elsewhere.get(WAIT, TimeUnit.SECONDS).endpointId(), thrown + ": the other endpoint on the queue still works");
            } finally {
                queue.close();
            }
        }
    }

    /**
     * An atomic whose result memory was freed before its completion arrived cannot report the previous value: its
     * future fails with CLOSED, naming that the atomic did take place, rather than never completing.
     */
    @Test
    void anAtomicWhoseResultMemoryIsGoneFailsItsFuture() throws Exception {
        HandFedQueue queue = new HandFedQueue();
        FakeEndpoint e = new FakeEndpoint(1);
        Arena arena = Arena.ofShared();
        MemoryRegion result = region(arena.allocate(64));
        try (AsyncEndpoint async = new AsyncEndpoint(e.endpoint, queue)) {
            CompletableFuture<Long> previous = async.fetchAndAdd(result, 0, REMOTE, 0, 1);
            arena.close();
            queue.feed(e, Opcode.FETCH_AND_ADD, Status.SUCCESS);
            FabricException gone = assertInstanceOf(FabricException.class, failure(previous));
            assertEquals(ErrorCode.CLOSED, gone.code(), gone.getMessage());
            assertTrue(gone.getMessage().contains("took place"), gone.getMessage());
            assertSame(IllegalStateException.class, gone.getCause().getClass());
        } finally {
            queue.close();
        }
    }
}
