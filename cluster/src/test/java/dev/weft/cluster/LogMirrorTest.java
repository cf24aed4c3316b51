package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LogMirror} on its own: two mirrors joined by hand-made links over the TCP provider (the
 * writer's link to the reader's memory, as a connection manager would hand it), without a node.
 */
@Timeout(60)
class LogMirrorTest {
    /** The reader's side of a link: its fabric, with the reader mirror's memory published as {@code client.NAME}. */
    private static final class Reader implements AutoCloseable {
        final Fabric fabric;
        final String uri;

        Reader(LogMirror mirror) throws Exception {
            uri = "tcp://127.0.0.1:" + ClusterScenarios.port();
            fabric = Fabrics.open(uri);
            Domain domain = fabric.openDomain();
            MemoryRegion memory = domain.register(mirror.partnerMemory(), Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE);
            Listener listener = domain.listen(EndpointConfig.of(domain.openCompletionQueue(16)));
            listener.publish("client." + mirror.name(), memory);
        }

        @Override
        public void close() {
            fabric.close();
        }
    }

    /** The writer's side: its fabric, in which it makes links to readers. */
    private static final class Writer implements AutoCloseable {
        final Fabric fabric;
        final Domain domain;
        final MemoryRegion partnerMemory;
        final MemoryRegion sendMemory;

        Writer(LogMirror mirror) throws Exception {
            fabric = Fabrics.open("tcp://127.0.0.1:" + ClusterScenarios.port());
            domain = fabric.openDomain();
            partnerMemory = domain.register(mirror.partnerMemory(), Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE);
            sendMemory = domain.register(mirror.sendMemory(), Access.LOCAL_WRITE);
        }

        /** @return a link to {@code reader}'s mirror of that name, as a manager would hand it to {@code linkUp} */
        ClientLink linkTo(Reader reader, String name) {
            CompletionQueue queue = domain.openCompletionQueue(64);
            Endpoint endpoint = domain.connect(FabricUri.parse(reader.uri + "/client." + name), EndpointConfig.of(queue));
            return new ClientLink(0, endpoint, queue, endpoint.wellKnownRegion().orElseThrow(), partnerMemory, sendMemory);
        }

        @Override
        public void close() {
            fabric.close();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static FabricException refused(ErrorCode code, org.junit.jupiter.api.function.Executable call, String... words) {
        FabricException e = assertThrows(FabricException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), e.getMessage());
        }
        return e;
    }

    /**
     * Records whose append timed out stay queued under their sequence numbers, and at most {@code capacity} of them
     * wait: a further append is refused instead of overwriting the oldest one's local copy. Before, with capacity 2,
     * r1..r3 timed out, and once a link came the partner received r3 as record 1 (and the caller who retried r3 got it
     * mirrored twice).
     */
    @Test
    void recordsThatTimedOutStayQueuedAndNoMoreThanCapacityWait() throws Exception {
        LogMirror a = new LogMirror(2, Duration.ofMillis(50));
        LogMirror b = new LogMirror(2, Duration.ofSeconds(5));
        try (Reader reader = new Reader(b); Writer writer = new Writer(a)) {
            refused(ErrorCode.TIMEOUT, () -> a.append(bytes("r1")), "record 1 could not be mirrored", "stays queued as record 1",
                    "do not append it again");
            refused(ErrorCode.TIMEOUT, () -> a.append(bytes("r2")), "record 2");
            refused(ErrorCode.RESOURCE_EXHAUSTED, () -> a.append(bytes("r3")), "appended 2, confirmed 0, capacity 2",
                    "was not appended");
            assertEquals(2, a.appended(), "the refused record was not appended");
            assertEquals(0, a.confirmed());

            a.linkUp(writer.linkTo(reader, "mirror"));
            assertEquals(2, a.flush(), "the queued records are shipped");
            assertEquals(2, b.mirroredUpTo());
            assertArrayEquals(bytes("r1"), b.mirrored(1));
            assertArrayEquals(bytes("r2"), b.mirrored(2));
            assertEquals(3, a.append(bytes("r3")));
            assertEquals(3, b.mirroredUpTo());
            assertArrayEquals(bytes("r2"), b.mirrored(2));
            assertArrayEquals(bytes("r3"), b.mirrored(3));
            assertEquals(3, a.confirmed());
        } finally {
            a.close();
            a.release();
            b.release();
        }
    }
}
