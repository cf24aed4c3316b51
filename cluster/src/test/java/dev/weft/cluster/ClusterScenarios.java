package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster scenarios of issue 7 with two nodes in one JVM, for any provider: a subclass says
 * how to name a local access point and which fabric parameters to use. Runs on TCP
 * ({@link ClusterOnTcpTest}) and on verbs over Soft-RoCE ({@link ClusterOnRxeTest}) and
 * Soft-iWARP ({@link ClusterOnSiwTest}). Every transition of both nodes is kept in
 * {@link #timeline} with its time and reason; a wait that times out prints it.
 */
@Timeout(90)
abstract class ClusterScenarios {
    /**
     * @param port a port number
     * @return the fabric URI of a local access point at that port
     */
    abstract String uri(int port);

    /** @return fabric parameters (a query string starting with '?') for both nodes */
    abstract String params();

    /**
     * @return extra milliseconds timing bounds allow on this provider (an emulated guest is slower;
     *         an rdma_cm connect to a missing listener takes longer than a refused TCP connect)
     */
    long timingSlackMillis() {
        return 0;
    }
    /** Every transition of both nodes' state machines, in the order reported, each with its time. */
    final List<Stamped> timeline = new CopyOnWriteArrayList<>();

    /**
     * @param text a transition as "node:interconnect:from>to:event"
     * @param nanos the {@code System.nanoTime()} it was reported at
     * @param detail the state machine's reason for it
     */
    record Stamped(String text, long nanos, String detail) {
    }

    /** @return the transitions of {@link #timeline} without their times, in order */
    List<String> events() {
        return timeline.stream().map(Stamped::text).toList();
    }

    /** @return the timeline for a failure message: each transition with its milliseconds since the first */
    String timelineText() {
        if (timeline.isEmpty()) {
            return "(no transitions)";
        }
        long start = timeline.get(0).nanos();
        StringBuilder text = new StringBuilder();
        for (Stamped e : timeline) {
            text.append(String.format("%n  +%d ms %s (%s)", (e.nanos() - start) / 1_000_000, e.text(), e.detail()));
        }
        return text.toString();
    }

    /** @return the time of the first transition in {@link #timeline} that {@code test} accepts */
    long firstTime(Predicate<String> test, String what) {
        return timeline.stream().filter(e -> test.test(e.text())).findFirst().map(Stamped::nanos)
                .orElseThrow(() -> new AssertionError("no transition " + what + " in" + timelineText()));
    }

    /**
     * @param millis how long forming a session may take on TCP
     * @return that with twice this provider's slack: forming a session takes several connects and
     *         RDMA round trips, and a session that meets a race (a torn record, both nodes reading at
     *         once) goes through Error and a back-off first
     */
    long connectMillis(long millis) {
        return millis + 2 * timingSlackMillis();
    }

    /** @return the heartbeat interval of both nodes (6 missed beats declare the partner failed) */
    Duration heartbeatInterval() {
        return Duration.ofMillis(50);
    }

    /** A node with a heartbeat monitor and a log mirror. */
    final class Node implements AutoCloseable {
        final HeartbeatMonitor heartbeat;
        final LogMirror mirror = new LogMirror(256, Duration.ofSeconds(10));
        final List<PartnerState> states = new CopyOnWriteArrayList<>();
        /** Each of {@link #states} with the monitor's reason, for failure messages. */
        final List<String> verdicts = new CopyOnWriteArrayList<>();
        final ClusterNode node;

        Node(long id, List<ClusterNode.Interconnect> interconnects, Duration wait) {
            heartbeat = new HeartbeatMonitor(heartbeatInterval(), 6, (s, why) -> {
                verdicts.add(s + " (" + why + ")");
                states.add(s);
            });
            node = new ClusterNode(id, interconnects, List.of(heartbeat, mirror), s -> s.withWaitTimeout(wait),
                    (ic, from, event, to, detail) -> {
                        String text = id + ":" + ic + ":" + from + ">" + to + ":" + event;
                        timeline.add(new Stamped(text, System.nanoTime(), detail));
                    }, line -> { });
        }

        @Override
        public void close() {
            heartbeat.close();
            node.close();
            heartbeat.release();
            mirror.release();
        }
    }

    /** Where {@link #port()} starts looking, picked at random per JVM; below {@link #FIRST_EPHEMERAL}. */
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(20_000 + ThreadLocalRandom.current().nextInt(10_000));
    /** Linux's default first ephemeral port ({@code /proc/sys/net/ipv4/ip_local_port_range}). */
    private static final int FIRST_EPHEMERAL = 32_768;

    /**
     * A loopback port that is free now, for a listener that must be named before it exists (an
     * interconnect's predetermined address). Taken below the kernel's ephemeral range and never
     * twice in one JVM: a port from that range (bind to port 0, close, use later) can be handed out
     * again in the meantime, to a fault proxy's listener or to the local end of an outgoing
     * connection, and the node's listen then fails with "Address already in use" (seen once in CI).
     */
    static int port() throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int p = NEXT_PORT.getAndUpdate(n -> n + 1 < FIRST_EPHEMERAL ? n + 1 : 20_000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 1);
                return p;
            } catch (BindException inUse) {
                // taken by another process: try the next one
            }
        }
        throw new IOException("no free loopback port between 20000 and " + FIRST_EPHEMERAL + " after 1000 tries");
    }

    /** Waits up to {@code millis} for {@code condition}; on a timeout fails with the state machines' timeline. */
    void waitFor(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + millis + " ms waiting until " + what + "; transitions:" + timelineText());
            }
            Thread.sleep(10);
        }
    }

    /** Appends records "r{from}".."r{to}" to {@code a}'s log mirror and remembers them in {@code written}. */
    static void appendRecords(Node a, List<byte[]> written, int from, int to) {
        for (int i = from; i <= to; i++) {
            byte[] r = ("r" + i).getBytes(StandardCharsets.UTF_8);
            written.add(r);
            a.mirror.append(r);
        }
    }

    /** Fails unless {@code b} mirrored exactly {@code written}, in order, none lost or duplicated. */
    static void assertMirrored(Node b, List<byte[]> written) {
        assertEquals(written.size(), b.mirror.mirroredUpTo());
        for (int i = 1; i <= written.size(); i++) {
            assertArrayEquals(written.get(i - 1), b.mirror.mirrored(i), "record " + i);
        }
    }

    static boolean linked(Node n) {
        return n.node.connected() && n.heartbeat.activeInterconnect() >= 0;
    }

    @Test
    void bothStartTogetherThenMirrorAndHeartbeat() throws Exception {
        int pa = port();
        int pb = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), Duration.ofSeconds(10));
             Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))), Duration.ofSeconds(10))) {
            waitFor(() -> linked(a) && linked(b), connectMillis(10_000), "both are connected with client links");
            waitFor(() -> a.heartbeat.state() == PartnerState.ALIVE && b.heartbeat.state() == PartnerState.ALIVE, 5000 + timingSlackMillis(),
                    "heartbeats");
            for (int i = 1; i <= 100; i++) {
                assertEquals(i, a.mirror.append(("a" + i).getBytes(StandardCharsets.UTF_8)));
            }
            assertEquals(100, b.mirror.mirroredUpTo());
            for (int i = 1; i <= 100; i++) {
                assertArrayEquals(("a" + i).getBytes(StandardCharsets.UTF_8), b.mirror.mirrored(i));
            }
            assertEquals(b.node.incarnation(), a.node.managers().get(0).partnerIncarnation());
            assertEquals(a.node.incarnation(), b.node.managers().get(0).partnerIncarnation());
            assertTrue(events().stream().anyMatch(e -> e.endsWith(">CONNECTED:PARTNER_AT_5") || e.endsWith(">CONNECTED:PARTNER_CONNECTED")));
        }
    }

    @Test
    void oneStartsLaterAndTheWaiterIsWrittenToByItsPartner() throws Exception {
        int pa = port();
        int pb = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), Duration.ofSeconds(20))) {
            // reaching state 3 takes a connect attempt to the missing partner: slow on an emulated guest
            waitFor(() -> a.node.managers().get(0).state() == SlamState.WAITING_ON_PARTNER, 5000 + 2 * timingSlackMillis(), "A waits in state 3");
            Thread.sleep(2000);
            assertEquals(SlamState.WAITING_ON_PARTNER, a.node.managers().get(0).state());
            try (Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))), Duration.ofSeconds(20))) {
                waitFor(() -> linked(a) && linked(b), connectMillis(10_000), "both connected");
                assertTrue(events().contains("1:0:WAITING_ON_PARTNER>ATTEMPTING_WRITE_AGAIN:PARTNER_AT_5"), this::timelineText);
                assertTrue(events().contains("2:0:ATTEMPTING_READ>ATTEMPTING_WRITE:READ_OK"), this::timelineText);
            }
        }
    }

    @Test
    void aPartnerThatNeverComesIsAnErrorWithinTheTimeout() throws Exception {
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(port()) + params(), uri(port()))), Duration.ofMillis(500))) {
            // Reaching state 3 takes a connect attempt to the missing partner, which an emulated guest makes slow
            // (seconds); the timeout under test runs from there.
            waitFor(() -> events().contains("1:0:WAITING_ON_PARTNER>ERROR:TIMEOUT"), 3000 + 2 * timingSlackMillis(), "state 3 times out");
            long entered = firstTime(e -> e.startsWith("1:0:") && e.contains(">WAITING_ON_PARTNER:"), "into state 3");
            long left = firstTime(e -> e.equals("1:0:WAITING_ON_PARTNER>ERROR:TIMEOUT"), "out of state 3 on the timeout");
            long millis = (left - entered) / 1_000_000;
            assertTrue(millis >= 450 && millis < 1500 + timingSlackMillis(),
                    "state 3 timed out " + millis + " ms after it was entered (wait timeout 500 ms):" + timelineText());
            waitFor(() -> events().stream().filter(e -> e.equals("1:0:ERROR>INITIAL:RETRY")).count() >= 2, 5000 + 4 * timingSlackMillis(),
                    "the retry policy restarts");
            List<Stamped> starts = timeline.stream().filter(e -> e.text().equals("1:0:INITIAL>ATTEMPTING_READ:START")).toList();
            assertEquals("power on", starts.get(0).detail(), timelineText());
            assertEquals("retry after back-off", starts.get(1).detail(), "a retry is not a power-on:" + timelineText());
            // no link ever: never ALIVE; FAILED only because every connect was refused (its address answers, nothing
            // listens) for the heartbeat window, as a missing TCP listener is; a fabric whose connects to a missing
            // listener time out instead leaves the partner UNKNOWN
            assertFalse(a.states.contains(PartnerState.ALIVE), a.verdicts::toString);
            if (a.heartbeat.state() == PartnerState.FAILED) {
                assertTrue(a.verdicts.get(a.verdicts.size() - 1).contains("refused"), a.verdicts::toString);
            } else {
                assertEquals(PartnerState.UNKNOWN, a.heartbeat.state(), a.verdicts::toString);
            }
        }
    }

    @Test
    void aRestartedPartnerFormsOneNewSession() throws Exception {
        int pa = port();
        int pb = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), Duration.ofSeconds(20))) {
            long firstB;
            try (Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))), Duration.ofSeconds(20))) {
                waitFor(() -> linked(a) && linked(b), connectMillis(10_000), "first session");
                firstB = b.node.incarnation();
                a.mirror.append("before".getBytes(StandardCharsets.UTF_8));
            }
            try (Node b2 = new Node(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))), Duration.ofSeconds(20))) {
                assertNotEquals(firstB, b2.node.incarnation());
                waitFor(() -> a.node.managers().get(0).partnerIncarnation() == b2.node.incarnation() && linked(a) && linked(b2),
                        connectMillis(15_000), "A connects to the new incarnation");
                assertTrue(events().stream().anyMatch(e -> e.startsWith("1:0:CONNECTED>ERROR")), "the old session was dropped");
                a.mirror.append("after".getBytes(StandardCharsets.UTF_8));
                // the restarted partner's mirror was empty: A ships the record it keeps again before the new one, so that
                // "mirrored up to 2" is true of the new mirror (before, it held record 2 only)
                assertMirrored(b2, List.of("before".getBytes(StandardCharsets.UTF_8), "after".getBytes(StandardCharsets.UTF_8)));
                assertEquals(1, a.heartbeat.activeInterconnect() + 1, "one session, on interconnect 0");
                // what the old incarnation held open to A (its config endpoint and two client links) is closed:
                // only the new incarnation's three remain
                waitFor(() -> a.node.managers().get(0).servedEndpoints() == 3, 5000 + timingSlackMillis(),
                        "A serves only the new incarnation's three endpoints");
            }
        }
    }

    @Test
    void aHungPartnerIsDeclaredFailedWhileTheInterconnectIsUp() throws Exception {
        int pa = port();
        int pb = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(pa) + params(), uri(pb))), Duration.ofSeconds(10));
             Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(pb) + params(), uri(pa))), Duration.ofSeconds(10))) {
            waitFor(() -> a.heartbeat.state() == PartnerState.ALIVE, connectMillis(10_000), "heartbeats");
            b.heartbeat.pauseSending(true);
            long t0 = System.nanoTime();
            long beat = heartbeatInterval().toMillis();
            long bound = 2000 + 6 * beat + timingSlackMillis();
            waitFor(() -> a.heartbeat.state() == PartnerState.FAILED, bound, "A declares B failed");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(millis >= 5 * beat && millis < bound,
                    "detected after " + millis + " ms (6 missed × " + beat + " ms)");
            assertEquals(SlamState.CONNECTED, a.node.managers().get(0).state(), "the interconnect stayed up");
        }
    }
}
