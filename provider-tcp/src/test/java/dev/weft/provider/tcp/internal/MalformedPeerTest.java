package dev.weft.provider.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.CompletionBatch;
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
import dev.weft.RemoteRegion;
import dev.weft.Status;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A hand-written hostile peer: after a valid handshake it sends malformed, oversized or random frames. */
@Timeout(60)
class MalformedPeerTest {

    private interface Attack {
        void send(OutputStream out, RemoteRegion region) throws Exception;
    }

    /** Runs the attack and checks the victim survives it as described; returns the victim's description once in ERROR. */
    private static String survive(Attack attack) throws Exception {
        String described;
        try (Fabric fabric = Fabrics.open("tcp://127.0.0.1:0"); Arena arena = Arena.ofShared()) {
            Domain domain = fabric.openDomain();
            var queue = domain.openCompletionQueue(64);
            MemoryRegion target = domain.register(arena.allocate(4096, 8), Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
            target.segment().fill((byte) 0x11);
            Listener listener = domain.listen(EndpointConfig.of(queue));
            listener.publish("t", target);
            FabricUri uri = listener.uri().withRegion("t");
            try (Socket raw = new Socket("127.0.0.1", uri.port())) {
                raw.setSoTimeout(5000);
                Handshake.Result hs = Handshake.client(raw, TcpConfig.from(FabricUri.parse("tcp://127.0.0.1:0")), uri, System.nanoTime() + 10_000_000_000L);
                Endpoint victim = listener.accept(Duration.ofSeconds(5));
                attack.send(raw.getOutputStream(), hs.region());
                raw.getOutputStream().flush();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (victim.state() == EndpointState.CONNECTED && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(EndpointState.ERROR, victim.state(), "the attacked endpoint moved to ERROR");
                described = victim.toString();
                InputStream in = raw.getInputStream();
                byte[] sink = new byte[4096];
                try {
                    while (in.read(sink) >= 0) {
                        // the victim closes the connection
                    }
                } catch (java.io.IOException reset) {
                    // also a close
                }
            }
            for (long i = 0; i < 4096; i++) {
                assertEquals((byte) 0x11, target.segment().get(ValueLayout.JAVA_BYTE, i), "target memory untouched");
            }
            // the fabric still serves others
            try (Fabric client = Fabrics.open("tcp://127.0.0.1:0")) {
                Domain cd = client.openDomain();
                var cq = cd.openCompletionQueue(8);
                MemoryRegion local = cd.register(arena.allocate(64), Access.LOCAL_WRITE);
                Endpoint ok = cd.connect(uri, EndpointConfig.of(cq));
                assertEquals(PostStatus.OK, ok.read(1, local, 0, 8, ok.wellKnownRegion().orElseThrow(), 0));
                CompletionBatch b = new CompletionBatch(4);
                assertEquals(1, cq.await(b, 5, TimeUnit.SECONDS));
                assertEquals(Status.SUCCESS, b.get(0).status());
            }
        }
        return described;
    }

    /**
     * A peer that sends read requests and never reads the answers: once the socket is full, the victim keeps reading and
     * queues what it owes, and ends the connection when more requests are unanswered than any send queue can hold,
     * instead of queuing without bound.
     */
    @Test
    void aPeerThatNeverReadsItsAnswersIsCutOffAtTheLimitOfOutstandingRequests() throws Exception {
        String victim = survive((out, r) -> {
            byte[] f = new byte[Wire.HEADER_SIZE];
            try {
                for (long seq = 1; seq <= 400_000; seq++) {
                    Wire.header(f, 0, Wire.OP_READ, 0, 0, 0, seq, r.address(), r.key(), 4096, 0);
                    out.write(f);
                }
            } catch (java.io.IOException cutOff) {
                // the victim ended the connection, as expected
            }
        });
        assertTrue(victim.contains("more than " + TcpConfig.MAX_QUEUE_DEPTH + " requests unanswered"), victim);
    }

    /**
     * A HELLO with a field out of range is answered with a WELCOME of status 6 (malformed) before the close, so that the
     * author of another implementation of the wire protocol sees why; the listener goes on serving.
     */
    @Test
    void aMalformedHelloIsAnsweredWithItsStatusBeforeTheClose() throws Exception {
        try (Fabric fabric = Fabrics.open("tcp://127.0.0.1:0")) {
            Domain domain = fabric.openDomain();
            var queue = domain.openCompletionQueue(8);
            Listener listener = domain.listen(EndpointConfig.of(queue));
            int port = listener.uri().port();
            int[][] cases = {{Handshake.MAX_NAME + 1, 4096}, {255, 4096}, {0, 0}, {0, -1}};
            for (int[] c : cases) {
                byte[] hello = new byte[Handshake.HELLO_SIZE];
                Wire.putShort(hello, 0, Handshake.MAGIC);
                hello[2] = Wire.VERSION;
                hello[3] = Wire.VERSION;
                hello[5] = (byte) c[0];
                Wire.putInt(hello, 8, c[1]);
                try (Socket raw = new Socket("127.0.0.1", port)) {
                    raw.setSoTimeout(5000);
                    raw.getOutputStream().write(hello);
                    byte[] welcome = raw.getInputStream().readNBytes(Handshake.WELCOME_SIZE);
                    String what = "name length " + c[0] + ", largest payload " + c[1];
                    assertEquals(Handshake.WELCOME_SIZE, welcome.length, what + ": a whole WELCOME before the close");
                    assertEquals(Handshake.MAGIC & 0xffff, Wire.getShort(welcome, 0), what);
                    assertEquals(Handshake.ST_MALFORMED, welcome[3], what);
                    assertEquals(-1, raw.getInputStream().read(), what + ": then the server closes");
                }
            }
            // a client of another version is told that, not judged by version 1's field ranges
            byte[] later = new byte[Handshake.HELLO_SIZE];
            Wire.putShort(later, 0, Handshake.MAGIC);
            later[2] = (byte) (Wire.VERSION + 1);
            later[3] = (byte) (Wire.VERSION + 1);
            later[5] = (byte) 200;
            try (Socket raw = new Socket("127.0.0.1", port)) {
                raw.setSoTimeout(5000);
                raw.getOutputStream().write(later);
                byte[] welcome = raw.getInputStream().readNBytes(Handshake.WELCOME_SIZE);
                assertEquals(Handshake.WELCOME_SIZE, welcome.length);
                assertEquals(Handshake.ST_VERSION, welcome[3], "no common version");
            }
            try (Fabric client = Fabrics.open("tcp://127.0.0.1:0")) {
                Domain cd = client.openDomain();
                Endpoint ok = cd.connect(listener.uri(), EndpointConfig.of(cd.openCompletionQueue(8)));
                assertEquals(EndpointState.CONNECTED, ok.state(), "the listener still serves well-formed clients");
            }
        }
    }

    @Test
    void badMagic() throws Exception {
        survive((out, r) -> {
            byte[] f = new byte[Wire.HEADER_SIZE];
            Wire.header(f, 0, Wire.OP_WRITE, 0, 8, 0, 1, r.address(), r.key(), 0, 0);
            f[0] = 0x12;
            out.write(f);
            out.write(new byte[8]);
        });
    }

    @Test
    void oversizedPayloadIsRefusedBeforeAnythingIsRead() throws Exception {
        survive((out, r) -> {
            byte[] f = new byte[Wire.HEADER_SIZE];
            Wire.header(f, 0, Wire.OP_WRITE, 0, Integer.MAX_VALUE, 0, 1, r.address(), r.key(), 0, 0);
            out.write(f);
        });
    }

    @Test
    void truncatedFrameThenClose() throws Exception {
        survive((out, r) -> {
            byte[] f = new byte[Wire.HEADER_SIZE];
            Wire.header(f, 0, Wire.OP_WRITE, 0, 100, 0, 1, r.address(), r.key(), 0, 0);
            out.write(f, 0, 20);
            out.flush();
            // then silence: a half-sent frame from a peer that stopped talking
        });
    }

    @Test
    void outOfSequenceRequest() throws Exception {
        survive((out, r) -> {
            byte[] f = new byte[Wire.HEADER_SIZE];
            Wire.header(f, 0, Wire.OP_WRITE, 0, 8, 0, 5, r.address(), r.key(), 0, 0);
            out.write(f);
            out.write(new byte[8]);
        });
    }

    @Test
    void responseForNothing() throws Exception {
        survive((out, r) -> {
            byte[] f = new byte[Wire.HEADER_SIZE];
            Wire.header(f, 0, Wire.OP_ACK, 0, 0, 0, 1, 0, 0, 0, 0);
            out.write(f);
        });
    }

    @Test
    void randomBytes() throws Exception {
        Random random = new Random(1);
        survive((out, r) -> {
            byte[] junk = new byte[4096];
            random.nextBytes(junk);
            out.write(junk);
        });
    }

    /**
     * Manual progress: a refused request must not hold the poll that served it (a poll serves every endpoint of the
     * fabric). The refusal is sent by that poll, and the endpoint ends on a later poll, once the peer has closed. Before
     * the fix the poll waited up to a second for the answer to leave and another for the peer to close, and returned
     * with the endpoint already ended.
     */
    @Test
    void aRefusalInManualProgressDoesNotHoldThePoll() throws Exception {
        try (Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?progress=manual"); Arena arena = Arena.ofShared()) {
            Domain domain = fabric.openDomain();
            var queue = domain.openCompletionQueue(64);
            MemoryRegion target = domain.register(arena.allocate(4096, 8), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            Listener listener = domain.listen(EndpointConfig.of(queue));
            listener.publish("t", target);
            FabricUri uri = listener.uri().withRegion("t");
            try (Socket raw = new Socket("127.0.0.1", uri.port())) {
                raw.setSoTimeout(5000);
                Handshake.Result hs = Handshake.client(raw, TcpConfig.from(FabricUri.parse("tcp://127.0.0.1:0")), uri,
                        System.nanoTime() + 10_000_000_000L);
                Endpoint victim = listener.accept(Duration.ofSeconds(5));
                byte[] f = new byte[Wire.HEADER_SIZE];
                Wire.header(f, 0, Wire.OP_WRITE, 0, 8, 0, 1, hs.region().address(), hs.region().key() ^ 1, 0, 0); // a bad key
                raw.getOutputStream().write(f);
                raw.getOutputStream().write(new byte[8]);
                raw.getOutputStream().flush();
                CompletionBatch batch = new CompletionBatch(16);
                InputStream in = raw.getInputStream();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (in.available() < Wire.HEADER_SIZE && System.nanoTime() < deadline) {
                    queue.poll(batch);
                    assertEquals(EndpointState.CONNECTED, victim.state(),
                            "the poll that refused the request returned before the peer closed: " + victim);
                    Thread.sleep(5);
                }
                byte[] ack = in.readNBytes(Wire.HEADER_SIZE);
                assertEquals(Wire.OP_ACK, ack[3], "the refusal was sent by a poll");
                assertEquals(1, Wire.getLong(ack, 16));
                assertTrue(Wire.getShort(ack, 6) != Wire.ST_OK, "an error status");
                raw.shutdownOutput(); // the peer, having read the refusal, closes its direction
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (victim.state() == EndpointState.CONNECTED && System.nanoTime() < deadline) {
                    queue.poll(batch);
                    Thread.sleep(5);
                }
                assertEquals(EndpointState.ERROR, victim.state());
                assertTrue(victim.toString().contains("refused the peer's remote write"), victim.toString());
                assertEquals(-1, in.read(), "the victim closed the connection after its answer");
            }
        }
    }
}
