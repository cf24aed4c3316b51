package dev.weft.provider.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.Access;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.Fabric;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Two peers move large transfers to each other at the same moment: each side posts four 16 MiB writes (or reads) per
 * round, five rounds, and every byte is checked. On one connection (both peers initiate on the same endpoint pair)
 * both directions of the socket fill at once; the target sides must keep reading while the answers they owe wait for
 * room, or both peers wait for each other for ever. In manual progress each side has a single thread, which posts and
 * then polls: a post waiting for the socket must serve the peer's input meanwhile. Also on two connections, one per
 * initiating side.
 */
class TcpBidirectionalTest {
    private static final int SIZE = 16 << 20;
    private static final int PER_ROUND = 4;

    @ParameterizedTest(name = "{0} connection, {1} progress, {2}s")
    @CsvSource({"one, auto, write", "one, auto, read", "one, manual, write", "one, manual, read",
                "two, auto, write", "two, auto, read"})
    void largeTransfersBothWaysAtOnce(String connections, String progress, String op) throws Exception {
        boolean reads = op.equals("read");
        String uri = "tcp://127.0.0.1:0" + (progress.equals("manual") ? "?progress=manual" : "");
        // the fabrics close before the threads are waited for: a post still waiting for the socket then returns
        try (ExecutorService threads = Executors.newFixedThreadPool(2);
             Arena arena = Arena.ofShared();
             Fabric fa = Fabrics.open(uri);
             Fabric fb = Fabrics.open(uri)) {
            Domain da = fa.openDomain();
            Domain db = fb.openDomain();
            CompletionQueue qa = da.openCompletionQueue(64);
            CompletionQueue qb = db.openCompletionQueue(64);
            EnumSet<Access> rights = EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
            MemoryRegion ma = da.register(arena.allocate(2L * SIZE, 4096), rights);
            MemoryRegion mb = db.register(arena.allocate(2L * SIZE, 4096), rights);
            Listener listener = db.listen(EndpointConfig.of(qb));
            listener.publish("m", mb);
            Endpoint aInitiates = da.connect(listener.uri().withRegion("m"), EndpointConfig.of(qa));
            Endpoint bInitiates = listener.accept(Duration.ofSeconds(5));
            if (connections.equals("two")) {
                da.connect(listener.uri(), EndpointConfig.of(qa));
                bInitiates = listener.accept(Duration.ofSeconds(5));
            }
            Endpoint bSide = bInitiates;
            RemoteRegion atB = aInitiates.wellKnownRegion().orElseThrow();
            RemoteRegion atA = ma.toRemote();
            for (int round = 1; round <= 5; round++) {
                byte aByte = (byte) round;
                byte bByte = (byte) (round + 100);
                ma.segment().fill(aByte);
                mb.segment().fill(bByte);
                CyclicBarrier start = new CyclicBarrier(2);
                CountDownLatch finished = new CountDownLatch(2);
                CompletableFuture<Void> a = CompletableFuture.runAsync(() -> transfer(start, finished, aInitiates, qa, ma, atB, reads), threads);
                CompletableFuture<Void> b = CompletableFuture.runAsync(() -> transfer(start, finished, bSide, qb, mb, atA, reads), threads);
                a.get(60, TimeUnit.SECONDS);
                b.get(60, TimeUnit.SECONDS);
                // a write moved each side's first half into the other's second half; a read the other's second half into the first
                assertFilled(ma, reads ? 0 : SIZE, bByte, "A, round " + round);
                assertFilled(mb, reads ? 0 : SIZE, aByte, "B, round " + round);
            }
        }
    }

    /**
     * Posts this side's transfers and waits for their completions; then keeps polling until the other side is done too
     * (in manual progress the peer's requests are served only while this side polls).
     */
    private static void transfer(CyclicBarrier start, CountDownLatch finished, Endpoint e, CompletionQueue q, MemoryRegion mine,
                                 RemoteRegion theirs, boolean reads) {
        try {
            start.await(10, TimeUnit.SECONDS);
        } catch (Exception x) {
            throw new AssertionError("the other side did not start", x);
        }
        for (int i = 0; i < PER_ROUND; i++) {
            PostStatus s = reads ? e.read(i, mine, 0, SIZE, theirs, SIZE) : e.write(i, mine, 0, SIZE, theirs, SIZE);
            assertEquals(PostStatus.OK, s);
        }
        CompletionBatch batch = new CompletionBatch(PER_ROUND);
        int done = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(50);
        while (done < PER_ROUND && System.nanoTime() < deadline) {
            int n = q.await(batch, 100, TimeUnit.MILLISECONDS);
            for (int i = 0; i < n; i++) {
                assertEquals(Status.SUCCESS, batch.get(i).status(), () -> "completion " + batch.get(0));
                done++;
            }
        }
        assertEquals(PER_ROUND, done, "completions within 50 s");
        finished.countDown();
        while (finished.getCount() > 0 && System.nanoTime() < deadline) {
            assertEquals(0, q.await(batch, 10, TimeUnit.MILLISECONDS), "no completion beyond this side's transfers");
        }
    }

    private static void assertFilled(MemoryRegion region, long from, byte value, String where) {
        for (long i = from; i < from + SIZE; i += 4093) {
            assertEquals(value, region.segment().get(ValueLayout.JAVA_BYTE, i), where + ", byte " + i);
        }
        assertEquals(value, region.segment().get(ValueLayout.JAVA_BYTE, from + SIZE - 1), where + ", last byte");
    }
}
