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
 * <p>Records go over the link of the most preferred interconnect that is up ({@link LinkList}); when it
 * fails, records not yet confirmed are written again over the next one: a slot written twice holds the
 * same bytes, so nothing is lost or duplicated. A preferred interconnect that rejoins is used again from
 * the next record on, once every write in flight on the link in use has completed (a header write still
 * in flight on one link must not land after a newer one written on another). A record whose
 * {@link #append} timed out stays queued and is shipped by the next append or {@link #flush()};
 * at most {@code capacity} records wait, and an append beyond that is refused (see {@link #append}).
 * When the partner restarts (its links carry a new {@link ClientLink#partnerIncarnation()}), its
 * new mirror holds nothing: the last {@code capacity} records are shipped to it again before the
 * next one. The header never moves back while the log runs (see {@link #mirroredUpTo()}).
 *
 * <p>Both nodes need mirrors of the same name and capacity: a slot is {@code sequence % capacity} on each side. A
 * manager that finds the partner's mirror of another size leaves the mirror unconnected
 * ({@link NoLinkReason#INCOMPATIBLE}), and {@link #append} and {@link #flush} then fail at once with
 * {@link ErrorCode#INVALID_ARGUMENT} naming both sizes (before 2026-12-06 they were connected: a larger writer wrote past
 * the reader's memory, and a smaller one left the reader's records in the wrong slots).
 *
 * <pre>
 * mirror memory: 0 u64 mirrored-up-to sequence | slots of SLOT bytes: u64 sequence, u32 length, data
 * </pre>
 * Thread-safe: {@link #append} and {@link #flush} are synchronized (one ships at a time, and holds the mirror's
 * monitor for up to its timeout); the link callbacks and {@link #close()} never wait for them. Memory lives until
 * {@link #release()}.
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
    /** The highest record the partner's header is known to cover in this session. Written under the mirror's monitor, read without it. */
    private volatile long confirmed;
    /** The highest record whose slot write completed in this session (at least {@link #confirmed}). */
    private long written;
    /** The highest header value posted in this session: the header is never written lower. */
    private long headerSent;
    /** The partner incarnation of the session the records were shipped to (0 before the first link). */
    private long session;
    private long wrIds;
    /** The link whose last send did not complete while it stayed connected: its writes may still be in flight, so it is used until they complete (under the monitor). */
    private ClientLink unfinished;
    /** The last write that completed with an error status, for the TIMEOUT message (under the monitor). */
    private String lastFailedWrite;
    /** Per interconnect: why its manager gives this mirror no link, as last reported ({@link #noLink}); removed by a link. */
    private final java.util.Map<Integer, NoLink> noLinks = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    /** A manager's report of why its interconnect gives this mirror no link. */
    private record NoLink(NoLinkReason reason, String detail) {
        @Override
        public String toString() {
            return reason + ": " + detail;
        }
    }

    /** Why an append or flush could not finish: the code it throws and what went wrong. */
    private record Failure(ErrorCode code, String why) {
    }

    /**
     * A mirror named {@value #DEFAULT_NAME}: a node with one mirrored log.
     *
     * @param capacity records kept (in the partner's mirror and locally, for re-sending)
     * @param timeout how long {@link #append} waits for an interconnect
     * @throws FabricException {@link dev.weft.ErrorCode#INVALID_ARGUMENT} for a capacity outside 1..{@value #MAX_CAPACITY}
     *         or a timeout that is not positive or longer than {@link ConnectionManager#MAX_DURATION}
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
     *         1..{@value #MAX_CAPACITY} or a timeout that is not positive or longer than {@link ConnectionManager#MAX_DURATION}
     */
    public LogMirror(String name, int capacity, Duration timeout) {
        this.name = ConnectionManager.requireClientName(name);
        if (capacity < 1 || capacity > MAX_CAPACITY) {
            throw FabricException.invalid("a log mirror of " + capacity + " records; expected 1.." + MAX_CAPACITY
                    + " (each takes a " + SLOT + "-byte slot in registered memory on both nodes)");
        }
        ConnectionManager.requireTiming("a log mirror's append timeout", timeout);
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
        noLinks.remove(link.interconnect());
        links.add(link);
        wakeUp();
    }

    /**
     * Notes why an interconnect gives this mirror no link: a partner mirror of another size makes {@link #append} and
     * {@link #flush} fail at once while no link is up; the other reasons are named in their {@code TIMEOUT} messages.
     */
    @Override
    public void noLink(int interconnect, int interconnects, NoLinkReason reason, String detail) {
        noLinks.put(interconnect, new NoLink(reason, detail));
        wakeUp();
    }

    private void wakeUp() {
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
     *         queued, see above; the message names why each interconnect has no link and the last write that failed);
     *         {@link ErrorCode#RESOURCE_EXHAUSTED} if {@code capacity} records still wait for the partner after the
     *         timeout (the record is not appended); {@link ErrorCode#INVALID_ARGUMENT} for a record that is null or too
     *         long, or, at once, while no link is up and the partner's mirror was found to have another size (naming
     *         both; if found during the append, the record stays queued); {@link ErrorCode#CLOSED} once {@link #close()}
     *         was called (also during the append)
     */
    public synchronized long append(byte[] record) {
        if (record == null || record.length > MAX_RECORD) {
            throw FabricException.invalid((record == null ? "a null record" : "record of " + record.length + " bytes")
                    + "; the mirror's slots hold 0 to " + MAX_RECORD + " bytes");
        }
        Failure now = unusable();
        if (now != null) {
            throw new FabricException(now.code(), "the record was not appended: " + now.why());
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (appended - confirmed >= capacity) {
            Failure why = ship(deadline);
            if (why != null && why.code() != ErrorCode.TIMEOUT) {
                throw new FabricException(why.code(), "the record was not appended: " + why.why());
            }
            if (appended - confirmed >= capacity) { // still full (once one waiting record is shipped, the new one fits)
                throw new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "the mirror is full: " + (appended - confirmed)
                        + " records wait for the partner (appended " + appended + ", confirmed " + confirmed + ", capacity " + capacity
                        + "), and a new record would overwrite record " + (confirmed + 1) + " before it is mirrored; they could not"
                        + " be shipped within " + timeout.toMillis() + " ms (" + (why == null ? "" : why.why()) + "). The record was"
                        + " not appended: append it again once an interconnect reaches the partner (flush() waits for that), or make the mirror larger");
            }
        }
        long seq = ++appended;
        log[(int) (seq % capacity)] = record.clone();
        Failure why = ship(deadline);
        if (why != null) {
            throw new FabricException(why.code(), "record " + seq + " could not be mirrored" + (why.code() == ErrorCode.TIMEOUT
                    ? " within " + timeout.toMillis() + " ms" : "") + " (" + why.why() + "); it stays queued as record " + seq
                    + " and is shipped before any later record, by the next append or by flush(): do not append it again");
        }
        return seq;
    }

    /**
     * Ships every record whose append timed out, and returns once the partner's mirror holds all appended records.
     * This is how a caller retries a record whose {@link #append} threw {@link ErrorCode#TIMEOUT}.
     *
     * @return the sequence number of the last appended record (0 if none), which the partner's mirror now holds
     * @throws FabricException {@link ErrorCode#TIMEOUT} if no interconnect could take them within the timeout (they
     *         stay queued); {@link ErrorCode#INVALID_ARGUMENT} at once while no link is up and the partner's mirror was
     *         found to have another size; {@link ErrorCode#CLOSED} once {@link #close()} was called
     */
    public synchronized long flush() {
        Failure now = unusable();
        Failure why = now != null ? now : ship(System.nanoTime() + timeout.toNanos());
        if (why != null) {
            throw new FabricException(why.code(), (appended - confirmed) + " records (" + (confirmed + 1) + ".." + appended
                    + ") could not be mirrored" + (why.code() == ErrorCode.TIMEOUT ? " within " + timeout.toMillis() + " ms" : "")
                    + " (" + why.why() + "); they stay queued");
        }
        return appended;
    }

    /**
     * @return why nothing can be shipped now without waiting: the mirror is closed, or no link is up and a manager found
     *         the partner's mirror of another size; null otherwise
     */
    private Failure unusable() {
        if (closed) {
            return new Failure(ErrorCode.CLOSED, "the mirror is closed");
        }
        if (!links.isEmpty()) {
            return null;
        }
        java.util.Map<Integer, String> incompatible = new java.util.TreeMap<>();
        noLinks.forEach((interconnect, why) -> {
            if (why.reason() == NoLinkReason.INCOMPATIBLE) {
                incompatible.put(interconnect, why.detail());
            }
        });
        if (!incompatible.isEmpty()) {
            return new Failure(ErrorCode.INVALID_ARGUMENT, "the partner's mirror \"" + name + "\" differs from this one, which holds "
                    + capacity + " records (" + mirror.byteSize() + " bytes), so it is not connected: " + incompatible
                    + "; give both nodes mirrors of the same capacity");
        }
        return null;
    }

    /**
     * Ships records {@code confirmed + 1 .. appended}, failing over between links, until the deadline; first, if the
     * link in use reaches a partner session other than the last one, the records kept for it (see {@link #startSession}),
     * also when every record was confirmed to the old session.
     *
     * @return null once all are confirmed, or why not by the deadline
     */
    private Failure ship(long deadline) {
        while (true) {
            Failure now = unusable();
            if (now != null) {
                return now;
            }
            ClientLink link = linkToUse();
            if (link != null && link.partnerIncarnation() != session) {
                startSession(link.partnerIncarnation());
            }
            if (confirmed >= appended) {
                return null;
            }
            if (link != null) {
                if (send(link, written + 1, appended, deadline)) {
                    unfinished = null; // every write on it completed: the next record may take a preferred link
                    continue;
                }
                if (link.endpoint().state() != EndpointState.CONNECTED) {
                    links.remove(link); // fail over: re-send everything unconfirmed on the next interconnect
                    unfinished = null;
                    continue;
                }
                // only slow: the link stays (dropping it would leave the mirror without one while the interconnect is up),
                // and what it has not confirmed is sent again after a pause, until the deadline, on this link
                unfinished = link;
            }
            if (System.nanoTime() - deadline > 0) {
                return new Failure(ErrorCode.TIMEOUT, (link == null ? "no interconnect reaches the partner" : "the partner did not confirm it"
                        + " on interconnect " + link.interconnect()) + (noLinks.isEmpty() ? "" : "; without a link: " + noLinks)
                        + (lastFailedWrite == null ? "" : "; the last failed write " + lastFailedWrite));
            }
            try {
                synchronized (linkArrived) {
                    linkArrived.wait(20);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Failure(ErrorCode.TIMEOUT, "interrupted");
            }
        }
    }

    /**
     * @return the link of the most preferred interconnect that is up, unless a link still has writes in flight (its last
     *         send did not complete but it is connected): that one until they complete or it goes down
     */
    private ClientLink linkToUse() {
        if (unfinished != null && links.contains(unfinished) && unfinished.endpoint().state() == EndpointState.CONNECTED) {
            return unfinished;
        }
        unfinished = null;
        return links.first();
    }

    /**
     * A link to a partner session other than the one the records were shipped to: the partner restarted, and its new
     * mirror holds none of them. The records kept here (the last {@code capacity}) are shipped again, into their slots
     * first; the header is written once, last, with the newest of them, so that it never moves back while they are
     * written and never covers a record not yet written.
     */
    private void startSession(long partnerIncarnation) {
        session = partnerIncarnation;
        confirmed = Math.max(0, appended - capacity);
        written = confirmed;
        headerSent = appended;
    }

    /**
     * Writes records from..to into their slots. The header word follows a record's slot write only from the highest
     * header value already sent in this session on (so the partner's header never moves back, for example when
     * records are written again after a failover or for a restarted partner), and always after record {@code to}.
     * A link completes its writes in order, so a header write's completion confirms every record up to it.
     *
     * @param deadline {@link System#nanoTime()} after which no more is waited for (the caller's timeout)
     * @return false if the link failed or did not complete a write in time
     */
    private boolean send(ClientLink link, long from, long to, long deadline) {
        for (long s = from; s <= to; s++) {
            byte[] record = log[(int) (s % capacity)];
            outbound.set(ValueLayout.JAVA_LONG, HEADER, s);
            outbound.set(ValueLayout.JAVA_INT, HEADER + 8, record.length);
            MemorySegment.copy(record, 0, outbound, ValueLayout.JAVA_BYTE, HEADER + 12, record.length);
            long slot = HEADER + (s % capacity) * SLOT;
            if (link.endpoint().write(++wrIds, link.sendMemory(), HEADER, 12 + record.length, link.partnerRegion(), slot) != PostStatus.OK) {
                return false;
            }
            boolean header = s >= headerSent;
            if (header) {
                outbound.set(ValueLayout.JAVA_LONG, 0, s);
                if (link.endpoint().write(++wrIds, link.sendMemory(), 0, 8, link.partnerRegion(), 0) != PostStatus.OK) {
                    return false;
                }
                headerSent = s;
            }
            if (!await(link, wrIds, deadline)) {
                return false; // the next attempt starts again at record s: the staging bytes it rewrites are the same
            }
            written = s;
            if (header) {
                confirmed = s;
            }
        }
        return true;
    }

    /**
     * Waits up to 10 s, and not past {@code until}, for the completion of write {@code last}, the header write that ends
     * a record (a link's writes complete in order); completions of earlier attempts that arrive late are passed over.
     *
     * @param until the caller's deadline ({@link System#nanoTime()}): an append holds the mirror's monitor no longer
     *              than its timeout (and one poll of 100 ms)
     * @return whether it completed successfully, with no failed write before it
     */
    private boolean await(ClientLink link, long last, long until) {
        long tenSeconds = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long deadline = until - tenSeconds < 0 ? until : tenSeconds;
        while (true) {
            int k = link.queue().await(batch, 100, TimeUnit.MILLISECONDS);
            for (int i = 0; i < k; i++) {
                if (!batch.get(i).status().isSuccess()) {
                    lastFailedWrite = "(interconnect " + link.interconnect() + ") completed " + batch.get(i).status();
                    return false;
                }
                if (batch.get(i).workRequestId() == last) {
                    return true;
                }
            }
            if (k < 0 || closed || System.nanoTime() - deadline > 0) {
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

    /**
     * How far this node's mirror of the partner's log is complete. The partner writes it after the records it covers,
     * and never lowers it while its log runs: a failover, or this node's restart (after which the partner ships the
     * last {@code capacity} records again), never moves it back. A partner that restarts begins its log again at 1,
     * and this value follows it.
     *
     * @return the highest sequence number N such that this node's mirror holds the partner's records
     *         {@code max(1, N - capacity + 1)..N}; 0 if none
     */
    public long mirroredUpTo() {
        return (long) LONG.getVolatile(mirror, 0L);
    }

    /**
     * Reads a record of the partner's log from this node's mirror. The partner may be rewriting the slot (with the
     * record {@code capacity} later) while it is read; the slot's sequence number is checked before and after the
     * copy, as a seqlock reader does, and the read is tried again up to 3 times before it is refused.
     *
     * @param sequence a sequence number from {@code max(1, mirroredUpTo() - capacity + 1)} to {@link #mirroredUpTo()}
     * @return a copy of the record's bytes
     * @throws FabricException {@link ErrorCode#INVALID_ARGUMENT} for a sequence number below 1, one not mirrored yet,
     *         or one whose slot holds a later record (overwritten, also while it was read)
     */
    public byte[] mirrored(long sequence) {
        if (sequence < 1) {
            throw FabricException.invalid("record " + sequence + ": sequence numbers start at 1 (append returns them)");
        }
        long slot = HEADER + (sequence % capacity) * SLOT;
        long held = 0;
        for (int attempt = 1; ; attempt++) {
            long upTo = mirroredUpTo();
            if (sequence > upTo) {
                throw FabricException.invalid("record " + sequence + " is not mirrored yet: this mirror holds the partner's log up to record "
                        + upTo);
            }
            long oldest = Math.max(1, upTo - capacity + 1);
            if (sequence < oldest) {
                throw FabricException.invalid("record " + sequence + " was overwritten: this mirror keeps the partner's last " + capacity
                        + " records, now " + oldest + ".." + upTo);
            }
            held = (long) LONG.getVolatile(mirror, slot);
            int length = mirror.get(ValueLayout.JAVA_INT, slot + 8);
            if (held == sequence && length >= 0 && length <= MAX_RECORD) {
                byte[] copy = mirror.asSlice(slot + 12, length).toArray(ValueLayout.JAVA_BYTE);
                VarHandle.loadLoadFence(); // the copy's loads happen before the second read of the sequence number
                held = (long) LONG.getVolatile(mirror, slot);
                if (held == sequence) {
                    return copy;
                }
            }
            if (attempt == 3) {
                throw FabricException.invalid("record " + sequence + " was overwritten while it was read (its slot holds record " + held
                        + "); this mirror keeps the partner's last " + capacity + " records");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
    }

    /**
     * Closes the mirror: an {@link #append} or {@link #flush} in progress stops within one poll (100 ms) and throws
     * {@link ErrorCode#CLOSED} (before 2026-12-06 it waited out its timeout), and later ones throw it at once; the links
     * are forgotten. Does not wait for the caller of an append. Memory is released by {@link #release()} after the node
     * is closed. Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        links.clear();
        wakeUp();
    }

    /**
     * Releases the mirror's memory; call after the node using it is closed, from a thread other than its managers' (a
     * close made on a manager's thread, from a callback, returns before that manager has let go of the memory: see
     * {@link ClusterNode#close()}).
     */
    public void release() {
        arena.close();
    }
}
