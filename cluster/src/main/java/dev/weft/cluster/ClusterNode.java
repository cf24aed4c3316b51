package dev.weft.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A cluster node: one {@link ConnectionManager} per interconnect, all serving the same clients,
 * with one incarnation number chosen at random when the node starts. Clients get a link per
 * connected interconnect and move to a surviving one when theirs fails; a recovered
 * interconnect rejoins through its own state machine. Thread-safe.
 */
public final class ClusterNode implements AutoCloseable {
    /**
     * One interconnect: where this node listens and where its partner does.
     *
     * @param localUri e.g. {@code tcp://127.0.0.1:7001}
     * @param partnerUri e.g. {@code tcp://127.0.0.1:7002}
     */
    public record Interconnect(String localUri, String partnerUri) {
        /**
         * @throws dev.weft.FabricException {@link dev.weft.ErrorCode#INVALID_ARGUMENT} if either URI is null
         */
        public Interconnect {
            if (localUri == null || partnerUri == null) {
                throw dev.weft.FabricException.invalid("an interconnect needs both a local and a partner URI, e.g. new ClusterNode.Interconnect("
                        + "\"tcp://127.0.0.1:7001\", \"tcp://127.0.0.1:7002\"); got local " + localUri + ", partner " + partnerUri);
            }
        }
    }

    private final long incarnation = ConnectionManager.newIncarnation();
    private final List<ConnectionManager> managers = new ArrayList<>();

    /**
     * Starts a manager per interconnect.
     *
     * @param nodeId this node's id
     * @param interconnects the interconnects, in order of preference: each client uses the first one that has a link
     *        (see {@link LinkList}), and goes back to an earlier one when it rejoins
     * @param clients registered clients, each with its own name (the same names on the partner)
     * @param settings applied to each interconnect's settings (e.g. a shorter wait timeout); returns settings, never null
     * @param listener receives every transition, with the interconnect index
     * @param log receives one line per notable event
     * @throws dev.weft.FabricException {@link dev.weft.ErrorCode#INVALID_ARGUMENT} for no interconnects, a null argument, a
     *         settings operator that returns null, clients that
     *         {@link ConnectionManager} refuses (two of one name, a bad name, too many), settings that
     *         {@link ConnectionManager.Settings} refuses, a settings operator that changes the node id or the incarnation,
     *         a partner URI equal to any of the node's local URIs, two interconnects with one partner URI, or the error
     *         of an interconnect's fabric that cannot open; the
     *         managers already started are closed first
     */
    public ClusterNode(long nodeId, List<Interconnect> interconnects, List<ConnectionClient> clients,
                       java.util.function.UnaryOperator<ConnectionManager.Settings> settings, TransitionListener listener,
                       Consumer<String> log) {
        if (interconnects == null || interconnects.isEmpty()) {
            throw dev.weft.FabricException.invalid("a cluster node needs at least one interconnect, e.g. new ClusterNode.Interconnect("
                    + "\"tcp://127.0.0.1:7001\", \"tcp://127.0.0.1:7002\"); got " + interconnects);
        }
        if (settings == null || listener == null || log == null) {
            throw dev.weft.FabricException.invalid("a cluster node needs a settings operator, a transition listener and a log (got "
                    + (settings == null ? "no settings operator" : listener == null ? "no transition listener" : "no log")
                    + "); for none pass s -> s, (ic, from, event, to, detail) -> { } and line -> { }");
        }
        for (int i = 0; i < interconnects.size(); i++) {
            if (interconnects.get(i) == null) {
                throw dev.weft.FabricException.invalid("interconnect " + i + " of the list is null");
            }
        }
        ConnectionManager.checkClients(clients);
        // every interconnect's settings are checked before the first manager opens its fabric and starts slamming
        List<ConnectionManager.Settings> checked = new ArrayList<>();
        for (int i = 0; i < interconnects.size(); i++) {
            Interconnect ic = interconnects.get(i);
            ConnectionManager.Settings applied = settings.apply(ConnectionManager.Settings.of(nodeId, incarnation, ic.localUri(), ic.partnerUri()));
            if (applied == null) {
                throw dev.weft.FabricException.invalid("the settings operator returned null for interconnect " + i + "; return the settings"
                        + " it is given, or a copy, e.g. s -> s.withWaitTimeout(Duration.ofSeconds(10))");
            }
            if (applied.nodeId() != nodeId || applied.incarnation() != incarnation) {
                throw dev.weft.FabricException.invalid("the settings operator changed interconnect " + i + "'s "
                        + (applied.nodeId() != nodeId ? "node id from " + nodeId + " to " + applied.nodeId()
                                : "incarnation from " + Long.toHexString(incarnation) + " to " + Long.toHexString(applied.incarnation()))
                        + "; every interconnect of a node carries the node's id and incarnation (the partner tells a restart by"
                        + " the incarnation), so change only timings, e.g. s -> s.withWaitTimeout(Duration.ofSeconds(10))");
            }
            checked.add(applied);
        }
        // a partner URI that is one of this node's own local URIs would connect the node to itself (another interconnect's
        // listener carries the same incarnation); a second name of the same address is caught when the record is read
        for (int i = 0; i < checked.size(); i++) {
            for (int j = 0; j < checked.size(); j++) {
                if (checked.get(i).partnerUri().withoutParameters().equals(checked.get(j).localUri().withoutParameters())) {
                    throw dev.weft.FabricException.invalid("interconnect " + i + "'s partner URI " + checked.get(i).partnerUri().safeText()
                            + " is interconnect " + j + "'s local URI: this node would connect to itself; name the partner's address and"
                            + " port");
                }
            }
        }
        // two interconnects to one partner address would be one interconnect twice: no failover, and two sessions
        // competing for the partner's one listener there
        for (int i = 0; i < checked.size(); i++) {
            for (int j = i + 1; j < checked.size(); j++) {
                if (checked.get(i).partnerUri().withoutParameters().equals(checked.get(j).partnerUri().withoutParameters())) {
                    throw dev.weft.FabricException.invalid("interconnects " + i + " and " + j + " both name partner URI "
                            + checked.get(j).partnerUri().withoutParameters().safeText() + "; each interconnect reaches the partner"
                            + " at its own address and port (the partner listens once per interconnect)");
                }
            }
        }
        try {
            for (int i = 0; i < checked.size(); i++) {
                int index = i;
                managers.add(new ConnectionManager(checked.get(i), i, checked.size(), clients,
                        (from, event, to, detail) -> listener.transition(index, from, event, to, detail), log));
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Observes the transitions of every interconnect's state machine. */
    @FunctionalInterface
    public interface TransitionListener {
        /**
         * @param interconnect the interconnect's index
         * @param from the state before
         * @param event what happened
         * @param to the state after
         * @param detail why
         */
        void transition(int interconnect, SlamState from, SlamEvent event, SlamState to, String detail);
    }

    /** @return this node's incarnation */
    public long incarnation() {
        return incarnation;
    }

    /** @return the managers, one per interconnect */
    public List<ConnectionManager> managers() {
        return List.copyOf(managers);
    }

    /** @return {@code true} if at least one interconnect is connected */
    public boolean connected() {
        return managers.stream().anyMatch(m -> m.state() == SlamState.CONNECTED);
    }

    /**
     * Stops every manager ({@link ConnectionManager#close()}). Idempotent. Called from another thread, it returns once
     * the managers have shut down, and the clients' memory may then be released ({@link LogMirror#release()},
     * {@link HeartbeatMonitor#release()}). Called on a manager's own thread — from a client callback or a transition
     * listener — it cannot wait for that manager, which shuts down as the callback returns: the memory it registered is
     * then still in use, so release clients only from another thread, after a close made there has returned.
     */
    @Override
    public void close() {
        for (ConnectionManager m : managers) {
            m.close();
        }
    }
}
