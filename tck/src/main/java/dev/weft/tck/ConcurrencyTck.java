package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Area 10: concurrency. */
public abstract class ConcurrencyTck extends TckBase {
    /** Creates the area. */
    protected ConcurrencyTck() {
    }

    /**
     * A close of the whole domain racing with threads that post answers them as a close of their endpoint does: every
     * post answers OK or AGAIN until the first CLOSED, never INVALID, and the close itself throws nothing. A domain
     * closes its endpoints before its regions, so a post that passed its endpoint's open check just before the close
     * may find its local region closed; that post must answer CLOSED too (INVALID says the program passed a bad buffer).
     * 100 rounds (as many as fit in 20 s, at least 10), each with a domain, queue, region and endpoint of its own and
     * 8 threads reading (writing, without RMA_READ) 8 bytes on it as fast as they can, closed a millisecond after every thread has posted; in every other
     * round the reads go past the target region's end, so the endpoint is in ERROR when the close comes. The window is a
     * few instructions wide: on the tcp provider before 2026-12-07 about one round in a hundred answered INVALID. If
     * this fails, check what a post answers when its local region check fails on an endpoint closed meanwhile.
     */
    @Test
    void conc_domainCloseWhilePostingAnswersClosed() throws Exception {
        connect();
        accepted(); // the server's side of the fixture's own endpoint; each round closes the one it connected
        int posters = 8;
        // the queue holds every request the endpoint can have outstanding: an overrun would fail a verbs endpoint by itself
        int depth = Math.min(1024, Math.min(info().limits().maxQueueDepth(), info().limits().maxCompletionQueueDepth()));
        boolean reads = info().supports(dev.weft.Capability.RMA_READ);
        long stopAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); // an emulated device connects slowly: within the case's 60 s
        for (int round = 0; round < 100 && (round < 10 || System.nanoTime() < stopAt); round++) {
            var domain = clientFabric.openDomain();
            CompletionQueue q = domain.openCompletionQueue(depth);
            var buf = domain.register(guarded(4096).asSlice(GUARD, 4096), info().limits().readSinkAccess());
            Endpoint ep = domain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(q).withSendQueueDepth(depth));
            var r = ep.wellKnownRegion().orElseThrow();
            Endpoint served = accepted();
            // every other round reads (writes) past the region's end, so the endpoint fails at once and the close finds it
            // in ERROR, closing faster (later posts answer OK and complete FLUSHED)
            long at0 = round % 2 == 0 ? r.address() : r.address() + r.length();
            List<String> answers = new CopyOnWriteArrayList<>();
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            java.util.function.LongFunction<PostStatus> post = id -> reads ? ep.read(id, buf, 0, 8, at0, r.key())
                    : ep.write(id, buf, 0, 8, at0, r.key());
            java.util.concurrent.CountDownLatch posting = new java.util.concurrent.CountDownLatch(posters);
            List<Thread> threads = new ArrayList<>();
            for (int k = 0; k < posters; k++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        long id = 0;
                        PostStatus s = post.apply(id);
                        posting.countDown();
                        while (s != PostStatus.CLOSED) {
                            if (s != PostStatus.OK && s != PostStatus.AGAIN) {
                                answers.add(s + " after " + id + " posts");
                                return;
                            }
                            s = post.apply(++id);
                        }
                    } catch (Throwable t) {
                        errors.add(t);
                        posting.countDown();
                    }
                }));
            }
            posting.await(30, TimeUnit.SECONDS);
            Thread.sleep(1);
            domain.close();
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
            served.close();
            int at = round;
            assertTrue(threads.stream().noneMatch(Thread::isAlive),
                    () -> "round " + at + ": a posting thread did not see CLOSED within 30 s of the domain's close");
            assertTrue(errors.isEmpty(), () -> "round " + at + ": a posting thread failed: " + errors);
            assertTrue(answers.isEmpty(), () -> "round " + at + ": a post racing with the domain's close answered " + answers
                    + "; expected OK or AGAIN until CLOSED");
        }
        assertGuardsIntact();
    }

    /**
     * A close racing with a thread that posts: every post that answered OK completes exactly once
     * (SUCCESS or FLUSHED), the poster's posts after the close answer CLOSED, and nothing
     * crashes. The test thread polls while the poster writes as fast as it can, and closes the
     * endpoint after 2,000 completions, in the middle of the poster's stream. If this fails,
     * check that post and close exclude each other: a request accepted just before the close must
     * complete, and no post may reach a queue pair that the close released.
     */
    @Test
    void conc_closeWhilePosting() throws Exception {
        connect();
        long[] accepted = new long[1];
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        Thread poster = Thread.ofPlatform().start(() -> {
            try {
                long id = 0;
                PostStatus s;
                while ((s = endpoint.write(id, local, 0, 64, remote, 0)) != PostStatus.CLOSED) {
                    if (s == PostStatus.OK) {
                        id++;
                    } else {
                        assertEquals(PostStatus.AGAIN, s, "a post racing with the close");
                        Thread.onSpinWait();
                    }
                }
                accepted[0] = id;
            } catch (Throwable t) {
                errors.add(t);
            }
        });
        CompletionBatch b = new CompletionBatch(256);
        List<Completion> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (got.size() < 2000 && poster.isAlive() && System.nanoTime() < deadline) {
            int n = queue.poll(b);
            for (int i = 0; i < n; i++) {
                got.add(b.get(i).copy());
            }
        }
        assertTrue(got.size() >= 2000, () -> "2,000 writes did not complete within 60 s while a thread posted: " + errors + " " + summary(got));
        endpoint.close();
        poster.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(poster.isAlive(), "the posting thread did not see CLOSED within 30 s of the close");
        assertTrue(errors.isEmpty(), () -> "the posting thread failed: " + errors);
        long rest = accepted[0] - got.size();
        assertTrue(rest >= 0, () -> got.size() + " completions for " + accepted[0] + " accepted writes: " + summary(got));
        got.addAll(await((int) rest));
        Set<Long> ids = new HashSet<>();
        for (Completion c : got) {
            assertTrue(c.status() == Status.SUCCESS || c.status() == Status.FLUSHED, () -> "write " + c + " around a close");
            assertTrue(c.workRequestId() >= 0 && c.workRequestId() < accepted[0] && ids.add(c.workRequestId()),
                    () -> "write " + c.workRequestId() + " completed twice or was never accepted (" + accepted[0] + " accepted)");
        }
        assertGuardsIntact();
    }

    /**
     * Four threads post writes, and every other request a read where the provider declares
     * RMA_READ, on four endpoints sharing one completion queue; every request is accounted for
     * exactly once, by endpoint and work request id. If this fails, check the
     * thread-safety of post and of the completion queue.
     */
    @Test
    void conc_manyThreadsOneQueue() throws Exception {
        connect();
        int threads = 4;
        int perThread = 500;
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            endpoints.add(clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue).withSendQueueDepth(64)));
        }
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        boolean reads = info().supports(dev.weft.Capability.RMA_READ); // every other request a read, where there are reads
        for (int t = 0; t < threads; t++) {
            Endpoint e = endpoints.get(t);
            int id = t;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        PostStatus s;
                        while ((s = (i % 2 == 0 || !reads ? e.write(i, local, 64L * id, 64, remote, 64L * id)
                                : e.read(i, local, 4096 + 64L * id, 64, remote, 64L * id))) == PostStatus.AGAIN) {
                            Thread.onSpinWait();
                        }
                        assertEquals(PostStatus.OK, s);
                    }
                } catch (Throwable x) {
                    errors.add(x);
                }
            }));
        }
        List<Completion> all = await(threads * perThread);
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(List.of(), errors);
        Set<String> seen = new HashSet<>();
        java.util.Map<Long, Integer> perEndpoint = new java.util.HashMap<>();
        endpoints.forEach(e -> perEndpoint.put(e.id(), 0));
        assertEquals(threads, perEndpoint.size(), () -> "the " + threads + " endpoints have distinct ids: " + endpoints.stream().map(Endpoint::id).toList());
        for (Completion c : all) {
            assertEquals(Status.SUCCESS, c.status(), c::toString);
            assertTrue(perEndpoint.containsKey(c.endpointId()), () -> "a completion names endpoint " + c.endpointId()
                    + ", none of the posting endpoints " + perEndpoint.keySet() + " (Completion.endpointId() is Endpoint.id()): " + c);
            perEndpoint.merge(c.endpointId(), 1, Integer::sum);
            seen.add(c.endpointId() + "/" + c.workRequestId());
        }
        assertEquals(threads * perThread, seen.size(), "every (endpoint, request) exactly once");
        perEndpoint.forEach((id, n) -> assertEquals(perThread, n, () -> "completions naming endpoint " + id + ", which posted " + perThread));
        assertGuardsIntact();
    }

    /**
     * Endpoint ids are unique within a fabric and every completion names the endpoint its request was posted on
     * ({@link Completion#endpointId()} is {@link Endpoint#id()}; the {@code dev.weft.async} layer routes completions by
     * it): four client endpoints on one queue each write, and where the provider declares SEND_RECV the fixture's
     * endpoint sends into a receive of its accepted peer, whose completion names the accepted endpoint; the four
     * accepted endpoints have distinct ids too. If this fails, check how endpoint ids are assigned and which id a
     * completion carries.
     */
    @Test
    void conc_endpointIdsAreUniqueAndNamed() {
        connect();
        Endpoint peer = accepted(); // the fixture's endpoint connected first
        if (info().supports(dev.weft.Capability.SEND_RECV)) {
            assertEquals(PostStatus.OK, peer.receive(7, target, 0, 64));
            pattern(local.segment(), 0, 16, 7);
            assertEquals(PostStatus.OK, endpoint.send(8, local, 0, 16));
            Completion sent = assertFrom(endpoint, await(1)).get(0);
            assertEquals(dev.weft.Opcode.SEND, sent.opcode(), () -> "a send's completion names its operation: " + sent);
            Completion received = assertFrom(peer, await(serverQueue, 1)).get(0);
            assertEquals(Status.SUCCESS, received.status(), received::toString);
            assertEquals(dev.weft.Opcode.RECEIVE, received.opcode(), received::toString);
            assertFalse(received.hasImmediate(), () -> "a receive a plain send consumed carries no immediate data: " + received);
        }
        List<Endpoint> clients = new ArrayList<>(List.of(endpoint));
        for (int i = 0; i < 3; i++) {
            clients.add(clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue)));
        }
        List<Endpoint> servers = new ArrayList<>(List.of(peer));
        for (int i = 0; i < 3; i++) {
            servers.add(accepted());
        }
        for (List<Endpoint> side : List.of(clients, servers)) {
            Set<Long> ids = new HashSet<>();
            side.forEach(e -> ids.add(e.id()));
            assertEquals(side.size(), ids.size(), () -> "endpoint ids within one fabric are unique: " + side.stream().map(Endpoint::id).toList());
        }
        for (int i = 0; i < clients.size(); i++) {
            Endpoint e = clients.get(i);
            assertEquals(PostStatus.OK, e.write(100 + i, local, 0, 8, remote, 8L * i));
            Completion c = assertFrom(e, await(1)).get(0);
            assertEquals(100 + i, c.workRequestId(), c::toString);
            assertEquals(Status.SUCCESS, c.status(), c::toString);
        }
        assertGuardsIntact();
    }

    /** How long a blocked wait may take to notice a close or an interrupt before the rule fails. */
    private static final long WAKE_BOUND_MS = 5_000;

    private static int ended(CompletableFuture<Integer> result, String after) throws Exception {
        try {
            return result.get(WAKE_BOUND_MS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return fail("a 60 s await was still blocked " + WAKE_BOUND_MS + " ms " + after);
        }
    }

    /**
     * A thread blocked in {@code await} with a long timeout returns -1 soon after another thread
     * closes the queue, and the close itself does not wait for the timeout. If this fails, check
     * that close wakes a sleeping waiter (a completion channel's waiter sleeps in the kernel).
     */
    @Test
    void conc_closeEndsAWait() throws Exception {
        connect();
        CompletionQueue q = clientDomain.openCompletionQueue(16);
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                result.complete(q.await(new CompletionBatch(4), 60, TimeUnit.SECONDS));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        Thread.sleep(300); // let the waiter fall asleep; a close that comes first must give -1 as well
        long start = System.nanoTime();
        q.close();
        long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        int n = ended(result, "after the queue was closed");
        waiter.join(WAKE_BOUND_MS);
        assertTrue(closeMillis < WAKE_BOUND_MS, "close of a queue with a blocked waiter took " + closeMillis + " ms");
        assertEquals(-1, n, "await on a queue closed under it");
        assertEquals(-1, q.await(new CompletionBatch(4), 1, TimeUnit.SECONDS), "await on a closed queue");
    }

    /**
     * An interrupt ends a blocked {@code await} early: it returns 0 and the thread's interrupt flag
     * stays set; the queue keeps working. If this fails, check that the wait looks at the
     * interrupt flag while it sleeps.
     */
    @Test
    void conc_interruptEndsAWait() throws Exception {
        connect();
        CompletionQueue q = clientDomain.openCompletionQueue(16);
        CompletableFuture<Integer> result = new CompletableFuture<>();
        AtomicBoolean flagKept = new AtomicBoolean();
        Thread waiter = Thread.ofPlatform().start(() -> {
            try {
                int n = q.await(new CompletionBatch(4), 60, TimeUnit.SECONDS);
                flagKept.set(Thread.currentThread().isInterrupted());
                result.complete(n);
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        });
        Thread.sleep(300);
        waiter.interrupt();
        int n = ended(result, "after its thread was interrupted");
        waiter.join(WAKE_BOUND_MS);
        assertEquals(0, n, "an interrupted await");
        assertTrue(flagKept.get(), "the interrupt flag is kept");
        assertFalse(waiter.isAlive());
        assertEquals(0, q.await(new CompletionBatch(4), 0, TimeUnit.SECONDS), "the queue still answers");
        q.close();
    }
}
