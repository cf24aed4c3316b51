package dev.weft.provider.softroce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import dev.weft.Transport;
import dev.weft.provider.softroce.testbed.OnSoftRoce;
import dev.weft.provider.softroce.testbed.Testbed;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The softroce provider: finding, creating and using rxe devices; each case runs in the testbed. */
@OnSoftRoce
class SoftRoceProviderTest {
    @Test
    void findsTheRxeOnDummy0AndMovesData() {
        try (Fabric server = Fabrics.open("softroce://dummy0"); Fabric client = Fabrics.open("verbs://" + Testbed.address() + ":0");
             Arena arena = Arena.ofShared()) {
            assertTrue(server.info().transports().contains(Transport.ROCE_V2), server.info().toString());
            Domain sd = server.openDomain();
            MemorySegment target = arena.allocate(4096, 4096);
            MemoryRegion region = sd.register(target, Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
            Listener listener = sd.listen(EndpointConfig.of(sd.openCompletionQueue(64)));
            listener.publish("data", region);
            Domain cd = client.openDomain();
            CompletionQueue q = cd.openCompletionQueue(64);
            MemorySegment local = arena.allocate(4096, 4096);
            MemoryRegion lr = cd.register(local, Access.LOCAL_WRITE);
            Endpoint e = cd.connect(listener.uri().withRegion("data"), EndpointConfig.of(q));
            RemoteRegion remote = e.wellKnownRegion().orElseThrow();
            local.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
            assertEquals(PostStatus.OK, e.write(1, lr, 0, 8, remote, 128));
            CompletionBatch batch = new CompletionBatch(4);
            assertEquals(1, q.await(batch, 10, TimeUnit.SECONDS));
            assertEquals(Status.SUCCESS, batch.get(0).status());
            assertEquals(0x1122334455667788L, target.get(ValueLayout.JAVA_LONG, 128));
            assertTrue(listener.accept(Duration.ofSeconds(5)) != null, "the listener hands out the accepted endpoint");
        }
    }

    @Test
    void createsAnRxeOnAFreshInterface() throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "ip link add dummy7 type dummy && ip link set dummy7 up && ip addr add 198.51.100.7/24 dev dummy7")
                .inheritIO().start();
        assertEquals(0, p.waitFor());
        try (Fabric f = Fabrics.open("softroce://dummy7")) {
            assertTrue(f.info().transports().contains(Transport.ROCE_V2));
        }
        assertEquals("rxe_dummy7", SoftRoceProvider.rxeOn("dummy7").orElseThrow());
    }

    @Test
    void unknownInterfaceIsNamed() {
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open("softroce://nosuch0"));
        assertEquals(ErrorCode.INVALID_URI, e.code());
        assertTrue(e.getMessage().contains("nosuch0") && e.getMessage().contains("dummy0"), e.getMessage());
    }
}
