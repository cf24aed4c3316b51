package dev.weft.tools;

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
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's first program, kept compiling and true. */
class ReadmeExampleTest {
    @Test
    @Timeout(30)
    void readmeExampleWritesAndReadsBack() {
        String result;
        try (Fabric server = Fabrics.open("tcp://127.0.0.1:0");
             Fabric client = Fabrics.open("tcp://127.0.0.1:0");
             Arena arena = Arena.ofShared()) {
            Domain sd = server.openDomain();
            MemoryRegion target = sd.register(arena.allocate(4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
            Listener listener = sd.listen(EndpointConfig.of(sd.openCompletionQueue(64)));
            listener.publish("config", target);

            Domain cd = client.openDomain();
            CompletionQueue cq = cd.openCompletionQueue(64);
            MemoryRegion local = cd.register(arena.allocate(4096), Access.LOCAL_WRITE);
            Endpoint ep = cd.connect(listener.uri().withRegion("config"), EndpointConfig.of(cq));
            RemoteRegion remote = ep.wellKnownRegion().orElseThrow();

            local.segment().setString(0, "hello, RDMA");
            assertEquals(PostStatus.OK, ep.write(1, local, 0, 64, remote, 0));
            assertEquals(PostStatus.OK, ep.read(2, local, 64, 64, remote, 0));
            CompletionBatch batch = new CompletionBatch(16);
            for (int done = 0; done < 2; ) {
                done += cq.await(batch, 1, TimeUnit.SECONDS);
                for (int i = 0; i < batch.size(); i++) {
                    assertEquals(dev.weft.Status.SUCCESS, batch.get(i).status());
                }
            }
            result = local.segment().getString(64);
        }
        assertEquals("hello, RDMA", result);
    }
}
