package dev.weft.cluster;

import dev.weft.CompletionBatch;
import dev.weft.EndpointState;
import dev.weft.PostStatus;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The seed's heartbeat / failover monitor: every {@code interval} it RDMA-writes an increasing
 * counter into the partner's memory over the first working interconnect (failing over to the
 * next when a write fails), and watches the counter the partner writes into ours.
 *
 * <ul>
 * <li>heartbeats arrive → {@link PartnerState#ALIVE};</li>
 * <li>no heartbeat for {@code missed} intervals while an interconnect is up →
 *     {@link PartnerState#FAILED} (the callback decides on takeover);</li>
 * <li>no interconnect up → {@link PartnerState#UNKNOWN}, never FAILED.</li>
 * </ul>
 *
 * Thread-safe; owns one daemon thread while started.
 */
public final class HeartbeatMonitor implements ConnectionClient, AutoCloseable {
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    private final Duration interval;
    private final int missed;
    private final BiConsumer<PartnerState, String> onChange;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment inbound = arena.allocate(64, 64);
    private final MemorySegment outbound = arena.allocate(64, 64);
    private final CopyOnWriteArrayList<ClientLink> links = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean paused;
    private volatile PartnerState state = PartnerState.UNKNOWN;
    private long sent;

    /**
     * @param interval time between heartbeats
     * @param missed heartbeats missed (with an interconnect up) before the partner is declared failed
     * @param onChange called on every change of {@link #state()} with a reason
     */
    public HeartbeatMonitor(Duration interval, int missed, BiConsumer<PartnerState, String> onChange) {
        this.interval = interval;
        this.missed = missed;
        this.onChange = onChange;
        this.thread = Thread.ofPlatform().daemon().name("weft-heartbeat").start(this::run);
    }

    @Override
    public String name() {
        return "heartbeat";
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
        links.add(link);
    }

    @Override
    public void linkDown(ClientLink link) {
        links.remove(link);
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

    /** @return the interconnect the last heartbeat went over, -1 if none is up */
    public int activeInterconnect() {
        ClientLink first = links.isEmpty() ? null : links.get(0);
        return first == null ? -1 : first.interconnect();
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
        long lastSeen = received();
        long lastChange = System.nanoTime();
        while (running) {
            if (!paused) {
                beat(batch);
            }
            long now = System.nanoTime();
            long seen = received();
            if (seen != lastSeen) {
                lastSeen = seen;
                lastChange = now;
                change(PartnerState.ALIVE, "heartbeat " + seen + " arrived");
            } else if (links.isEmpty()) {
                lastChange = now;
                change(PartnerState.UNKNOWN, "no interconnect reaches the partner");
            } else if (now - lastChange > interval.toNanos() * missed && state != PartnerState.FAILED) {
                change(PartnerState.FAILED, "no heartbeat for " + TimeUnit.NANOSECONDS.toMillis(now - lastChange)
                        + " ms while interconnect " + links.get(0).interconnect() + " is up");
            }
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void beat(CompletionBatch batch) {
        for (ClientLink link : links) {
            if (link.endpoint().state() != EndpointState.CONNECTED) {
                links.remove(link);
                continue;
            }
            long next;
            synchronized (this) {
                next = sent + 1;
            }
            outbound.set(ValueLayout.JAVA_LONG, 0, next);
            outbound.set(ValueLayout.JAVA_LONG, 8, System.currentTimeMillis());
            if (link.endpoint().write(next, link.sendMemory(), 0, 16, link.partnerRegion(), 0) == PostStatus.OK
                    && link.queue().await(batch, interval.toMillis() * 2 + 100, TimeUnit.MILLISECONDS) > 0
                    && batch.get(0).workRequestId() == next && batch.get(0).status().isSuccess()) {
                synchronized (this) {
                    sent = next;
                }
                return;
            }
            links.remove(link); // this interconnect failed: fail over to the next one
        }
    }

    private void change(PartnerState next, String why) {
        if (state != next) {
            state = next;
            onChange.accept(next, why);
        }
    }

    /** Stops the monitor. Idempotent. The arena closes only after the managers closed (call after the node's close). */
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

    /** Releases the monitor's memory; call after the node using it is closed. */
    public void release() {
        close();
        arena.close();
    }
}
