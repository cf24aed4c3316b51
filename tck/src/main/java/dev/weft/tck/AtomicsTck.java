package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.Capability;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Area 5: atomics. */
public abstract class AtomicsTck extends TckBase {
    /** Creates the area. */
    protected AtomicsTck() {
    }

    /** Fails unless {@code c} is request {@code wrId}'s SUCCESS reporting 8 bytes, as Completion.byteCount promises for an atomic. */
    private static void assertAtomicSucceeded(dev.weft.Completion c, long wrId, dev.weft.Opcode opcode) {
        assertEquals(wrId, c.workRequestId(), () -> "the atomic's completion names its request: " + c);
        assertEquals(opcode, c.opcode(), () -> "the atomic's completion names its operation: " + c);
        assertEquals(Status.SUCCESS, c.status(), c::toString);
        assertEquals(8, c.byteCount(), () -> "an atomic's completion reports 8 bytes (Completion.byteCount): " + c);
    }

    /** Fetch-and-add returns the old value and adds. If this fails, check the atomic's result write-back. */
    @Test
    void at_fetchAdd_result() {
        require(Capability.ATOMIC_FETCH_ADD);
        connect();
        target.segment().set(ValueLayout.JAVA_LONG, 64, 40);
        assertEquals(PostStatus.OK, endpoint.fetchAndAdd(1, local, 8, remote, 64, 2));
        assertAtomicSucceeded(assertFrom(endpoint, await(1)).get(0), 1, dev.weft.Opcode.FETCH_AND_ADD);
        assertEquals(40, local.segment().get(ValueLayout.JAVA_LONG, 8));
        assertEquals(42, target.segment().get(ValueLayout.JAVA_LONG, 64));
        assertGuardsIntact();
    }

    /** Compare-and-swap swaps on a match and returns the old value. If this fails, check CAS semantics. */
    @Test
    void at_cmpSwap_match() {
        require(Capability.ATOMIC_CMP_SWAP);
        connect();
        target.segment().set(ValueLayout.JAVA_LONG, 0, 7);
        assertEquals(PostStatus.OK, endpoint.compareAndSwap(1, local, 0, remote, 0, 7, 99));
        assertAtomicSucceeded(await(1).get(0), 1, dev.weft.Opcode.COMPARE_AND_SWAP);
        assertEquals(7, local.segment().get(ValueLayout.JAVA_LONG, 0));
        assertEquals(99, target.segment().get(ValueLayout.JAVA_LONG, 0));
    }

    /** Compare-and-swap leaves the word on a mismatch and returns it. If this fails, check CAS semantics. */
    @Test
    void at_cmpSwap_mismatch() {
        require(Capability.ATOMIC_CMP_SWAP);
        connect();
        target.segment().set(ValueLayout.JAVA_LONG, 0, 8);
        assertEquals(PostStatus.OK, endpoint.compareAndSwap(1, local, 0, remote, 0, 7, 99));
        assertAtomicSucceeded(await(1).get(0), 1, dev.weft.Opcode.COMPARE_AND_SWAP);
        assertEquals(8, local.segment().get(ValueLayout.JAVA_LONG, 0));
        assertEquals(8, target.segment().get(ValueLayout.JAVA_LONG, 0));
    }

    /** N endpoints × k fetch-and-adds on one word give exactly N·k. If this fails, check atomicity across endpoints. */
    @Test
    void at_concurrentIncrementsAreExact() throws Exception {
        require(Capability.ATOMIC_FETCH_ADD);
        connect();
        int n = 4;
        int k = 500;
        target.segment().set(ValueLayout.JAVA_LONG, 128, 0);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int t = 0; t < n; t++) {
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    CompletionQueue q = clientDomain.openCompletionQueue(64);
                    Endpoint e = clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(q));
                    CompletionBatch batch = new CompletionBatch(4); // one per thread: batches are not thread-safe
                    for (int i = 0; i < k; i++) {
                        if (e.fetchAndAdd(i, local, 64L * id, remote, 128, 1) != PostStatus.OK) {
                            throw new AssertionError("post failed");
                        }
                        if (q.await(batch, 30, java.util.concurrent.TimeUnit.SECONDS) != 1 || batch.get(0).workRequestId() != i) {
                            throw new AssertionError("fetch-and-add " + i + " of thread " + id + " did not complete exactly once");
                        }
                        assertAtomicSucceeded(batch.get(0), i, dev.weft.Opcode.FETCH_AND_ADD);
                    }
                } catch (Throwable x) {
                    errors.add(x);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(List.of(), errors);
        assertEquals((long) n * k, target.segment().get(ValueLayout.JAVA_LONG, 128));
    }

    /** Fetch-and-add wraps around like 64-bit hardware. If this fails, check the arithmetic. */
    @Test
    void at_fetchAdd_wraps() {
        require(Capability.ATOMIC_FETCH_ADD);
        connect();
        target.segment().set(ValueLayout.JAVA_LONG, 0, Long.MAX_VALUE);
        assertEquals(PostStatus.OK, endpoint.fetchAndAdd(1, local, 0, remote, 0, 1));
        assertAtomicSucceeded(await(1).get(0), 1, dev.weft.Opcode.FETCH_AND_ADD);
        assertEquals(Long.MIN_VALUE, target.segment().get(ValueLayout.JAVA_LONG, 0));
    }

    /** An atomic on the last word of the region succeeds; one past it is refused. If this fails, check the bounds of atomics. */
    @Test
    void at_lastWordAndBeyond() {
        require(Capability.ATOMIC_FETCH_ADD);
        connect();
        long last = target.length() - 8;
        assertEquals(PostStatus.OK, endpoint.fetchAndAdd(1, local, 0, remote, last, 1));
        assertAtomicSucceeded(await(1).get(0), 1, dev.weft.Opcode.FETCH_AND_ADD);
        assertEquals(PostStatus.OK, endpoint.fetchAndAdd(2, local, 0, remote, last + 8, 1));
        assertEquals(Status.REMOTE_ACCESS_ERROR, await(1).get(0).status());
        assertGuardsIntact();
    }

    /** An atomic on a misaligned address is REMOTE_INVALID_REQUEST and changes nothing. If this fails, check alignment. */
    @Test
    void at_misalignedRejected() {
        require(Capability.ATOMIC_FETCH_ADD);
        connect();
        PostStatus posted = endpoint.fetchAndAdd(1, local, 0, remote, 4, 1);
        if (posted == PostStatus.OK) {
            assertEquals(Status.REMOTE_INVALID_REQUEST, await(1).get(0).status());
        } else {
            // Some devices (rxe) check alignment when the request is posted; then no completion follows.
            assertEquals(PostStatus.INVALID, posted, "a misaligned atomic is refused at post time or completes with REMOTE_INVALID_REQUEST");
            await(0);
        }
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target");
        assertGuardsIntact();
    }
}
