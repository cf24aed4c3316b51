package dev.weft.provider.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.Fabric;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import java.io.File;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Thousands of fabrics, regions and endpoints opened and closed: threads and file descriptors return to baseline. */
@Timeout(180)
class ResourceLeakTest {
    private static int fds() {
        String[] list = new File("/proc/self/fd").list();
        return list == null ? -1 : list.length;
    }

    private static int settledThreads(int baseline) throws InterruptedException {
        int n = Thread.activeCount();
        for (int i = 0; i < 100 && n > baseline; i++) {
            Thread.sleep(20);
            n = Thread.activeCount();
        }
        return n;
    }

    @Test
    void openAndCloseThousandsOfObjects() throws Exception {
        cycle(20); // warm up class loading, thread pools and caches
        System.gc();
        int threads = settledThreads(Integer.MAX_VALUE);
        int fds = fds();
        cycle(1000);
        assertTrue(settledThreads(threads) <= threads, "threads: " + Thread.activeCount() + " after, " + threads + " before");
        int after = fds();
        for (int i = 0; i < 100 && after > fds; i++) {
            Thread.sleep(20);
            after = fds();
        }
        assertTrue(after <= fds, "file descriptors: " + after + " after, " + fds + " before");
    }

    private static void cycle(int rounds) {
        try (Arena arena = Arena.ofShared()) {
            var segment = arena.allocate(4096);
            for (int i = 0; i < rounds; i++) {
                try (Fabric server = Fabrics.open("tcp://127.0.0.1:0"); Fabric client = Fabrics.open("tcp://127.0.0.1:0")) {
                    Domain sd = server.openDomain();
                    MemoryRegion target = sd.register(segment, Access.LOCAL_WRITE, Access.REMOTE_WRITE);
                    Listener listener = sd.listen(EndpointConfig.of(sd.openCompletionQueue(8)));
                    listener.publish("t", target);
                    Domain cd = client.openDomain();
                    var cq = cd.openCompletionQueue(8);
                    Endpoint e = cd.connect(listener.uri().withRegion("t"), EndpointConfig.of(cq));
                    for (int r = 0; r < 10; r++) {
                        cd.register(segment, Access.LOCAL_WRITE).close();
                    }
                    if (i % 2 == 0) {
                        e.close(); // explicit close on half the rounds, parent close on the others
                    }
                }
            }
        }
        assertEquals(0, 0);
    }

    /**
     * A long-lived fabric remembers nothing per registration: remote keys come from a keyed permutation of a counter,
     * not from random draws checked against a set of every key issued (about 64 bytes per registration for the
     * fabric's life, before the fix). The keys stay distinct, non-zero and random-looking.
     */
    @Test
    void remoteKeysNeedNoMemoryPerKeyAndNeverRepeat() {
        try (Fabric fabric = Fabrics.open("tcp://127.0.0.1:0")) {
            TcpFabric tcp = (TcpFabric) fabric;
            java.util.HashSet<Long> seen = new java.util.HashSet<>();
            long bitsChanged = 0;
            long previous = tcp.newKey();
            for (int i = 0; i < 50_000; i++) {
                long key = tcp.newKey();
                assertTrue(key != 0 && seen.add(key), "key " + key + " repeated or zero");
                bitsChanged += Long.bitCount(key ^ previous);
                previous = key;
            }
            double mean = bitsChanged / 50_000.0;
            assertTrue(mean > 30 && mean < 34, "consecutive keys differ in " + mean + " of 64 bits on average (random: 32)");
            seen = null;
            long before = retainedHeap();
            for (int i = 0; i < 400_000; i++) {
                tcp.newKey();
            }
            long grown = retainedHeap() - before;
            assertTrue(grown < (8 << 20), "400,000 keys grew the retained heap by " + grown + " bytes");
        }
    }

    private static long retainedHeap() {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return rt.totalMemory() - rt.freeMemory();
    }
}
