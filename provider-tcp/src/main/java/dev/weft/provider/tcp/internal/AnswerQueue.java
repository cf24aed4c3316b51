package dev.weft.provider.tcp.internal;

/**
 * What the target side of one endpoint owes its peer and has not yet staged for the socket:
 * acknowledgements, atomic results and READ responses, in the order the requests were served.
 *
 * <p>The input side (the endpoint's reader thread, or a thread progressing it in manual
 * progress) adds, and never waits for the socket; the holder of the endpoint's write lock takes
 * and writes, between request frames. Every answer belongs to a request the peer still holds
 * outstanding, so the queue never holds more than the peer's send queue depth: it starts at the
 * local depth and doubles when full (an allocation only while a peer's depth is first exceeded),
 * up to {@link TcpConfig#MAX_QUEUE_DEPTH}, the most any peer can have outstanding. A peer beyond
 * that breaks the protocol ({@link #add} answers {@code false}).
 *
 * <p>Thread-safe: adds and takes synchronize on the queue; {@link #isEmpty()} reads a volatile
 * count without locking, for the checks that decide who pushes.
 */
final class AnswerQueue {

    /** One answer; the queue's slots are reused, {@link #take} copies one out. */
    static final class Answer {
        byte op;
        int status;
        long seq;
        long value;
        TcpMemoryRegion region;
        long offset;
        int length;

        void set(byte op, int status, long seq, long value, TcpMemoryRegion region, long offset, int length) {
            this.op = op;
            this.status = status;
            this.seq = seq;
            this.value = value;
            this.region = region;
            this.offset = offset;
            this.length = length;
        }

        void copyFrom(Answer a) {
            set(a.op, a.status, a.seq, a.value, a.region, a.offset, a.length);
        }
    }

    private Answer[] ring;
    private int head;
    private int count;
    private volatile int size;

    AnswerQueue(int initialCapacity) {
        ring = new Answer[Math.max(16, Math.min(initialCapacity, TcpConfig.MAX_QUEUE_DEPTH))];
        for (int i = 0; i < ring.length; i++) {
            ring[i] = new Answer();
        }
    }

    /**
     * Queues an answer; {@code region}, {@code offset} and {@code length} name a READ response's
     * source. Returns {@code false}, queuing nothing, if the peer already has
     * {@link TcpConfig#MAX_QUEUE_DEPTH} answers waiting.
     */
    synchronized boolean add(byte op, int status, long seq, long value, TcpMemoryRegion region, long offset, int length) {
        if (count == ring.length) {
            if (ring.length >= TcpConfig.MAX_QUEUE_DEPTH) {
                return false;
            }
            grow();
        }
        ring[(head + count) % ring.length].set(op, status, seq, value, region, offset, length);
        count++;
        size = count;
        return true;
    }

    /** Copies the oldest answer into {@code into} and removes it; {@code false} if there is none. */
    synchronized boolean take(Answer into) {
        if (count == 0) {
            return false;
        }
        Answer a = ring[head];
        into.copyFrom(a);
        a.region = null;
        head = (head + 1) % ring.length;
        count--;
        size = count;
        return true;
    }

    /** @return whether nothing is queued (a volatile read; the answer may change at once) */
    boolean isEmpty() {
        return size == 0;
    }

    /** Drops every queued answer (the connection is gone). */
    synchronized void clear() {
        for (Answer a : ring) {
            a.region = null;
        }
        head = 0;
        count = 0;
        size = 0;
    }

    private void grow() {
        Answer[] next = new Answer[Math.min(ring.length * 2, TcpConfig.MAX_QUEUE_DEPTH)];
        for (int i = 0; i < count; i++) {
            next[i] = ring[(head + i) % ring.length];
        }
        for (int i = count; i < next.length; i++) {
            next[i] = new Answer();
        }
        ring = next;
        head = 0;
    }
}
