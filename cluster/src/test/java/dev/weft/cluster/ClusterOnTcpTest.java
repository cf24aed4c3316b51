package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.cluster.demo.FaultProxy;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The cluster scenarios on the TCP provider, plus failover between two interconnects through fault proxies. */
class ClusterOnTcpTest extends ClusterScenarios {
    private static final ValueLayout.OfInt BIG_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong BIG_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    @Override
    String uri(int port) {
        return "tcp://127.0.0.1:" + port;
    }

    @Override
    String params() {
        return "?timeout=600";
    }

    @Test
    void clientsFailOverBetweenInterconnectsAndARecoveredOneRejoins() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int a0 = port();
        int b0 = port();
        int a1 = port();
        int b1 = port();
        try (FaultProxy toB0 = new FaultProxy(lo, new InetSocketAddress(lo, b0)); FaultProxy toA0 = new FaultProxy(lo, new InetSocketAddress(lo, a0));
             FaultProxy toB1 = new FaultProxy(lo, new InetSocketAddress(lo, b1)); FaultProxy toA1 = new FaultProxy(lo, new InetSocketAddress(lo, a1));
             Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(a0) + params(), uri(toB0.port())),
                     new ClusterNode.Interconnect(uri(a1) + params(), uri(toB1.port()))), Duration.ofSeconds(2));
             Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(b0) + params(), uri(toA0.port())),
                     new ClusterNode.Interconnect(uri(b1) + params(), uri(toA1.port()))), Duration.ofSeconds(2))) {
            waitFor(() -> a.node.managers().stream().allMatch(m -> m.state() == SlamState.CONNECTED)
                    && b.node.managers().stream().allMatch(m -> m.state() == SlamState.CONNECTED) && linked(a), 15_000, "both interconnects");
            waitFor(() -> b.heartbeat.state() == PartnerState.ALIVE, 5000, "heartbeats");
            List<byte[]> written = new ArrayList<>();
            appendRecords(a, written, 1, 20);
            // cut interconnect 0 for real: half-open, bytes vanish
            toB0.mode(FaultProxy.Mode.BLACK_HOLE);
            toA0.mode(FaultProxy.Mode.BLACK_HOLE);
            appendRecords(a, written, 21, 60);
            assertMirrored(b, written);
            waitFor(() -> a.node.managers().get(0).state() != SlamState.CONNECTED, 5000, "interconnect 0 is declared down");
            Thread.sleep(600);
            assertFalse(a.states.contains(PartnerState.FAILED), "a cut interconnect is not a failed partner: " + a.verdicts);
            assertFalse(b.states.contains(PartnerState.FAILED), "a cut interconnect is not a failed partner: " + b.verdicts);
            // recovered: interconnect 0 rejoins by its own state machine, within a wait timeout plus a back-off
            // (two nodes that both wait in state 3 meet once one of them times out and reads again)
            toB0.mode(FaultProxy.Mode.FORWARD);
            toA0.mode(FaultProxy.Mode.FORWARD);
            waitFor(() -> a.node.managers().get(0).state() == SlamState.CONNECTED && b.node.managers().get(0).state() == SlamState.CONNECTED,
                    20_000, "interconnect 0 rejoins");
            // all interconnects down: partner state unknown, never failed
            for (FaultProxy p : List.of(toB0, toA0, toB1, toA1)) {
                p.mode(FaultProxy.Mode.DROP);
            }
            waitFor(() -> a.heartbeat.state() == PartnerState.UNKNOWN, 10_000, "unknown with every interconnect down");
            assertFalse(a.states.contains(PartnerState.FAILED), a.verdicts::toString);
        }
    }

    /**
     * A partner URI that reaches this node itself is not a partner, however it is spelled: here interconnect 0 names
     * its own listener as localhost, and interconnects 1 and 2 are wired to each other's listener (which the node's
     * textual check cannot see either). Each read of a record carrying the node's own incarnation fails with that reason;
     * before, every interconnect reached Connected with itself and the heartbeat reported the absent partner ALIVE.
     */
    @Test
    void aNodeWhosePartnerUriReachesItselfNeverConnectsToItself() throws Exception {
        int self = port();
        int p1 = port();
        int p2 = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(self) + params(), "tcp://localhost:" + self),
                new ClusterNode.Interconnect(uri(p1) + params(), "tcp://localhost:" + p2),
                new ClusterNode.Interconnect(uri(p2) + params(), "tcp://localhost:" + p1)), Duration.ofMillis(300))) {
            for (int ic = 0; ic < 3; ic++) {
                String prefix = "1:" + ic + ":";
                waitFor(() -> timeline.stream().filter(e -> e.text().startsWith(prefix) && e.detail().contains("reaches this node itself"))
                        .count() >= 2, 15_000, "interconnect " + prefix + " refuses its own record twice");
            }
            assertTrue(events().stream().noneMatch(e -> e.contains(">CONNECTED:")), "never connected to itself:" + timelineText());
            for (ConnectionManager m : a.node.managers()) {
                assertNotEquals(a.node.incarnation(), m.partnerIncarnation(), "its own incarnation is never its partner's");
            }
            assertFalse(a.states.contains(PartnerState.ALIVE), "no partner, so never ALIVE: " + a.verdicts);
        }
    }

    /**
     * A node mirrors two logs with two named mirrors (and beats with a named monitor): each record lands in the
     * partner's mirror of the same name, and only there. Before, both mirrors were named "mirror", the second's memory
     * replaced the first's on the listener, and one's records landed in the other.
     */
    @Test
    void twoNamedMirrorsOnOneNodeKeepTheirLogsApart() throws Exception {
        int pa = port();
        int pb = port();
        LogMirror ordersA = new LogMirror("orders", 16, Duration.ofSeconds(10));
        LogMirror auditA = new LogMirror("audit", 16, Duration.ofSeconds(10));
        LogMirror ordersB = new LogMirror("orders", 16, Duration.ofSeconds(10));
        LogMirror auditB = new LogMirror("audit", 16, Duration.ofSeconds(10));
        HeartbeatMonitor hbA = new HeartbeatMonitor("beat", Duration.ofMillis(50), 6, (state, why) -> { });
        HeartbeatMonitor hbB = new HeartbeatMonitor("beat", Duration.ofMillis(50), 6, (state, why) -> { });
        try (ClusterNode a = new ClusterNode(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))),
                List.of(ordersA, hbA, auditA), s -> s.withWaitTimeout(Duration.ofSeconds(2)), (ic, f, e, t, d) -> { }, line -> { });
             ClusterNode b = new ClusterNode(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))),
                     List.of(ordersB, hbB, auditB), s -> s.withWaitTimeout(Duration.ofSeconds(2)), (ic, f, e, t, d) -> { }, line -> { })) {
            waitFor(() -> a.connected() && b.connected() && hbA.state() == PartnerState.ALIVE && hbB.state() == PartnerState.ALIVE, 15_000,
                    "connected, heartbeats both ways");
            assertEquals(1, ordersA.append("order 1".getBytes(StandardCharsets.UTF_8)));
            assertEquals(1, auditA.append("audit 1".getBytes(StandardCharsets.UTF_8)));
            assertEquals(2, auditA.append("audit 2".getBytes(StandardCharsets.UTF_8)));
            assertEquals(1, ordersB.mirroredUpTo());
            assertEquals("order 1", new String(ordersB.mirrored(1), StandardCharsets.UTF_8));
            assertEquals(2, auditB.mirroredUpTo());
            assertEquals("audit 1", new String(auditB.mirrored(1), StandardCharsets.UTF_8));
            assertEquals("audit 2", new String(auditB.mirrored(2), StandardCharsets.UTF_8));
            assertEquals(0, ordersA.mirroredUpTo() + auditA.mirroredUpTo(), "B appended nothing");
        } finally {
            hbA.release();
            hbB.release();
            for (LogMirror m : List.of(ordersA, auditA, ordersB, auditB)) {
                m.release();
            }
        }
    }

    /**
     * A partner made by hand, to put a node through paths two real nodes take only by chance: its own fabric at a port,
     * a configuration region that it publishes as {@code cluster} only when asked (until then a node's read of it fails),
     * and records it writes into a node's inbox as a partner's manager does.
     */
    private final class HandMadePartner implements AutoCloseable {
        final long incarnation = ConnectionManager.newIncarnation();
        private final Arena arena = Arena.ofShared();
        private final Fabric fabric;
        private final Domain domain;
        private final CompletionQueue queue;
        private final MemoryRegion config;
        private final MemoryRegion staging;
        private final Listener listener;

        HandMadePartner(int port) {
            fabric = Fabrics.open(uri(port) + params());
            domain = fabric.openDomain();
            queue = domain.openCompletionQueue(16);
            config = domain.register(arena.allocate(ConnectionManager.CONFIG_SIZE, 64), Access.LOCAL_WRITE, Access.REMOTE_READ,
                    Access.REMOTE_WRITE);
            staging = domain.register(arena.allocate(ConfigRecord.SIZE, 64), Access.LOCAL_WRITE);
            listener = domain.listen(EndpointConfig.of(queue));
        }

        /**
         * Publishes a client directory of {@code clients} (each with a published 64-byte region) and this partner's own
         * record, and the configuration region as {@code cluster}.
         */
        void publish(SlamState state, long peer, String... clients) {
            MemorySegment directory = config.segment().asSlice(ConnectionManager.DIRECTORY, ConnectionManager.DIRECTORY_SIZE);
            directory.fill((byte) 0);
            directory.set(BIG_INT, 0, clients.length);
            for (int i = 0; i < clients.length; i++) {
                MemorySegment.copy(clients[i].getBytes(StandardCharsets.US_ASCII), 0, directory, ValueLayout.JAVA_BYTE, 4 + 40L * i,
                        clients[i].length());
                directory.set(BIG_LONG, 4 + 40L * i + 32, 64);
                listener.publish("client." + clients[i], domain.register(arena.allocate(64, 64), Access.LOCAL_WRITE, Access.REMOTE_READ,
                        Access.REMOTE_WRITE));
            }
            record(state, peer);
            listener.publish(ConnectionManager.CONFIG_REGION, config);
        }

        /** Rewrites this partner's own record, with the checksum of its directory. */
        void record(SlamState state, long peer) {
            CRC32C crc = new CRC32C();
            crc.update(config.segment().asSlice(ConnectionManager.DIRECTORY, ConnectionManager.DIRECTORY_SIZE).asByteBuffer());
            new ConfigRecord(state, 2, incarnation, 0, peer, 0, (int) crc.getValue()).publish(config.segment(), ConnectionManager.OWN);
        }

        /** RDMA-writes a record of this partner into the inbox of the node listening at {@code port}. */
        void writeInbox(int port, SlamState state, long peer) {
            new ConfigRecord(state, 2, incarnation, 0, peer, 0, 0).writeTo(staging.segment(), 0);
            try (Endpoint e = domain.connect(FabricUri.parse(uri(port) + "/" + ConnectionManager.CONFIG_REGION), EndpointConfig.of(queue))) {
                assertEquals(PostStatus.OK, e.write(1, staging, 0, ConfigRecord.SIZE, e.wellKnownRegion().orElseThrow(),
                        ConnectionManager.INBOX));
                CompletionBatch batch = new CompletionBatch(4);
                int n = queue.await(batch, 10, TimeUnit.SECONDS);
                assertTrue(n > 0 && batch.get(0).status().isSuccess(), "the write into the node's inbox completed");
            }
        }

        /** @return what the node wrote into this partner's inbox, null if nothing whole */
        ConfigRecord inbox() {
            return ConfigRecord.read(config.segment(), ConnectionManager.INBOX);
        }

        @Override
        public void close() {
            fabric.close();
            arena.close();
        }
    }

    /**
     * Transition 3 → Connected of the figure: a partner writes Connected (referring to this node's incarnation) into the
     * inbox of a node that waits in state 3. The node reaches the partner again (state 3 dropped its endpoint), checks
     * that it is the incarnation that wrote, and completes the session. Before, every such transition failed at once
     * with "no endpoint to the partner".
     */
    @Test
    void aNodeWaitingInState3JoinsAPartnerThatWritesConnected() throws Exception {
        int pa = port();
        int pb = port();
        try (HandMadePartner b = new HandMadePartner(pb);
             Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), Duration.ofSeconds(30))) {
            waitFor(() -> a.node.managers().get(0).state() == SlamState.WAITING_ON_PARTNER, 10_000, "A waits in state 3");
            b.publish(SlamState.CONNECTED, a.node.incarnation());
            b.writeInbox(pa, SlamState.CONNECTED, a.node.incarnation());
            waitFor(() -> {
                ConfigRecord r = b.inbox();
                return r != null && r.state() == SlamState.CONNECTED && r.ready() && r.peerIncarnation() == b.incarnation;
            }, 10_000, "A tells the partner that it is connected and ready");
            assertTrue(events().contains("1:0:WAITING_ON_PARTNER>CONNECTED:PARTNER_CONNECTED"), timelineText());
            assertFalse(events().stream().anyMatch(e -> e.startsWith("1:0:CONNECTED>")), "the session holds:" + timelineText());
            assertEquals(b.incarnation, a.node.managers().get(0).partnerIncarnation());
        }
    }

    /**
     * A session that ends before the partner is ready drops the client links it created without showing them to the
     * clients: {@code linkDown} comes only for a link that {@code linkUp} was given. Before, the client got
     * {@code linkDown} for a link it had never seen.
     */
    @Test
    void aClientIsNeverToldOfTheEndOfALinkItWasNeverGiven() throws Exception {
        int pa = port();
        int pb = port();
        Probe probe = new Probe();
        try (HandMadePartner b = new HandMadePartner(pb)) {
            b.publish(SlamState.CONNECTED, 0, "probe");
            try (ClusterNode a = new ClusterNode(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), List.of(probe),
                    s -> s.withWaitTimeout(Duration.ofSeconds(30)), (ic, from, event, to, detail) -> timeline.add(new Stamped(
                            "1:" + ic + ":" + from + ">" + to + ":" + event, System.nanoTime(), detail)), line -> { })) {
                b.record(SlamState.CONNECTED, a.incarnation());
                b.writeInbox(pa, SlamState.CONNECTED, a.incarnation()); // the partner is connected, but never ready
                waitFor(() -> {
                    ConfigRecord r = b.inbox();
                    return r != null && r.state() == SlamState.CONNECTED && r.ready();
                }, 10_000, "A created its client link to the partner's probe and is ready");
                b.record(SlamState.ERROR, 0); // the partner leaves the session before it is ready
                waitFor(() -> events().contains("1:0:ERROR>INITIAL:RETRY"), 10_000, "A dropped the session and retries");
                assertEquals(List.of(), probe.up, "the partner was never ready");
                assertEquals(List.of(), probe.down, "no linkDown for a link the client never got");
            }
        } finally {
            probe.arena.close();
        }
    }

    /** A client that records the links it is given; both nodes register one of the same name. */
    private static final class Probe implements ConnectionClient {
        private final Arena arena = Arena.ofShared();
        private final java.lang.foreign.MemorySegment partner = arena.allocate(64, 64);
        private final java.lang.foreign.MemorySegment send = arena.allocate(64, 64);
        final List<ClientLink> up = new java.util.concurrent.CopyOnWriteArrayList<>();
        final List<ClientLink> down = new java.util.concurrent.CopyOnWriteArrayList<>();
        /** Runs in {@code linkUp}, on the manager's thread, after the link is noted. */
        volatile java.util.function.Consumer<ClientLink> onUp = link -> { };

        @Override
        public String name() {
            return "probe";
        }

        @Override
        public java.lang.foreign.MemorySegment partnerMemory() {
            return partner;
        }

        @Override
        public java.lang.foreign.MemorySegment sendMemory() {
            return send;
        }

        @Override
        public void linkUp(ClientLink link) {
            up.add(link);
            onUp.accept(link);
        }

        @Override
        public void linkDown(ClientLink link) {
            down.add(link);
        }
    }

    /**
     * A client link that breaks while its interconnect stays up (here: its endpoint closed under it) ends the session:
     * both nodes form a new one and every client gets a new link, and neither heartbeat monitor ever says FAILED
     * (before, the heartbeat dropped the link for good, sent nothing more, and the partner declared this live node
     * failed). Node A's transition listener and heartbeat callback throw on every call: neither stops A's manager or
     * its heartbeats (before, a throwing listener could end the manager's thread, a throwing callback the heartbeats).
     */
    @Test
    void aBrokenClientLinkFormsANewSessionAndThrowingCallbacksStopNothing() throws Exception {
        int a0 = port();
        int b0 = port();
        Probe probeA = new Probe();
        Probe probeB = new Probe();
        List<PartnerState> seenA = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<PartnerState> seenB = new java.util.concurrent.CopyOnWriteArrayList<>();
        HeartbeatMonitor hbA = new HeartbeatMonitor(Duration.ofMillis(50), 6, (state, why) -> {
            seenA.add(state);
            throw new IllegalStateException("a failing onChange (test)");
        });
        HeartbeatMonitor hbB = new HeartbeatMonitor(Duration.ofMillis(50), 6, (state, why) -> seenB.add(state));
        try (ClusterNode a = new ClusterNode(1, List.of(new ClusterNode.Interconnect(uri(a0) + params(), uri(b0))), List.of(hbA, probeA),
                s -> s.withWaitTimeout(Duration.ofSeconds(2)), (ic, from, event, to, detail) -> {
                    throw new IllegalStateException("a failing transition listener (test)");
                }, line -> { });
             ClusterNode b = new ClusterNode(2, List.of(new ClusterNode.Interconnect(uri(b0) + params(), uri(a0))), List.of(hbB, probeB),
                     s -> s.withWaitTimeout(Duration.ofSeconds(2)), (ic, from, event, to, detail) -> { }, line -> { })) {
            waitFor(() -> probeA.up.size() == 1 && probeB.up.size() == 1, 15_000, "both probes linked although A's listener throws");
            waitFor(() -> hbA.state() == PartnerState.ALIVE && hbB.state() == PartnerState.ALIVE, 5000, "heartbeats both ways");
            long sentBefore = hbA.sent();
            Thread.sleep(300);
            assertTrue(hbA.sent() > sentBefore, "A's heartbeats go on although its onChange threw: " + sentBefore + " then " + hbA.sent());

            probeA.up.get(0).endpoint().close(); // the client link breaks; the interconnect's configuration endpoint does not
            waitFor(() -> probeA.down.size() == 1 && probeA.up.size() == 2 && probeB.up.size() == 2, 15_000,
                    "a new session gives both probes a new link");
            assertTrue(probeA.up.get(1).endpoint().state() == dev.weft.EndpointState.CONNECTED, "the new link works");
            waitFor(() -> a.connected() && b.connected(), 5000, "both nodes connected in the new session");
            waitFor(() -> hbA.state() == PartnerState.ALIVE && hbB.state() == PartnerState.ALIVE, 5000, "heartbeats both ways again");
            Thread.sleep(600); // more than 6 heartbeat intervals
            assertFalse(seenA.contains(PartnerState.FAILED), "A never declared B failed: " + seenA);
            assertFalse(seenB.contains(PartnerState.FAILED), "B never declared the live A failed: " + seenB);
        } finally {
            hbA.release();
            hbB.release();
            probeA.arena.close();
            probeB.arena.close();
        }
    }

    /**
     * One side loses the session while the other still sees it up (a one-way cut shorter than the
     * other side's detection): the side that stayed Connected notices that its partner left and
     * both form a new session, instead of one waiting in state 5 for a partner that waits too.
     */
    @Test
    void aPartnerThatLeftTheSessionIsMetAgain() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int a0 = port();
        int b0 = port();
        try (FaultProxy toB = new FaultProxy(lo, new InetSocketAddress(lo, b0));
             Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(a0) + params(), uri(toB.port()))), Duration.ofSeconds(8));
             Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(b0) + params(), uri(a0))), Duration.ofSeconds(8))) {
            waitFor(() -> linked(a) && linked(b), 15_000, "connected");
            long first = a.node.managers().get(0).connectedAtNanos();
            toB.mode(FaultProxy.Mode.BLACK_HOLE);
            waitFor(() -> a.node.managers().get(0).state() != SlamState.CONNECTED, 5000, "A drops the session");
            toB.mode(FaultProxy.Mode.FORWARD);
            waitFor(() -> a.node.managers().get(0).state() == SlamState.CONNECTED && b.node.managers().get(0).state() == SlamState.CONNECTED
                    && a.node.managers().get(0).connectedAtNanos() != first, 15_000, "a new session on both sides");
            a.mirror.append("after".getBytes(StandardCharsets.UTF_8));
            waitFor(() -> b.mirror.mirroredUpTo() >= 1, 5000, "the mirror works in the new session");
        }
    }

    /**
     * A partner whose record never reads whole (here: garbage, as a record torn by a publish that
     * never finishes would read) is never acted on: the read is tried {@value ConnectionManager#TORN_READS}
     * times, then counts as failed with that reason, and the node does not write to it.
     */
    @Test
    void aPartnerRecordThatNeverReadsWholeIsReadAgainThenAFailedRead() throws Exception {
        int pa = port();
        int pb = port();
        try (Arena arena = Arena.ofShared(); Fabric fake = Fabrics.open(uri(pb) + params())) {
            Domain domain = fake.openDomain();
            MemoryRegion config = domain.register(arena.allocate(ConnectionManager.CONFIG_SIZE, 64), Access.LOCAL_WRITE,
                    Access.REMOTE_READ, Access.REMOTE_WRITE);
            config.segment().fill((byte) 0x5a);
            Listener listener = domain.listen(EndpointConfig.of(domain.openCompletionQueue(16)));
            listener.publish(ConnectionManager.CONFIG_REGION, config);
            try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), Duration.ofMillis(500))) {
                waitFor(() -> events().contains("1:0:ATTEMPTING_READ>WAITING_ON_PARTNER:READ_FAILED"), 5000, "A's first read fails");
                assertFalse(a.node.connected(), "never connected to a partner it cannot read");
                Stamped failed = timeline.stream().filter(e -> e.text().endsWith(":READ_FAILED")).findFirst().orElseThrow();
                assertTrue(failed.detail().contains("torn or corrupt " + ConnectionManager.TORN_READS + " times"), timelineText());
            }
            for (long offset = 0; offset < ConnectionManager.CONFIG_SIZE; offset++) {
                assertEquals((byte) 0x5a, config.segment().get(ValueLayout.JAVA_BYTE, offset),
                        "the partner's region is untouched at byte " + offset);
            }
        }
    }

    /** @return a node on one interconnect (local port, partner port) with these clients, its transitions in {@link #timeline} */
    private ClusterNode nodeWith(long id, int local, int partner, List<ConnectionClient> clients, List<String> log) {
        return new ClusterNode(id, List.of(new ClusterNode.Interconnect(uri(local) + params(), uri(partner))), clients,
                s -> s.withWaitTimeout(Duration.ofSeconds(2)), (ic, from, event, to, detail) -> timeline.add(new Stamped(
                        id + ":" + ic + ":" + from + ">" + to + ":" + event, System.nanoTime(), detail)), log::add);
    }

    /**
     * Log mirrors of different capacity on the two nodes are not connected: each side places a record by its own
     * capacity ({@code sequence % capacity}), so the smaller writer's records would land in the wrong slots of the
     * larger reader (which then claimed to hold records it could not read), and the larger writer would write past the
     * smaller reader's memory (its link failed, and the session dropped and formed again and again). Both managers
     * compare the sizes in the client directory, log both and leave the mirrors unconnected; an append or a flush on
     * either side fails at once with INVALID_ARGUMENT naming both sizes, appends nothing, and the session holds (the
     * heartbeat, of equal size, is connected). Before 2026-12-06 A's appends "succeeded" and B held garbage.
     */
    @Test
    void mirrorsOfDifferentCapacityAreLeftUnconnectedAndAppendSaysWhy() throws Exception {
        int pa = port();
        int pb = port();
        LogMirror small = new LogMirror(4, Duration.ofSeconds(10));
        LogMirror large = new LogMirror(8, Duration.ofSeconds(10));
        HeartbeatMonitor hbA = new HeartbeatMonitor(Duration.ofMillis(50), 6, (state, why) -> { });
        HeartbeatMonitor hbB = new HeartbeatMonitor(Duration.ofMillis(50), 6, (state, why) -> { });
        List<String> logA = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ClusterNode a = nodeWith(1, pa, pb, List.of(hbA, small), logA);
             ClusterNode b = nodeWith(2, pb, pa, List.of(hbB, large), new java.util.concurrent.CopyOnWriteArrayList<>())) {
            waitFor(() -> a.connected() && b.connected() && hbA.state() == PartnerState.ALIVE && hbB.state() == PartnerState.ALIVE, 15_000,
                    "connected, heartbeats both ways");
            long smallBytes = small.partnerMemory().byteSize();
            long largeBytes = large.partnerMemory().byteSize();
            for (LogMirror writer : List.of(small, large)) {
                dev.weft.FabricException e = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class,
                        () -> writer.append("r1".getBytes(StandardCharsets.UTF_8)));
                assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
                assertTrue(e.getMessage().contains(smallBytes + " bytes") && e.getMessage().contains(largeBytes + " bytes")
                        && e.getMessage().contains("same capacity"), e.getMessage());
                assertEquals(0, writer.appended(), "nothing appended");
                dev.weft.FabricException f = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class, writer::flush);
                assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, f.code(), f.getMessage());
            }
            assertEquals(0, small.mirroredUpTo() + large.mirroredUpTo(), "neither mirror holds anything");
            assertTrue(logA.stream().anyMatch(l -> l.contains("client \"mirror\" gives " + smallBytes + " bytes") && l.contains(largeBytes
                    + " bytes on the partner")), "A logs both sizes: " + logA);
            assertTrue(events().stream().noneMatch(e -> e.contains("CONNECTED>ERROR")), "the session holds:" + timelineText());
        } finally {
            hbA.release();
            hbB.release();
            small.release();
            large.release();
        }
    }

    /**
     * Interconnects are used in the node's order of preference: with both up, the heartbeats go over interconnect 0;
     * cut, they move to interconnect 1; once interconnect 0 rejoins, they go back to it, and the mirror works on.
     * Before 2026-12-06 a client kept its links in the order they arrived, so it could start on interconnect 1 (the cut
     * of interconnect 0 then tested no failover), and a rejoined interconnect 0 was never used again.
     */
    @Test
    void aRejoinedPreferredInterconnectCarriesTheHeartbeatsAgain() throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        int a0 = port();
        int b0 = port();
        int a1 = port();
        int b1 = port();
        try (FaultProxy toB0 = new FaultProxy(lo, new InetSocketAddress(lo, b0)); FaultProxy toA0 = new FaultProxy(lo, new InetSocketAddress(lo, a0));
             Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(a0) + params(), uri(toB0.port())),
                     new ClusterNode.Interconnect(uri(a1) + params(), uri(b1))), Duration.ofSeconds(2));
             Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(b0) + params(), uri(toA0.port())),
                     new ClusterNode.Interconnect(uri(b1) + params(), uri(a1))), Duration.ofSeconds(2))) {
            waitFor(() -> a.node.managers().stream().allMatch(m -> m.state() == SlamState.CONNECTED)
                    && b.node.managers().stream().allMatch(m -> m.state() == SlamState.CONNECTED), 15_000, "both interconnects");
            waitFor(() -> a.heartbeat.activeInterconnect() == 0 && b.heartbeat.activeInterconnect() == 0, 5000,
                    "both heartbeat over interconnect 0, the first in order of preference");
            toB0.mode(FaultProxy.Mode.DROP);
            toA0.mode(FaultProxy.Mode.DROP);
            waitFor(() -> a.heartbeat.activeInterconnect() == 1 && b.heartbeat.activeInterconnect() == 1, 10_000, "failed over to 1");
            toB0.mode(FaultProxy.Mode.FORWARD);
            toA0.mode(FaultProxy.Mode.FORWARD);
            waitFor(() -> a.node.managers().get(0).state() == SlamState.CONNECTED && b.node.managers().get(0).state() == SlamState.CONNECTED,
                    20_000, "interconnect 0 rejoins");
            waitFor(() -> a.heartbeat.activeInterconnect() == 0 && b.heartbeat.activeInterconnect() == 0, 5000,
                    "the heartbeats go back to interconnect 0");
            List<byte[]> written = new ArrayList<>();
            appendRecords(a, written, 1, 10);
            assertMirrored(b, written);
            assertFalse(a.states.contains(PartnerState.FAILED) || b.states.contains(PartnerState.FAILED), a.verdicts + " " + b.verdicts);
        }
    }

    /**
     * A partner whose node is gone for good — its process ended, and its address now refuses connections — is declared
     * FAILED once every interconnect has refused the managers' connects for the heartbeat window (6 intervals): a
     * refusal comes from the partner's host, so it is the partner that is missing, not this node that is cut off. When
     * the partner starts again, it is ALIVE again. Before 2026-12-06 it stayed UNKNOWN for good.
     */
    @Test
    void aPartnerGoneForGoodIsFailedAndAliveAgainWhenItReturns() throws Exception {
        int pa = port();
        int pb = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), Duration.ofSeconds(2))) {
            try (Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))), Duration.ofSeconds(2))) {
                waitFor(() -> a.heartbeat.state() == PartnerState.ALIVE && b.heartbeat.state() == PartnerState.ALIVE, 15_000, "heartbeats");
            }
            waitFor(() -> a.heartbeat.state() == PartnerState.FAILED, 10_000, "A declares the vanished B failed");
            String why = a.verdicts.get(a.verdicts.size() - 1);
            assertTrue(why.contains("refused") && why.contains("not running"), why);
            assertTrue(a.states.indexOf(PartnerState.UNKNOWN) > 0, "UNKNOWN (no link) before the refusals made it FAILED: " + a.verdicts);
            try (Node b2 = new Node(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))), Duration.ofSeconds(2))) {
                waitFor(() -> a.heartbeat.state() == PartnerState.ALIVE && b2.heartbeat.state() == PartnerState.ALIVE, 15_000,
                        "the returned partner is ALIVE again");
            }
        }
    }

    /**
     * A partner this node has no way to — its own side cut off, here no route at all: the kernel refuses a TCP connect
     * to a multicast address itself (ENETUNREACH) before any packet leaves — is never declared FAILED, however long it
     * lasts: only an answer from the partner's side (a refusal) tells that its node is not running. Before the
     * providers told UNREACHABLE from CONNECTION_REFUSED (2026-12-06), tcp called every failed connect a refusal and this
     * node declared its partner FAILED within half a second.
     */
    @Test
    void aPartnerThisNodeHasNoRouteToStaysUnknown() throws Exception {
        int pa = port();
        int pa2 = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), "tcp://224.0.0.1:4000"),
                new ClusterNode.Interconnect("tcp://127.0.0.1:" + pa2 + params(), "tcp://224.0.0.2:4000")), Duration.ofSeconds(2))) {
            Thread.sleep(3000); // several heartbeat windows (missed x interval is well under a second here)
            assertEquals(PartnerState.UNKNOWN, a.heartbeat.state(), "no route is no verdict on the partner: " + a.verdicts);
            assertFalse(a.states.contains(PartnerState.FAILED), "never FAILED: " + a.verdicts);
        }
    }

    /**
     * {@code close()} called on a manager's own thread (here: the node closed from a client's {@code linkUp}) does not
     * wait for that thread, which is the caller: it returns at once, and the thread shuts the manager down when the
     * callback returns, handing the link to {@code linkDown} and ending. Before 2026-12-06 the close waited for itself
     * twice 5 s and then skipped {@code linkDown}.
     */
    @Test
    void closeFromAClientCallbackDoesNotWaitForItselfAndTheLinkGoesDown() throws Exception {
        int pa = port();
        int pb = port();
        Probe probeA = new Probe();
        Probe probeB = new Probe();
        java.util.concurrent.atomic.AtomicReference<ClusterNode> nodeA = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicLong closeNanos = new java.util.concurrent.atomic.AtomicLong(-1);
        probeA.onUp = link -> {
            long t0 = System.nanoTime();
            nodeA.get().close();
            closeNanos.set(System.nanoTime() - t0);
        };
        ClusterNode b = nodeWith(2, pb, pa, List.of(probeB), new ArrayList<>());
        try {
            nodeA.set(nodeWith(1, pa, pb, List.of(probeA), new java.util.concurrent.CopyOnWriteArrayList<>()));
            try {
                waitFor(() -> probeA.down.size() == 1, 15_000, "the link A's probe was given goes down after the close in linkUp");
                assertEquals(1, probeA.up.size());
                assertTrue(probeA.down.get(0) == probeA.up.get(0), "linkDown for the very link linkUp was given");
                assertTrue(closeNanos.get() >= 0 && closeNanos.get() < TimeUnit.SECONDS.toNanos(5),
                        "close on the manager's thread returned without waiting for itself: " + closeNanos.get() + " ns");
                waitFor(() -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("weft-cluster-1-0")),
                        5000, "A's manager thread ended");
            } finally {
                nodeA.get().close();
            }
        } finally {
            b.close();
            probeA.arena.close();
            probeB.arena.close();
        }
    }

    /**
     * A manager thread that does not end within the first 5 s of {@code close()} (here a client's {@code linkUp} that
     * takes 6 s and ignores the interrupt) still hands its links to {@code linkDown} once it ends within the second
     * wait, so every {@code linkUp} gets its {@code linkDown}. Before 2026-12-06 they were then never handed over.
     */
    @Test
    void aManagerThreadSlowToEndStillHandsItsLinksToLinkDown() throws Exception {
        int pa = port();
        int pb = port();
        Probe probeA = new Probe();
        Probe probeB = new Probe();
        java.util.concurrent.CountDownLatch inLinkUp = new java.util.concurrent.CountDownLatch(1);
        probeA.onUp = link -> {
            inLinkUp.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            boolean interrupted = false;
            while (System.nanoTime() - until < 0) {
                try {
                    Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())));
                } catch (InterruptedException e) {
                    interrupted = true; // a slow callback that does not answer the interrupt
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        };
        ClusterNode b = nodeWith(2, pb, pa, List.of(probeB), new ArrayList<>());
        try {
            ClusterNode a = nodeWith(1, pa, pb, List.of(probeA), new java.util.concurrent.CopyOnWriteArrayList<>());
            assertTrue(inLinkUp.await(15, TimeUnit.SECONDS), "A's probe got its link");
            a.close();
            assertEquals(1, probeA.up.size());
            assertEquals(probeA.up, probeA.down, "linkDown for the link linkUp was given, after the thread ended in the second wait");
        } finally {
            b.close();
            probeA.arena.close();
            probeB.arena.close();
        }
    }
}
