package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.Endpoint;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.ScatterGatherList;
import dev.weft.Status;
import java.lang.management.ManagementFactory;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Area 3: RDMA write and read. */
public abstract class RmaTck extends TckBase {
    /** Creates the area. */
    protected RmaTck() {
    }

    private static final int BIG = 16 << 20;
    private static final int WARM_UP_OPERATIONS = 20_000;
    private static final int COUNTED_OPERATIONS = 5_000;

    /**
     * Connects with regions that hold {@code size} bytes; skips the case (strict or not) where {@code size} is above the
     * provider's declared {@code maxMessageSize}: a limit declared is honest, and {@code rma_write_largest},
     * {@code rma_read_largest} and {@code rma_overMaxMessageSizeIsInvalid} test the declared limit itself.
     */
    private void connectFor(int size) {
        long max = info().limits().maxMessageSize();
        if (size > max) {
            Assumptions.abort("the provider does not declare a maxMessageSize of " + size + " bytes or more (it declares " + max
                    + "); rma_write_largest and rma_read_largest test its limit");
        }
        int region = Math.max(1 << 16, size + 64);
        connect(region, region, EnumSet.allOf(Access.class));
    }

    /** @return the size of the largest-request cases: 16 MiB, or the provider's maxMessageSize where that is smaller */
    private int largest() {
        return (int) Math.min(BIG, info().limits().maxMessageSize());
    }

    /** Write of every size from 1 B to 1 MiB, odd sizes included, lands byte for byte. If this fails, check payload framing. */
    @ParameterizedTest(name = "rma_write_size[{0}]")
    @ValueSource(ints = {1, 7, 8, 63, 4096, 65537, 1 << 20})
    void rma_write_size(int size) {
        writeLandsByteForByte(size);
    }

    /**
     * Write of the largest request the provider declares ({@code maxMessageSize}), at most 16 MiB, lands byte for byte.
     * If this fails, check payload framing of large messages, or that the declared limit is the device's.
     */
    @Test
    void rma_write_largest() {
        writeLandsByteForByte(largest());
    }

    private void writeLandsByteForByte(int size) {
        connectFor(size);
        pattern(local.segment(), 0, size, size);
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, size, remote, 0));
        Completion c = await(1).get(0);
        assertEquals(Status.SUCCESS, c.status(), c::toString);
        assertEquals(Opcode.WRITE, c.opcode(), () -> "a write's completion names its operation: " + c);
        assertFrom(endpoint, List.of(c));
        assertPlaced(() -> {
            assertPattern(target.segment(), 0, size, size);
            assertFilled(target.segment(), size, target.length(), TARGET_FILL, "target beyond the write");
        });
        assertGuardsIntact();
    }

    /** Read of every size from 1 B to 1 MiB returns the target's bytes. If this fails, check read responses. */
    @ParameterizedTest(name = "rma_read_size[{0}]")
    @ValueSource(ints = {1, 7, 8, 63, 4096, 65537, 1 << 20})
    void rma_read_size(int size) {
        require(Capability.RMA_READ);
        readReturnsTheTargetsBytes(size);
    }

    /**
     * Read of the largest request the provider declares ({@code maxMessageSize}), at most 16 MiB, returns the target's
     * bytes. If this fails, check read responses of large messages, or that the declared limit is the device's.
     */
    @Test
    void rma_read_largest() {
        require(Capability.RMA_READ);
        readReturnsTheTargetsBytes(largest());
    }

    private void readReturnsTheTargetsBytes(int size) {
        connectFor(size);
        pattern(target.segment(), 0, size, size + 1);
        local.segment().fill((byte) 0);
        assertEquals(PostStatus.OK, endpoint.read(1, local, 0, size, remote, 0));
        Completion c = await(1).get(0);
        assertEquals(Status.SUCCESS, c.status(), c::toString);
        assertEquals(Opcode.READ, c.opcode(), () -> "a read's completion names its operation: " + c);
        assertFrom(endpoint, List.of(c));
        assertEquals(size, c.byteCount(), () -> "a read's completion reports the bytes requested (Completion.byteCount): " + c);
        assertPattern(local.segment(), 0, size, size + 1);
        assertFilled(local.segment(), size, local.length(), (byte) 0, "local beyond the read sink");
        assertGuardsIntact();
    }

    /**
     * A write or read one byte longer than the provider's {@code maxMessageSize} answers INVALID with nothing queued,
     * although both regions hold it; a request of exactly the limit then succeeds. Runs where the limit is below
     * {@code Integer.MAX_VALUE} (a longer length is expressible). If this fails, check that posting compares a
     * request's length with the declared limit.
     */
    @Test
    void rma_overMaxMessageSizeIsInvalid() {
        long max = info().limits().maxMessageSize();
        if (max >= Integer.MAX_VALUE) {
            Assumptions.abort("the provider does not declare a maxMessageSize below 2^31 - 1 (no request length exceeds it)");
        }
        int over = (int) max + 1;
        connect(over, over, EnumSet.allOf(Access.class));
        assertEquals(PostStatus.INVALID, endpoint.write(1, local, 0, over, remote, 0), "a write of maxMessageSize + 1 = " + over + " bytes");
        if (info().supports(Capability.RMA_READ)) {
            assertEquals(PostStatus.INVALID, endpoint.read(2, local, 0, over, remote, 0), "a read of maxMessageSize + 1 = " + over + " bytes");
        }
        pattern(local.segment(), 0, (int) max, 3);
        assertEquals(PostStatus.OK, endpoint.write(3, local, 0, (int) max, remote, 0), "a write of exactly maxMessageSize");
        List<Completion> c = await(1);
        assertEquals(3, c.get(0).workRequestId(), "the refused requests were not queued: the first completion is the later write's");
        assertEquals(Status.SUCCESS, c.get(0).status(), c.get(0)::toString);
        assertPlaced(() -> assertPattern(target.segment(), 0, (int) max, 3));
        assertGuardsIntact();
    }

    /** Odd local and remote offsets. If this fails, check offset arithmetic. */
    @Test
    void rma_write_oddOffsets() {
        connect();
        pattern(local.segment(), 3, 1001, 9);
        assertEquals(PostStatus.OK, endpoint.write(1, local, 3, 1001, remote, 5));
        assertEquals(Status.SUCCESS, await(1).get(0).status());
        assertPlaced(() -> {
            assertFilled(target.segment(), 0, 5, TARGET_FILL, "before the write");
            assertPattern(target.segment(), 5, 1001, 9);
            assertFilled(target.segment(), 1006, target.length(), TARGET_FILL, "after the write");
        });
        assertGuardsIntact();
    }

    /** A write that ends exactly at the end of the region succeeds. If this fails, check the bounds check's edge. */
    @Test
    void rma_write_exactFit() {
        connect();
        long at = target.length() - 100;
        pattern(local.segment(), 0, 100, 1);
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, 100, remote, at));
        assertEquals(Status.SUCCESS, await(1).get(0).status());
        assertPlaced(() -> assertPattern(target.segment(), at, 100, 1));
        assertGuardsIntact();
    }

    /** A read of the last bytes of the region succeeds. If this fails, check the bounds check's edge. */
    @Test
    void rma_read_exactFit() {
        require(Capability.RMA_READ);
        connect();
        long at = target.length() - 64;
        pattern(target.segment(), at, 64, 2);
        assertEquals(PostStatus.OK, endpoint.read(1, local, local.length() - 64, 64, remote, at));
        Completion c = await(1).get(0);
        assertEquals(Status.SUCCESS, c.status(), c::toString);
        assertEquals(64, c.byteCount(), () -> "a read's completion reports the bytes requested (Completion.byteCount): " + c);
        assertPattern(local.segment(), local.length() - 64, 64, 2);
        assertGuardsIntact();
    }

    /** A zero-length write completes and changes nothing. If this fails, check empty payloads. */
    @Test
    void rma_write_zeroLength() {
        connect();
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, 0, remote, 0));
        assertEquals(Status.SUCCESS, await(1).get(0).status());
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target");
        assertGuardsIntact();
    }

    /** A write gathers three local segments in order. If this fails, check scatter-gather lists. */
    @Test
    void rma_write_scatterGather() {
        require(Capability.SCATTER_GATHER);
        connect();
        pattern(local.segment(), 0, 3000, 4);
        ScatterGatherList sgl = new ScatterGatherList(3).add(local, 2000, 1000).add(local, 0, 10).add(local, 500, 490);
        assertEquals(PostStatus.OK, endpoint.write(1, sgl, remote.address(), remote.key()));
        assertEquals(Status.SUCCESS, await(1).get(0).status());
        assertPlaced(() -> {
            for (int i = 0; i < 1000; i++) {
                assertEquals((byte) ((2000 + i) * 31 + 4), target.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
            }
            assertPattern(target.segment(), 1000, 10, 4);
            for (int i = 0; i < 490; i++) {
                assertEquals((byte) ((500 + i) * 31 + 4), target.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 1010 + i));
            }
            assertFilled(target.segment(), 1500, target.length(), TARGET_FILL, "after the gathered write");
        });
        assertGuardsIntact();
    }

    /** A read scatters into two local segments. If this fails, check scatter-gather lists on reads. */
    @Test
    void rma_read_scatterGather() {
        require(Capability.RMA_READ);
        require(Capability.SCATTER_GATHER);
        connect();
        pattern(target.segment(), 0, 200, 5);
        local.segment().fill((byte) 0);
        ScatterGatherList sgl = new ScatterGatherList(2).add(local, 1000, 150).add(local, 0, 50);
        assertEquals(PostStatus.OK, endpoint.read(1, sgl, remote.address(), remote.key()));
        Completion c = await(1).get(0);
        assertEquals(Status.SUCCESS, c.status(), c::toString);
        assertEquals(200, c.byteCount(), () -> "a scattering read's completion reports the bytes requested, the list's total: " + c);
        assertPattern(local.segment(), 1000, 150, 5);
        for (int i = 0; i < 50; i++) {
            assertEquals((byte) ((150 + i) * 31 + 5), local.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
        }
        assertGuardsIntact();
    }

    /** Write-with-immediate lands the data and completes a receive with the immediate. If this fails, check WRITE_IMM. */
    @Test
    void rma_writeWithImmediate() {
        require(Capability.WRITE_IMM);
        connect();
        Endpoint server = accepted();
        MemoryRegion rbuf = serverDomain.register(arena.allocate(64), Access.LOCAL_WRITE);
        assertEquals(PostStatus.OK, server.receive(77, rbuf, 0, 64));
        pattern(local.segment(), 0, 256, 6);
        assertEquals(PostStatus.OK, endpoint.writeWithImmediate(1, local, 0, 256, remote.address() + 64, remote.key(), 0x1234ABCD));
        Completion w = assertFrom(endpoint, await(1)).get(0);
        assertEquals(Status.SUCCESS, w.status(), w::toString);
        assertEquals(Opcode.WRITE_WITH_IMMEDIATE, w.opcode(), () -> "the sender's completion of a write-with-immediate names its operation: " + w);
        Completion r = assertFrom(server, await(serverQueue, 1)).get(0);
        assertEquals(Status.SUCCESS, r.status());
        assertEquals(77, r.workRequestId());
        assertEquals(Opcode.RECEIVE_WRITE_WITH_IMMEDIATE, r.opcode());
        assertTrue(r.hasImmediate());
        assertEquals(0x1234ABCD, r.immediate());
        assertEquals(256, r.byteCount(), "the receive of a write-with-immediate reports the bytes the write placed");
        assertPattern(target.segment(), 64, 256, 6);
        assertGuardsIntact();
    }

    /** A read posted after a write to the same bytes sees the write. If this fails, check ordering on one endpoint. */
    @Test
    void rma_order_writeThenRead() {
        require(Capability.RMA_READ);
        connect();
        for (int round = 0; round < 50; round++) {
            pattern(local.segment(), 0, 512, round);
            assertEquals(PostStatus.OK, endpoint.write(2L * round, local, 0, 512, remote, 0));
            assertEquals(PostStatus.OK, endpoint.read(2L * round + 1, local, 4096, 512, remote, 0));
            List<Completion> c = await(2);
            assertInPostedOrder(c, 2L * round, 2L * round + 1);
            assertEquals(512, c.get(1).byteCount(), () -> "a read's completion reports the bytes requested: " + c.get(1));
            assertPattern(local.segment(), 4096, 512, round);
        }
        assertGuardsIntact();
    }

    /**
     * Once warm, posting and polling allocate nothing on the caller's thread (the data path returns codes and never
     * allocates): 8-byte writes, and reads where the provider has them, each posted and polled to completion with
     * one reused batch, {@value #WARM_UP_OPERATIONS} times to warm up and {@value #COUNTED_OPERATIONS} times counted
     * with the JVM's per-thread allocation counter; empty polls count too. If this fails, look for boxing, varargs,
     * capturing lambdas, iterators, lock queue nodes or per-operation objects on the post and poll paths.
     */
    @Test
    void rma_steadyStateAllocatesNothing() {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads)
                || !threads.isThreadAllocatedMemorySupported() || !threads.isThreadAllocatedMemoryEnabled()) {
            requireThat(false, "this JVM does not count the bytes each thread allocates");
            return;
        }
        connect();
        boolean reads = info().capabilities().contains(Capability.RMA_READ);
        CompletionBatch batch = new CompletionBatch(4);
        long waitNanos = TimeUnit.SECONDS.toNanos(completionWaitSeconds());
        postAndPoll(batch, reads, 0, WARM_UP_OPERATIONS, waitNanos);
        long before = threads.getCurrentThreadAllocatedBytes();
        postAndPoll(batch, reads, WARM_UP_OPERATIONS, COUNTED_OPERATIONS, waitNanos);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(0, allocated, allocated + " bytes allocated by " + COUNTED_OPERATIONS + " warm posts and polls"
                + (reads ? " (writes and reads)" : " (writes)") + " on the caller's thread; expected none");
        assertGuardsIntact();
    }

    /**
     * Posts {@code n} 8-byte writes (each followed by a read if {@code reads}) and polls each to completion, waiting
     * up to {@code waitNanos} for each ({@code weft.tck.completionWaitSeconds}, read once by the caller so that the
     * counted loop does not look up a system property).
     */
    private void postAndPoll(CompletionBatch batch, boolean reads, long first, int n, long waitNanos) {
        for (long i = first; i < first + n; i++) {
            completeOne(batch, i, endpoint.write(i, local, 0, 8, remote, 0), waitNanos);
            if (reads) {
                completeOne(batch, i, endpoint.read(i, local, 64, 8, remote, 0), waitNanos);
            }
        }
    }

    private void completeOne(CompletionBatch batch, long wrId, PostStatus posted, long waitNanos) {
        if (posted != PostStatus.OK) {
            fail("post #" + wrId + " answered " + posted);
        }
        long deadline = System.nanoTime() + waitNanos;
        int n;
        while ((n = queue.poll(batch)) == 0) {
            if (System.nanoTime() - deadline > 0) {
                fail("request #" + wrId + " did not complete within " + TimeUnit.NANOSECONDS.toSeconds(waitNanos)
                        + " s (weft.tck.completionWaitSeconds)");
            }
            Thread.onSpinWait();
        }
        if (n != 1 || batch.get(0).status() != Status.SUCCESS || batch.get(0).workRequestId() != wrId) {
            fail("request #" + wrId + ": poll answered " + n + (n > 0 ? ", first " + batch.get(0) : "") + "; expected its one SUCCESS");
        }
    }
}
