package dev.weft.provider.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Completion;
import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import dev.weft.async.AsyncEndpoint;
import dev.weft.async.OperationFailedException;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The CompletableFuture layer of the api module, over a real tcp connection on loopback. */
class AsyncEndpointTest {
    private static final long WAIT = 10;

    /** A connection of its own from the pair's client domain: its completion queue, its endpoint, the published region. */
    private record Link(CompletionQueue queue, Endpoint endpoint, RemoteRegion remote) {
        static Link open(Pair p, int queueDepth, int sendDepth) {
            return open(p, p.clientDomain.openCompletionQueue(queueDepth), sendDepth, EndpointConfig.DEFAULT_QUEUE_DEPTH);
        }

        static Link open(Pair p, CompletionQueue q, int sendDepth, int receiveDepth) {
            Endpoint e = p.clientDomain.connect(p.listener.uri().withRegion("target"),
                    EndpointConfig.of(q).withSendQueueDepth(sendDepth).withReceiveQueueDepth(receiveDepth));
            return new Link(q, e, e.wellKnownRegion().orElseThrow());
        }

        AsyncEndpoint async() {
            return new AsyncEndpoint(endpoint, queue);
        }
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void operationsCompleteWithTheirResults() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            RemoteRegion remote = link.remote();
            try (AsyncEndpoint async = link.async()) {
                p.local.segment().asSlice(0, 64).fill((byte) 7);
                Completion w = get(async.write(p.local, 0, 64, remote, 128));
                assertEquals(Opcode.WRITE, w.opcode());
                assertEquals(64, w.byteCount());
                assertTrue(Pair.allEqual(p.target.segment(), 128, 192, (byte) 7), "the write reached the target");
                p.target.segment().asSlice(256, 32).fill((byte) 9);
                Completion r = get(async.read(p.local, 1024, 32, remote, 256));
                assertEquals(Opcode.READ, r.opcode());
                assertTrue(Pair.allEqual(p.local.segment(), 1024, 1056, (byte) 9), "the read brought the target's bytes");
                p.target.segment().set(ValueLayout.JAVA_LONG, 512, 40);
                assertEquals(40L, get(async.fetchAndAdd(p.local, 2048, remote, 512, 2)), "fetch-and-add answers the previous value");
                assertEquals(42L, get(async.compareAndSwap(p.local, 2048, remote, 512, 42, 100)), "a matching swap answers the old value");
                assertEquals(100L, get(async.compareAndSwap(p.local, 2048, remote, 512, 42, 7)), "a failed swap answers the current value");
                assertEquals(100L, p.target.segment().get(ValueLayout.JAVA_LONG, 512));
            }
        }
    }

    @Test
    void moreRequestsThanTheQueueHoldsArePostedInCallOrder() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 8, 4);
            RemoteRegion remote = link.remote();
            try (AsyncEndpoint async = link.async()) {
                List<CompletableFuture<Completion>> futures = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    // each write stores its index at offset 0: the last one posted must be the value left there
                    p.local.segment().set(ValueLayout.JAVA_INT, 4L * i + 4096, i);
                    futures.add(async.write(p.local, 4L * i + 4096, 4, remote, 0));
                }
                CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(WAIT, TimeUnit.SECONDS);
                for (CompletableFuture<Completion> f : futures) {
                    assertEquals(Status.SUCCESS, f.get().status());
                }
                assertEquals(999, p.target.segment().get(ValueLayout.JAVA_INT, 0), "the writes were posted in call order");
            }
        }
    }

    @Test
    void errorsCompleteFuturesExceptionally() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            RemoteRegion remote = link.remote();
            try (AsyncEndpoint async = link.async()) {
                FabricException invalid = assertInstanceOf(FabricException.class, failure(async.write(p.local, -1, 8, remote, 0)));
                assertEquals(ErrorCode.INVALID_ARGUMENT, invalid.code(), invalid.getMessage());
                RemoteRegion wrongKey = new RemoteRegion(remote.address(), remote.length(), remote.key() ^ 0x55, remote.access());
                OperationFailedException denied = assertInstanceOf(OperationFailedException.class,
                        failure(async.write(p.local, 0, 8, wrongKey, 0)));
                assertEquals(Status.REMOTE_ACCESS_ERROR, denied.status());
                OperationFailedException flushed = assertInstanceOf(OperationFailedException.class,
                        failure(async.write(p.local, 0, 8, remote, 0)));
                assertEquals(Status.FLUSHED, flushed.status(), "a write behind the error");
            }
        }
    }

    @Test
    void closeFailsWaitingFuturesAndLaterRequests() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            Endpoint e = link.endpoint();
            CompletionQueue q = link.queue();
            AsyncEndpoint async = link.async();
            CompletableFuture<Completion> receive = async.receive(p.local, 0, 64); // no send will ever match it
            async.close();
            FabricException closed = assertInstanceOf(FabricException.class, failure(receive));
            assertEquals(ErrorCode.CLOSED, closed.code());
            assertEquals(ErrorCode.CLOSED, assertInstanceOf(FabricException.class, failure(async.write(p.local, 0, 8,
                    link.remote(), 0))).code());
            async.close(); // idempotent
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(FabricException.class, () -> new AsyncEndpoint(e, null)).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(FabricException.class, () -> new AsyncEndpoint(null, q)).code());
        }
    }

    @Test
    void sendMeetsAPostedReceive() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            p.accepted(); // the pair's own connection comes first and is not used here
            Endpoint served = p.accepted();
            MemoryRegion buffer = p.target;
            try (AsyncEndpoint client = link.async()) {
                CompletionQueue sq = p.serverQueue;
                try (AsyncEndpoint server = new AsyncEndpoint(served, sq)) {
                    CompletableFuture<Completion> receive = server.receive(buffer, 0, 128);
                    p.local.segment().asSlice(0, 16).fill((byte) 3);
                    assertEquals(Status.SUCCESS, get(client.send(p.local, 0, 16)).status());
                    Completion got = get(receive);
                    assertEquals(Opcode.RECEIVE, got.opcode());
                    assertEquals(16, got.byteCount());
                    assertTrue(Pair.allEqual(buffer.segment(), 0, 16, (byte) 3));
                }
            }
        }
    }

    /**
     * An endpoint wrapped again after a close that left a receive posted: the old receive's completion, when a message
     * fills it, belongs to no future of the new wrapper (request ids are never reused); the new receive gets the next one.
     */
    @Test
    void aWrapperMadeAgainIsNotGivenTheEarlierWrappersCompletions() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            p.accepted();
            Endpoint served = p.accepted();
            MemoryRegion buffer = p.target;
            try (AsyncEndpoint client = link.async()) {
                AsyncEndpoint first = new AsyncEndpoint(served, p.serverQueue);
                CompletableFuture<Completion> abandoned = first.receive(buffer, 0, 128);
                first.close(); // its receive stays posted on the endpoint
                assertTrue(abandoned.isCompletedExceptionally());
                try (AsyncEndpoint second = new AsyncEndpoint(served, p.serverQueue)) {
                    CompletableFuture<Completion> receive = second.receive(buffer, 256, 128);
                    p.local.segment().asSlice(0, 16).fill((byte) 1);
                    assertEquals(Status.SUCCESS, get(client.send(p.local, 0, 16)).status()); // fills the earlier receive
                    p.local.segment().asSlice(0, 24).fill((byte) 2);
                    assertEquals(Status.SUCCESS, get(client.send(p.local, 0, 24)).status());
                    Completion got = get(receive);
                    assertEquals(24, got.byteCount(), "the new receive completes with the second message, not the first");
                    assertTrue(Pair.allEqual(buffer.segment(), 256, 24, (byte) 2));
                    assertTrue(Pair.allEqual(buffer.segment(), 0, 16, (byte) 1));
                }
            }
        }
    }

    /** A receive waiting for room in a full receive queue holds back no write: the two kinds of request wait apart. */
    @Test
    void aFullReceiveQueueHoldsBackNoWrite() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, p.clientDomain.openCompletionQueue(64), 16, 2);
            try (AsyncEndpoint async = link.async()) {
                List<CompletableFuture<Completion>> receives = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    receives.add(async.receive(p.local, 8192 + 64L * i, 64)); // the third finds the receive queue full and waits
                }
                assertEquals(Status.SUCCESS, get(async.write(p.local, 0, 8, link.remote(), 0)).status(),
                        "a write behind a receive that waits for room");
                assertTrue(receives.stream().noneMatch(CompletableFuture::isDone), "no message came, so no receive completed");
            }
        }
    }

    /**
     * Endpoints that share a completion queue, each wrapped once, get their own completions although their work request
     * ids are the same; a second wrapper of one endpoint on the queue is refused.
     */
    @Test
    void endpointsSharingAQueueGetTheirOwnCompletions() throws Exception {
        try (Pair p = new Pair()) {
            CompletionQueue shared = p.clientDomain.openCompletionQueue(256);
            Link a = Link.open(p, shared, 16, 16);
            Link b = Link.open(p, shared, 16, 16);
            try (AsyncEndpoint asyncA = a.async(); AsyncEndpoint asyncB = b.async()) {
                FabricException twice = assertThrows(FabricException.class, () -> new AsyncEndpoint(a.endpoint(), shared));
                assertEquals(ErrorCode.BUSY, twice.code(), twice.getMessage());
                List<CompletableFuture<Completion>> fa = new ArrayList<>();
                List<CompletableFuture<Completion>> fb = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    fa.add(asyncA.write(p.local, 0, 8, a.remote(), 8));
                    fb.add(asyncB.read(p.local, 64, 8, b.remote(), 16));
                }
                for (int i = 0; i < 200; i++) {
                    Completion ca = get(fa.get(i));
                    Completion cb = get(fb.get(i));
                    assertEquals(a.endpoint().id(), ca.endpointId(), "A's future got A's completion");
                    assertEquals(Opcode.WRITE, ca.opcode());
                    assertEquals(b.endpoint().id(), cb.endpointId(), "B's future got B's completion");
                    assertEquals(Opcode.READ, cb.opcode());
                }
            }
        }
    }

    /**
     * With an executor, a dependent action may block on another future of the layer; an atomic's failure reaches
     * dependent actions unwrapped, as a write's does; close from a dependent action on the polling thread returns at
     * once; an interrupt left on the polling thread by a dependent action does not make it spin.
     */
    @Test
    void dependentActionsMayBlockCloseOrInterrupt() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            RemoteRegion remote = link.remote();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newCachedThreadPool();
            try (AsyncEndpoint async = new AsyncEndpoint(link.endpoint(), link.queue(), pool)) {
                Completion chained = get(async.read(p.local, 0, 8, remote, 0)
                        .thenApply(c -> async.write(p.local, 0, 8, remote, 64).join()));
                assertEquals(Opcode.WRITE, chained.opcode(), "a dependent action blocked on a write and got it");
                RemoteRegion wrongKey = new RemoteRegion(remote.address(), remote.length(), remote.key() ^ 0x55, remote.access());
                CompletableFuture<Throwable> seen = new CompletableFuture<>();
                async.fetchAndAdd(p.local, 2048, wrongKey, 512, 1).whenComplete((v, t) -> seen.complete(t));
                assertInstanceOf(OperationFailedException.class, get(seen), "the atomic's failure as the dependent action sees it");
            } finally {
                pool.shutdown();
            }
            p.accepted(); // the pair's own connection
            p.accepted(); // the executor link's
            Link other = Link.open(p, 64, 16);
            Endpoint otherServer = p.accepted();
            AsyncEndpoint async = other.async();
            CompletableFuture<Thread> ranOn = new CompletableFuture<>();
            CompletableFuture<Long> closedAfter = new CompletableFuture<>();
            // a receive: its future cannot be complete yet, so the dependent action runs where the completion arrives
            async.receive(p.local, 0, 64).whenComplete((c, t) -> {
                ranOn.complete(Thread.currentThread());
                long start = System.nanoTime();
                async.close();
                closedAfter.complete(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            });
            assertEquals(dev.weft.PostStatus.OK, otherServer.send(1, p.target, 0, 8));
            assertEquals("weft-async-poller", get(ranOn).getName(), "dependent actions run on the polling thread");
            assertTrue(get(closedAfter) < 1000, "close on the polling thread took " + get(closedAfter) + " ms");

            Link third = Link.open(p, 64, 16);
            Endpoint thirdServer = p.accepted();
            try (AsyncEndpoint again = third.async()) {
                CompletableFuture<Thread> interrupted = new CompletableFuture<>();
                again.receive(p.local, 0, 64).whenComplete((c, t) -> {
                    Thread.currentThread().interrupt(); // as a dependent action that restores an InterruptedException's flag
                    interrupted.complete(Thread.currentThread());
                });
                assertEquals(dev.weft.PostStatus.OK, thirdServer.send(1, p.target, 0, 8));
                Thread poller = get(interrupted);
                Thread.sleep(300); // the poller's next round: had it kept the flag, every await would return at once
                assertTrue(!poller.isInterrupted(), "the polling thread cleared the interrupt a dependent action left (else each"
                        + " await returns at once and it spins)");
                assertEquals(Status.SUCCESS, get(again.read(p.local, 0, 8, third.remote(), 0)).status(), "and still completes");
            }
        }
    }

    /**
     * An executor that throws on a task, not with RejectedExecutionException (one shut down by hand, say), gets its
     * futures completed on the polling thread; the thread keeps serving another endpoint of the queue, which was not
     * closed and must not refuse requests as if it were.
     */
    @Test
    void anExecutorThatThrowsLosesNoFutureAndStopsNoOtherEndpoint() throws Exception {
        try (Pair p = new Pair()) {
            CompletionQueue shared = p.clientDomain.openCompletionQueue(256);
            Link a = Link.open(p, shared, 16, 16);
            Link b = Link.open(p, shared, 16, 16);
            java.util.concurrent.Executor shutDown = task -> {
                throw new IllegalStateException("executor is shut down");
            };
            try (AsyncEndpoint withExecutor = new AsyncEndpoint(a.endpoint(), shared, shutDown); AsyncEndpoint other = b.async()) {
                Completion first = get(withExecutor.write(p.local, 0, 8, a.remote(), 0));
                assertEquals(a.endpoint().id(), first.endpointId(), "the future completed although the executor threw");
                Completion elsewhere = get(other.write(p.local, 0, 8, b.remote(), 8));
                assertEquals(Status.SUCCESS, elsewhere.status(), "the other endpoint on the queue still works");
                assertEquals(Status.SUCCESS, get(withExecutor.read(p.local, 64, 8, a.remote(), 0)).status());
            }
        }
    }

    /** Closing the endpoint under the layer fails its waiting receive with FLUSHED, as an OperationFailedException. */
    @Test
    void closingTheEndpointFlushesItsFutures() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            try (AsyncEndpoint async = link.async()) {
                CompletableFuture<Completion> receive = async.receive(p.local, 0, 64);
                link.endpoint().close();
                OperationFailedException flushed = assertInstanceOf(OperationFailedException.class, failure(receive));
                assertEquals(Status.FLUSHED, flushed.status());
                assertEquals(Opcode.RECEIVE, flushed.completion().opcode());
            }
        }
    }
    /**
     * A future the caller cancels (or times out) while its request still waits for room in a full queue withdraws the
     * request: it is never posted, so a write does not reach the target with memory the caller took back, and a receive
     * takes no message away from the receives behind it. Until 2026-12-07 the layer posted it anyway, later, and the
     * message it received was dropped.
     */
    @Test
    void aRequestWhoseFutureIsCancelledWhileItWaitsIsNeverPosted() throws Exception {
        try (Pair p = new Pair("", "?rnr_retry=1000&rnr_delay=10")) {
            Link link = Link.open(p, p.clientDomain.openCompletionQueue(64), 1, 1);
            p.accepted(); // the pair's own connection
            Endpoint served = p.accepted();
            try (AsyncEndpoint async = link.async()) {
                // the send waits at the peer (no receive posted there yet) and holds the one slot of the send queue
                CompletableFuture<Completion> send = async.send(p.local, 0, 8);
                p.local.segment().asSlice(1024, 8).fill((byte) 0x11);
                CompletableFuture<Completion> cancelled = async.write(p.local, 1024, 8, link.remote(), 4096);
                CompletableFuture<Completion> timedOut = async.write(p.local, 1024, 8, link.remote(), 4104)
                        .orTimeout(1, TimeUnit.MILLISECONDS);
                // an atomic's future is the caller's value future, built on the request's own: cancelling it withdraws too
                CompletableFuture<Long> cancelledAdd = async.fetchAndAdd(p.local, 2048, link.remote(), 4128, 1);
                CompletableFuture<Long> timedOutSwap = async.compareAndSwap(p.local, 2056, link.remote(), 4136, 0, 1)
                        .orTimeout(1, TimeUnit.MILLISECONDS);
                assertTrue(cancelled.cancel(false));
                assertTrue(cancelledAdd.cancel(false));
                assertInstanceOf(java.util.concurrent.TimeoutException.class, failure(timedOut));
                assertInstanceOf(java.util.concurrent.TimeoutException.class, failure(timedOutSwap));
                CompletableFuture<Completion> behind = async.write(p.local, 1024, 8, link.remote(), 4112);
                assertEquals(dev.weft.PostStatus.OK, served.receive(1, p.target, 8192, 64));
                assertEquals(Status.SUCCESS, get(send).status());
                assertEquals(Status.SUCCESS, get(behind).status(), "the write behind the withdrawn ones");
                assertTrue(Pair.allEqual(p.target.segment(), 4096, 4112, Pair.FILL), "the withdrawn writes never reached the target");
                assertTrue(Pair.allEqual(p.target.segment(), 4112, 4120, (byte) 0x11));
                assertTrue(Pair.allEqual(p.target.segment(), 4128, 4144, Pair.FILL), "the withdrawn atomics never reached the target");

                // receives: one posted, one withdrawn while it waits, one behind it
                CompletableFuture<Completion> first = async.receive(p.local, 8192, 64);
                CompletableFuture<Completion> withdrawn = async.receive(p.local, 8256, 64);
                CompletableFuture<Completion> second = async.receive(p.local, 8320, 64);
                assertTrue(withdrawn.cancel(false));
                assertEquals(dev.weft.PostStatus.OK, served.send(2, p.target, 0, 16));
                assertEquals(16, get(first).byteCount());
                assertEquals(dev.weft.PostStatus.OK, served.send(3, p.target, 0, 24));
                assertEquals(24, get(second).byteCount(), "the second message reaches the receive behind the withdrawn one");
            }
        }
    }
    /**
     * A doorbell through the layer: a write with immediate data lands in the peer's region and completes the peer's
     * receive future with the immediate; a null remote region fails the future with INVALID_ARGUMENT, as for a write.
     */
    @Test
    void aWriteWithImmediateRingsThePeersReceive() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            p.accepted(); // the pair's own connection
            Endpoint served = p.accepted();
            try (AsyncEndpoint client = link.async(); AsyncEndpoint server = new AsyncEndpoint(served, p.serverQueue)) {
                CompletableFuture<Completion> doorbell = server.receive(p.target, 0, 0);
                p.local.segment().asSlice(0, 32).fill((byte) 0x5C);
                Completion sent = get(client.writeWithImmediate(p.local, 0, 32, link.remote(), 1024, 0x0BADCAFE));
                assertEquals(Opcode.WRITE_WITH_IMMEDIATE, sent.opcode());
                Completion rang = get(doorbell);
                assertEquals(Opcode.RECEIVE_WRITE_WITH_IMMEDIATE, rang.opcode());
                assertTrue(rang.hasImmediate());
                assertEquals(0x0BADCAFE, rang.immediate());
                assertEquals(32, rang.byteCount());
                assertTrue(Pair.allEqual(p.target.segment(), 1024, 1056, (byte) 0x5C), "the data is in place when the receive completes");
                FabricException invalid = assertInstanceOf(FabricException.class,
                        failure(client.writeWithImmediate(p.local, 0, 8, null, 0, 1)));
                assertEquals(ErrorCode.INVALID_ARGUMENT, invalid.code(), invalid.getMessage());
            }
        }
    }
}
