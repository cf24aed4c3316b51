package dev.weft.cluster;

import java.util.concurrent.TimeUnit;

/**
 * The heartbeat monitor's verdict rule, apart from its thread and its fabric so that it can be
 * checked on its own. The monitor calls {@link #check} once per heartbeat interval with what it
 * sees; the rule answers the partner's state and why.
 *
 * <ul>
 * <li>the partner's counter moved → {@link PartnerState#ALIVE};</li>
 * <li>no interconnect up → {@link PartnerState#UNKNOWN}: it may be this node's side that is cut off;</li>
 * <li>no interconnect up, and on every one the partner's address has actively refused the connection
 *     ({@link NoLinkReason#PARTNER_REFUSES}: its host or fabric answers, but nothing listens) for at least
 *     {@code missed} intervals → {@link PartnerState#FAILED}: the partner's node is not running (a crashed
 *     process, a partner that never started). ALIVE again once its heartbeats arrive. Before 2026-12-06 such a
 *     partner stayed UNKNOWN for good;</li>
 * <li>the counter stood still for {@code missed} consecutive checks, and for at least
 *     {@code missed} intervals, while an interconnect was up → {@link PartnerState#FAILED}.</li>
 * </ul>
 *
 * Two things restart the count without a heartbeat:
 * <ul>
 * <li><b>an interconnect this node lost</b>: the partner's heartbeats on it were lost with it, and
 *     the partner has to notice the loss and fail over too (up to one write timeout) before its
 *     heartbeats arrive on the next interconnect. A cut link is not a failed partner;</li>
 * <li><b>a stall of this node</b> (a long GC pause, a preempted or paused VM): the monitor's own
 *     thread did not run, so the partner's silence during it was not observed. It counts as one
 *     check, not as the many intervals the clock moved.</li>
 * </ul>
 *
 * Not thread-safe: owned by the monitor's thread.
 */
final class PartnerWatch {
    private final long intervalNanos;
    private final int missed;
    private long lastSeen;
    private long quietSince;
    private int quietChecks;
    private long linksLost;
    private PartnerState state = PartnerState.UNKNOWN;
    private String reason = "not checked yet";

    /**
     * @param intervalNanos the heartbeat interval
     * @param missed checks without a heartbeat, with an interconnect up, before the partner is declared failed (at least 1; the monitor checks it)
     * @param seen the partner's counter at the start
     * @param now {@link System#nanoTime()} at the start
     */
    PartnerWatch(long intervalNanos, int missed, long seen, long now) {
        this.intervalNanos = intervalNanos;
        this.missed = missed;
        this.lastSeen = seen;
        this.quietSince = now;
    }

    /**
     * One check.
     *
     * @param seen the partner's counter in this node's memory now
     * @param linksUp whether an interconnect to the partner is up now
     * @param linksLost how many interconnect links this node has lost so far (only ever grows)
     * @param now {@link System#nanoTime()}
     * @return the partner's state after this check
     */
    PartnerState check(long seen, boolean linksUp, long linksLost, long now) {
        return check(seen, linksUp, linksLost, -1, now);
    }

    /**
     * One check.
     *
     * @param seen the partner's counter in this node's memory now
     * @param linksUp whether an interconnect to the partner is up now
     * @param linksLost how many interconnect links this node has lost so far (only ever grows)
     * @param refusedNanos for how long every interconnect's connect to the partner has been actively refused, or a
     *        negative value if not every one is refused
     * @param now {@link System#nanoTime()}
     * @return the partner's state after this check
     */
    PartnerState check(long seen, boolean linksUp, long linksLost, long refusedNanos, long now) {
        boolean lostOne = linksLost != this.linksLost;
        this.linksLost = linksLost;
        if (seen != lastSeen) {
            lastSeen = seen;
            restart(now);
            return state == PartnerState.ALIVE ? state : change(PartnerState.ALIVE, "heartbeat " + seen + " arrived");
        }
        if (!linksUp) {
            restart(now);
            if (refusedNanos >= intervalNanos * missed) {
                return state == PartnerState.FAILED ? state : change(PartnerState.FAILED, "every interconnect's connect to the partner"
                        + " has been refused for " + TimeUnit.NANOSECONDS.toMillis(refusedNanos) + " ms (its address answers, but nothing"
                        + " listens there): the partner's node is not running");
            }
            return state == PartnerState.UNKNOWN ? state : change(PartnerState.UNKNOWN, "no interconnect reaches the partner");
        }
        if (lostOne) {
            restart(now); // the partner fails over as well: give it a whole window on the next interconnect
            return state;
        }
        quietChecks++;
        long quiet = now - quietSince;
        if (quietChecks >= missed && quiet >= intervalNanos * missed && state != PartnerState.FAILED) {
            return change(PartnerState.FAILED, "no heartbeat in " + quietChecks + " checks over "
                    + TimeUnit.NANOSECONDS.toMillis(quiet) + " ms with an interconnect up");
        }
        return state;
    }

    /** @return why the current state was reached */
    String reason() {
        return reason;
    }

    private void restart(long now) {
        quietSince = now;
        quietChecks = 0;
    }

    /** Moves to a new state; the callers build the reason only for a change, not on every check. */
    private PartnerState change(PartnerState next, String why) {
        state = next;
        reason = why;
        return state;
    }
}
