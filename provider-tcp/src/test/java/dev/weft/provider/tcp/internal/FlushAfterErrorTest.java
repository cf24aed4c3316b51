package dev.weft.provider.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.Access;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.lang.foreign.Arena;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What requests posted after an endpoint failed complete with: FLUSHED, whatever status the failure gave the request
 * that was outstanding then (an idle endpoint has none, and a later request must not inherit it).
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FlushAfterErrorTest {
    /** A peer that completes the handshake and closes at once: the endpoint moves to ERROR (RETRY_EXCEEDED) with nothing outstanding. */
    @Test
    void aRequestPostedAfterErrorCompletesFlushed() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Fabric fabric = Fabrics.open("tcp://127.0.0.1:0"); Arena arena = Arena.ofShared()) {
            Thread t = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    Handshake.server(s, TcpConfig.from(FabricUri.parse("tcp://127.0.0.1:0")), Handshake.ST_OK, name -> null,
                            System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                    Thread.sleep(200);
                } catch (Exception ignored) {
                }
            });
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(8);
            Endpoint victim = domain.connect(FabricUri.parse("tcp://127.0.0.1:" + server.getLocalPort()), EndpointConfig.of(queue));
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (victim.state() == EndpointState.CONNECTED && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertEquals(EndpointState.ERROR, victim.state(), victim.toString());
            MemoryRegion r = domain.register(arena.allocate(64), Access.LOCAL_WRITE);
            CompletionBatch batch = new CompletionBatch(4);
            for (int i = 0; i < 3; i++) {
                assertEquals(PostStatus.OK, victim.write(10 + i, r, 0, 8, 0, 1));
                assertEquals(1, queue.await(batch, 5, TimeUnit.SECONDS));
                assertEquals(Status.FLUSHED, batch.get(0).status(), "request " + i + " posted after ERROR");
            }
            t.join(1000);
        }
    }
}
