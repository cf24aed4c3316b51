package dev.weft.cluster;

import dev.weft.CompletionBatch;
import dev.weft.EndpointState;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.PostStatus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;

/**
 * The seed's heartbeat / failover monitor: every {@code interval} it RDMA-writes an increasing
 * counter into the partner's memory over the most preferred interconnect that works (failing over
 * to the next when a write fails, and back once the preferred one rejoins), and watches the counter the partner writes into ours.
 *
 * <ul>
 * <li>heartbeats arrive → {@link PartnerState#ALIVE};</li>
 * <li>no heartbeat in {@code missed} consecutive checks (one per interval, so at least
 *     {@code missed} intervals) while an interconnect is up → {@link PartnerState#FAILED} (the
 *     callback decides on takeover);</li>
 * <li>no interconnect up → {@link PartnerState#UNKNOWN}: this node's side may be the one cut off;</li>
 * <li>no interconnect up, and every interconnect's manager reports that the partner's address actively refuses its
 *     connects ({@link NoLinkReason#PARTNER_REFUSES}) for at least {@code missed} intervals → {@link PartnerState#FAILED}:
 *     the partner's node is not running; {@link PartnerState#ALIVE} again once it is back and heartbeats arrive.</li>
 * </ul>
 *
 * An interconnect lost on this node restarts the count (the partner's heartbeats on it were lost
 * too, and the partner needs a write timeout to fail over), and a stall of this node's own thread
 * counts as one check: neither a cut link nor a paused JVM is mistaken for a failed partner. The
 * rule is {@link PartnerWatch}.
 *
 * Thread-safe; owns one daemon thread while started.
 */
public final class HeartbeatMonitor implements ConnectionClient, AutoCloseable {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();
    private static final System.Logger LOG = System.getLogger(HeartbeatMonitor.class.getName());

    /** The name of a monitor made without one. */
    public static final String DEFAULT_NAME = "heartbeat";

    private final String name;
    private final Duration interval;
    private final int missed;
    private final BiConsumer<PartnerState, String> onChange;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment inbound = arena.allocate(64, 64);
    private final MemorySegment outbound = arena.allocate(64, 64);
    private final LinkList links = new LinkList();
    /** Links removed because their interconnect failed or ended; read by the verdict rule. */
    private final AtomicLong linksLost = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean paused;
    private volatile PartnerState state = PartnerState.UNKNOWN;
    private long sent;
    /** Work request ids of the heartbeat writes: a fresh one per attempt (monitor thread only). */
    private long wrIds;
    /** The interconnect the last heartbeat went over. */
    private volatile int via = -1;
    /** How many interconnects the node has, from the managers' {@link #noLink} reports (0 until the first). */
    private volatile int interconnects;
    /** Per interconnect: since when ({@link System#nanoTime()}) its manager reports that the partner refuses its connects. */
    private final java.util.Map<Integer, Long> refusedSince = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A monitor named {@value #DEFAULT_NAME}.
     *
     * @param interval time between heartbeats
     * @param missed consecutive checks without a heartbeat (with an interconnect up) before the
     *        partner is declared failed
     * @param onChange called on every change of {@link #state()} with a reason, on the monitor's thread: it must
     *        return quickly (no heartbeat goes out while it runs; hand a takeover to another thread), and an exception it
     *        throws is logged ({@link System.Logger}, {@code WARNING}) without stopping the monitor
     * @throws FabricException {@link ErrorCode#INVALID_ARGUMENT} if the interval is not positive or longer than
     *         {@link ConnectionManager#MAX_DURATION}, or {@code missed} is below 1
     */
    public HeartbeatMonitor(Duration interval, int missed, BiConsumer<PartnerState, String> onChange) {
        this(DEFAULT_NAME, interval, missed, onChange);
    }

    /**
     * A named monitor, for a node with more than one (each client of a node needs its own name; the partner registers
     * a monitor of the same name).
     *
     * @param name 1 to 32 letters, digits, '-' or '_', unique among the node's clients
     * @param interval time between heartbeats
     * @param missed consecutive checks without a heartbeat (with an interconnect up) before the
     *        partner is declared failed
     * @param onChange called on every change of {@link #state()} with a reason, on the monitor's thread: it must
     *        return quickly (no heartbeat goes out while it runs; hand a takeover to another thread), and an exception it
     *        throws is logged ({@link System.Logger}, {@code WARNING}) without stopping the monitor
     * @throws FabricException {@link ErrorCode#INVALID_ARGUMENT} for a bad name, an interval that is not positive or
     *         longer than {@link ConnectionManager#MAX_DURATION}, {@code missed} below 1, or no {@code onChange}
     */
    public HeartbeatMonitor(String name, Duration interval, int missed, BiConsumer<PartnerState, String> onChange) {
        this.name = ConnectionManager.requireClientName(name);
        ConnectionManager.requireTiming("a heartbeat monitor's interval", interval);
        if (missed < 1) {
            throw new FabricException(ErrorCode.INVALID_ARGUMENT, "a heartbeat monitor needs at least 1 missed heartbeat before it"
                    + " declares the partner failed, got missed " + missed);
        }
        if (onChange == null) {
            throw FabricException.invalid("a heartbeat monitor needs an onChange callback; for none pass (state, why) -> { }");
        }
        this.interval = interval;
        this.missed = missed;
        this.onChange = onChange;
        this.thread = Thread.ofPlatform().daemon().name("weft-heartbeat-" + name).start(this::run);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MemorySegment partnerMemory() {
        return inbound;
    }

    @Override
    public MemorySegment sendMemory() {
        return outbound;
    }

    @Override
    public void linkUp(ClientLink link) {
        refusedSince.remove(link.interconnect());
        links.add(link);
    }

    /** Notes for each interconnect whether the partner's address refuses its manager's connects (see the class comment). */
    @Override
    public void noLink(int interconnect, int interconnects, NoLinkReason reason, String detail) {
        this.interconnects = interconnects;
        if (reason == NoLinkReason.PARTNER_REFUSES) {
            refusedSince.putIfAbsent(interconnect, System.nanoTime());
        } else {
            refusedSince.remove(interconnect);
        }
    }

    /** @return for how long every interconnect has been refused, or -1 if not every one is */
    private long refusedNanos(long now) {
        int n = interconnects;
        int refused = 0;
        long latest = 0;
        for (long since : refusedSince.values()) {
            latest = refused == 0 || since - latest > 0 ? since : latest;
            refused++;
        }
        return n == 0 || refused < n ? -1 : Math.max(0, now - latest);
    }

    @Override
    public void linkDown(ClientLink link) {
        lose(link);
    }

    /** @return the partner's state as this monitor sees it */
    public PartnerState state() {
        return state;
    }

    /** @return heartbeats this node sent */
    public synchronized long sent() {
        return sent;
    }

    /** @return the partner's last heartbeat counter seen in our memory */
    public long received() {
        return (long) LONG.getVolatile(inbound, 0L);
    }

    /** @return the interconnect the last heartbeat went over, -1 if none is up (or none went over a link yet) */
    public int activeInterconnect() {
        return links.isEmpty() ? -1 : via;
    }

    /**
     * Stops or resumes sending heartbeats, as a hung application would (for demos and tests).
     *
     * @param pause {@code true} to stop sending
     */
    public void pauseSending(boolean pause) {
        paused = pause;
    }

    private void run() {
        CompletionBatch batch = new CompletionBatch(16);
        PartnerWatch watch = new PartnerWatch(interval.toNanos(), missed, received(), System.nanoTime());
        while (running) {
            if (!paused) {
                beat(batch);
            }
            long now = System.nanoTime();
            PartnerState next = watch.check(received(), !links.isEmpty(), linksLost.get(), refusedNanos(now), now);
            if (next != state) {
                state = next;
                try {
                    onChange.accept(next, watch.reason());
                } catch (RuntimeException e) { // the callback's failure must not end the heartbeats (the partner would see this node fail)
                    LOG.log(System.Logger.Level.WARNING, "the heartbeat monitor's onChange failed on " + next, e);
                }
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Sends one heartbeat over the first link that takes it, in order of preference ({@link LinkList}). A link whose endpoint failed is dropped (the manager forms a
     * new session and hands a new link); one that is only slow (the write not completed in time, its queue full) is
     * kept, and this beat goes over the next link: dropping it would leave this node without a link, and so without
     * heartbeats, while the partner's link still works and its monitor would declare this node failed.
     */
    private void beat(CompletionBatch batch) {
        for (ClientLink link : links.snapshot()) {
            if (link.endpoint().state() != EndpointState.CONNECTED) {
                lose(link);
                continue;
            }
            long next;
            synchronized (this) {
                next = sent + 1;
            }
            outbound.set(ValueLayout.JAVA_LONG, 0, next);
            outbound.set(ValueLayout.JAVA_LONG, 8, System.currentTimeMillis());
            long id = ++wrIds; // never the id of an earlier attempt, whose late completion would pass for this one's
            PostStatus posted = link.endpoint().write(id, link.sendMemory(), 0, 16, link.partnerRegion(), 0);
            if (posted == PostStatus.OK && awaitWrite(link, batch, id)) {
                synchronized (this) {
                    sent = next;
                }
                via = link.interconnect();
                return;
            }
            if (posted == PostStatus.CLOSED || posted == PostStatus.INVALID || link.endpoint().state() != EndpointState.CONNECTED) {
                lose(link); // this interconnect failed: fail over to the next one
            }
        }
    }

    /**
     * Waits up to two intervals (and 100 ms) for write {@code id} on {@code link}; late completions of earlier writes
     * are passed over.
     *
     * @return whether write {@code id} completed successfully in time
     */
    private boolean awaitWrite(ClientLink link, CompletionBatch batch, long id) {
        long deadline = System.nanoTime() + interval.toNanos() * 2 + TimeUnit.MILLISECONDS.toNanos(100);
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            int n = link.queue().await(batch, left, TimeUnit.NANOSECONDS);
            if (n < 0) {
                return false;
            }
            for (int i = 0; i < n; i++) {
                if (batch.get(i).workRequestId() == id) {
                    return batch.get(i).status().isSuccess();
                }
            }
        }
    }

    private void lose(ClientLink link) {
        if (links.remove(link)) {
            linksLost.incrementAndGet();
        }
    }

    /**
     * Stops the monitor's thread (waiting up to 2 s for it). Idempotent. The memory stays: {@link #release()} frees it,
     * and must be called only after the node using this monitor is closed (its managers registered the memory).
     */
    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops the monitor ({@link #close()}) and releases its memory; call only after the node using it is closed, from a
     * thread other than its managers' (see {@link ClusterNode#close()}).
     */
    public void release() {
        close();
        arena.close();
    }
}
