package dev.weft.provider.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile peers seen from the side that posts (the initiator) and from a listener's handshake: a raw server that
 * completes the handshake and then answers requests wrongly, a server that announces an impossible message limit, a
 * client that sends its handshake a byte at a time, and a peer that stops in the middle of a frame header under
 * manual progress. {@link MalformedPeerTest} covers hostile requests at the target.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a defect here hangs a poll or a post: fail, never hang the build
class HostilePeerOfTheInitiatorTest {

    /** What a raw server does after the handshake; it gets the victim's streams. */
    private interface Script {
        void run(InputStream in, OutputStream out) throws Exception;
    }

    /** A loopback server that completes a Weft handshake (or, with {@code welcomeMax} set, a forged one) and runs a script. */
    private static final class RawServer implements AutoCloseable {
        private final ServerSocket server;
        private final Thread thread;
        private volatile Socket socket;

        RawServer(Integer welcomeMax, Script script) throws IOException {
            this(welcomeMax, Handshake.ST_OK, script);
        }

        /** @param welcomeStatus the status of the forged WELCOME (with {@code welcomeMax} set) */
        RawServer(Integer welcomeMax, int welcomeStatus, Script script) throws IOException {
            server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
            thread = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    socket = s;
                    if (welcomeMax == null) {
                        Handshake.server(s, TcpConfig.from(FabricUri.parse("tcp://127.0.0.1:0")), Handshake.ST_OK, name -> null,
                                System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                    } else {
                        forgedWelcome(s, welcomeMax, welcomeStatus);
                    }
                    script.run(s.getInputStream(), s.getOutputStream());
                } catch (Exception ended) {
                    // the victim closed the connection, or the test is over
                }
            });
        }

        private static void forgedWelcome(Socket s, int maxMessage, int status) throws IOException {
            s.getInputStream().readNBytes(Handshake.HELLO_SIZE);
            byte[] welcome = new byte[Handshake.WELCOME_SIZE];
            Wire.putShort(welcome, 0, Handshake.MAGIC);
            welcome[2] = Wire.VERSION;
            welcome[3] = (byte) status;
            Wire.putInt(welcome, 8, maxMessage);
            s.getOutputStream().write(welcome);
            s.getOutputStream().write(new byte[Handshake.REGION_SIZE]); // REGION_NONE
            s.getOutputStream().flush();
        }

        String uri() {
            return "tcp://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            thread.interrupt();
            Socket s = socket;
            if (s != null) {
                s.close();
            }
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Reads one request frame (header and payload) and returns its header. */
    private static byte[] readRequest(InputStream in) throws IOException {
        byte[] h = in.readNBytes(Wire.HEADER_SIZE);
        in.readNBytes(Wire.getInt(h, 8));
        return h;
    }

    private static byte[] answer(byte op, int status, long seq, long operand1) {
        byte[] f = new byte[Wire.HEADER_SIZE];
        Wire.header(f, 0, op, status, 0, 0, seq, 0, 0, operand1, 0);
        return f;
    }

    /** A raw server's script: answers the first request with one frame of {@code op} (status 0), then waits for the close. */
    private static Script answerFirstWith(byte op, long operand1) {
        return (in, out) -> {
            byte[] h = readRequest(in);
            out.write(answer(op, Wire.ST_OK, Wire.getLong(h, 16), operand1));
            out.flush();
            in.read(); // until the victim closes
        };
    }

    /** Posts one request through {@code post} to a raw server running {@code script} and checks its completion's status. */
    private static void attack(Script script, Poster post, Checker check) throws Exception {
        try (RawServer server = new RawServer(null, script); Fabric fabric = Fabrics.open("tcp://127.0.0.1:0")) {
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(8);
            Endpoint victim = domain.connect(FabricUri.parse(server.uri()), EndpointConfig.of(queue));
            assertEquals(PostStatus.OK, post.post(victim, domain));
            CompletionBatch batch = new CompletionBatch(4);
            assertEquals(1, queue.await(batch, 10, TimeUnit.SECONDS), "the request completed");
            check.check(batch.get(0).status(), victim);
        }
    }

    private interface Poster {
        PostStatus post(Endpoint victim, Domain domain);
    }

    private interface Checker {
        void check(Status status, Endpoint victim) throws Exception;
    }

    @Test
    void anAtomicResultForAWriteTouchesNoLocalMemory() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            var source = arena.allocate(8, 8);
            source.fill((byte) 0x22);
            attack(answerFirstWith(Wire.OP_ATOMIC_RESULT, 0x4141414141414141L), (victim, domain) -> victim.write(1, domain.register(source, EnumSet.noneOf(Access.class)), 0, 8, 0, 1),
                    (status, victim) -> {
                        assertNotEquals(Status.SUCCESS, status);
                        assertEquals(0x2222222222222222L, source.get(ValueLayout.JAVA_LONG, 0), "the write's source was not written");
                        assertEquals(EndpointState.ERROR, victim.state());
                        assertTrue(victim.toString().contains("ATOMIC_RESULT for WRITE 1"), victim.toString());
                    });
        }
    }

    @Test
    void anAckWithoutItsDataDoesNotCompleteARead() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            var sink = arena.allocate(32, 8);
            sink.fill((byte) 0x11);
            attack(answerFirstWith(Wire.OP_ACK, 0), (victim, domain) -> victim.read(1, domain.register(sink, Access.LOCAL_WRITE), 0, 32, 0, 1),
                    (status, victim) -> {
                        assertNotEquals(Status.SUCCESS, status, "a READ whose data never came");
                        assertTrue(victim.toString().contains("before its READ_DATA"), victim.toString());
                    });
        }
    }

    @Test
    void aSecondReadDataForOneReadIsAViolation() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            var sink = arena.allocate(8, 8);
            attack((in, out) -> {
                byte[] h = readRequest(in);
                byte[] data = new byte[Wire.HEADER_SIZE];
                Wire.header(data, 0, Wire.OP_READ_DATA, 0, 8, 0, Wire.getLong(h, 16), 0, 0, 0, 0);
                out.write(data);
                out.write(new byte[8]);
                out.write(data);
                out.write(new byte[8]);
                out.flush();
                in.read();
            }, (victim, domain) -> victim.read(1, domain.register(sink, Access.LOCAL_WRITE), 0, 8, 0, 1),
                    (status, victim) -> {
                        assertNotEquals(Status.SUCCESS, status);
                        assertTrue(victim.toString().contains("a second READ_DATA"), victim.toString());
                    });
        }
    }

    @Test
    void anAckDoesNotCompleteAnAtomic() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            var result = arena.allocate(8, 8);
            attack(answerFirstWith(Wire.OP_ACK, 0), (victim, domain) -> victim.fetchAndAdd(1, domain.register(result, Access.LOCAL_WRITE), 0, 0, 1, 1),
                    (status, victim) -> {
                        assertNotEquals(Status.SUCCESS, status, "an atomic that no ATOMIC_RESULT answered");
                        assertTrue(victim.toString().contains("which only ATOMIC_RESULT answers"), victim.toString());
                    });
        }
    }

    @Test
    void aServerAnnouncingALimitOutsideTheClientsIsRefused() throws Exception {
        for (int announced : new int[] {Integer.MAX_VALUE, 0, -1, 2048}) {
            try (RawServer server = new RawServer(announced, (in, out) -> in.read());
                 Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?max_message=1024")) {
                Domain domain = fabric.openDomain();
                FabricException e = assertThrows(FabricException.class,
                        () -> domain.connect(FabricUri.parse(server.uri()), EndpointConfig.of(domain.openCompletionQueue(4))));
                assertEquals(ErrorCode.PROTOCOL_ERROR, e.code(), e.getMessage());
                assertTrue(e.getMessage().contains("max_message of " + announced + " bytes") && e.getMessage().contains("1..1024"),
                        e.getMessage());
            }
        }
    }

    /** A server that calls our HELLO malformed is named as such; our own HELLO never is, so it names the client's defect. */
    @Test
    void aServerRefusingTheHelloAsMalformedIsNamed() throws Exception {
        try (RawServer server = new RawServer(1024, Handshake.ST_MALFORMED, (in, out) -> in.read());
             Fabric fabric = Fabrics.open("tcp://127.0.0.1:0")) {
            Domain domain = fabric.openDomain();
            FabricException e = assertThrows(FabricException.class,
                    () -> domain.connect(FabricUri.parse(server.uri()), EndpointConfig.of(domain.openCompletionQueue(4))));
            assertEquals(ErrorCode.PROTOCOL_ERROR, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("refused our handshake as malformed"), e.getMessage());
        }
    }

    /** The connect timeout bounds the whole handshake: a client that sends its hello a byte at a time is cut off. */
    @Test
    void aHandshakeSentAByteAtATimeEndsAtTheConnectTimeout() throws Exception {
        try (Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?max_connections=1")) {
            Domain domain = fabric.openDomain();
            Listener listener = domain.listen(EndpointConfig.of(domain.openCompletionQueue(4)).withConnectTimeout(Duration.ofSeconds(1)));
            byte[] hello = new byte[Handshake.HELLO_SIZE];
            Wire.putShort(hello, 0, Handshake.MAGIC);
            long start = System.nanoTime();
            int sent = 0;
            try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), listener.uri().port())) {
                raw.setSoTimeout(100);
                try {
                    for (; sent < hello.length; sent++) {
                        raw.getOutputStream().write(hello[sent]);
                        raw.getOutputStream().flush();
                        try {
                            if (raw.getInputStream().read() < 0) {
                                break; // the listener closed the connection
                            }
                        } catch (java.net.SocketTimeoutException stillOpen) {
                            Thread.sleep(200);
                        }
                    }
                } catch (IOException reset) {
                    // also an end
                }
            }
            // a byte every 300 ms: the whole hello would take about 29 s, the limit is 1 s
            assertTrue(sent < hello.length, "the listener ended the handshake after " + (System.nanoTime() - start) / 1_000_000
                    + " ms and " + sent + " of " + hello.length + " bytes");
            // the slot it held is free again: a real client connects
            try (Fabric client = Fabrics.open("tcp://127.0.0.1:0")) {
                Domain cd = client.openDomain();
                Endpoint e = cd.connect(listener.uri(), EndpointConfig.of(cd.openCompletionQueue(4)));
                assertEquals(EndpointState.CONNECTED, e.state());
            }
        }
    }

    /**
     * Under manual progress a peer that sends half a frame header and stops holds no poll: a poll returns while the
     * peer is still within the fabric's timeout (a poll that waited for the rest of the header would return only when
     * the timeout ended the endpoint), and the endpoint ends when the peer has been silent that long.
     */
    @Test
    void halfAHeaderHoldsNoPollUnderManualProgress() throws Exception {
        try (Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?progress=manual&timeout=5000")) {
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(8);
            Listener listener = domain.listen(EndpointConfig.of(queue));
            try (Socket raw = new Socket(InetAddress.getLoopbackAddress(), listener.uri().port())) {
                Handshake.client(raw, TcpConfig.from(FabricUri.parse("tcp://127.0.0.1:0")), listener.uri(),
                        System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
                Endpoint victim = listener.accept(Duration.ofSeconds(5));
                byte[] f = new byte[Wire.HEADER_SIZE];
                Wire.header(f, 0, Wire.OP_WRITE, 0, 8, 0, 1, 0, 0, 0, 0);
                raw.getOutputStream().write(f, 0, 20);
                raw.getOutputStream().flush();
                CompletionBatch batch = new CompletionBatch(4);
                Thread.sleep(100); // the half header has arrived
                assertEquals(0, queue.poll(batch));
                assertEquals(EndpointState.CONNECTED, victim.state(), "the poll returned before the peer's timeout: " + victim);
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (victim.state() == EndpointState.CONNECTED && System.nanoTime() < end) {
                    queue.poll(batch);
                    Thread.sleep(5);
                }
                assertEquals(EndpointState.ERROR, victim.state(), "the endpoint of a peer silent in mid-header ends");
                assertTrue(victim.toString().contains("silent"), victim.toString());
            }
        }
    }

    /**
     * A peer that answers "receiver not ready" and then stops reading leaves a retransmit waiting for room in the socket;
     * that wait must not hold the fabric's timer, which sends every endpoint's keepalives and finds silent peers.
     */
    @Test
    void aStuckRetransmitHoldsNoOtherEndpointsKeepalives() throws Exception {
        try (Fabric honest = Fabrics.open("tcp://127.0.0.1:0?timeout=1000");
             RawServer server = new RawServer(null, (in, out) -> {
                 byte[] h = readRequest(in);
                 out.write(answer(Wire.OP_ACK, Wire.ST_RNR, Wire.getLong(h, 16), 0));
                 out.flush();
                 Thread.sleep(60_000); // and never read again (close interrupts it)
             });
             Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?timeout=2000&rnr_delay=500");
             Arena arena = Arena.ofShared()) {
            Domain hd = honest.openDomain();
            Listener listener = hd.listen(EndpointConfig.of(hd.openCompletionQueue(4)));
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(16);
            Endpoint bystander = domain.connect(listener.uri(), EndpointConfig.of(queue));
            Endpoint victim = domain.connect(FabricUri.parse(server.uri()), EndpointConfig.of(queue));
            MemoryRegion big = domain.register(arena.allocate(32 << 20, 8), Access.LOCAL_WRITE);
            assertEquals(PostStatus.OK, victim.send(1, big, 0, 8));
            Thread.sleep(150); // the answer "not ready" has come: later requests wait for the retransmit, which sends them all
            assertEquals(PostStatus.OK, victim.write(2, big, 0, 16 << 20, 0, 1));
            assertEquals(PostStatus.OK, victim.write(3, big, 16 << 20, 16 << 20, 0, 1));
            Thread.sleep(4500); // the retransmit fills the socket at 0.5 s; the victim's peer is silent from 0 s (timeout 2 s),
            // the bystander's peer waits at most 1 s for our keepalives
            assertEquals(EndpointState.CONNECTED, bystander.state(), "the bystander's peer still heard our keepalives: " + bystander);
            assertEquals(EndpointState.ERROR, victim.state(), "the silent peer was found: " + victim);
        }
    }

    /** A raw server's script: sends KEEPALIVE every 50 ms (so it is heard) and never reads (until the test closes it). */
    private static Script keepalivesOnly() {
        return (in, out) -> {
            byte[] keepalive = new byte[Wire.HEADER_SIZE];
            Wire.header(keepalive, 0, Wire.OP_KEEPALIVE, 0, 0, 0, 0, 0, 0, 0, 0);
            while (!Thread.currentThread().isInterrupted()) {
                out.write(keepalive);
                out.flush();
                Thread.sleep(50);
            }
        };
    }

    /** Starts a thread that posts 1 MiB writes from {@code source} until a post does not answer OK (or 100 are posted). */
    private static Thread postUntilStuck(Endpoint victim, MemoryRegion source) {
        return Thread.ofPlatform().daemon().start(() -> {
            for (int i = 0; i < 100; i++) {
                if (victim.write(i, source, 0, 1 << 20, 0x1000, 42) != PostStatus.OK) {
                    return;
                }
            }
        });
    }

    /**
     * A peer that is heard (keepalives) but never reads: a post waits for room, and the fabric's timeout ends that
     * wait as a verbs transport retry timeout would: the endpoint moves to ERROR, the oldest request completes
     * RETRY_EXCEEDED, the rest FLUSHED, and the post returns. Before the fix the post waited for good (in auto
     * progress too), since the peer was never silent.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"", "&progress=manual"})
    void aPeerThatStopsReadingIsDeclaredFailedAfterTheTimeout(String params) throws Exception {
        try (RawServer server = new RawServer(null, keepalivesOnly()); Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?timeout=500" + params);
             Arena arena = Arena.ofShared()) {
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(256);
            MemoryRegion source = domain.register(arena.allocate(1 << 20, 8), Access.LOCAL_WRITE);
            Endpoint victim = domain.connect(FabricUri.parse(server.uri()), EndpointConfig.of(queue));
            Thread poster = postUntilStuck(victim, source);
            poster.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!poster.isAlive(), "the post waiting for a peer that never reads returned (timeout 500 ms): " + victim);
            assertEquals(EndpointState.ERROR, victim.state(), victim.toString());
            assertTrue(victim.toString().contains("has taken none of our output"), victim.toString());
            CompletionBatch batch = new CompletionBatch(256);
            assertTrue(queue.await(batch, 5, TimeUnit.SECONDS) > 0, "the requests completed");
            assertEquals(Status.RETRY_EXCEEDED, batch.get(0).status(), "the oldest request, as on a verbs retry timeout");
        }
    }

    /**
     * A region registered after the endpoint, whose post holds the region's fence while the peer does not read: the
     * fabric's close must end (the domain closes endpoints before regions). Before the fix the region closed first and
     * spun on the fence for good. The timeout is long, so that it is the close, not the timeout, that ends the post.
     */
    @Test
    void fabricCloseEndsAPostHoldingTheFenceOfALaterRegion() throws Exception {
        try (RawServer server = new RawServer(null, keepalivesOnly()); Arena arena = Arena.ofShared()) {
            Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?timeout=60000");
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(256);
            Endpoint victim = domain.connect(FabricUri.parse(server.uri()), EndpointConfig.of(queue));
            MemoryRegion source = domain.register(arena.allocate(1 << 20, 8), Access.LOCAL_WRITE); // after the endpoint
            Thread poster = postUntilStuck(victim, source);
            poster.join(1000);
            assertTrue(poster.isAlive(), "the post waits for room");
            Thread closer = Thread.ofPlatform().daemon().start(fabric::close);
            closer.join(TimeUnit.SECONDS.toMillis(10));
            boolean hung = closer.isAlive();
            if (hung) {
                victim.close(); // lets the test end
            }
            assertTrue(!hung, "fabric.close() ended");
            poster.join(5000);
            assertTrue(!poster.isAlive(), "the post returned once its endpoint closed");
        }
    }

    /**
     * Closing a region while a post writes straight from it to a peer that does not read: the close wakes the poster,
     * which gives the fence up and sends the rest as zeros, so the close returns without waiting for the peer. Before
     * the fix the close spun on the fence until the socket took the data (never, here). The timeout is long.
     */
    @Test
    void closingARegionDoesNotWaitForAPeerThatDoesNotRead() throws Exception {
        try (RawServer server = new RawServer(null, keepalivesOnly()); Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?timeout=60000");
             Arena arena = Arena.ofShared()) {
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(256);
            Endpoint victim = domain.connect(FabricUri.parse(server.uri()), EndpointConfig.of(queue));
            MemoryRegion source = domain.register(arena.allocate(1 << 20, 8), Access.LOCAL_WRITE);
            Thread poster = postUntilStuck(victim, source);
            poster.join(1000);
            assertTrue(poster.isAlive(), "the post waits for room");
            Thread closer = Thread.ofPlatform().daemon().start(source::close);
            closer.join(TimeUnit.SECONDS.toMillis(5));
            boolean hung = closer.isAlive();
            victim.close(); // ends the post, and a hung close
            assertTrue(!hung, "region.close() returned while the peer still reads nothing");
            closer.join(5000);
            poster.join(5000);
        }
    }

    /**
     * Clients that connect and send nothing, or send a HELLO but cannot prove the secret, hold no connection slot: a
     * real client connects at once although as many of them as max_connections are waiting. Before the fix each
     * accepted socket reserved a slot before its HELLO, and held it for the listener's connect timeout.
     */
    @Test
    void clientsThatHaveNotIdentifiedThemselvesHoldNoConnectionSlot() throws Exception {
        try (Fabric server = Fabrics.open("tcp://127.0.0.1:0?max_connections=4&secret=s3cret");
             Fabric client = Fabrics.open("tcp://127.0.0.1:0?secret=s3cret")) {
            Domain sd = server.openDomain();
            Listener listener = sd.listen(EndpointConfig.of(sd.openCompletionQueue(16)));
            java.util.List<Socket> squatters = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    squatters.add(new Socket(InetAddress.getLoopbackAddress(), listener.uri().port())); // sends nothing
                }
                for (int i = 0; i < 4; i++) { // a HELLO announcing a secret, then no proof
                    Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.uri().port());
                    squatters.add(s);
                    sendHelloAnnouncingASecret(s);
                }
                Thread.sleep(300);
                Domain cd = client.openDomain();
                Endpoint e = cd.connect(listener.uri(), EndpointConfig.of(cd.openCompletionQueue(16)).withConnectTimeout(Duration.ofSeconds(5)));
                assertEquals(EndpointState.CONNECTED, e.state());
            } finally {
                for (Socket s : squatters) {
                    s.close();
                }
            }
        }
    }

    /**
     * With a secret, a client that sends its HELLO and then no proof is closed by the identification deadline
     * ({@code hello_timeout}, {@link TcpConfig#DEFAULT_HELLO_TIMEOUT}), not held for the connect timeout (10 s here): otherwise such clients,
     * never authenticated, could hold every pending handshake for that long.
     */
    @Test
    void aClientThatSendsNoProofIsClosedByTheIdentificationDeadline() throws Exception {
        try (Fabric server = Fabrics.open("tcp://127.0.0.1:0?secret=s3cret")) {
            Domain sd = server.openDomain();
            TcpListener listener = (TcpListener) sd.listen(EndpointConfig.of(sd.openCompletionQueue(16)).withConnectTimeout(Duration.ofSeconds(10)));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.uri().port())) {
                sendHelloAnnouncingASecret(s);
                s.getInputStream().readNBytes(Handshake.WELCOME_SIZE);
                s.setSoTimeout((int) TcpConfig.DEFAULT_HELLO_TIMEOUT.toMillis() + 5000); // well before the 10 s connect timeout
                assertEquals(-1, s.getInputStream().read(), "the listener closes a client that sends no proof");
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // the handshake's thread counts itself out after the close
                while (listener.pendingHandshakes() != 0 && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                assertEquals(0, listener.pendingHandshakes());
            }
        }
    }

    /**
     * A flood of connections that send nothing: at most {@code max_handshakes} (default
     * {@link TcpConfig#DEFAULT_MAX_HANDSHAKES}) are held (the rest are closed at once), and those only for the HELLO's
     * own deadline ({@code hello_timeout}), not the connect timeout (10 s here). Before the fix every one held a
     * descriptor and a thread for the connect timeout.
     */
    @Test
    void pendingHandshakesAreBoundedInNumberAndTime() throws Exception {
        floodOfSilentConnectionsIsBounded("", TcpConfig.DEFAULT_MAX_HANDSHAKES, TcpConfig.DEFAULT_HELLO_TIMEOUT.toMillis());
    }

    /** The two bounds are the listener's fabric's URI parameters: here 8 handshakes at once, 300 ms for the HELLO. */
    @Test
    void theHandshakeBoundsAreUriParameters() throws Exception {
        floodOfSilentConnectionsIsBounded("&max_handshakes=8&hello_timeout=300", 8, 300);
        for (String bad : new String[] {"max_handshakes=0", "max_handshakes=65537", "hello_timeout=99", "hello_timeout=60001"}) {
            dev.weft.FabricException e = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class,
                    () -> Fabrics.open("tcp://127.0.0.1:0?" + bad));
            assertEquals(dev.weft.ErrorCode.INVALID_URI, e.code(), bad + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(bad.substring(0, bad.indexOf('='))), e.getMessage());
        }
    }

    private static void floodOfSilentConnectionsIsBounded(String parameters, int maxHandshakes, long helloMillis) throws Exception {
        try (Fabric server = Fabrics.open("tcp://127.0.0.1:0?max_connections=2" + parameters)) {
            Domain sd = server.openDomain();
            TcpListener listener = (TcpListener) sd.listen(EndpointConfig.of(sd.openCompletionQueue(16)).withConnectTimeout(Duration.ofSeconds(10)));
            int flood = maxHandshakes + 100;
            java.util.List<Socket> raw = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < flood; i++) {
                    raw.add(new Socket(InetAddress.getLoopbackAddress(), listener.uri().port()));
                }
                Thread.sleep(Math.min(500, helloMillis / 2));
                assertTrue(listener.pendingHandshakes() <= maxHandshakes, "pending " + listener.pendingHandshakes());
                int open = openByThePeer(raw);
                assertTrue(open <= maxHandshakes, open + " of " + flood + " silent connections still open");
                long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(helloMillis + 3000);
                while ((open = openByThePeer(raw)) > 0 && System.nanoTime() < end) {
                    Thread.sleep(100);
                }
                assertEquals(0, open, "silent connections left open after the HELLO deadline of " + helloMillis + " ms");
                assertEquals(0, listener.pendingHandshakes());
            } finally {
                for (Socket s : raw) {
                    s.close();
                }
            }
        }
    }

    /** Sends a well-formed HELLO of this version that says the client has a secret (and then, in these tests, no proof). */
    private static void sendHelloAnnouncingASecret(Socket s) throws IOException {
        byte[] hello = new byte[Handshake.HELLO_SIZE];
        Wire.putShort(hello, 0, Handshake.MAGIC);
        hello[2] = Wire.VERSION;
        hello[3] = Wire.VERSION;
        hello[4] = 1;
        Wire.putInt(hello, 8, 1 << 20);
        s.getOutputStream().write(hello);
        s.getOutputStream().flush();
    }

    /** @return how many of {@code sockets} their peer has not closed (a read neither ends nor fails) */
    private static int openByThePeer(java.util.List<Socket> sockets) throws IOException {
        int open = 0;
        for (Socket s : sockets) {
            if (s.isInputShutdown()) {
                continue;
            }
            s.setSoTimeout(1);
            try {
                if (s.getInputStream().read() < 0) {
                    s.shutdownInput();
                    continue;
                }
                open++;
            } catch (java.net.SocketTimeoutException stillOpen) {
                open++;
            } catch (IOException reset) {
                s.shutdownInput();
            }
        }
        return open;
    }
}
