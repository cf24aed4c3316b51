package dev.weft.provider.tcp.internal;

import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.Opcode;
import dev.weft.Status;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A completion queue: a ring of preallocated completion slots filled by the provider's
 * threads (or, in manual progress, by the polling thread itself) and drained by
 * {@link #poll}. The ring grows only if more completions are outstanding than its depth (an
 * overrun that verbs would report as a fatal CQ error); completions are never lost.
 * Thread-safe.
 */
final class TcpCompletionQueue implements CompletionQueue {
    private final TcpDomain domain;
    private final TcpFabric fabric;
    private final int depth;
    /** Guards the ring; a monitor, not a ReentrantLock, so that contention allocates no queue nodes on the heap. */
    private final Object lock = new Object();
    private final AtomicInteger users = new AtomicInteger();
    private Completion[] ring;
    private int head;
    private int count;
    private int waiters;
    private volatile boolean open = true;

    TcpCompletionQueue(TcpDomain domain, int depth) {
        this.domain = domain;
        this.fabric = domain.tcpFabric();
        this.depth = depth;
        this.ring = new Completion[depth];
        for (int i = 0; i < depth; i++) {
            ring[i] = new Completion();
        }
    }

    TcpDomain domainOf() {
        return domain;
    }

    TcpFabric fabricOf() {
        return fabric;
    }

    /** Counts an endpoint that reports here; refused once the queue is closed (close refuses while any is counted). */
    void attach() {
        synchronized (lock) {
            if (!open) {
                throw FabricException.closed("completion queue (closed before the endpoint was made)");
            }
            users.incrementAndGet();
        }
    }

    void detach() {
        users.decrementAndGet();
    }

    /** Adds a completion; called by provider threads. Never allocates unless the queue overruns. */
    void push(long wrId, Opcode opcode, Status status, int byteCount, int immediate, boolean hasImmediate, long endpointId) {
        synchronized (lock) {
            if (!open) {
                return;
            }
            if (count == ring.length) {
                grow();
            }
            ring[(head + count) % ring.length].set(wrId, opcode, status, byteCount, immediate, hasImmediate, endpointId, 0);
            count++;
            if (waiters > 0) {
                lock.notifyAll();
            }
        }
    }

    private void grow() {
        Completion[] bigger = new Completion[ring.length * 2];
        for (int i = 0; i < count; i++) {
            bigger[i] = ring[(head + i) % ring.length];
        }
        for (int i = count; i < bigger.length; i++) {
            bigger[i] = new Completion();
        }
        ring = bigger;
        head = 0;
    }

    @Override
    public int poll(CompletionBatch batch) {
        batch.clear();
        if (!open) {
            return -1;
        }
        if (fabric.manualProgress()) {
            fabric.progress(0);
        }
        return drain(batch);
    }

    private int drain(CompletionBatch batch) {
        synchronized (lock) {
            int n = 0;
            while (count > 0 && !batch.isFull()) {
                batch.next().set(ring[head]);
                head = (head + 1) % ring.length;
                count--;
                n++;
            }
            return n;
        }
    }

    @Override
    public int await(CompletionBatch batch, long timeout, TimeUnit unit) {
        batch.clear();
        long nanos = unit.toNanos(Math.max(0, timeout)); // a null unit throws, open or closed (CompletionQueue.await)
        if (!open) {
            return -1;
        }
        long deadline = System.nanoTime() + nanos;
        while (true) {
            if (fabric.manualProgress()) {
                fabric.progress(0);
            }
            int n = drain(batch);
            if (n > 0) {
                return n;
            }
            if (!open) {
                return -1;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return 0;
            }
            if (fabric.manualProgress()) {
                fabric.progress(Math.min(left, TimeUnit.MILLISECONDS.toNanos(10)));
                continue;
            }
            synchronized (lock) {
                if (count == 0 && open) {
                    waiters++;
                    try {
                        lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)), 0);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return 0;
                    } finally {
                        waiters--;
                    }
                }
            }
        }
    }

    /** Wakes waiters (manual progress delivered completions from another thread). */
    void wakeUp() {
        synchronized (lock) {
            lock.notifyAll();
        }
    }

    @Override
    public int depth() {
        return depth;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        synchronized (lock) { // with attach: an endpoint is either counted before this looks, or refused
            if (!open) {
                return;
            }
            if (users.get() > 0) {
                throw new FabricException(ErrorCode.BUSY, "completion queue is still used by " + users.get()
                        + " open endpoint(s); close them (or the listener's endpoints) first");
            }
            open = false;
            count = 0;
            lock.notifyAll();
        }
        domain.removeChild(this);
    }
}
