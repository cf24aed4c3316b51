package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.Completion;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Listener;
import dev.weft.Fabrics;
import dev.weft.PostStatus;
import dev.weft.ScatterGatherList;
import dev.weft.Status;
import java.io.File;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Area 9: resources. */
public abstract class ResourcesTck extends TckBase {
    /** Creates the area. */
    protected ResourcesTck() {
    }

    private static int fds() {
        String[] list = new File("/proc/self/fd").list();
        return list == null ? 0 : list.length;
    }

    /** @return what each open file descriptor refers to ("socket:[123]", a path, "anon_inode:[eventpoll]"), for a failure message */
    private static Set<String> fdTargets() {
        Set<String> targets = new TreeSet<>();
        File[] list = new File("/proc/self/fd").listFiles();
        for (File f : list == null ? new File[0] : list) {
            try {
                targets.add(f.getName() + " -> " + java.nio.file.Files.readSymbolicLink(f.toPath()));
            } catch (java.io.IOException | UnsupportedOperationException gone) {
                // closed since it was listed
            }
        }
        return targets;
    }

    private static int settle(java.util.function.IntSupplier count, int baseline) throws InterruptedException {
        return settle(count, baseline, 20);
    }

    /** As {@link #settle(java.util.function.IntSupplier, int)}, counting every {@code stepMillis} (for a costly count). */
    private static int settle(java.util.function.IntSupplier count, int baseline, int stepMillis) throws InterruptedException {
        int n = count.getAsInt();
        for (int i = 0; i < 15_000 / stepMillis && n > baseline; i++) { // up to 15 s: peers notice closed connections asynchronously
            Thread.sleep(stepMillis);
            n = count.getAsInt();
        }
        return n;
    }

    /**
     * 10,000 register/close cycles and 200 fabric open/connect/close cycles bring threads (platform and virtual) and
     * file descriptors back to baseline. Descriptors and virtual threads made once on first need (the JDK's
     * virtual-thread pollers) are told from a leak by a second round of the same work, which must add none. If this
     * fails, check what close() releases. It has three minutes instead of the kit's one: the 200 connections cost a
     * quarter of a second each on an emulated device (the Soft-RoCE testbed took 42-62 s for the whole case on rxe and siw,
     * before the second round repeated the registrations too).
     */
    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void res_openRegisterCloseCycles() throws Exception {
        connect();
        cycle(5);
        int threads = settle(ResourcesTck::platformThreads, Integer.MAX_VALUE);
        int virtual = settleVirtual(Integer.MAX_VALUE);
        Set<String> before = threadNames();
        Set<String> filesBefore = fdTargets();
        int files = fds();
        MemorySegment seg = arena.allocate(4096);
        roundOfCycles(seg);
        assertTrue(settle(ResourcesTck::platformThreads, threads) <= threads, () -> "platform threads did not return to baseline " + threads
                + "; new: " + threadNames().stream().filter(n -> !before.contains(n)).toList());
        boolean filesGrew = settle(ResourcesTck::fds, files) > files;
        boolean virtualGrew = settleVirtual(virtual) > virtual;
        if (filesGrew || virtualGrew) {
            // Descriptors and virtual threads made once, on first need, are no leak: the JDK opens its virtual-thread
            // pollers (an epoll descriptor each, and on some JDKs a virtual thread each) when a virtual thread first
            // waits for a socket, which may happen after the baseline. A leak grows with the work, so a second round of
            // the same work must add nothing.
            Set<String> firstRound = fdTargets();
            int again = fds();
            int virtualAgain = settleVirtual(Integer.MAX_VALUE);
            roundOfCycles(seg);
            assertTrue(settle(ResourcesTck::fds, again) <= again, () -> "file descriptors grew in two rounds of 10,000 registrations"
                    + " and 200 cycles (baseline " + files + ", then " + again + "), expected no growth in the second; new in the first: "
                    + firstRound.stream().filter(f -> !filesBefore.contains(f)).limit(20).toList() + ", in the second: "
                    + fdTargets().stream().filter(f -> !firstRound.contains(f)).limit(20).toList() + " (at most 20 shown)");
            int virtualAfter = settleVirtual(virtualAgain);
            assertTrue(virtualAfter <= virtualAgain, () -> "virtual threads grew in two rounds of 10,000 registrations and 200"
                    + " cycles (baseline " + virtual + ", then " + virtualAgain + ", then " + virtualAfter
                    + "), expected no growth in the second");
        }
    }

    /** One round of the work whose resources must come back: 10,000 registrations of {@code seg}, then 200 connect cycles. */
    private void roundOfCycles(MemorySegment seg) {
        for (int i = 0; i < 10_000; i++) {
            clientDomain.register(seg, Access.LOCAL_WRITE).close();
        }
        cycle(200);
    }

    /**
     * {@link #virtualThreads()} once it is at most {@code baseline}, or after 15 s (a thread dump per count, so every
     * 100 ms); -1 where the JVM cannot count them.
     */
    private static int settleVirtual(int baseline) throws InterruptedException {
        return settle(ResourcesTck::virtualThreads, baseline, 100);
    }

    /**
     * The number of live virtual threads, which {@link Thread#activeCount()} and the thread MXBean do not see: the
     * JVM's JSON thread dump ({@code HotSpotDiagnosticMXBean.dumpThreads}, JDK 21+) counts every thread in each
     * thread container ({@code "threadCount"}, virtual threads included even where they are not listed one by one),
     * less the platform threads the MXBean counts, taken while that count stayed the same. Virtual threads of a
     * container the dump omits are not seen; -1 where the dump cannot be made or read.
     */
    private static int virtualThreads() {
        var platform = java.lang.management.ManagementFactory.getThreadMXBean();
        try {
            var diagnostic = java.lang.management.ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("weft-tck-threads");
            java.nio.file.Path file = dir.resolve("threads.json");
            try {
                for (int attempt = 0; attempt < 10; attempt++) {
                    int before = platform.getThreadCount();
                    java.nio.file.Files.deleteIfExists(file);
                    diagnostic.dumpThreads(file.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.JSON);
                    if (platform.getThreadCount() != before) {
                        continue; // a platform thread started or ended meanwhile
                    }
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"threadCount\"\\s*:\\s*\"?(\\d+)")
                            .matcher(java.nio.file.Files.readString(file));
                    int all = 0;
                    boolean any = false;
                    while (m.find()) {
                        all += Integer.parseInt(m.group(1));
                        any = true;
                    }
                    return any ? Math.max(0, all - before) : -1;
                }
                return -1;
            } finally {
                java.nio.file.Files.deleteIfExists(file);
                java.nio.file.Files.deleteIfExists(dir);
            }
        } catch (java.io.IOException | RuntimeException cannot) {
            return -1;
        }
    }

    /** @return the live platform threads of the whole JVM (the thread MXBean; {@code Thread.activeCount()} sees one group) */
    private static int platformThreads() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static Set<String> threadNames() {
        Set<String> names = new TreeSet<>();
        Thread.getAllStackTraces().keySet().forEach(t -> names.add(t.getName() + "#" + t.threadId()));
        return names;
    }

    private void cycle(int rounds) {
        for (int i = 0; i < rounds; i++) {
            try (Fabric f = Fabrics.open(provider().fabricUri())) {
                var d = f.openDomain();
                var q = d.openCompletionQueue(16);
                d.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(q));
            }
        }
    }

    /**
     * A full send queue answers AGAIN instead of blocking or failing (60,000-byte reads fill it, or writes where the provider
     * does not declare RMA_READ). If this fails, check queue-depth accounting.
     */
    @Test
    void res_queueFullIsAgain() {
        connect();
        var q = clientDomain.openCompletionQueue(64);
        var small = clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(q).withSendQueueDepth(4));
        int ok = 0;
        PostStatus last = PostStatus.OK;
        boolean reads = info().supports(Capability.RMA_READ); // reads fill a queue best; else writes
        for (int i = 0; i < 10_000 && last == PostStatus.OK; i++) {
            last = reads ? small.read(i, local, 0, 60_000, remote, 0) : small.write(i, local, 0, 60_000, remote, 0);
            if (last == PostStatus.OK) {
                ok++;
            }
        }
        assertEquals(PostStatus.AGAIN, last, "a post to a full send queue (depth 4)");
        // A provider may free a slot when a completion is generated (tcp) or only when it is polled
        // (verbs): every request beyond the depth needs a completion that is waiting in the queue.
        dev.weft.CompletionBatch ready = new dev.weft.CompletionBatch(64);
        int waiting = q.poll(ready);
        assertTrue(ok >= 1 && ok <= 4 + waiting, "accepted " + ok + " with a depth of 4 and " + waiting + " completions waiting");
        await(q, ok - waiting);
    }

    /**
     * Closing a completion queue that an open endpoint still uses fails with {@code BUSY} ({@code CompletionQueue.close})
     * and leaves the queue working: the endpoint's next write completes on it; once the endpoint is closed, the queue
     * closes. If this fails, check that a queue's close looks for the endpoints attached to it.
     */
    @Test
    void res_closingAQueueInUseIsBusy() {
        connect();
        var q = clientDomain.openCompletionQueue(16);
        Endpoint e = clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(q));
        FabricException busy = assertThrows(FabricException.class, q::close, "closing a queue an open endpoint uses");
        assertEquals(ErrorCode.BUSY, busy.code(), busy::toString);
        assertTrue(q.isOpen(), "a queue whose close failed with BUSY is still open");
        assertEquals(PostStatus.OK, e.write(1, local, 0, 8, remote, 0), "a write on the endpoint of the queue whose close failed");
        Completion c = assertFrom(e, await(q, 1)).get(0);
        assertEquals(Status.SUCCESS, c.status(), c::toString);
        e.close();
        q.close();
        assertFalse(q.isOpen(), "the queue closes once its endpoint is closed");
    }

    /**
     * A connect or listen without an endpoint configuration is refused with INVALID_ARGUMENT naming what to pass, before
     * any connection is tried. If this fails, check the config check at the start of connect and listen.
     */
    @Test
    void res_missingConfigIsInvalid() {
        connect();
        FabricException c = org.junit.jupiter.api.Assertions.assertThrows(FabricException.class,
                () -> clientDomain.connect(listener.uri().withRegion(REGION_NAME), null));
        assertEquals(ErrorCode.INVALID_ARGUMENT, c.code(), c::toString);
        assertTrue(c.getMessage().contains("EndpointConfig"), c.getMessage());
        FabricException l = org.junit.jupiter.api.Assertions.assertThrows(FabricException.class, () -> serverDomain.listen(null));
        assertEquals(ErrorCode.INVALID_ARGUMENT, l.code(), l::toString);
    }

    /**
     * A completion queue depth outside 1 .. {@code Limits.maxCompletionQueueDepth()} (0, -1, {@code Integer.MIN_VALUE},
     * one past the declared maximum) is refused with INVALID_ARGUMENT and a message (it should name the range), and the domain stays
     * usable: a queue of depth 1 opens, and so does one of the declared maximum where that is at most 65,536 entries
     * (a larger one would only measure the provider's memory). If this fails, check the depth check at the start of
     * {@code openCompletionQueue} against the limit {@code ProviderInfo} declares.
     */
    @Test
    void res_completionQueueDepthOutOfRangeIsInvalid() {
        connect();
        int max = info().limits().maxCompletionQueueDepth();
        java.util.List<Integer> wrong = new java.util.ArrayList<>(java.util.List.of(0, -1, Integer.MIN_VALUE));
        if (max < Integer.MAX_VALUE) {
            wrong.add(max + 1);
        }
        for (int depth : wrong) {
            FabricException e = assertThrows(FabricException.class, () -> clientDomain.openCompletionQueue(depth),
                    "a completion queue of depth " + depth + " (declared maximum " + max + ")");
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e::toString);
            assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "the refusal says what is wrong and what would be right");
        }
        var smallest = clientDomain.openCompletionQueue(1);
        assertEquals(1, smallest.depth());
        smallest.close();
        if (max <= 65_536) {
            var largest = clientDomain.openCompletionQueue(max);
            assertEquals(max, largest.depth());
            largest.close();
        }
    }

    /**
     * Every provider answers the same set-up mistakes with the same code: a configuration whose completion queue is of
     * another domain of the same fabric is INVALID_ARGUMENT (for connect and listen), one whose queue is closed CLOSED,
     * one deeper than {@code Limits.maxQueueDepth()} INVALID_ARGUMENT; a {@code maxScatterGather} above
     * {@code Limits.maxScatterGather()} is lowered to it (a list one entry longer than the limit is INVALID at the post);
     * a peer URI of another scheme is INVALID_URI; a second listener on a held address and port is BUSY; a connect to a
     * listener whose endpoint configuration's queue was closed is CONNECTION_REFUSED. If this fails, check that connect
     * and listen use {@code ConfigChecks} and the codes the {@code Domain} javadoc names.
     */
    @Test
    void res_setupMistakesHaveOneCodeEverywhere() {
        connect();
        var otherDomain = clientFabric.openDomain();
        var foreign = otherDomain.openCompletionQueue(16);
        FabricUri peer = listener.uri().withRegion(REGION_NAME);
        FabricException e = assertThrows(FabricException.class, () -> clientDomain.connect(peer, EndpointConfig.of(foreign)),
                "connect with a queue of another domain");
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e::toString);
        e = assertThrows(FabricException.class, () -> clientDomain.listen(EndpointConfig.of(foreign)), "listen with a queue of another domain");
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e::toString);
        otherDomain.close(); // nothing of it was used: closes cleanly

        var closedQueue = clientDomain.openCompletionQueue(16);
        closedQueue.close();
        e = assertThrows(FabricException.class, () -> clientDomain.connect(peer, EndpointConfig.of(closedQueue)), "a closed queue");
        assertEquals(ErrorCode.CLOSED, e.code(), e::toString);
        int deepest = info().limits().maxQueueDepth();
        if (deepest < Integer.MAX_VALUE) { // a provider that declares no limit (Integer.MAX_VALUE) has no deeper queue to refuse
            e = assertThrows(FabricException.class, () -> clientDomain.connect(peer, EndpointConfig.of(queue).withSendQueueDepth(deepest + 1)),
                    "a send queue deeper than Limits.maxQueueDepth()");
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e::toString);
        }

        int widest = info().limits().maxScatterGather();
        Endpoint wide = clientDomain.connect(peer, EndpointConfig.of(queue).withMaxScatterGather(widest + 1));
        ScatterGatherList list = new ScatterGatherList(widest + 1);
        for (int i = 0; i <= widest; i++) {
            list.add(local, i, 1);
        }
        assertEquals(PostStatus.INVALID, wide.write(1, list, remote.address(), remote.key()),
                "maxScatterGather is lowered to Limits.maxScatterGather() (" + widest + "): a list of " + (widest + 1) + " is refused");
        list.clear().add(local, 0, 8);
        assertEquals(PostStatus.OK, wide.write(2, list, remote.address(), remote.key()));
        assertEquals(Status.SUCCESS, await(1).get(0).status());

        FabricUri otherScheme = FabricUri.parse("weft-none://127.0.0.1:1/" + REGION_NAME);
        e = assertThrows(FabricException.class, () -> clientDomain.connect(otherScheme, EndpointConfig.of(queue)), "another scheme");
        assertEquals(ErrorCode.INVALID_URI, e.code(), e::toString);

        try (Fabric again = Fabrics.open(FabricUri.parse(provider().fabricUri()).withPort(listener.uri().port()))) {
            var d = again.openDomain();
            var q = d.openCompletionQueue(16);
            e = assertThrows(FabricException.class, () -> d.listen(EndpointConfig.of(q)), "a second listener on " + listener.uri());
            assertEquals(ErrorCode.BUSY, e.code(), e::toString);
        }

        var listenerQueue = serverDomain.openCompletionQueue(16);
        Listener orphaned = serverDomain.listen(EndpointConfig.of(listenerQueue));
        orphaned.publish(REGION_NAME, target);
        listenerQueue.close();
        e = assertThrows(FabricException.class, () -> clientDomain.connect(orphaned.uri().withRegion(REGION_NAME), EndpointConfig.of(queue)),
                "a connect to a listener whose queue was closed");
        assertEquals(ErrorCode.CONNECTION_REFUSED, e.code(), e::toString);
        orphaned.close();
    }

    /**
     * A completion queue smaller than the work its endpoint has outstanding loses no request: 64 writes posted at once on
     * an endpoint whose queue was opened with a depth of 4, and not polled until all were posted, complete exactly once
     * each. A provider may grow its queue (every write then succeeds) or, like a device that drops the completions that
     * overflow its queue, report the overflow: then the endpoint is in ERROR and the requests whose completions were
     * dropped complete with an error status. Silence is what fails. If this fails, check the handling of a completion
     * queue that overflows (on verbs, the asynchronous event IBV_EVENT_CQ_ERR).
     */
    @Test
    void res_overflowingCompletionQueueLosesNothing() throws Exception {
        connect();
        var q = clientDomain.openCompletionQueue(4);
        var e = clientDomain.connect(listener.uri().withRegion(REGION_NAME),
                EndpointConfig.of(q).withSendQueueDepth(64).withReceiveQueueDepth(4));
        pattern(local.segment(), 0, 8 * 64, 64);
        int posted = 0;
        while (posted < 64 && e.write(posted, local, 8L * posted, 8, remote, 8L * posted) == PostStatus.OK) {
            posted++;
        }
        assertEquals(64, posted, "a send queue of depth 64 takes 64 writes");
        // let the writes complete while nobody polls: wait until the last one's bytes are at the target (writes are placed
        // in posted order), or until the endpoint failed, for at most the completion wait
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(completionWaitSeconds());
        while (target.segment().asSlice(8 * 63, 8).mismatch(local.segment().asSlice(8 * 63, 8)) != -1 && e.state() == dev.weft.EndpointState.CONNECTED && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        List<Completion> got = await(q, posted);
        assertEachOnce(got, ids(0, posted));
        boolean allSucceeded = got.stream().allMatch(c -> c.status() == Status.SUCCESS);
        if (!allSucceeded) {
            assertEquals(dev.weft.EndpointState.ERROR, e.state(), "requests failed, so the overflow must have moved the endpoint to ERROR");
        }
    }

    /**
     * Connects a second client endpoint with a send queue {@code sq} and a receive queue {@code rq} of its own and posts
     * {@code receives} 64-byte receives into {@link #local}, ids 0 up, its receive queue's depth.
     */
    private Endpoint connectWithReceives(dev.weft.CompletionQueue sq, dev.weft.CompletionQueue rq, int receives) {
        Endpoint e = clientDomain.connect(listener.uri().withRegion(REGION_NAME),
                EndpointConfig.of(sq).withReceiveQueue(rq).withSendQueueDepth(8).withReceiveQueueDepth(receives));
        for (int i = 0; i < receives; i++) {
            assertEquals(PostStatus.OK, e.receive(i, local, 64L * i, 64), "receive " + i);
        }
        return e;
    }

    /**
     * The same for receives: 64 messages arrive at an endpoint whose receive queue has 4 entries while nobody polls;
     * then every posted receive completes exactly once, in whatever mix of successes and flushes the overflow left.
     * If this fails, check that the endpoint tells which receives the device still owes by their slots, not by how many
     * completions arrived: after dropped completions, later ones may still be stored.
     */
    @Test
    @Timeout(60)
    void res_overflowingReceiveQueueLosesNothing() throws Exception {
        require(Capability.SEND_RECV);
        connect();
        var sq = clientDomain.openCompletionQueue(64);
        var rq = clientDomain.openCompletionQueue(4);
        Endpoint e = connectWithReceives(sq, rq, 64);
        accepted(); // the server's side of the fixture's own endpoint, connected first
        Endpoint server = accepted();
        var serverSource = serverDomain.register(arena.allocate(64, 64), Access.LOCAL_WRITE);
        int sent = 0;
        int completed = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        dev.weft.CompletionBatch serverBatch = new dev.weft.CompletionBatch(64);
        while (sent < 64 && System.nanoTime() < deadline && server.state() == dev.weft.EndpointState.CONNECTED) {
            if (server.send(sent, serverSource, 0, 8) == PostStatus.OK) {
                sent++;
            }
            completed += Math.max(0, serverQueue.poll(serverBatch)); // the sender's queue only: the receiver's overflows
        }
        // let the sends arrive while nobody polls the receiver's queue: wait until every send has completed at the sender
        // (or its endpoint failed), for at most the completion wait
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(completionWaitSeconds());
        while (completed < sent && server.state() == dev.weft.EndpointState.CONNECTED && System.nanoTime() < deadline) {
            completed += Math.max(0, serverQueue.poll(serverBatch));
            LockSupport.parkNanos(1_000_000);
        }
        assertEachOnce(await(rq, 64), ids(0, 64));
        e.close();
    }

    /**
     * An endpoint with a send queue and a receive queue of its own: closing the endpoint and then its send queue at
     * once (its receive queue serves other endpoints and stays open) still completes each of its posted receives on
     * the receive queue exactly once, {@code FLUSHED}. If this fails, check that closing one of an endpoint's queues
     * does not drop what the endpoint still owes on the other.
     */
    @Test
    @Timeout(60)
    void res_closingOneQueueKeepsTheOthersCompletions() throws Exception {
        require(Capability.SEND_RECV);
        connect();
        var sq = clientDomain.openCompletionQueue(16);
        var rq = clientDomain.openCompletionQueue(64);
        Endpoint e = connectWithReceives(sq, rq, 32);
        e.close();
        sq.close();
        List<Completion> got = await(rq, 32);
        assertEachOnce(got, ids(0, 32));
        for (Completion c : got) {
            assertEquals(Status.FLUSHED, c.status(), "a receive of a closed endpoint: " + c);
        }
        rq.close();
    }

    /**
     * A thread waiting in {@code accept} returns within a moment when another thread closes the listener, with
     * {@code CLOSED}, rather than at the end of its timeout; a timeout too long to count in nanoseconds is a long wait,
     * not an overflow. If this fails, check that accept watches the listener's state while it waits.
     */
    @Test
    @Timeout(60)
    void res_closeEndsAWaitingAccept() throws Exception {
        connect();
        accepted(); // the client's connection: the next accept has nothing to take
        CompletableFuture<Object> waiting = new CompletableFuture<>();
        // a thread of its own: on two cores the common pool has one worker, which others may keep busy
        Thread acceptor = Thread.ofPlatform().name("tck-accept").start(() -> {
            try {
                waiting.complete(listener.accept(Duration.ofSeconds(Long.MAX_VALUE)));
            } catch (FabricException e) {
                waiting.complete(e);
            } catch (RuntimeException | Error e) {
                waiting.completeExceptionally(e);
            }
        });
        long asleep = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (acceptor.getState() != Thread.State.WAITING && acceptor.getState() != Thread.State.TIMED_WAITING && !waiting.isDone()
                && System.nanoTime() < asleep) {
            Thread.sleep(5); // until the acceptor waits inside accept
        }
        Thread.sleep(50);
        assertFalse(waiting.isDone(), "accept waits while no client comes: " + (waiting.isDone() ? waiting.get() : ""));
        long start = System.nanoTime();
        listener.close();
        Object outcome = waiting.get(10, TimeUnit.SECONDS);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(outcome instanceof FabricException e && e.code() == ErrorCode.CLOSED, "accept ends with CLOSED: " + outcome);
        assertTrue(millis < 2000, "accept ended " + millis + " ms after the close; expected within a moment");
        acceptor.join(5000);
    }

    /**
     * Closing a listener stops it accepting and leaves every connection it accepted as it was, as closing a listening
     * socket does: both connections still have their one-sided writes (and reads, where the provider declares RMA_READ)
     * served, the endpoint {@code accept} handed out still sends (where it declares SEND_RECV), a new connect to its
     * address is refused and {@code accept} answers {@code CLOSED}. The endpoints belong to the domain: closing it ends both connections (the clients' endpoints move
     * to ERROR) without an error. If this fails, check that the listener's close leaves its accepted endpoints (taken
     * or not) to the domain instead of closing them.
     */
    @Test
    @Timeout(60)
    void res_listenerCloseKeepsAcceptedConnections() {
        connect();
        Endpoint taken = accepted(); // the server's side of `endpoint`
        Endpoint untaken = clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue));
        FabricUri address = listener.uri();
        listener.close();

        FabricException again = assertThrows(FabricException.class, () -> listener.accept(Duration.ofMillis(100)));
        assertEquals(ErrorCode.CLOSED, again.code(), () -> "accept after close: " + again);
        FabricException refused = assertThrows(FabricException.class,
                () -> clientDomain.connect(address.withRegion(REGION_NAME), EndpointConfig.of(queue)),
                "a connect to a closed listener's address");
        assertEquals(ErrorCode.CONNECTION_REFUSED, refused.code(), () -> "a connect to a closed listener's address: " + refused);

        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300)); // a teardown the close started would be under way by now
        long id = 1;
        for (Endpoint e : List.of(endpoint, untaken)) {
            String which = e == endpoint ? "the connection accept handed out" : "the connection accept never handed out";
            assertEquals(EndpointState.CONNECTED, e.state(), which + " is still connected after the listener closed");
            pattern(local.segment(), 0, 64, (int) id);
            assertEquals(PostStatus.OK, e.write(id, local, 0, 64, remote, 0), which + ": write");
            assertEquals(Status.SUCCESS, await(1).get(0).status(), which + ": the write completes");
            if (info().supports(Capability.RMA_READ)) {
                local.segment().asSlice(0, 64).fill((byte) 0);
                assertEquals(PostStatus.OK, e.read(id + 1, local, 0, 64, remote, 0), which + ": read");
                assertEquals(Status.SUCCESS, await(1).get(0).status(), which + ": the read completes");
                assertPattern(local.segment(), 0, 64, (int) id);
            }
            id += 2;
        }
        assertEquals(EndpointState.CONNECTED, taken.state(), "the endpoint accept handed out is still connected");
        if (info().supports(Capability.SEND_RECV)) {
            sendStillWorks(taken, id);
        }

        serverDomain.close(); // owns both server-side endpoints
        awaitErrorState(endpoint, "closing the domain that owns the handed-out endpoint's peer");
        awaitErrorState(untaken, "closing the domain that owns the never handed-out endpoint's peer");
    }

    /** The handed-out endpoint {@code taken} sends 32 bytes (id {@code id + 1}) into a receive {@code id} of {@link #endpoint}. */
    private void sendStillWorks(Endpoint taken, long id) {
        local.segment().asSlice(128, 32).fill((byte) 0);
        assertEquals(PostStatus.OK, endpoint.receive(id, local, 128, 32), "posting a receive for the handed-out endpoint's send");
        pattern(target.segment(), 256, 32, 77);
        assertEquals(PostStatus.OK, taken.send(id + 1, target, 256, 32), "the handed-out endpoint sends after the listener closed");
        assertEquals(Status.SUCCESS, await(serverQueue, 1).get(0).status(), "the handed-out endpoint's send completes");
        Completion received = await(1).get(0);
        assertEquals(Status.SUCCESS, received.status(), () -> "the send arrives: " + received);
        assertEquals(32, received.byteCount(), () -> "the send arrives whole: " + received);
        assertPattern(local.segment(), 128, 32, 77);
    }

    /**
     * A thread inside {@code connect} returns with {@code CLOSED}, well before the connect's own timeout, when another
     * thread closes the connecting domain, or its fabric, while the peer has not answered yet; the close itself
     * succeeds and leaves no file descriptor behind (nor, on a device, a queue pair holding the domain's completion
     * queue). The peer is a second JVM stopped with {@code SIGSTOP}: its kernel still takes the connection, nobody
     * answers it. If this fails, check that close ends the connects in progress and waits for them to release what
     * they made.
     */
    @Test
    @Timeout(180)
    void res_closeEndsAWaitingConnect() throws Exception {
        endAWaitingConnect(List.of("the domain", "the fabric"));
    }

    /**
     * A thread inside {@code connect} that is interrupted while the peer has not answered returns with {@code TIMEOUT}
     * (as {@code Domain.connect} says), well before the connect's own timeout, with its interrupt flag still set; the
     * domain and fabric then close without an error and leave no file descriptor behind. The peer is a stopped second
     * JVM, as in {@code res_closeEndsAWaitingConnect}. If this fails, check how the connect's waits answer an interrupt.
     */
    @Test
    @Timeout(120)
    void res_interruptEndsAWaitingConnect() throws Exception {
        endAWaitingConnect(List.of("an interrupt"));
    }

    /** Ends a connect to a stopped peer in each of the given ways ("the domain", "the fabric": closing it; "an interrupt"). */
    private void endAWaitingConnect(List<String> ways) throws Exception {
        connect();
        try (Child child = startChild()) {
            child.signal("STOP");
            for (String way : ways) {
                boolean interrupt = way.equals("an interrupt");
                ErrorCode expected = interrupt ? ErrorCode.TIMEOUT : ErrorCode.CLOSED;
                int files = fds();
                Fabric f = Fabrics.open(provider().fabricUri());
                try {
                    var d = f.openDomain();
                    var q = d.openCompletionQueue(16);
                    CompletableFuture<Object> connecting = new CompletableFuture<>();
                    Thread thread = Thread.ofPlatform().name("tck-connect").start(() -> {
                        try {
                            connecting.complete(d.connect(child.uri().withRegion(REGION_NAME),
                                    EndpointConfig.of(q).withConnectTimeout(Duration.ofSeconds(60))));
                        } catch (FabricException e) {
                            connecting.complete(Thread.currentThread().isInterrupted() ? new Object[] {e, "interrupted"} : e);
                        } catch (RuntimeException | Error e) {
                            connecting.complete(e);
                        }
                    });
                    Thread.sleep(1000);
                    assertFalse(connecting.isDone(), "connect waits while the stopped peer does not answer: "
                            + (connecting.isDone() ? connecting.get() : ""));
                    long start = System.nanoTime();
                    switch (way) {
                        case "the fabric" -> f.close();
                        case "the domain" -> d.close();
                        default -> thread.interrupt();
                    }
                    Object outcome = connecting.get(30, TimeUnit.SECONDS);
                    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    boolean flagKept = outcome instanceof Object[];
                    Object thrown = flagKept ? ((Object[]) outcome)[0] : outcome;
                    assertTrue(thrown instanceof FabricException e && e.code() == expected,
                            "a connect ended by " + (interrupt ? "" : "closing ") + way + " ends with " + expected + ": " + thrown);
                    if (interrupt) {
                        assertTrue(flagKept, "the connecting thread's interrupt flag is still set when connect returns");
                    }
                    // well before the connect's own timeout; not at once everywhere: an iWARP kernel (iw_cm) lets a connection
                    // request it has sent finish before the id can go (siw: about 10 s from the connect's start)
                    assertTrue(millis < 20_000, "connect ended " + millis + " ms after " + (interrupt ? "" : "closing ") + way
                            + "; expected well before its own 60 s timeout");
                    thread.join(5000);
                } finally {
                    f.close();
                }
                assertTrue(settle(ResourcesTck::fds, files) <= files, "file descriptors did not return to baseline " + files
                        + " after " + (interrupt ? "" : "closing ") + way + " during a connect");
            }
        }
    }
}
