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

/**
 * Mirrors an application log into the partner's memory with RDMA writes — what the seed's
 * partners do with NVRAM. Each record goes to slot {@code sequence % capacity} of the partner's
 * mirror, then the mirror's header word is set to the record's sequence number; both writes go
 * over one endpoint, so the header never runs ahead of the data. The partner reads
 * {@link #mirroredUpTo()} to know how far its copy is complete.
 *
 * <p>When an interconnect fails, records not yet confirmed are written again over the next one:
 * a slot written twice holds the same bytes, so nothing is lost or duplicated. A record whose
 * {@link #append} timed out stays queued and is shipped by the next append or {@link #flush()};
 * at most {@code capacity} records wait, and an append beyond that is refused (see {@link #append}).
 *
 * <pre>
 * mirror memory: 0 u64 mirrored-up-to sequence | slots of SLOT bytes: u64 sequence, u32 length, data
 * </pre>
 * Thread-safe: {@link #append} and {@link #flush} are synchronized (one ships at a time, and holds the mirror's
 * monitor for up to its timeout); the link callbacks never wait for them. Memory lives until {@link #release()}.
 */
public final class LogMirror implements ConnectionClient, AutoCloseable {
    /** Bytes per slot, header included. */
    public static final int SLOT = 256;
    /** Largest record. */
    public static final int MAX_RECORD = SLOT - 12;
    private static final int HEADER = 64;
    /** The most records a mirror keeps: 1 Mi slots, 256 MiB of registered memory on each node. */
    public static final int MAX_CAPACITY = 1 << 20;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** The name of a mirror made without one. */
    public static final String DEFAULT_NAME = "mirror";

    private final String name;
    private final int capacity;
    private final Duration timeout;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment mirror;
    private final MemorySegment outbound;
    private final byte[][] log;
    private final LinkList links = new LinkList();
    /** Notified when a link comes up; append waits on it for one (without the mirror's own monitor). */
    private final Object linkArrived = new Object();
    private final CompletionBatch batch = new CompletionBatch(16);
    /** Written under the mirror's monitor, read without it. */
    private volatile long appended;
    /** Written under the mirror's monitor, read without it. */
    private volatile long confirmed;
    private long wrIds;

    /**
     * A mirror named {@value #DEFAULT_NAME}: a node with one mirrored log.
     *
     * @param capacity records kept (in the partner's mirror and locally, for re-sending)
     * @param timeout how long {@link #append} waits for an interconnect
     * @throws FabricException {@link dev.weft.ErrorCode#INVALID_ARGUMENT} for a capacity outside 1..{@value #MAX_CAPACITY}
     *         or a timeout that is not positive
     */
    public LogMirror(int capacity, Duration timeout) {
        this(DEFAULT_NAME, capacity, timeout);
    }

    /**
     * A named mirror, so that a node can mirror several logs: each needs its own name, and the partner registers a
     * mirror of the same name (its memory is published as {@code client.NAME}).
     *
     * @param name 1 to 32 letters, digits, '-' or '_', unique among the node's clients
     * @param capacity records kept (in the partner's mirror and locally, for re-sending)
     * @param timeout how long {@link #append} waits for an interconnect
     * @throws FabricException {@link dev.weft.ErrorCode#INVALID_ARGUMENT} for a bad name, a capacity outside
     *         1..{@value #MAX_CAPACITY} or a timeout that is not positive
     */
    public LogMirror(String name, int capacity, Duration timeout) {
        this.name = ConnectionManager.requireClientName(name);
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw FabricException.invalid("a log mirror of " + capacity + " records; expected 1.." + MAX_CAPACITY
                    + " (each takes a " + SLOT + "-byte slot in registered memory on both nodes)");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw FabricException.invalid("a log mirror needs a positive append timeout, got " + timeout);
        }
        this.capacity = capacity;
        this.timeout = timeout;
        this.mirror = arena.allocate(HEADER + (long) capacity * SLOT, 64);
        this.outbound = arena.allocate(HEADER + SLOT, 64);
        this.log = new byte[capacity][];
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MemorySegment partnerMemory() {
        return mirror;
    }

    @Override
    public MemorySegment sendMemory() {
        return outbound;
    }

    @Override
    public void linkUp(ClientLink link) {
        links.add(link);
        synchronized (linkArrived) { // not the mirror's own monitor: append holds that while it sends (the manager must not wait)
            linkArrived.notifyAll();
        }
    }

    @Override
    public void linkDown(ClientLink link) {
        links.remove(link);
    }

    /**
     * Appends a record and returns once the partner's mirror holds it (and every earlier one).
     *
     * <p><b>A record whose append timed out stays queued.</b> It keeps its sequence number and is shipped, in order
     * and before any later record, by the next {@code append} or by {@link #flush()} once an interconnect reaches the
     * partner; its writes may even have reached the partner already. A caller that retries calls {@link #flush()}; it
     * must not append the record again, which would mirror it twice under two sequence numbers.
     *
     * <p><b>At most {@code capacity} records wait.</b> The mirror keeps every record the partner has not confirmed
     * (its slot in the partner's mirror is rewritten after a failover); a new record would take the slot of the oldest
     * one, so while {@code capacity} records wait, {@code append} first tries, until its timeout, to ship them, and if
     * it cannot, refuses the record ({@link ErrorCode#RESOURCE_EXHAUSTED}; nothing is appended).
     *
     * @param record at most {@value #MAX_RECORD} bytes; copied, so the caller may reuse the array
     * @return the record's sequence number (1, 2, ...)
     * @throws FabricException {@link ErrorCode#TIMEOUT} if no interconnect could take it in time (the record stays
     *         queued, see above); {@link ErrorCode#RESOURCE_EXHAUSTED} if {@code capacity} records still wait for the
     *         partner after the timeout (the record is not appended); {@link ErrorCode#INVALID_ARGUMENT} for a record
     *         that is null or too long
     */
    public synchronized long append(byte[] record) {
        if (record == null || record.length > MAX_RECORD) {
            throw FabricException.invalid((record == null ? "a null record" : "record of " + record.length + " bytes")
                    + "; the mirror's slots hold 0 to " + MAX_RECORD + " bytes");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (appended - confirmed >= capacity) {
            String why = ship(deadline);
            if (appended - confirmed >= capacity) { // still full (once one waiting record is shipped, the new one fits)
                throw new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "the mirror is full: " + (appended - confirmed)
                        + " records wait for the partner (appended " + appended + ", confirmed " + confirmed + ", capacity " + capacity
                        + "), and a new record would overwrite record " + (confirmed + 1) + " before it is mirrored; they could not"
                        + " be shipped within " + timeout.toMillis() + " ms (" + why + "). The record was not appended: append it"
                        + " again once an interconnect reaches the partner (flush() waits for that), or make the mirror larger");
            }
        }
        long seq = ++appended;
        log[(int) (seq % capacity)] = record.clone();
        String why = ship(deadline);
        if (why != null) {
            throw new FabricException(ErrorCode.TIMEOUT, "record " + seq + " could not be mirrored within " + timeout.toMillis() + " ms ("
                    + why + "); it stays queued as record " + seq + " and is shipped before any later record, by the next append"
                    + " or by flush(): do not append it again");
        }
        return seq;
    }

    /**
     * Ships every record whose append timed out, and returns once the partner's mirror holds all appended records.
     * This is how a caller retries a record whose {@link #append} threw {@link ErrorCode#TIMEOUT}.
     *
     * @return the sequence number of the last appended record (0 if none), which the partner's mirror now holds
     * @throws FabricException {@link ErrorCode#TIMEOUT} if no interconnect could take them within the timeout (they
     *         stay queued)
     */
    public synchronized long flush() {
        String why = ship(System.nanoTime() + timeout.toNanos());
        if (why != null) {
            throw new FabricException(ErrorCode.TIMEOUT, (appended - confirmed) + " records (" + (confirmed + 1) + ".." + appended
                    + ") could not be mirrored within " + timeout.toMillis() + " ms (" + why + "); they stay queued");
        }
        return appended;
    }

    /**
     * Ships records {@code confirmed + 1 .. appended}, failing over between links, until the deadline.
     *
     * @return null once all are confirmed, or why not by the deadline
     */
    private String ship(long deadline) {
        while (confirmed < appended) {
            ClientLink link = links.first();
            if (link != null) {
                if (send(link, confirmed + 1, appended)) {
                    continue;
                }
                if (link.endpoint().state() != EndpointState.CONNECTED) {
                    links.remove(link); // fail over: re-send everything unconfirmed on the next interconnect
                    continue;
                }
                // only slow: the link stays (dropping it would leave the mirror without one while the interconnect is up),
                // and what it has not confirmed is sent again after a pause, until the deadline
            }
            if (System.nanoTime() - deadline > 0) {
                return link == null ? "no interconnect reaches the partner" : "the partner did not confirm it";
            }
            try {
                synchronized (linkArrived) {
                    linkArrived.wait(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "interrupted";
            }
        }
        return null;
    }

    /** Writes records from..to, each followed by the header; returns false if the interconnect failed. */
    private boolean send(ClientLink link, long from, long to) {
        for (long s = from; s <= to; s++) {
            byte[] record = log[(int) (s % capacity)];
            outbound.set(ValueLayout.JAVA_LONG, HEADER, s);
            outbound.set(ValueLayout.JAVA_INT, HEADER + 8, record.length);
            MemorySegment.copy(record, 0, outbound, ValueLayout.JAVA_BYTE, HEADER + 12, record.length);
            outbound.set(ValueLayout.JAVA_LONG, 0, s);
            long slot = HEADER + (s % capacity) * SLOT;
            if (link.endpoint().write(++wrIds, link.sendMemory(), HEADER, 12 + record.length, link.partnerRegion(), slot) != PostStatus.OK
                    || link.endpoint().write(++wrIds, link.sendMemory(), 0, 8, link.partnerRegion(), 0) != PostStatus.OK
                    || !await(link, wrIds)) {
                return false;
            }
            confirmed = s;
        }
        return true;
    }

    /**
     * Waits up to 10 s for the completion of write {@code last}, the header write that ends a record (a link's writes
     * complete in order); completions of earlier attempts that arrive late are passed over.
     *
     * @return whether it completed successfully, with no failed write before it
     */
    private boolean await(ClientLink link, long last) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            int k = link.queue().await(batch, 100, TimeUnit.MILLISECONDS);
            for (int i = 0; i < k; i++) {
                if (!batch.get(i).status().isSuccess()) {
                    return false;
                }
                if (batch.get(i).workRequestId() == last) {
                    return true;
                }
            }
            if (k < 0 || System.nanoTime() - deadline > 0) {
                return false;
            }
        }
    }

    /** @return records appended on this node (including those that wait for the partner) */
    public long appended() {
        return appended;
    }

    /** @return the highest sequence number the partner's mirror is known to hold, with every record before it */
    public long confirmed() {
        return confirmed;
    }

    /** @return the highest sequence number of the partner's log that this node's mirror holds completely */
    public long mirroredUpTo() {
        return (long) LONG.getVolatile(mirror, 0L);
    }

    /**
     * Reads a record of the partner's log from this node's mirror.
     *
     * @param sequence a sequence number no higher than {@link #mirroredUpTo()} and within the last {@code capacity}
     * @return the record's bytes
     */
    public byte[] mirrored(long sequence) {
        long slot = HEADER + (sequence % capacity) * SLOT;
        if (mirror.get(ValueLayout.JAVA_LONG, slot) != sequence) {
            throw FabricException.invalid("record " + sequence + " is not in the mirror (overwritten or not yet mirrored)");
        }
        int length = mirror.get(ValueLayout.JAVA_INT, slot + 8);
        return mirror.asSlice(slot + 12, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Nothing to stop; memory is released by {@link #release()} after the node is closed. */
    @Override
    public void close() {
        links.clear();
    }

    /** Releases the mirror's memory; call after the node using it is closed. */
    public void release() {
        arena.close();
    }
}
