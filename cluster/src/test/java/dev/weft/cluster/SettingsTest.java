package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Settings a connection manager or node cannot work with are refused when they are made, with what is wrong. */
class SettingsTest {
    private static final long INCARNATION = ConnectionManager.newIncarnation();

    private static void refused(Executable make, String... words) {
        FabricException e = assertThrows(FabricException.class, make);
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), e.getMessage());
        }
    }

    private static ConnectionManager.Settings with(Duration wait, Duration poll, Duration op, Duration min, Duration max) {
        ConnectionManager.Settings s = ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002");
        return new ConnectionManager.Settings(s.nodeId(), s.incarnation(), s.localUri(), s.partnerUri(), wait, poll, op, min, max);
    }

    @Test
    void theDefaultsAreAccepted() {
        ConnectionManager.Settings s = ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:0", "tcp://127.0.0.1:7002");
        assertEquals(FabricUri.parse("tcp://127.0.0.1:7002"), s.partnerUri());
        assertEquals(Duration.ofSeconds(30), s.withWaitTimeout(Duration.ofSeconds(30)).waitTimeout());
    }

    @Test
    void badTimingsAreRefused() {
        Duration s1 = Duration.ofSeconds(1);
        refused(() -> with(Duration.ZERO, s1, s1, s1, s1), "waitTimeout must be a positive duration");
        refused(() -> with(s1, Duration.ofMillis(-5), s1, s1, s1), "pollInterval must be a positive duration");
        refused(() -> with(s1, s1, null, s1, s1), "operationTimeout must be a positive duration");
        refused(() -> with(s1, s1, s1, Duration.ofSeconds(5), s1), "retryMin 5000 ms exceeds retryMax 1000 ms");
        refused(() -> ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002")
                .withWaitTimeout(Duration.ZERO), "waitTimeout");
    }

    /**
     * A timing above a day is refused where it is made, by the manager's settings and by both clients alike. Before,
     * Duration.ofSeconds(Long.MAX_VALUE) passed: the manager's thread looped on an ArithmeticException, the heartbeat's
     * thread died at once without a word, and a log mirror's append threw ArithmeticException.
     */
    @Test
    void timingsLongerThanADayAreRefused() {
        Duration s1 = Duration.ofSeconds(1);
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
        Duration day = ConnectionManager.MAX_DURATION;
        assertEquals(Duration.ofDays(1), day);
        refused(() -> with(huge, s1, s1, s1, s1), "waitTimeout must be a positive duration of at most 1 day", "got PT");
        refused(() -> with(s1, day.plusNanos(1), s1, s1, s1), "pollInterval must be a positive duration of at most 1 day");
        refused(() -> with(s1, s1, huge, s1, s1), "operationTimeout");
        refused(() -> with(s1, s1, s1, s1, huge), "retryMax");
        refused(() -> with(s1, s1, s1, huge, huge), "retryMin");
        assertEquals(day, with(day, day, day, day, day).retryMax(), "a day is taken");
        refused(() -> new LogMirror(4, huge), "a log mirror's append timeout must be a positive duration of at most 1 day");
        refused(() -> new HeartbeatMonitor(huge, 3, (state, why) -> { }), "a heartbeat monitor's interval must be a positive duration"
                + " of at most 1 day");
        new LogMirror(4, day).release();
        new HeartbeatMonitor(day, 3, (state, why) -> { }).release();
    }

    @Test
    void badAddressesAreRefused() {
        refused(() -> ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "tcp://127.0.0.1"),
                "lacks the port the partner listens on", "tcp://127.0.0.1:7002");
        refused(() -> ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:0"),
                "lacks the port");
        refused(() -> ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "verbs://192.0.2.1:7002"),
                "different schemes");
        refused(() -> ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001?timeout=500", "tcp://127.0.0.1:7001"),
                "is this node's own local URI");
        refused(() -> ConnectionManager.Settings.of(1, 0, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002"), "incarnation 0");
    }

    /**
     * Missing or misplaced parts are refused with what is wrong and what is right. Before, a settings operator that
     * returned null, a null interval and a null URI ended in bare NullPointerExceptions, and a local URI with a region
     * was taken without a word.
     */
    @Test
    void missingAndMisplacedPartsAreRefusedWithWhatIsRight() {
        ClusterNode.Interconnect ic = new ClusterNode.Interconnect("tcp://127.0.0.1:0", "tcp://127.0.0.1:7002");
        refused(() -> new ClusterNode(1, List.of(ic), List.of(), s -> null, (i, f, e, t, d) -> { }, l -> { }),
                "the settings operator returned null for interconnect 0", "s -> s.withWaitTimeout");
        refused(() -> new ClusterNode(1, List.of(ic), List.of(), null, (i, f, e, t, d) -> { }, l -> { }), "no settings operator", "s -> s");
        refused(() -> new ClusterNode(1, List.of(ic), List.of(), s -> s, null, l -> { }), "no transition listener");
        refused(() -> new ClusterNode(1, List.of(ic), null, s -> s, (i, f, e, t, d) -> { }, l -> { }), "pass List.of()");
        refused(() -> new ClusterNode.Interconnect(null, "tcp://127.0.0.1:7002"), "needs both a local and a partner URI", "got local null");
        refused(() -> ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001/someregion", "tcp://127.0.0.1:7002"),
                "local URI tcp://127.0.0.1:7001/someregion names region \"/someregion\"", "e.g. tcp://127.0.0.1:7001");
        refused(() -> ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002/foo"),
                "names region \"/foo\"", "always /cluster");
        assertEquals(FabricUri.parse("tcp://127.0.0.1:7002"),
                ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002/cluster").partnerUri(),
                "the documented triple form names the configuration region");
        ConnectionManager.Settings base = ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:7001", "tcp://127.0.0.1:7002");
        refused(() -> new ConnectionManager.Settings(1, INCARNATION, base.localUri(), FabricUri.parse("tcp://127.0.0.1:7002/foo"),
                base.waitTimeout(), base.pollInterval(), base.operationTimeout(), base.retryMin(), base.retryMax()),
                "names region \"/foo\"", "always /cluster");
        refused(() -> new HeartbeatMonitor(null, 3, (state, why) -> { }), "interval must be a positive duration", "got null");
        refused(() -> new HeartbeatMonitor(Duration.ofSeconds(1), 3, null), "needs an onChange callback");
        LogMirror mirror = new LogMirror(4, Duration.ofSeconds(1));
        try {
            refused(() -> mirror.append(null), "a null record");
        } finally {
            mirror.release();
        }
    }

    @Test
    void aNodeNeedsAnInterconnect() {
        refused(() -> new ClusterNode(1, List.of(), List.of(), s -> s, (i, f, e, t, d) -> { }, l -> { }),
                "at least one interconnect");
    }

    /** A bad second interconnect is refused before the first one opens anything: its state machine never starts. */
    @Test
    void aNodeChecksEveryInterconnectBeforeItOpensOne() {
        List<String> transitions = new java.util.concurrent.CopyOnWriteArrayList<>();
        refused(() -> new ClusterNode(1, List.of(new ClusterNode.Interconnect("tcp://127.0.0.1:0", "tcp://127.0.0.1:7002"),
                new ClusterNode.Interconnect("tcp://127.0.0.1:7003", "tcp://127.0.0.1")), List.of(), s -> s,
                (i, f, e, t, d) -> transitions.add(i + ": " + f + " " + e + " " + t), l -> { }), "lacks the port");
        assertEquals(List.of(), transitions, "no interconnect started");
    }

    /**
     * Two interconnects wired to each other's local address would connect the node to itself (both managers' records
     * carry the node's incarnation): refused before anything opens.
     */
    @Test
    void aNodeRefusesAPartnerUriThatIsOneOfItsOwnLocalUris() {
        List<String> transitions = new java.util.concurrent.CopyOnWriteArrayList<>();
        refused(() -> new ClusterNode(1, List.of(new ClusterNode.Interconnect("tcp://127.0.0.1:7011", "tcp://127.0.0.1:7012"),
                new ClusterNode.Interconnect("tcp://127.0.0.1:7012?timeout=500", "tcp://127.0.0.1:7011")), List.of(), s -> s,
                (i, f, e, t, d) -> transitions.add(i + ": " + f + " " + e + " " + t), l -> { }),
                "interconnect 0's partner URI tcp://127.0.0.1:7012 is interconnect 1's local URI", "connect to itself");
        assertEquals(List.of(), transitions, "no interconnect started");
    }

    /**
     * A settings operator may change timings only: every interconnect carries the node's id and incarnation (the partner
     * tells a restart by the incarnation), and two interconnects to one partner address are one interconnect twice (no
     * failover, two sessions competing for one listener). Both are refused before anything opens; before 2026-12-06 both
     * were taken.
     */
    @Test
    void aNodeRefusesASettingsOperatorThatChangesItsIdentityAndTwoInterconnectsToOnePartnerAddress() {
        List<String> transitions = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<ClusterNode.Interconnect> one = List.of(new ClusterNode.Interconnect("tcp://127.0.0.1:0", "tcp://127.0.0.1:7002"));
        refused(() -> new ClusterNode(1, one, List.of(), s -> new ConnectionManager.Settings(9, s.incarnation(), s.localUri(),
                s.partnerUri(), s.waitTimeout(), s.pollInterval(), s.operationTimeout(), s.retryMin(), s.retryMax()),
                (i, f, e, t, d) -> transitions.add(i + ": " + f), l -> { }), "changed interconnect 0's node id from 1 to 9", "only timings");
        refused(() -> new ClusterNode(1, one, List.of(), s -> new ConnectionManager.Settings(s.nodeId(), INCARNATION, s.localUri(),
                s.partnerUri(), s.waitTimeout(), s.pollInterval(), s.operationTimeout(), s.retryMin(), s.retryMax()),
                (i, f, e, t, d) -> transitions.add(i + ": " + f), l -> { }), "changed interconnect 0's incarnation");
        refused(() -> new ClusterNode(1, List.of(new ClusterNode.Interconnect("tcp://127.0.0.1:0", "tcp://127.0.0.1:7002"),
                new ClusterNode.Interconnect("tcp://127.0.0.2:0", "tcp://127.0.0.1:7002?timeout=500")), List.of(), s -> s,
                (i, f, e, t, d) -> transitions.add(i + ": " + f), l -> { }),
                "interconnects 0 and 1 both name partner URI tcp://127.0.0.1:7002");
        assertEquals(List.of(), transitions, "no interconnect started");
    }

    /**
     * Two clients of one name would share the published name {@code client.NAME}: the second's memory replaced the
     * first's, and the partner's writes for one landed in the other. Refused before anything opens, as is a bad name.
     */
    @Test
    void aNodeRefusesTwoClientsOfOneNameAndBadNames() {
        LogMirror first = new LogMirror(4, Duration.ofSeconds(1));
        LogMirror second = new LogMirror(4, Duration.ofSeconds(1));
        LogMirror named = new LogMirror("audit", 4, Duration.ofSeconds(1));
        try {
            assertEquals("audit", named.name());
            refused(() -> new ClusterNode(1, List.of(new ClusterNode.Interconnect("tcp://127.0.0.1:0", "tcp://127.0.0.1:7002")),
                    List.of(first, named, second), s -> s, (i, f, e, t, d) -> { }, l -> { }),
                    "two clients are named \"mirror\"", "new LogMirror(\"orders\"");
            refused(() -> new ConnectionManager(ConnectionManager.Settings.of(1, INCARNATION, "tcp://127.0.0.1:0", "tcp://127.0.0.1:7002"),
                    0, 1, List.of(first, second), (f, e, t, d) -> { }, l -> { }), "two clients are named \"mirror\"");
            refused(() -> new LogMirror("no spaces", 4, Duration.ofSeconds(1)), "client name \"no spaces\" must be 1 to 32 letters");
            refused(() -> new LogMirror(null, 4, Duration.ofSeconds(1)), "client name null");
            refused(() -> new HeartbeatMonitor("x".repeat(33), Duration.ofSeconds(1), 3, (state, why) -> { }), "1 to 32");
        } finally {
            first.release();
            second.release();
            named.release();
        }
    }

    @Test
    void clientsRefuseSizesAndTimingsTheyCannotWorkWith() {
        refused(() -> new LogMirror(0, Duration.ofSeconds(1)), "a log mirror of 0 records; expected 1..1048576");
        refused(() -> new LogMirror(LogMirror.MAX_CAPACITY + 1, Duration.ofSeconds(1)), "expected 1..1048576");
        refused(() -> new LogMirror(8, Duration.ZERO), "append timeout must be a positive duration");
        refused(() -> new HeartbeatMonitor(Duration.ofMillis(100), 0, (state, why) -> { }), "at least 1 missed");
        new LogMirror(LogMirror.MAX_CAPACITY, Duration.ofSeconds(1)).release();
    }
}
