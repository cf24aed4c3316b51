package dev.weft.provider.verbs.internal;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Works around a defect of the Linux Soft-iWARP driver ({@code siw}, checked in 6.1's
 * {@code siw_cm.c}): the first frames a connecting side sends can stay unread in the accepting
 * side's socket.
 *
 * <p>In {@code siw_accept} the accepting side moves its QP to RTS and sends the MPA reply, and only
 * then hands the socket's receive callback to the QP. The connecting side reports ESTABLISHED as
 * soon as it has read that reply, so its first request (say, an RDMA read posted right after
 * {@code connect} returned) can reach the accepting host in between. The connection manager's
 * callback ignores data once the connection is in RDMA mode, and the QP's callback is only called
 * for data that arrives later, so the request waits in the socket until the connecting side sends
 * something else. A read waits for ever; a write or send completes on the connecting side (siw
 * completes them when sent) but is not placed. Observed about once in 400 connects in the testbed.
 *
 * <p>The remedy is the "something else": on a siw endpoint that it connected, the provider posts
 * its own zero-length RDMA write ({@link VerbsEndpoint#nudge()}) {@value #FIRST_MILLIS} ms and again
 * {@value #SECOND_MILLIS} ms after the connection was established. Each makes the accepting side
 * read its socket, and with it every request that waited there. A zero-length write places nothing,
 * is not checked against any region and completes nothing on the accepting side; it is unsignaled,
 * so the connecting side's queue reports nothing either. The accepting side never nudges: sending
 * before the connecting side has read the MPA reply would break its connect.
 *
 * <p>One daemon thread for the process, started on first use. Thread-safe.
 */
final class SiwFirstFrame {
    /** Long enough for the accepting side to have finished {@code siw_accept} in the normal case. */
    static final long FIRST_MILLIS = 20;
    /** For an accepting host that was descheduled in that window. */
    static final long SECOND_MILLIS = 250;

    private static final class Timer {
        static final ScheduledThreadPoolExecutor INSTANCE = create();

        private static ScheduledThreadPoolExecutor create() {
            ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1,
                    Thread.ofPlatform().daemon().name("weft-verbs-siw-nudge").factory());
            t.setRemoveOnCancelPolicy(true);
            return t;
        }
    }

    private SiwFirstFrame() {
    }

    /** @param endpoint a siw endpoint this process just connected (ESTABLISHED on the connecting side) */
    static void watch(VerbsEndpoint endpoint) {
        Timer.INSTANCE.schedule(endpoint::nudge, FIRST_MILLIS, TimeUnit.MILLISECONDS);
        Timer.INSTANCE.schedule(endpoint::nudge, SECOND_MILLIS, TimeUnit.MILLISECONDS);
    }
}
