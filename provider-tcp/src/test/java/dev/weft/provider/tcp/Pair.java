package dev.weft.provider.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.Fabric;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.RemoteRegion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Two TCP fabrics on loopback: a server with a published region and a connected client. Test fixture. */
final class Pair implements AutoCloseable {
    static final int SIZE = 1 << 16;
    static final byte FILL = (byte) 0xA5;

    final Arena arena = Arena.ofShared();
    final Fabric serverFabric;
    final Domain serverDomain;
    final CompletionQueue serverQueue;
    final Listener listener;
    final MemoryRegion target;
    final Fabric clientFabric;
    final Domain clientDomain;
    final CompletionQueue queue;
    final MemoryRegion local;
    final Endpoint endpoint;
    final RemoteRegion remote;
    private final CompletionBatch batch = new CompletionBatch(256);

    Pair() {
        this("", "");
    }

    Pair(String serverParams, String clientParams) {
        serverFabric = Fabrics.open("tcp://127.0.0.1:0" + serverParams);
        serverDomain = serverFabric.openDomain();
        serverQueue = serverDomain.openCompletionQueue(1024);
        target = serverDomain.register(arena.allocate(SIZE, 4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ,
                Access.REMOTE_ATOMIC);
        target.segment().fill(FILL);
        listener = serverDomain.listen(EndpointConfig.of(serverQueue));
        listener.publish("target", target);
        clientFabric = Fabrics.open("tcp://127.0.0.1:0" + clientParams);
        clientDomain = clientFabric.openDomain();
        queue = clientDomain.openCompletionQueue(4096);
        local = clientDomain.register(arena.allocate(SIZE, 4096), Access.LOCAL_WRITE);
        endpoint = clientDomain.connect(listener.uri().withRegion("target"), EndpointConfig.of(queue).withSendQueueDepth(1024));
        remote = endpoint.wellKnownRegion().orElseThrow();
    }

    Endpoint accepted() {
        Endpoint e = listener.accept(java.time.Duration.ofSeconds(5));
        assertTrue(e != null, "the listener accepted the client");
        return e;
    }

    /** Waits for exactly {@code n} completions on {@code q} (fails on more within a short grace period). */
    List<Completion> await(CompletionQueue q, int n) {
        List<Completion> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (got.size() < n && System.nanoTime() < deadline) {
            int k = q.await(batch, 100, TimeUnit.MILLISECONDS);
            for (int i = 0; i < k; i++) {
                got.add(batch.get(i).copy());
            }
        }
        assertEquals(n, got.size(), () -> "completions: " + got);
        int extra = q.await(batch, 50, TimeUnit.MILLISECONDS);
        assertEquals(0, extra, "no completion beyond the posted requests");
        return got;
    }

    List<Completion> await(int n) {
        return await(queue, n);
    }

    static boolean allEqual(MemorySegment s, long from, long to, byte value) {
        for (long i = from; i < to; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != value) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        clientFabric.close();
        serverFabric.close();
        arena.close();
    }
}
