package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The heartbeat monitor's verdict rule on a clock of its own: 100 ms interval, 5 missed checks.
 * The scenarios in {@link ClusterScenarios} show the same rule with real heartbeats; here the
 * timings the fabric cannot make exact (a failover slower than the window, a stalled JVM) are
 * written down.
 */
class PartnerWatchTest {
    private static final long MS = 1_000_000L;
    private static final long INTERVAL = 100 * MS;

    private final PartnerWatch watch = new PartnerWatch(INTERVAL, 5, 0, 0);
    private long now;
    private long seen;
    private long lost;

    private PartnerState tick(boolean linksUp) {
        now += INTERVAL;
        return watch.check(seen, linksUp, lost, now);
    }

    private PartnerState beat() {
        seen++;
        return tick(true);
    }

    @Test
    void aMovingCounterIsAliveAndFiveSilentChecksAreFailed() {
        assertEquals(PartnerState.ALIVE, beat());
        assertEquals("heartbeat 1 arrived", watch.reason());
        for (int i = 1; i < 5; i++) {
            assertEquals(PartnerState.ALIVE, tick(true), "check " + i + " of 5 without a heartbeat");
        }
        assertEquals(PartnerState.FAILED, tick(true));
        assertTrue(watch.reason().startsWith("no heartbeat in 5 checks over 500 ms"), watch.reason());
        assertEquals(PartnerState.ALIVE, beat(), "a partner that beats again is alive again");
    }

    @Test
    void withoutAnInterconnectThePartnerIsUnknownNeverFailed() {
        beat();
        for (int i = 0; i < 20; i++) {
            assertEquals(PartnerState.UNKNOWN, tick(false));
        }
        assertEquals("no interconnect reaches the partner", watch.reason());
        // an interconnect comes back and the partner stays silent: a whole window first
        for (int i = 1; i < 5; i++) {
            assertEquals(PartnerState.UNKNOWN, tick(true));
        }
        assertEquals(PartnerState.FAILED, tick(true));
    }

    /**
     * The failure CI met on rxe: interconnect 0 is cut; the partner's heartbeat on it and the
     * write timeout before it fails over take longer than the window. This node lost its own link
     * to interconnect 0 meanwhile, which restarts the count.
     */
    @Test
    void anInterconnectLostHereGivesThePartnerAWholeWindowToFailOver() {
        beat();
        tick(true);
        tick(true);
        tick(true);
        lost++; // this node's heartbeat on interconnect 0 failed; interconnect 1 is up
        assertEquals(PartnerState.ALIVE, tick(true));
        for (int i = 1; i < 5; i++) {
            assertEquals(PartnerState.ALIVE, tick(true), "check " + i + " after the failover");
        }
        assertEquals(PartnerState.ALIVE, beat(), "the partner's heartbeat arrives over interconnect 1");
        // a partner that then stops for real is still caught, one window later
        for (int i = 1; i < 5; i++) {
            tick(true);
        }
        assertEquals(PartnerState.FAILED, tick(true));
    }

    /** A GC pause or a paused VM: the clock jumps while this node's thread did not run. */
    @Test
    void aStallOfThisNodeCountsAsOneCheck() {
        beat();
        now += 60_000 * MS;
        assertEquals(PartnerState.ALIVE, watch.check(seen, true, lost, now), "one check after a minute's stall");
        for (int i = 2; i < 5; i++) {
            assertEquals(PartnerState.ALIVE, tick(true), "check " + i);
        }
        assertEquals(PartnerState.FAILED, tick(true), "the fifth check in a row without a heartbeat");
    }

    /** Checks that come faster than the interval (a slow beat, then a short sleep) still wait out the interval. */
    @Test
    void quickChecksWaitForTheWholeWindowInTime() {
        beat();
        for (int i = 0; i < 20; i++) {
            now += MS;
            assertEquals(PartnerState.ALIVE, watch.check(seen, true, lost, now), "20 checks within 20 ms");
        }
        now += 480 * MS;
        assertEquals(PartnerState.FAILED, watch.check(seen, true, lost, now), "500 ms and more than 5 checks");
    }

    @Test
    void theMonitorRefusesAWindowOfNothing() {
        FabricException noMissed = assertThrows(FabricException.class, () -> new HeartbeatMonitor(Duration.ofMillis(100), 0, (s, why) -> { }));
        assertEquals(ErrorCode.INVALID_ARGUMENT, noMissed.code());
        assertTrue(noMissed.getMessage().contains("missed 0"), noMissed.getMessage());
        FabricException noInterval = assertThrows(FabricException.class, () -> new HeartbeatMonitor(Duration.ZERO, 5, (s, why) -> { }));
        assertTrue(noInterval.getMessage().contains("interval must be a positive duration"), noInterval.getMessage());
        assertTrue(noInterval.getMessage().contains("got PT0S"), noInterval.getMessage());
    }

    /**
     * With no link, a partner whose address actively refuses the connects on every interconnect for the whole window
     * (5 intervals) is FAILED: its node is not running. Shorter, or not on every interconnect (the caller passes a
     * negative time then), it stays UNKNOWN, since this node's side may be the one cut off; its heartbeats make it ALIVE
     * again. Before 2026-12-06 such a partner stayed UNKNOWN for good.
     */
    @Test
    void refusedOnEveryInterconnectForTheWindowIsFailed() {
        beat();
        assertEquals(PartnerState.UNKNOWN, watch.check(seen, false, lost, -1, now += INTERVAL), "not every interconnect refuses");
        assertEquals(PartnerState.UNKNOWN, watch.check(seen, false, lost, 4 * INTERVAL, now += INTERVAL), "refused for less than the window");
        assertEquals(PartnerState.FAILED, watch.check(seen, false, lost, 5 * INTERVAL, now += INTERVAL));
        assertTrue(watch.reason().contains("refused for 500 ms") && watch.reason().contains("not running"), watch.reason());
        assertEquals(PartnerState.FAILED, watch.check(seen, false, lost, 6 * INTERVAL, now += INTERVAL));
        assertEquals(PartnerState.UNKNOWN, watch.check(seen, false, lost, -1, now += INTERVAL), "the partner answers again: no link yet");
        assertEquals(PartnerState.ALIVE, beat(), "its heartbeats arrive");
    }
}
