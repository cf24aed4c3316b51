package dev.weft.cluster;

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
import dev.weft.RemoteRegion;
import dev.weft.Status;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * The connection manager of one interconnect: slam connect to the partner with RDMA read and
 * write only, then client connections. One thread per manager drives the
 * {@link SlamStateMachine}; it never needs the partner's application, only its fabric.
 *
 * <h2>Configuration region</h2>
 * Each node registers a {@value #CONFIG_SIZE}-byte region and publishes it on its listener as
 * {@value #CONFIG_REGION} — the seed's predetermined configuration location, addressed by the
 * partner as {@code SCHEME://ADDRESS:PORT/cluster}:
 * <pre>
 *   0  64  own record: written by this node (seqlock), read by the partner (RDMA read)
 *  64  64  inbox: written by the partner (RDMA write), read by this node
 * 128 896  client directory: u32 count, then per client 32-byte name + u64 memory size (big-endian)
 * </pre>
 *
 * <p>Thread-safe; {@link #close()} stops the thread and releases the fabric.
 */
public final class ConnectionManager implements AutoCloseable {
    /** The well-known region name of the configuration region. */
    public static final String CONFIG_REGION = "cluster";
    /** Size of the configuration region. */
    public static final int CONFIG_SIZE = 1024;
    static final int OWN = 0;
    static final int INBOX = 64;
    static final int DIRECTORY = 128;
    static final int DIRECTORY_SIZE = CONFIG_SIZE - DIRECTORY;
    /** How often a torn read of the partner's record is tried before the read counts as failed. */
    static final int TORN_READS = 3;
    private static final int MAX_CLIENTS = (DIRECTORY_SIZE - 4) / 40;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * The longest timing the cluster module takes (a day): for the manager's settings, a heartbeat interval and a log
     * mirror's append timeout. Longer ones are refused when they are made; they are a mistake rather than a wish, and
     * the arithmetic on them (deadlines, doubled back-offs, two intervals) must not overflow.
     */
    public static final Duration MAX_DURATION = Duration.ofDays(1);

    /**
     * Timings and identity of a node on one interconnect.
     *
     * @param nodeId this node's id
     * @param incarnation this node's incarnation (random per start; shared by its managers)
     * @param localUri the fabric URI this node listens on, e.g. {@code tcp://127.0.0.1:7001}
     * @param partnerUri the partner's predetermined address and port, e.g. {@code tcp://127.0.0.1:7002}
     * @param waitTimeout how long states 3 and 5 wait for the partner
     * @param pollInterval how often records are polled and, when connected, the partner's record is read
     * @param operationTimeout how long one RDMA read or write may take
     * @param retryMin first back-off after Error
     * @param retryMax largest back-off (the bound of the retry policy)
     */
    public record Settings(long nodeId, long incarnation, FabricUri localUri, FabricUri partnerUri, Duration waitTimeout,
                           Duration pollInterval, Duration operationTimeout, Duration retryMin, Duration retryMax) {
        /**
         * Checks the settings.
         *
         * @throws FabricException {@link dev.weft.ErrorCode#INVALID_ARGUMENT} for a missing value, a zero incarnation,
         *         a duration that is not positive or longer than {@link ConnectionManager#MAX_DURATION}, a back-off whose
         *         first step exceeds its bound, a local URI that names a region, a partner URI that names a region
         *         other than {@code /cluster} (which is dropped: the partner's configuration region is always that one),
         *         without a port or of another scheme, or a partner URI that is this node's own
         */
        public Settings {
            if (localUri == null || partnerUri == null) {
                throw FabricException.invalid("an interconnect needs both a local and a partner URI, e.g. tcp://127.0.0.1:7001 and "
                        + "tcp://127.0.0.1:7002; got local " + localUri + ", partner " + partnerUri);
            }
            if (localUri.region() != null) {
                throw FabricException.invalid("local URI " + localUri.safeText() + " names region \"/" + localUri.region() + "\"; a local URI"
                        + " is only where this node listens, e.g. " + localUri.scheme() + "://" + localUri.host() + ":7001 (the node publishes"
                        + " its configuration region as /" + CONFIG_REGION + " itself)");
            }
            if (partnerUri.region() != null && !partnerUri.region().equals(CONFIG_REGION)) {
                throw FabricException.invalid("partner URI " + partnerUri.safeText() + " names region \"/" + partnerUri.region() + "\"; the"
                        + " partner's configuration region is always /" + CONFIG_REGION + ", so name only its address and port, e.g. "
                        + partnerUri.scheme() + "://" + partnerUri.host() + ":7002");
            }
            partnerUri = partnerUri.withRegion(null);
            if (incarnation == 0) {
                throw FabricException.invalid("incarnation 0 means 'none' in the configuration record; use ConnectionManager.newIncarnation()");
            }
            requireTiming("waitTimeout", waitTimeout);
            requireTiming("pollInterval", pollInterval);
            requireTiming("operationTimeout", operationTimeout);
            requireTiming("retryMin", retryMin);
            requireTiming("retryMax", retryMax);
            if (retryMin.compareTo(retryMax) > 0) {
                throw FabricException.invalid("retryMin " + retryMin.toMillis() + " ms exceeds retryMax " + retryMax.toMillis()
                        + " ms; the back-off starts at retryMin and doubles up to retryMax");
            }
            if (!partnerUri.scheme().equals(localUri.scheme())) {
                throw FabricException.invalid("partner URI " + partnerUri.safeText() + " and local URI " + localUri.safeText()
                        + " use different schemes; an interconnect is one fabric, so both use the same");
            }
            if (!partnerUri.hasPort() || partnerUri.port() == 0) {
                throw FabricException.invalid("partner URI " + partnerUri.safeText() + " lacks the port the partner listens on;"
                        + " slam connect needs the predetermined address and port, e.g. " + localUri.scheme() + "://" + partnerUri.host()
                        + ":7002");
            }
            if (partnerUri.withoutParameters().equals(localUri.withoutParameters())) {
                throw FabricException.invalid("partner URI " + partnerUri.safeText() + " is this node's own local URI;"
                        + " name the partner's address and port");
            }
        }

        /**
         * Defaults: 30 s wait, 20 ms poll, 2 s per operation, back-off 100 ms doubling to 2 s.
         *
         * @param nodeId this node's id
         * @param incarnation this node's incarnation
         * @param localUri local fabric URI, without a region
         * @param partnerUri partner URI, without a region or with {@code /cluster}
         * @return the settings
         * @throws FabricException {@link ErrorCode#INVALID_URI} for a URI that does not parse;
         *         {@link ErrorCode#INVALID_ARGUMENT} for a partner URI naming another region, or what the constructor refuses
         */
        public static Settings of(long nodeId, long incarnation, String localUri, String partnerUri) {
            return new Settings(nodeId, incarnation, FabricUri.parse(localUri), FabricUri.parse(partnerUri),
                    Duration.ofSeconds(30), Duration.ofMillis(20), Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofSeconds(2));
        }

        /**
         * @param timeout how long states 3 and 5 wait
         * @return a copy with that wait timeout
         */
        public Settings withWaitTimeout(Duration timeout) {
            return new Settings(nodeId, incarnation, localUri, partnerUri, timeout, pollInterval, operationTimeout, retryMin, retryMax);
        }
    }

    /**
     * Checks a timing of the cluster module.
     *
     * @param name what the timing is, as the caller names it (e.g. {@code waitTimeout})
     * @param d the timing
     * @return {@code d}
     * @throws FabricException {@link ErrorCode#INVALID_ARGUMENT} for null, zero, negative, or longer than {@link #MAX_DURATION}
     */
    static Duration requireTiming(String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
            throw FabricException.invalid(name + " must be a positive duration of at most 1 day (ConnectionManager.MAX_DURATION), got " + d);
        }
        return d;
    }

    /** @return a random non-zero incarnation number, for a node that starts */
    public static long newIncarnation() {
        long v;
        do {
            v = RANDOM.nextLong();
        } while (v == 0);
        return v;
    }

    private final Settings settings;
    private final int index;
    private final int interconnects;
    private final List<ConnectionClient> clients;
    private final SlamStateMachine machine;
    private final Consumer<String> log;
    private final Arena arena;
    private final Fabric fabric;
    private final Domain domain;
    private final CompletionQueue queue;
    private final MemoryRegion config;
    private final MemoryRegion scratch;
    private final Listener configListener;
    private final List<MemoryRegion[]> clientRegions = new ArrayList<>();
    private final CompletionBatch batch = new CompletionBatch(16);
    private final List<ClientLink> links = new ArrayList<>();
    /** How many of {@link #links}, from the first, the clients were given by {@code linkUp} (manager thread; close reads it after the thread ended). */
    private int announced;
    /** Endpoints the partner opened to this node's listener; kept while connected, closed once broken (manager thread only). */
    private final List<Endpoint> served = new ArrayList<>();
    private volatile int servedCount;
    private final Thread thread;
    private volatile boolean running = true;
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private Endpoint endpoint;
    private RemoteRegion partnerConfig;
    private volatile long partnerIncarnation; // written by the manager's thread, read by partnerIncarnation()
    private long wrIds;
    /** Why the last {@link #rdma}, {@link #readPartner} or {@link #writeInbox} failed, for the transition's detail (manager thread only). */
    private String lastProblem = "";
    private volatile long connectedAtNanos;
    /** The reason last reported to every client's {@code noLink} for this interconnect's connects (manager thread only). */
    private NoLinkReason reportedReach;
    /** Set by a {@link #close()} on the manager's own thread: the thread shuts the manager down when it leaves {@link #run}. */
    private volatile boolean closeOnExit;

    /**
     * Opens the interconnect's fabric, publishes the configuration region and the clients'
     * memories, and starts the state machine.
     *
     * @param settings identity and timings
     * @param index this interconnect's index
     * @param interconnects how many interconnects the node has (told to the clients with {@link ConnectionClient#noLink})
     * @param clients the node's clients (the same list on every interconnect)
     * @param listener notified of every transition
     * @param log receives one line per notable event (client links, session changes)
     * @throws FabricException {@link ErrorCode#INVALID_ARGUMENT}, before anything opens, for more clients than the
     *         directory holds, a client name that is not 1 to 32 letters, digits, '-' or '_', or two clients of one name
     *         (the second would take over the first's published memory), an index outside {@code 0..interconnects - 1};
     *         the error of a fabric that cannot open (what this constructor opened is closed first)
     */
    public ConnectionManager(Settings settings, int index, int interconnects, List<ConnectionClient> clients,
                             SlamStateMachine.Listener listener, Consumer<String> log) {
        checkClients(clients);
        if (index < 0 || index >= interconnects) {
            throw FabricException.invalid("interconnect index " + index + " of " + interconnects + " interconnects; expected 0.."
                    + (interconnects - 1));
        }
        this.settings = settings;
        this.index = index;
        this.interconnects = interconnects;
        this.clients = List.copyOf(clients);
        this.log = log;
        this.machine = new SlamStateMachine("node " + settings.nodeId() + " interconnect " + index);
        machine.addListener(listener);
        arena = Arena.ofShared(); // after the argument checks, which would leave it open
        try {
            fabric = Fabrics.open(settings.localUri());
        } catch (RuntimeException e) {
            arena.close(); // before 2026-12-06 the arena stayed open when the fabric could not open
            throw e;
        }
        try {
            domain = fabric.openDomain();
            queue = domain.openCompletionQueue(64);
            config = domain.register(arena.allocate(CONFIG_SIZE, 64), Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE);
            // the sink of the partner-record reads (iWARP lets a read response land only in remotely writable memory)
            scratch = domain.register(arena.allocate(CONFIG_SIZE, 64), fabric.info().limits().readSinkAccess());
            writeDirectory();
            publish(SlamState.INITIAL, 0, 0);
            configListener = domain.listen(EndpointConfig.of(queue));
            configListener.publish(CONFIG_REGION, config);
            for (ConnectionClient c : this.clients) {
                MemoryRegion partnerMemory = domain.register(c.partnerMemory(), Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE);
                MemoryRegion sendMemory = domain.register(c.sendMemory(), Access.LOCAL_WRITE);
                clientRegions.add(new MemoryRegion[] {partnerMemory, sendMemory});
                configListener.publish("client." + c.name(), partnerMemory);
            }
        } catch (RuntimeException e) {
            try {
                fabric.close();
            } catch (RuntimeException alsoFailed) {
                e.addSuppressed(alsoFailed);
            } finally {
                arena.close();
            }
            throw e;
        }
        // assigned before it starts: close() tells a call on this thread (from a callback) by it
        thread = Thread.ofPlatform().daemon().name("weft-cluster-" + settings.nodeId() + "-" + index).unstarted(this::run);
        thread.start();
    }

    /** @return the current state */
    public SlamState state() {
        return machine.state();
    }

    /** @return the state machine (to add listeners) */
    public SlamStateMachine machine() {
        return machine;
    }

    /** @return the bound local URI (with the real port) */
    public FabricUri localUri() {
        return configListener.uri();
    }

    /** @return the partner incarnation of the current session, 0 if none */
    public long partnerIncarnation() {
        return partnerIncarnation;
    }

    /** @return how many endpoints the partner holds open to this node's listener (config and client regions), as last counted */
    int servedEndpoints() {
        return servedCount;
    }

    /** @return {@link System#nanoTime()} when the current session reached Connected, 0 if not connected */
    public long connectedAtNanos() {
        return connectedAtNanos;
    }

    // ------------------------------------------------------------------ the state machine's driver

    /**
     * Drives the state machine until {@link #close()}. The pause in Error follows {@link RetryBackoff}: it doubles from
     * {@code retryMin} to {@code retryMax} and starts afresh only after a session that lasted at least {@code retryMax},
     * so a flapping link is retried ever more slowly (before 2026-12-06 each entry into Connected reset it).
     */
    private void run() {
        try {
            drive();
        } finally {
            if (closeOnExit) {
                shutDown(true);
            }
        }
    }

    private void drive() {
        RetryBackoff retry = new RetryBackoff(settings.retryMin().toNanos(), settings.retryMax().toNanos());
        long backoff = settings.retryMin().toNanos(); // the pause when a step in ERROR or INITIAL throws
        boolean first = true;
        while (running) {
            try {
                SlamState s = machine.state();
                switch (s) {
                    case INITIAL -> {
                        publish(SlamState.INITIAL, 0, 0);
                        machine.fire(SlamEvent.START, first ? "power on" : "retry after back-off");
                        first = false;
                    }
                    case ATTEMPTING_READ -> {
                        publish(SlamState.ATTEMPTING_READ, 0, 0);
                        ConfigRecord partner = connectAndRead();
                        if (partner != null) {
                            partnerIncarnation = partner.incarnation();
                            machine.fire(SlamEvent.READ_OK, "partner is in state " + partner.state());
                        } else {
                            machine.fire(SlamEvent.READ_FAILED, "partner not ready: " + lastProblem);
                        }
                    }
                    case ATTEMPTING_WRITE -> {
                        publish(SlamState.ATTEMPTING_WRITE, partnerIncarnation, 0);
                        if (writeInbox(SlamState.ATTEMPTING_WRITE, 0)) {
                            machine.fire(SlamEvent.WRITE_OK, "wrote our state into the partner's region");
                        } else {
                            machine.fire(SlamEvent.WRITE_FAILED, "writing our state into the partner's region failed: " + lastProblem);
                        }
                    }
                    case WAITING_ON_PARTNER -> waitOnPartner();
                    case ATTEMPTING_READ_AGAIN -> {
                        publish(SlamState.ATTEMPTING_READ_AGAIN, partnerIncarnation, 0);
                        ConfigRecord partner = readPartner();
                        if (partner != null && partner.incarnation() == partnerIncarnation) {
                            machine.fire(SlamEvent.READ_OK, "partner is in state " + partner.state());
                        } else {
                            machine.fire(SlamEvent.READ_FAILED, partner == null ? "second read failed: " + lastProblem : "partner restarted meanwhile");
                        }
                    }
                    case ATTEMPTING_WRITE_AGAIN -> writeAgainAndWait();
                    case CONNECTED -> {
                        retry.sessionStarted(System.nanoTime());
                        connected();
                    }
                    case ERROR -> {
                        backoff = retry.pauseAfterError(System.nanoTime());
                        dropSession();
                        idle(backoff);
                        if (running) {
                            machine.fire(SlamEvent.RETRY, "back-off elapsed");
                        }
                    }
                    default -> throw new IllegalStateException(s.name());
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                // a FabricException's message says what failed; anything else is unexpected here, so its type is named too
                String why = e instanceof FabricException && e.getMessage() != null ? e.getMessage() : e.toString();
                log.accept("interconnect " + index + ": " + why);
                SlamState s = machine.state();
                if (SlamStateMachine.next(s, SlamEvent.WRITE_FAILED) != null) {
                    machine.fire(SlamEvent.WRITE_FAILED, why);
                } else if (SlamStateMachine.next(s, SlamEvent.READ_FAILED) != null) {
                    machine.fire(SlamEvent.READ_FAILED, why);
                } else if (SlamStateMachine.next(s, SlamEvent.TIMEOUT) != null) {
                    machine.fire(SlamEvent.TIMEOUT, why);
                } else {
                    sleepNanos(backoff); // ERROR or INITIAL: no failure event leaves them; the step is tried again after a pause
                }
            }
        }
    }

    private void waitOnPartner() {
        publish(SlamState.WAITING_ON_PARTNER, 0, 0);
        closeEndpoint();
        long deadline = System.nanoTime() + settings.waitTimeout().toNanos();
        while (running) {
            ConfigRecord inbox = ConfigRecord.read(config.segment(), INBOX);
            if (inbox != null && inbox.peerIncarnation() == settings.incarnation() && inbox.incarnation() != settings.incarnation()) {
                partnerIncarnation = inbox.incarnation();
                if (inbox.state() == SlamState.ATTEMPTING_WRITE_AGAIN) {
                    machine.fire(SlamEvent.PARTNER_AT_5, "the partner wrote state 5 into our region");
                    return;
                }
                if (inbox.state() == SlamState.CONNECTED) {
                    machine.fire(SlamEvent.PARTNER_CONNECTED, "the partner wrote Connected into our region");
                    return;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                machine.fire(SlamEvent.TIMEOUT, "no partner within " + settings.waitTimeout().toMillis() + " ms");
                return;
            }
            idle(settings.pollInterval().toNanos());
        }
    }

    private void writeAgainAndWait() {
        publish(SlamState.ATTEMPTING_WRITE_AGAIN, partnerIncarnation, 0);
        if (endpoint == null) { // from Waiting on partner: the partner wrote state 5 into our region; reach it again
            String problem = reachPartnerAgain("for the second write", "state 5");
            if (problem != null) {
                machine.fire(SlamEvent.WRITE_FAILED, problem);
                return;
            }
        }
        if (!writeInbox(SlamState.ATTEMPTING_WRITE_AGAIN, 0)) {
            machine.fire(SlamEvent.WRITE_FAILED, "second write failed: " + lastProblem);
            return;
        }
        long deadline = System.nanoTime() + settings.waitTimeout().toNanos();
        while (running) {
            ConfigRecord inbox = ConfigRecord.read(config.segment(), INBOX);
            if (inbox != null && inbox.incarnation() == partnerIncarnation && inbox.peerIncarnation() == settings.incarnation()) {
                if (inbox.state() == SlamState.ATTEMPTING_WRITE_AGAIN) {
                    machine.fire(SlamEvent.PARTNER_AT_5, "the partner reached state 5");
                    return;
                }
                if (inbox.state() == SlamState.CONNECTED) {
                    machine.fire(SlamEvent.PARTNER_CONNECTED, "the partner is connected");
                    return;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                machine.fire(SlamEvent.TIMEOUT, "the partner did not reach state 5 within " + settings.waitTimeout().toMillis() + " ms");
                return;
            }
            idle(settings.pollInterval().toNanos());
        }
    }

    /** Connected: tell the partner, check its client directory, create client endpoints, alert ready, then watch the session. */
    private void connected() {
        connectedAtNanos = System.nanoTime();
        publish(SlamState.CONNECTED, partnerIncarnation, 0);
        if (endpoint == null) { // from Waiting on partner (3 -> Connected), which dropped the endpoint: reach the partner again
            String problem = reachPartnerAgain("that wrote Connected into our region", "Connected");
            if (problem != null) {
                machine.fire(SlamEvent.READ_FAILED, problem);
                return;
            }
        }
        if (!writeInbox(SlamState.CONNECTED, 0)) {
            machine.fire(SlamEvent.WRITE_FAILED, "could not tell the partner we are connected: " + lastProblem);
            return;
        }
        ConfigRecord partner = readPartner();
        if (partner == null || partner.incarnation() != partnerIncarnation) {
            machine.fire(SlamEvent.READ_FAILED, partner == null ? "lost the partner: " + lastProblem : "the partner restarted");
            return;
        }
        java.util.Map<String, Long> partnerClients = readPartnerDirectory(partner);
        if (partnerClients == null) {
            machine.fire(SlamEvent.READ_FAILED, "the partner's client directory is torn or corrupt");
            return;
        }
        for (int i = 0; i < clients.size(); i++) {
            ConnectionClient c = clients.get(i);
            String incompatible = incompatibility(c, partnerClients);
            if (incompatible != null) {
                log.accept("interconnect " + index + ": " + incompatible);
                tellNoLink(c, NoLinkReason.INCOMPATIBLE, incompatible);
                continue;
            }
            CompletionQueue cq = domain.openCompletionQueue(256);
            Endpoint e = null;
            try {
                e = domain.connect(settings.partnerUri().withRegion("client." + c.name()),
                        EndpointConfig.of(cq).withConnectTimeout(settings.operationTimeout()));
                RemoteRegion region = e.wellKnownRegion().orElseThrow(() -> new FabricException(ErrorCode.PROTOCOL_ERROR,
                        "the partner's listener answered without client " + c.name() + "'s region"));
                links.add(new ClientLink(index, partnerIncarnation, e, cq, region, clientRegions.get(i)[0], clientRegions.get(i)[1]));
            } catch (RuntimeException failed) {
                // neither the endpoint nor its queue is in links yet, so dropSession would not close them
                if (e != null) {
                    e.close();
                }
                cq.close();
                throw failed;
            }
        }
        publish(SlamState.CONNECTED, partnerIncarnation, ConfigRecord.FLAG_READY);
        if (!writeInbox(SlamState.CONNECTED, ConfigRecord.FLAG_READY)) {
            machine.fire(SlamEvent.WRITE_FAILED, "could not alert the partner that we are ready: " + lastProblem);
            return;
        }
        long partnerAwaySince = 0;
        while (running) {
            ConfigRecord inbox = ConfigRecord.read(config.segment(), INBOX);
            if (inbox != null && inbox.incarnation() != partnerIncarnation) {
                machine.fire(SlamEvent.READ_FAILED, "the partner restarted (new incarnation): dropping the old session");
                return;
            }
            if (announced == 0 && inbox != null && inbox.ready()) {
                for (ClientLink link : links) {
                    log.accept("interconnect " + index + ": client " + clientName(link) + " connected");
                    announced++; // counted first: a linkUp that throws may have taken the link, so it gets its linkDown
                    clientOf(link).linkUp(link);
                }
            }
            for (ClientLink link : links) {
                if (link.endpoint().state() != EndpointState.CONNECTED) {
                    // the clients lost this link while the configuration endpoint still works: a new session gives them new
                    // links (otherwise the heartbeat would stay without a link here while the partner's still works)
                    machine.fire(SlamEvent.READ_FAILED, "client " + clientName(link) + "'s link broke (" + link.endpoint().state()
                            + "): forming a new session");
                    return;
                }
            }
            partner = readPartner();
            if (partner == null) {
                machine.fire(SlamEvent.READ_FAILED, "reading the partner's record failed (interconnect down?): " + lastProblem);
                return;
            }
            if (partner.incarnation() != partnerIncarnation) {
                machine.fire(SlamEvent.READ_FAILED, "the partner restarted (new incarnation): dropping the old session");
                return;
            }
            // The partner left this session without restarting (its side saw an error and is slamming
            // again): form a new session with it instead of waiting for a partner that waits for us.
            // State 5 is normal for a moment while the partner notices that we are connected.
            if (partner.state() != SlamState.CONNECTED) {
                long now = System.nanoTime();
                partnerAwaySince = partnerAwaySince == 0 ? now : partnerAwaySince;
                if (partner.state() != SlamState.ATTEMPTING_WRITE_AGAIN || now - partnerAwaySince > settings.waitTimeout().toNanos() / 4) {
                    machine.fire(SlamEvent.READ_FAILED, "the partner left the session (it is in state " + partner.state()
                            + "): forming a new one");
                    return;
                }
            } else {
                partnerAwaySince = 0;
            }
            idle(settings.pollInterval().toNanos());
        }
    }

    /**
     * Compares a client with its counterpart in the partner's directory. Each side writes into the other's memory at
     * offsets computed from its own memory (a log mirror's slot is {@code sequence % capacity}), so counterparts of
     * different sizes would overwrite each other's records or write past the end of the partner's memory; such a client
     * is not connected (before 2026-12-06 only the names were compared).
     *
     * @return null if the partner has this client with memory of the same size, else what is wrong and what is right
     */
    private String incompatibility(ConnectionClient c, java.util.Map<String, Long> partnerClients) {
        Long theirs = partnerClients.get(c.name());
        if (theirs == null) {
            return "the partner has no client \"" + c.name() + "\" (its clients: " + partnerClients.keySet() + "); client \"" + c.name()
                    + "\" stays unconnected: register a client of that name on both nodes";
        }
        long ours = c.partnerMemory().byteSize();
        if (theirs != ours) {
            return "client \"" + c.name() + "\" gives " + ours + " bytes of memory on this node (node " + settings.nodeId() + ") but "
                    + theirs + " bytes on the partner; it stays unconnected, since each side would place its writes by its own size:"
                    + " both nodes need the same client with the same memory size (for a LogMirror the same capacity, each record"
                    + " taking a " + LogMirror.SLOT + "-byte slot)";
        }
        return null;
    }

    private String clientName(ClientLink link) {
        return clientOf(link).name();
    }

    private ConnectionClient clientOf(ClientLink link) {
        for (int i = 0; i < clients.size(); i++) {
            if (clientRegions.get(i)[0] == link.partnerMemory()) {
                return clients.get(i);
            }
        }
        throw new IllegalStateException("unknown link");
    }

    private void dropSession() {
        connectedAtNanos = 0;
        reportedReach = null; // the next session's first report goes out again (an INCOMPATIBLE of this one must not outlive it)
        linksDown();
        for (ClientLink link : links) {
            link.endpoint().close();
            link.queue().close();
        }
        links.clear();
        closeEndpoint();
        config.segment().asSlice(INBOX, ConfigRecord.SIZE).fill((byte) 0); // a stale partner record must not start the next session
        publish(SlamState.ERROR, 0, 0);
    }

    /** Hands the links that the clients were given ({@code linkUp}) to {@code linkDown}; the others they never saw. */
    private void linksDown() {
        for (int i = 0; i < announced && i < links.size(); i++) {
            ClientLink link = links.get(i);
            try {
                clientOf(link).linkDown(link);
            } catch (RuntimeException e) {
                log.accept("client " + clientName(link) + " failed in linkDown: " + e);
            }
        }
        announced = 0;
    }

    // ------------------------------------------------------------------ RDMA read and write of records

    /**
     * After Waiting on partner dropped the endpoint: connects to the partner again and checks that its record carries the
     * incarnation that wrote into our region.
     *
     * @param why completes "cannot reach the partner ...", for the message
     * @param wrote the state the partner wrote into our region, for the message
     * @return null once connected to that incarnation, or what went wrong
     */
    private String reachPartnerAgain(String why, String wrote) {
        ConfigRecord partner = connectAndRead();
        if (partner == null) {
            return "cannot reach the partner " + why + ": " + lastProblem;
        }
        if (partner.incarnation() != partnerIncarnation) {
            return "the partner restarted since it wrote " + wrote + " into our region";
        }
        return null;
    }

    private ConfigRecord connectAndRead() {
        closeEndpoint();
        try {
            endpoint = domain.connect(settings.partnerUri().withRegion(CONFIG_REGION),
                    EndpointConfig.of(queue).withConnectTimeout(settings.operationTimeout()));
        } catch (FabricException e) {
            lastProblem = e.getMessage();
            // an active refusal means the partner's node is not there; anything else (no answer, a broken handshake)
            // may as well be this node's side of the interconnect
            reportReach(e.code() == ErrorCode.CONNECTION_REFUSED ? NoLinkReason.PARTNER_REFUSES : NoLinkReason.PARTNER_UNREACHABLE,
                    lastProblem);
            return null; // the partner's fabric is not up: "read failed, partner not ready"
        }
        reportReach(NoLinkReason.FORMING, "connected to the partner's configuration region");
        partnerConfig = endpoint.wellKnownRegion().orElse(null);
        if (partnerConfig == null) {
            lastProblem = "the partner's listener offers no configuration region";
            return null;
        }
        return readPartner();
    }

    /** Tells every client why this interconnect gives it no link, if that changed since the last report. */
    private void reportReach(NoLinkReason reason, String detail) {
        if (reason == reportedReach) {
            return;
        }
        reportedReach = reason;
        for (ConnectionClient c : clients) {
            tellNoLink(c, reason, detail);
        }
    }

    private void tellNoLink(ConnectionClient c, NoLinkReason reason, String detail) {
        try {
            c.noLink(index, interconnects, reason, detail);
        } catch (RuntimeException e) {
            log.accept("client " + c.name() + " failed in noLink: " + e);
        }
    }

    /**
     * Reads the partner's own record. A record that reads torn (the partner was publishing a new
     * one; a seqlock reader retries) is read again, up to {@value #TORN_READS} times a millisecond
     * apart, before the read counts as failed.
     *
     * A record that carries this node's own incarnation is not a partner's: the partner URI reaches this node itself
     * (a second name of its own address, or interconnects wired to each other's local address), and the read fails.
     *
     * @return the record, or null with {@link #lastProblem} set
     */
    private ConfigRecord readPartner() {
        if (endpoint == null || partnerConfig == null) {
            lastProblem = "no endpoint to the partner";
            return null;
        }
        for (int attempt = 1; running; attempt++) {
            if (!rdma(endpoint.read(++wrIds, scratch, 0, ConfigRecord.SIZE, partnerConfig, OWN))) {
                return null;
            }
            ConfigRecord partner = ConfigRecord.read(scratch.segment(), 0);
            if (partner != null && partner.incarnation() == settings.incarnation()) {
                // this node's own record (another name of our address, or an interconnect wired to another of our
                // listeners): it is not a partner, and acting on it would form a session with ourselves
                lastProblem = "partner URI " + settings.partnerUri().safeText() + " reaches this node itself (the record read there"
                        + " carries this node's incarnation); name the partner's address and port";
                return null;
            }
            if (partner != null) {
                return partner;
            }
            if (attempt == TORN_READS) {
                lastProblem = "the partner's record read torn or corrupt " + TORN_READS + " times";
                return null;
            }
            sleepNanos(1_000_000);
        }
        lastProblem = "stopped";
        return null;
    }

    /** @return the partner's clients by name, each with the size of the memory it publishes; null if torn or unreadable */
    private java.util.Map<String, Long> readPartnerDirectory(ConfigRecord partner) {
        if (!rdma(endpoint.read(++wrIds, scratch, 0, DIRECTORY_SIZE, partnerConfig, DIRECTORY))) {
            return null;
        }
        MemorySegment d = scratch.segment();
        if (crc(d.asSlice(0, DIRECTORY_SIZE)) != partner.directoryCrc()) {
            return null;
        }
        int count = d.get(INT, 0);
        java.util.Map<String, Long> sizes = new java.util.LinkedHashMap<>();
        for (int i = 0; i < count && i < MAX_CLIENTS; i++) {
            byte[] name = d.asSlice(4 + 40L * i, 32).toArray(ValueLayout.JAVA_BYTE);
            int n = 0;
            while (n < name.length && name[n] != 0) {
                n++;
            }
            sizes.put(new String(name, 0, n, StandardCharsets.US_ASCII), d.get(LONG, 4 + 40L * i + 32));
        }
        return sizes;
    }

    private boolean writeInbox(SlamState state, int flags) {
        if (endpoint == null || partnerConfig == null) {
            lastProblem = "no endpoint to the partner";
            return false;
        }
        new ConfigRecord(state, settings.nodeId(), settings.incarnation(), 0, partnerIncarnation, flags, directoryCrc())
                .writeTo(scratch.segment(), 0);
        return rdma(endpoint.write(++wrIds, scratch, 0, ConfigRecord.SIZE, partnerConfig, INBOX));
    }

    /** Waits for the one completion of a posted request; drains stale completions of earlier, timed-out requests. */
    private boolean rdma(PostStatus posted) {
        if (posted != PostStatus.OK) {
            lastProblem = "the request was refused: " + posted;
            return false;
        }
        long want = wrIds;
        long deadline = System.nanoTime() + settings.operationTimeout().toNanos();
        while (running) {
            int n = queue.await(batch, 10, TimeUnit.MILLISECONDS);
            for (int i = 0; i < n; i++) {
                if (batch.get(i).workRequestId() == want) {
                    Status status = batch.get(i).status();
                    if (!status.isSuccess()) {
                        lastProblem = "the request completed " + status;
                    }
                    return status.isSuccess();
                }
            }
            if (System.nanoTime() - deadline > 0) {
                lastProblem = "no completion within " + settings.operationTimeout().toMillis() + " ms";
                return false;
            }
        }
        lastProblem = "stopped";
        return false;
    }

    private void publish(SlamState state, long peerIncarnation, int flags) {
        new ConfigRecord(state, settings.nodeId(), settings.incarnation(), 0, peerIncarnation, flags, directoryCrc())
                .publish(config.segment(), OWN);
    }

    private int directoryCrc() {
        return crc(config.segment().asSlice(DIRECTORY, DIRECTORY_SIZE));
    }

    /**
     * Checks a node's clients before anything opens: their number, their names, and that no two share a name. Each
     * client's memory is published as {@code client.NAME}, and a second region published under a name replaces the
     * first, so a second client of one name would receive the partner's writes meant for the first.
     *
     * @param clients the node's clients
     * @throws FabricException {@link ErrorCode#INVALID_ARGUMENT} naming what is wrong
     */
    static void checkClients(List<ConnectionClient> clients) {
        if (clients == null) {
            throw FabricException.invalid("the list of clients is null; pass List.of() for a node without clients");
        }
        if (clients.size() > MAX_CLIENTS) {
            throw FabricException.invalid(clients.size() + " clients registered; at most " + MAX_CLIENTS + " fit in the directory");
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < clients.size(); i++) {
            ConnectionClient c = clients.get(i);
            if (c == null) {
                throw FabricException.invalid("client " + i + " of the list is null");
            }
            String name = requireClientName(c.name());
            if (!names.add(name)) {
                throw FabricException.invalid("two clients are named \"" + name + "\"; each client of a node needs its own name, the"
                        + " same on both nodes (LogMirror and HeartbeatMonitor take one as their first argument, e.g."
                        + " new LogMirror(\"orders\", 1024, timeout) and new LogMirror(\"audit\", 1024, timeout))");
            }
        }
    }

    /**
     * @param name a client's name
     * @return the name, if it is 1 to 32 letters, digits, '-' or '_'
     * @throws FabricException {@link ErrorCode#INVALID_ARGUMENT} otherwise
     */
    static String requireClientName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9_-]{1,32}")) {
            throw FabricException.invalid("client name " + (name == null ? "null" : "\"" + name + "\"")
                    + " must be 1 to 32 letters, digits, '-' or '_', e.g. \"orders-log\"");
        }
        return name;
    }

    private void writeDirectory() {
        MemorySegment d = config.segment().asSlice(DIRECTORY, DIRECTORY_SIZE);
        d.fill((byte) 0);
        d.set(INT, 0, clients.size());
        for (int i = 0; i < clients.size(); i++) {
            String name = clients.get(i).name();
            MemorySegment.copy(name.getBytes(StandardCharsets.US_ASCII), 0, d, ValueLayout.JAVA_BYTE, 4 + 40L * i, name.length());
            d.set(LONG, 4 + 40L * i + 32, clients.get(i).partnerMemory().byteSize());
        }
    }

    private static int crc(MemorySegment s) {
        CRC32C c = new CRC32C();
        c.update(s.asByteBuffer());
        return (int) c.getValue();
    }

    private void closeEndpoint() {
        if (endpoint != null) {
            endpoint.close();
            endpoint = null;
            partnerConfig = null;
        }
        queue.poll(batch);
    }

    /**
     * Takes the endpoints the partner opened to this node's listener and closes those that broke.
     * The partner reads and writes this node's regions through them, so they stay open while
     * connected; without this, every session the partner ever formed would leave an endpoint behind.
     */
    private void reapServed() {
        for (Endpoint e = configListener.accept(Duration.ZERO); e != null; e = configListener.accept(Duration.ZERO)) {
            served.add(e);
        }
        served.removeIf(e -> {
            if (e.state() == EndpointState.CONNECTED) {
                return false;
            }
            e.close();
            return true;
        });
        servedCount = served.size();
    }

    /** Reaps broken served endpoints, then sleeps. */
    private void idle(long nanos) {
        reapServed();
        sleepNanos(nanos);
    }

    private void sleepNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * Stops the manager: links go down, the fabric closes. Idempotent; concurrent calls close once (the others return
     * at once). The manager's thread is given 5 s to end; if it has not (a connect it is inside), the fabric is closed,
     * which ends such a connect, and it is given 5 s more. The links the clients were given are handed to their
     * {@code linkDown} once that thread has ended, since it alone changes them: before the fabric closes when it ended
     * within the first 5 s, after when within the second (before 2026-12-06 they were then never handed over). A thread
     * that has not ended after 10 s is logged, and its links are not handed over.
     *
     * <p>Called on the manager's own thread — from a client's {@code linkUp}, {@code linkDown} or {@code noLink}, or from
     * a transition listener — it cannot wait for that thread: it returns at once, and the thread shuts the manager
     * down (the same steps) as soon as the callback returns.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        if (Thread.currentThread() == thread) {
            closeOnExit = true; // before running: the thread sees both once it leaves its loop
            running = false;
            return;
        }
        running = false;
        thread.interrupt();
        boolean ended = awaitThread();
        if (!ended) {
            try {
                fabric.close(); // ends a connect or a wait the thread is inside
            } catch (RuntimeException e) {
                log.accept("interconnect " + index + ": closing the fabric failed: " + e);
            }
            ended = awaitThread();
            if (!ended) {
                log.accept("interconnect " + index + ": the manager's thread did not end within 10 s of close; its clients' links"
                        + " are not handed to linkDown");
            }
        }
        shutDown(ended);
    }

    /**
     * The end of {@link #close()}: hands the clients' links to {@code linkDown} (if the thread that changes them has
     * ended, or is the caller), closes the fabric (again, if close did already) and frees the region memory.
     */
    private void shutDown(boolean threadEnded) {
        try {
            if (threadEnded) {
                linksDown();
                links.clear();
            }
            fabric.close();
        } finally {
            arena.close();
        }
    }

    private boolean awaitThread() {
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
