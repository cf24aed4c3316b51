package dev.weft.cluster;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The transition table of slam connect, exactly as DESIGN.md §6 draws it, and nothing else:
 * an event the table has no entry for in the current state is a programming error and throws.
 *
 * <pre>
 * state                   event               next
 * 0 Initial               START               1 Attempting read
 * 1 Attempting read       READ_OK             2 Attempting write
 * 1 Attempting read       READ_FAILED         3 Waiting on partner
 * 2 Attempting write      WRITE_OK            4 Attempting read (2nd)
 * 2 Attempting write      WRITE_FAILED        Error
 * 3 Waiting on partner    PARTNER_AT_5        5 Attempting write (2nd)
 * 3 Waiting on partner    PARTNER_CONNECTED   Connected
 * 3 Waiting on partner    TIMEOUT             Error
 * 4 Attempting read       READ_OK             5 Attempting write (2nd)
 * 4 Attempting read       READ_FAILED         Error
 * 5 Attempting write      PARTNER_AT_5        Connected
 * 5 Attempting write      PARTNER_CONNECTED   Connected
 * 5 Attempting write      WRITE_FAILED        Error
 * 5 Attempting write      TIMEOUT             Error
 * Connected               READ_FAILED         Error      (a failed read: the session is gone)
 * Connected               WRITE_FAILED        Error      (a failed write)
 * Error                   RETRY               0 Initial  (the retry policy)
 * </pre>
 *
 * <p>Thread-safe; listeners are called on the thread that fires the event.
 */
public final class SlamStateMachine {
    private static final Map<SlamState, Map<SlamEvent, SlamState>> TABLE = new EnumMap<>(SlamState.class);

    private static void row(SlamState from, SlamEvent event, SlamState to) {
        TABLE.computeIfAbsent(from, k -> new EnumMap<>(SlamEvent.class)).put(event, to);
    }

    static {
        row(SlamState.INITIAL, SlamEvent.START, SlamState.ATTEMPTING_READ);
        row(SlamState.ATTEMPTING_READ, SlamEvent.READ_OK, SlamState.ATTEMPTING_WRITE);
        row(SlamState.ATTEMPTING_READ, SlamEvent.READ_FAILED, SlamState.WAITING_ON_PARTNER);
        row(SlamState.ATTEMPTING_WRITE, SlamEvent.WRITE_OK, SlamState.ATTEMPTING_READ_AGAIN);
        row(SlamState.ATTEMPTING_WRITE, SlamEvent.WRITE_FAILED, SlamState.ERROR);
        row(SlamState.WAITING_ON_PARTNER, SlamEvent.PARTNER_AT_5, SlamState.ATTEMPTING_WRITE_AGAIN);
        row(SlamState.WAITING_ON_PARTNER, SlamEvent.PARTNER_CONNECTED, SlamState.CONNECTED);
        row(SlamState.WAITING_ON_PARTNER, SlamEvent.TIMEOUT, SlamState.ERROR);
        row(SlamState.ATTEMPTING_READ_AGAIN, SlamEvent.READ_OK, SlamState.ATTEMPTING_WRITE_AGAIN);
        row(SlamState.ATTEMPTING_READ_AGAIN, SlamEvent.READ_FAILED, SlamState.ERROR);
        row(SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.PARTNER_AT_5, SlamState.CONNECTED);
        row(SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.PARTNER_CONNECTED, SlamState.CONNECTED);
        row(SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.WRITE_FAILED, SlamState.ERROR);
        row(SlamState.ATTEMPTING_WRITE_AGAIN, SlamEvent.TIMEOUT, SlamState.ERROR);
        row(SlamState.CONNECTED, SlamEvent.READ_FAILED, SlamState.ERROR);
        row(SlamState.CONNECTED, SlamEvent.WRITE_FAILED, SlamState.ERROR);
        row(SlamState.ERROR, SlamEvent.RETRY, SlamState.INITIAL);
    }

    /** Observes transitions. */
    @FunctionalInterface
    public interface Listener {
        /**
         * Called after every transition, on the thread that fired it (a manager's own thread): it must not block. An
         * exception it throws is logged ({@link System.Logger}, {@code WARNING}) and changes nothing.
         *
         * @param from the state before
         * @param event what happened
         * @param to the state after
         * @param detail a short human-readable reason
         */
        void transition(SlamState from, SlamEvent event, SlamState to, String detail);
    }

    private static final System.Logger LOG = System.getLogger(SlamStateMachine.class.getName());

    private final String name;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private SlamState state = SlamState.INITIAL;

    /** @param name the node and interconnect, for events and messages */
    public SlamStateMachine(String name) {
        this.name = name;
    }

    /**
     * The table's entry.
     *
     * @param from a state
     * @param event an event
     * @return the next state, or {@code null} if the table has no such transition
     */
    public static SlamState next(SlamState from, SlamEvent event) {
        Map<SlamEvent, SlamState> row = TABLE.get(from);
        return row == null ? null : row.get(event);
    }

    /** @return the number of transitions in the table */
    public static int transitionCount() {
        return TABLE.values().stream().mapToInt(Map::size).sum();
    }

    /** @param listener called after every transition */
    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /** @return the current state */
    public synchronized SlamState state() {
        return state;
    }

    /**
     * Applies an event.
     *
     * @param event what happened
     * @param detail why, for listeners and JFR
     * @return the new state
     * @throws IllegalStateException if the table has no transition for the event in this state
     */
    public SlamState fire(SlamEvent event, String detail) {
        SlamState from;
        SlamState to;
        synchronized (this) {
            from = state;
            to = next(from, event);
            if (to == null) {
                throw new IllegalStateException(name + ": no transition for " + event + " in state " + from);
            }
            state = to;
        }
        SlamTransitionEvent jfr = new SlamTransitionEvent();
        if (jfr.isEnabled()) {
            jfr.node = name;
            jfr.from = from.name();
            jfr.event = event.name();
            jfr.to = to.name();
            jfr.detail = detail;
            jfr.commit();
        }
        for (Listener l : listeners) {
            try {
                l.transition(from, event, to, detail);
            } catch (RuntimeException e) {
                // a listener's failure is its own: the transition happened, and the driver must not take it for one of the
                // interconnect (a session dropped, or the manager's thread ended by a transition the table lacks)
                LOG.log(System.Logger.Level.WARNING, name + ": a transition listener failed on " + from + " --" + event + "--> " + to, e);
            }
        }
        return to;
    }
}
