package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.ProviderInfo;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fixtures and checks shared by every TCK area. A provider module subclasses each area class
 * and implements {@link #provider()}; nothing else.
 *
 * <p>Every case runs under a hard timeout (60 s; a hung provider fails the case). Every case
 * checks that each posted request got exactly one completion: {@link #await} takes exactly the
 * number posted and refuses a request named twice, the rules name the ids they expect
 * ({@link #assertEachOnce}, {@link #assertInPostedOrder}), and after the case
 * {@link #verifyAfterCase()} fails on any completion that still arrives on a queue the case took
 * completions from. It also checks after every case that memory outside the target range kept
 * its fill pattern ({@link #assertGuardsIntact()}): target and local regions are slices of larger
 * allocations whose guard zones are filled with a pattern.
 *
 * <p>Capability gating: a case that needs an undeclared capability is skipped with the reason,
 * strict or not (an iWARP device without atomics is honest to skip them). With
 * {@code -Dweft.tck.strict=true} every other skip — a case that could not run although its
 * capability is declared — becomes a failure. A rule that fails because of a defect below the
 * provider, which the provider lists with its cause in {@link TckProvider#knownDefects()}, is
 * reported {@code known-defect} instead, and fails if it passes.
 */
@ExtendWith(TckReport.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class TckBase {
    /** Bytes of guard before and after each registered slice. */
    protected static final int GUARD = 8192;
    /** Fill pattern of guard zones. */
    protected static final byte GUARD_FILL = (byte) 0xE7;
    /** Initial content of target regions. */
    protected static final byte TARGET_FILL = (byte) 0x5A;
    /** Name under which the server publishes the target region. */
    protected static final String REGION_NAME = "tck";

    /** For subclasses: the area classes and, through them, a provider's subclasses. */
    protected TckBase() {
    }

    /** @return how to open the provider under test */
    public abstract TckProvider provider();

    /** The arena of this case's memory; closed after the case. */
    protected Arena arena;
    /** The listening side. */
    protected Fabric serverFabric;
    /** The listening side's domain. */
    protected Domain serverDomain;
    /** Completion queue of accepted endpoints. */
    protected CompletionQueue serverQueue;
    /** The published target region (a slice between guards). */
    protected MemoryRegion target;
    /** The guarded block around {@link #target}. */
    protected MemorySegment targetBlock;
    /** The listener. */
    protected Listener listener;
    /** The connecting side. */
    protected Fabric clientFabric;
    /** The connecting side's domain. */
    protected Domain clientDomain;
    /** The client's completion queue. */
    protected CompletionQueue queue;
    /** The client's local region (a slice between guards). */
    protected MemoryRegion local;
    /** The guarded block around {@link #local}. */
    protected MemorySegment localBlock;
    /** The client's endpoint, connected naming {@link #REGION_NAME}. */
    protected Endpoint endpoint;
    /** The target as the client knows it. */
    protected RemoteRegion remote;
    private final CompletionBatch batch = new CompletionBatch(512);

    /** @return the provider's declared description (opens and closes a fabric) */
    protected ProviderInfo info() {
        if (serverFabric != null) {
            return serverFabric.info();
        }
        try (Fabric f = Fabrics.open(provider().fabricUri())) {
            return f.info();
        }
    }

    /** @return {@code true} if {@code -Dweft.tck.strict=true} */
    protected static boolean strict() {
        return Boolean.getBoolean("weft.tck.strict");
    }

    /**
     * Skips the case unless the provider declares the capability; strict mode keeps this a skip,
     * since not declaring a capability is the honest answer for a device without it.
     *
     * @param capability what the case needs
     */
    protected void require(Capability capability) {
        if (!info().supports(capability)) {
            Assumptions.abort("the provider does not declare " + capability);
        }
    }

    /**
     * Skips the case (fails it in strict mode) with a reason.
     *
     * @param condition whether the case can run
     * @param reason why not
     */
    protected static void requireThat(boolean condition, String reason) {
        if (!condition) {
            if (strict()) {
                fail("strict mode: " + reason);
            }
            Assumptions.abort(reason);
        }
    }

    /**
     * What every provider must declare for the kit to run at all: each case that connects names a published region
     * ({@link Capability#WELL_KNOWN_REGION}) and almost every rule writes ({@link Capability#RMA_WRITE}). Every other
     * capability is optional: a case that needs one the provider does not declare is skipped with the reason.
     */
    protected static final Set<Capability> MANDATORY = java.util.Collections.unmodifiableSet(EnumSet.of(Capability.RMA_WRITE,
            Capability.WELL_KNOWN_REGION));

    /** Fails, naming what is missing, unless the provider declares every capability of {@link #MANDATORY}. */
    protected void requireMandatoryCore() {
        EnumSet<Capability> missing = EnumSet.copyOf(MANDATORY);
        missing.removeAll(info().capabilities());
        if (!missing.isEmpty()) {
            fail("the TCK needs every provider to declare its mandatory capabilities " + MANDATORY + " (docs/tck.md); expected them"
                    + " declared, but the provider does not declare " + missing);
        }
    }

    /** Opens both sides with default sizes and rights (target: every right). */
    protected void connect() {
        connect(1 << 16, 1 << 16, EnumSet.allOf(Access.class));
    }

    /**
     * Opens both sides and connects.
     *
     * @param targetSize bytes of the published target region
     * @param localSize bytes of the client's local region
     * @param targetAccess rights of the target region (REMOTE_ATOMIC dropped if atomics are not declared)
     */
    protected void connect(int targetSize, int localSize, Set<Access> targetAccess) {
        requireMandatoryCore();
        arena = Arena.ofShared();
        serverFabric = Fabrics.open(provider().fabricUri());
        serverDomain = serverFabric.openDomain();
        serverQueue = serverDomain.openCompletionQueue(1024);
        EnumSet<Access> access = EnumSet.copyOf(targetAccess.isEmpty() ? EnumSet.of(Access.REMOTE_READ) : targetAccess);
        if (!info().supports(Capability.ATOMIC_FETCH_ADD) && !info().supports(Capability.ATOMIC_CMP_SWAP)) {
            access.remove(Access.REMOTE_ATOMIC);
        }
        targetBlock = guarded(targetSize);
        target = serverDomain.register(targetBlock.asSlice(GUARD, targetSize), access);
        target.segment().fill(TARGET_FILL);
        listener = serverDomain.listen(EndpointConfig.of(serverQueue).withReceiveQueueDepth(512));
        listener.publish(REGION_NAME, target);
        clientFabric = Fabrics.open(provider().fabricUri());
        clientDomain = clientFabric.openDomain();
        queue = clientDomain.openCompletionQueue(4096);
        localBlock = guarded(localSize);
        local = clientDomain.register(localBlock.asSlice(GUARD, localSize), info().limits().readSinkAccess());
        endpoint = clientDomain.connect(listener.uri().withRegion(REGION_NAME),
                EndpointConfig.of(queue).withSendQueueDepth(1024).withReceiveQueueDepth(512));
        remote = endpoint.wellKnownRegion().orElseThrow(() -> new AssertionError("connect naming /" + REGION_NAME
                + " must return an endpoint that knows the region; check the provider's well-known region support"));
    }

    /**
     * Allocates a block of {@code size} bytes between two guard zones filled with {@link #GUARD_FILL}.
     *
     * @param size bytes between the guards
     * @return the whole block
     */
    protected MemorySegment guarded(long size) {
        MemorySegment block = arena.allocate(size + 2L * GUARD, 4096);
        block.fill(GUARD_FILL);
        return block;
    }

    /** Fails if a guard zone of the target or local block changed. */
    protected void assertGuardsIntact() {
        for (MemorySegment block : new MemorySegment[] {targetBlock, localBlock}) {
            if (block == null) {
                continue;
            }
            long size = block.byteSize();
            assertFilled(block, 0, GUARD, GUARD_FILL, "guard before a region");
            assertFilled(block, size - GUARD, size, GUARD_FILL, "guard after a region");
        }
    }

    /**
     * Fails unless every byte in [from, to) equals {@code value}.
     *
     * @param s memory
     * @param from first offset
     * @param to end offset
     * @param value expected byte
     * @param what description for the message
     */
    protected static void assertFilled(MemorySegment s, long from, long to, byte value, String what) {
        for (long i = from; i < to; i++) {
            byte b = s.get(ValueLayout.JAVA_BYTE, i);
            if (b != value) {
                fail(what + ": byte " + i + " is " + b + ", expected " + value);
            }
        }
    }

    /**
     * Fills [offset, offset+length) with a pattern that depends on the position and a seed.
     *
     * @param s memory
     * @param offset start
     * @param length bytes
     * @param seed pattern seed
     */
    protected static void pattern(MemorySegment s, long offset, long length, int seed) {
        for (long i = 0; i < length; i++) {
            s.set(ValueLayout.JAVA_BYTE, offset + i, (byte) (i * 31 + seed));
        }
    }

    /**
     * Fails unless [offset, offset+length) holds {@link #pattern}'s bytes.
     *
     * @param s memory
     * @param offset start
     * @param length bytes
     * @param seed pattern seed
     */
    protected static void assertPattern(MemorySegment s, long offset, long length, int seed) {
        for (long i = 0; i < length; i++) {
            byte b = s.get(ValueLayout.JAVA_BYTE, offset + i);
            if (b != (byte) (i * 31 + seed)) {
                fail("byte " + i + " of the transfer is " + b + ", expected " + (byte) (i * 31 + seed));
            }
        }
    }

    /**
     * How long {@link #await(CompletionQueue, int)} waits for a missing completion: property
     * {@code weft.tck.completionWaitSeconds}, default 45 (below the 60 s case timeout).
     */
    static long completionWaitSeconds() {
        return Long.getLong("weft.tck.completionWaitSeconds", 45);
    }

    /**
     * A long list of completions made readable for a failure message: how many there are of each
     * status, then the first and last five.
     */
    static String summary(List<Completion> got) {
        if (got.size() <= 10) {
            return got.toString();
        }
        Map<Status, Long> counts = new EnumMap<>(Status.class);
        for (Completion c : got) {
            counts.merge(c.status(), 1L, Long::sum);
        }
        return got.size() + " completions " + counts + ": " + got.subList(0, 5) + " ... (" + (got.size() - 10) + " more) ... "
                + got.subList(got.size() - 5, got.size());
    }

    /**
     * Waits for exactly {@code n} completions on {@code q}, then checks that no further one arrives within 50 ms and
     * that no request is among them twice (by endpoint and work request id: a duplicate that stands in for a lost
     * completion keeps the count right). The queue is then watched: after the case, {@link #verifyAfterCase()} fails
     * on any completion that still arrives on it.
     *
     * @param q the queue
     * @param n how many requests were posted
     * @return copies of the completions, in arrival order
     */
    protected List<Completion> await(CompletionQueue q, int n) {
        watch(q);
        List<Completion> got = new ArrayList<>();
        long waitSeconds = completionWaitSeconds();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
        while (got.size() < n && System.nanoTime() < deadline) {
            int k = q.await(batch, 100, TimeUnit.MILLISECONDS);
            for (int i = 0; i < k; i++) {
                got.add(batch.get(i).copy());
            }
        }
        if (got.size() != n) {
            fail("expected exactly " + n + " completions, got " + got.size() + " within " + waitSeconds + " s: " + summary(got)
                    + "; if this fails, check that every posted request produces exactly one completion, also on error and close");
        }
        int extra = q.await(batch, 50, TimeUnit.MILLISECONDS);
        if (extra > 0) {
            fail("expected no completion after the " + n + " awaited, but " + batch.get(0) + " arrived for a request that had"
                    + " already completed (or was never posted): " + summary(got));
        }
        assertNoRequestTwice(got);
        return got;
    }

    /**
     * Fails unless every completion in {@code c} names a different request (endpoint id and work request id).
     *
     * @param c completions of one queue
     */
    protected static void assertNoRequestTwice(List<Completion> c) {
        Set<String> seen = new HashSet<>();
        for (Completion x : c) {
            if (!seen.add(x.endpointId() + "/" + x.workRequestId())) {
                fail("expected each request to complete exactly once, but request " + x.workRequestId() + " of endpoint "
                        + x.endpointId() + " completed twice (in place of another's completion?): " + summary(c));
            }
        }
    }

    /**
     * Fails unless the completions {@code c} name exactly the requests {@code ids}, each once, in any order.
     *
     * @param c completions of requests of one endpoint
     * @param ids the work request ids that were posted (and accepted)
     */
    protected static void assertEachOnce(List<Completion> c, long... ids) {
        assertNoRequestTwice(c);
        Set<Long> expected = new java.util.TreeSet<>();
        for (long id : ids) {
            expected.add(id);
        }
        Set<Long> got = new java.util.TreeSet<>();
        c.forEach(x -> got.add(x.workRequestId()));
        if (!expected.equals(got) || c.size() != ids.length) {
            Set<Long> missing = new java.util.TreeSet<>(expected);
            missing.removeAll(got);
            Set<Long> foreign = new java.util.TreeSet<>(got);
            foreign.removeAll(expected);
            fail("expected one completion for each of the " + ids.length + " requests posted, but the completions miss " + first(missing)
                    + " and name requests never posted " + first(foreign) + ": " + summary(c));
        }
    }

    /**
     * Fails unless the completions {@code c} name the requests {@code ids} in this order (the requests of one endpoint
     * complete in posted order).
     *
     * @param c completions of requests of one endpoint, in arrival order
     * @param ids the work request ids in posted order
     */
    protected static void assertInPostedOrder(List<Completion> c, long... ids) {
        assertEachOnce(c, ids);
        for (int i = 0; i < ids.length; i++) {
            if (c.get(i).workRequestId() != ids[i]) {
                fail("expected the completions in posted order " + first(java.util.Arrays.stream(ids).boxed().toList()) + ", but completion "
                        + i + " is request " + c.get(i).workRequestId() + ": " + summary(c));
            }
        }
    }

    private static String first(java.util.Collection<Long> ids) {
        return ids.size() <= 10 ? ids.toString() : ids.stream().limit(10).toList() + " and " + (ids.size() - 10) + " more";
    }

    /** Ids {@code from}, {@code from + 1}, ..., {@code from + n - 1}. */
    protected static long[] ids(long from, int n) {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
            a[i] = from + i;
        }
        return a;
    }

    /** Queues on which this case took completions; {@link #verifyAfterCase()} checks that nothing more arrives on them. */
    private final Set<CompletionQueue> watched = Collections.newSetFromMap(new IdentityHashMap<>());

    /**
     * Marks {@code q} as a queue whose every completion this case takes itself (by {@link #await}, or by polling); after
     * the case, {@link #verifyAfterCase()} fails on any completion that still arrives on it.
     *
     * @param q the queue
     */
    protected void watch(CompletionQueue q) {
        watched.add(q);
    }

    /**
     * How long after a case {@link #verifyAfterCase()} watches the queues for a completion nobody accounted for:
     * property {@code weft.tck.quietMillis}, default 250.
     */
    static long quietMillis() {
        return Long.getLong("weft.tck.quietMillis", 250);
    }

    /**
     * The checks every case makes when its own assertions passed (called by {@link TckReport}, before the fixtures
     * close): the guard zones around the target and local regions kept their fill pattern, and, on every queue the
     * case took completions from and that is still open, no completion arrives within {@link #quietMillis()}: each
     * request the case posted produced exactly one completion, and the case took them all.
     */
    void verifyAfterCase() {
        assertGuardsIntact();
        if (watched.isEmpty()) {
            return;
        }
        List<Completion> late = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(quietMillis());
        do {
            for (CompletionQueue q : watched) {
                int k = q.isOpen() ? q.poll(batch) : -1;
                for (int i = 0; i < k; i++) {
                    late.add(batch.get(i).copy());
                }
            }
            LockSupport.parkNanos(5_000_000);
        } while (System.nanoTime() < deadline);
        if (!late.isEmpty()) {
            fail("expected no completion after the case had taken one for each request it posted, but within " + quietMillis()
                    + " ms more arrived (a request completed twice, or one never posted completed): " + summary(late));
        }
    }

    /**
     * {@link #await(CompletionQueue, int)} on the client's queue.
     *
     * @param n how many requests were posted
     * @return the completions
     */
    protected List<Completion> await(int n) {
        return await(queue, n);
    }

    /** Work request id of the read that {@link #assertPlaced} posts as a fence; tests number their own requests from 1. */
    private static final long PLACEMENT_FENCE_ID = Long.MAX_VALUE - 1;

    /**
     * Runs {@code check} — assertions on the target's memory — once the writes on {@link #endpoint} that have completed
     * were placed. Where a write's completion already means placement (no {@link dev.weft.Limits#transmitCompletion()})
     * the check runs at once. Where the provider declares transmit completion (iWARP) a write completes when the
     * transport took it and its bytes may land a moment later:
     * <ul>
     * <li>with {@link Capability#RMA_READ}, one 1-byte read of the target into the last byte of {@link #local}, awaited,
     * is the fence (a read on the same endpoint is served only after the writes before it were placed, the rule
     * {@code rma_order_writeThenRead} checks), then the check runs once;</li>
     * <li>without it nothing on the wire tells when the bytes landed (a write-with-immediate or a send would need the
     * peer's endpoint to post a receive, which the rules keep for themselves), so the check is repeated until it passes
     * or {@link #completionWaitSeconds()} pass, and then fails with its last failure: bytes that land late pass, bytes
     * that never land fail, in strict mode or not.</li>
     * </ul>
     *
     * @param check assertions on the target's memory, repeatable
     */
    protected void assertPlaced(Runnable check) {
        if (!info().limits().transmitCompletion()) {
            check.run();
            return;
        }
        if (info().supports(Capability.RMA_READ)) {
            assertEquals(PostStatus.OK, endpoint.read(PLACEMENT_FENCE_ID, local, local.length() - 1, 1, remote, 0),
                    "posting the placement fence (a 1-byte read)");
            Completion c = await(1).get(0);
            assertEquals(Status.SUCCESS, c.status(), () -> "the placement fence (a 1-byte read after the writes): " + c);
            check.run();
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(completionWaitSeconds());
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError notYet) {
                if (System.nanoTime() - deadline > 0) {
                    throw new AssertionError("the target still does not hold what the completed writes wrote " + completionWaitSeconds()
                            + " s after they completed (transmit completion, no RMA_READ to fence with: the TCK polled the"
                            + " target's memory until then): " + notYet.getMessage(), notYet);
                }
            }
            LockSupport.parkNanos(2_000_000);
        }
    }

    /**
     * Fails unless every completion in {@code c} names {@code ep} ({@link Completion#endpointId()} equals
     * {@link Endpoint#id()}): completions are routed by it, for example by the {@code dev.weft.async} layer.
     *
     * @param ep the endpoint the requests were posted on
     * @param c their completions
     * @return {@code c}
     */
    protected static List<Completion> assertFrom(Endpoint ep, List<Completion> c) {
        for (Completion x : c) {
            if (x.endpointId() != ep.id()) {
                fail("expected each completion to name the endpoint its request was posted on (Completion.endpointId() == Endpoint.id() == "
                        + ep.id() + "), but " + x + " names endpoint " + x.endpointId() + "; if this fails, check the endpoint id the"
                        + " provider writes into completions: " + summary(c));
            }
        }
        return c;
    }

    /**
     * Checks how the target's rejection of the write or send {@code c.get(0)} reached {@code ep}:
     * as {@code expected} on that request with every later one {@code FLUSHED}; or, only where the
     * provider declares {@link dev.weft.Limits#transmitCompletion()}, as {@code SUCCESS} for the
     * requests the transport had already taken and {@code expected} or {@code FLUSHED} for the rest.
     * Either way each request completed exactly once, in posted order (the requests were posted with
     * ids {@code firstWrId}, {@code firstWrId + 1}, ...), the endpoint ends in ERROR within the
     * declared peer-failure time, and a request posted then completes {@code FLUSHED}.
     *
     * @param ep the initiating endpoint, on {@link #queue}
     * @param c the completions of the rejected request and of those posted after it, in arrival order
     * @param firstWrId the work request id of the rejected request; those posted after it have the next ids
     * @param expected the status the request carries where completions report the target's verdict
     * @param freeWrId a work request id not used by {@code c}, for the request posted afterwards
     */
    protected void assertRejectedAtTarget(Endpoint ep, List<Completion> c, long firstWrId, Status expected, long freeWrId) {
        assertInPostedOrder(c, ids(firstWrId, c.size()));
        assertFrom(ep, c);
        boolean transmit = info().limits().transmitCompletion();
        int firstFailure = 0;
        if (transmit) {
            while (firstFailure < c.size() && c.get(firstFailure).status() == Status.SUCCESS) {
                firstFailure++;
            }
        } else {
            assertEquals(expected, c.get(0).status(), () -> "the target's rejection is reported on the request: " + summary(c));
        }
        for (int i = firstFailure; i < c.size(); i++) {
            Completion x = c.get(i);
            boolean ok = x.status() == Status.FLUSHED || (i == firstFailure && x.status() == expected);
            assertTrue(ok, "request " + i + " after the rejection completes " + (i == firstFailure ? expected + " or " : "")
                    + "FLUSHED" + (transmit ? " (or SUCCESS before it: the provider declares transmit completion)" : "") + ": "
                    + summary(c));
        }
        awaitErrorState(ep, "a rejection at the target");
        assertPostFlushed(ep, queue, local, freeWrId);
    }

    /**
     * Waits up to the provider's peer-failure timeout (plus 2 s) for {@code ep} to leave
     * CONNECTED and checks that it is in ERROR.
     *
     * @param ep the endpoint
     * @param after what ended the connection, for the message
     */
    protected void awaitErrorState(Endpoint ep, String after) {
        long limit = info().limits().peerFailureTimeout().toMillis() + 2000;
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limit);
        while (ep.state() == EndpointState.CONNECTED && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        assertEquals(EndpointState.ERROR, ep.state(), "the endpoint moves to ERROR within " + limit + " ms of " + after);
    }

    /**
     * Checks that {@code ep}, in ERROR, accepts an 8-byte write and completes it FLUSHED.
     *
     * @param ep the endpoint
     * @param q the queue of {@code ep}'s send completions, with nothing else due on it
     * @param source a region of {@code ep}'s domain, the write's source
     * @param freeWrId a work request id that {@code ep}'s earlier requests did not use
     */
    protected void assertPostFlushed(Endpoint ep, CompletionQueue q, MemoryRegion source, long freeWrId) {
        assertEquals(PostStatus.OK, ep.write(freeWrId, source, 0, 8, remote, 0), "an endpoint in ERROR still accepts requests");
        Completion c = assertFrom(ep, await(q, 1)).get(0);
        assertEquals(freeWrId, c.workRequestId(), () -> "the completion of the request posted to an endpoint in ERROR: " + c);
        assertEquals(Status.FLUSHED, c.status(), () -> "a request posted to an endpoint in ERROR is flushed: " + c);
    }

    /** @return the server's accepted endpoint for the client's connection */
    protected Endpoint accepted() {
        Endpoint e = listener.accept(java.time.Duration.ofSeconds(10));
        if (e == null) {
            fail("the listener handed out no endpoint for a connected client within 10 s; check Listener.accept");
        }
        return e;
    }

    /**
     * A second JVM running {@link ChildPeer}, listening with the provider under test; closing it kills the process.
     *
     * @param process the JVM
     * @param uri its listener's URI
     */
    protected record Child(Process process, FabricUri uri) implements AutoCloseable {
        /**
         * Sends the process a signal with the system's {@code kill} command.
         *
         * @param signal e.g. {@code STOP} (the process stops running, its kernel objects stay) or {@code CONT}
         * @throws Exception if {@code kill} could not be run or failed
         */
        public void signal(String signal) throws Exception {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).redirectErrorStream(true).start();
            String out = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, kill.waitFor(), () -> "kill -" + signal + " " + process.pid() + ": " + out);
        }

        /** Kills the process (a stopped one too) and waits up to 10 s for it to end; an interrupt ends the wait, flag kept. */
        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Starts a {@link ChildPeer} on {@link TckProvider#fabricUri()} in a second JVM (same java, this JVM's module path and
     * class path as its class path ({@link #childClassPath()}), the JVM
     * options {@link TckProvider#childJvmOptions} gives: by default this JVM's own, see {@link #inheritedJvmOptions()})
     * and waits for its listener; skips the case if the provider cannot run there.
     *
     * @return the child; the caller closes it
     * @throws Exception if the JVM could not be started
     */
    protected Child startChild() throws Exception {
        requireThat(provider().canRunInChildProcess(), "the provider cannot be opened in a second JVM");
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElseThrow());
        command.addAll(provider().childJvmOptions(inheritedJvmOptions()));
        command.addAll(List.of("-cp", childClassPath(), ChildPeer.class.getName(), provider().fabricUri()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        List<String> said = new ArrayList<>();
        String line;
        while ((line = out.readLine()) != null && !line.startsWith("LISTENING ") && said.size() < 200) {
            said.add(line); // a JVM warning may come first
        }
        if (line == null || !line.startsWith("LISTENING ")) {
            process.destroyForcibly();
            fail("expected the child JVM to print LISTENING <uri>, but it said: " + String.join("\n", said) + "\ncommand: " + command);
        }
        return new Child(process, FabricUri.parse(line.substring("LISTENING ".length())));
    }

    /**
     * The class path of the second JVM: this JVM's module path ({@code jdk.module.path}), then its class path
     * ({@code java.class.path}). A provider built as a JPMS module runs its tests on the module path (Surefire's default
     * where the test sources have a {@code module-info}), which leaves the TCK, the api and the provider out of
     * {@code java.class.path}. On the child's class path they are plain jars: {@code ServiceLoader} finds the provider
     * through its {@code META-INF/services} entry, which docs/tck.md asks every provider to carry.
     *
     * @return the entries, joined with the platform's path separator
     */
    static String childClassPath() {
        List<String> entries = new ArrayList<>();
        for (String property : new String[] {"jdk.module.path", "java.class.path"}) {
            String value = System.getProperty(property);
            if (value != null && !value.isEmpty()) {
                for (String entry : value.split(java.io.File.pathSeparator)) {
                    if (!entry.isEmpty() && !entries.contains(entry)) {
                        entries.add(entry);
                    }
                }
            }
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    /**
     * The options this JVM was started with ({@code RuntimeMXBean.getInputArguments()}) that a second JVM of the same
     * provider needs too — {@code -D} properties such as {@code java.library.path}, {@code -X}/{@code -XX} options,
     * {@code --add-opens}, {@code --add-exports}, {@code --enable-native-access} — without those that would clash with
     * this JVM or do not fit a class-path launch: debugger agents ({@code -agentlib:jdwp}, {@code -Xrunjdwp},
     * {@code -Xdebug}), remote JMX ports, flight recordings, and module-path options. {@code --enable-native-access=ALL-UNNAMED}
     * is added if absent.
     *
     * @return the options, in order
     */
    protected static List<String> inheritedJvmOptions() {
        List<String> options = new ArrayList<>();
        for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            boolean clashes = a.startsWith("-agentlib:jdwp") || a.startsWith("-Xrunjdwp") || a.equals("-Xdebug") || a.equals("-Xnoagent")
                    || a.startsWith("-Dcom.sun.management.jmxremote") || a.contains("StartFlightRecording")
                    || a.startsWith("-Djava.class.path=") || a.startsWith("-Djdk.module.");
            boolean modulePath = a.startsWith("--module-path") || a.startsWith("-p=") || a.startsWith("--upgrade-module-path")
                    || a.startsWith("--add-modules") || a.startsWith("--limit-modules") || a.startsWith("--patch-module");
            if (!clashes && !modulePath) {
                options.add(a);
            }
        }
        if (options.stream().noneMatch(o -> o.startsWith("--enable-native-access"))) {
            options.add("--enable-native-access=ALL-UNNAMED");
        }
        return options;
    }

    /** Closes both sides (children first) and the memory. */
    @AfterEach
    void closeFixtures() {
        try {
            if (clientFabric != null) {
                clientFabric.close();
            }
        } finally {
            try {
                if (serverFabric != null) {
                    serverFabric.close();
                }
            } finally {
                if (arena != null) {
                    arena.close();
                }
            }
        }
    }
}
