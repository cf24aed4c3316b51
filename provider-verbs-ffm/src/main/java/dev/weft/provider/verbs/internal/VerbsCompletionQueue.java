package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_COMP_CHANNEL;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_WC;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.FdWaiter;
import dev.weft.provider.verbs.internal.nat.Ibv;
import dev.weft.provider.verbs.internal.nat.Native;
import dev.weft.provider.verbs.internal.nat.Raw;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A completion queue ({@code ibv_create_cq}) with its own completion channel for blocking waits.
 * {@link #poll} calls the driver's {@code poll_cq} through the context's function pointer into a
 * native array of {@code struct ibv_wc} owned by the queue and translates each entry into the
 * caller's batch: no allocation. {@link #await} arms the queue ({@code req_notify_cq}), re-polls
 * to close the race, then sleeps in {@code poll(2)} on the channel's fd, in slices of at most
 * 100 ms so that an interrupt is seen; a close wakes it at once.
 *
 * <p>Thread-safe: polls are serialised on the queue. Closing fails with BUSY while an open
 * endpoint still uses the queue; endpoints that were closed but still had completions to report
 * lose their queue pairs here, and one whose other queue stays open and still owes completions
 * stays known to that queue until its polls have reported them (see
 * {@code VerbsEndpoint.releaseAtQueueClose}).
 */
final class VerbsCompletionQueue implements CompletionQueue {
    private static final int WC_BATCH = 32;
    private static final long WC_SIZE = IBV_WC.byteSize();
    private static final long WR_ID = offset(IBV_WC, "wr_id");
    private static final long STATUS = offset(IBV_WC, "status");
    private static final long OPCODE = offset(IBV_WC, "opcode");
    private static final long VENDOR_ERR = offset(IBV_WC, "vendor_err");
    private static final long BYTE_LEN = offset(IBV_WC, "byte_len");
    private static final long IMM = offset(IBV_WC, "imm_data");
    private static final long WC_FLAGS = offset(IBV_WC, "wc_flags");

    private final VerbsDomain domain;
    private final EndpointTable table;
    private final int depth;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment channel;
    private final MemorySegment cq;
    private final MemorySegment pollFn;
    private final MemorySegment notifyFn;
    // cq and the work completions' array as addresses, for the poll downcall (see Ibv.POLL_CQ): valid while the queue is open.
    private final long cqAddress;
    private final long wcsAddress;
    /** The channel's fd together with an eventfd that {@link #close()} signals. */
    private final FdWaiter waiter;
    private final MemorySegment eventCq;
    private final MemorySegment eventCtx;
    private final Object pollLock = new Object();
    private final Object waitLock = new Object();
    private final Set<VerbsEndpoint> users = ConcurrentHashMap.newKeySet();
    /** Failed or closing endpoints that may hold requests the device will never complete; empty in steady state. */
    private final Set<VerbsEndpoint> stranded = ConcurrentHashMap.newKeySet();
    private volatile boolean open = true;
    /**
     * Whether the queue is armed (ibv_req_notify_cq) and its event not yet read; guarded by waitLock.
     * An armed queue stays armed until a completion raises the event, so an await that timed out
     * leaves it armed and the next one need not arm it again: arming is a system call that cost
     * about as much as the whole rest of an idle wake-up in the testbed.
     */
    private boolean armed;

    VerbsCompletionQueue(VerbsDomain domain, int depth) {
        this.domain = domain;
        this.table = domain.verbsFabric().endpoints();
        this.depth = depth;
        MemorySegment context = domain.verbsFabric().device().context();
        this.channel = Ibv.createCompChannel(context).reinterpret(IBV_COMP_CHANNEL.byteSize());
        FdWaiter w = null;
        try {
            w = new FdWaiter(channel.get(C.INT, offset(IBV_COMP_CHANNEL, "fd")),
                    "creating the descriptor that wakes a completion queue's blocked wait at close");
            this.cq = Ibv.createCq(context, depth, channel);
        } catch (FabricException e) {
            if (w != null) {
                w.close();
            }
            Ibv.destroyCompChannel(channel);
            arena.close();
            throw e;
        }
        this.waiter = w;
        this.pollFn = Device.opsPointer(context, "poll_cq");
        this.notifyFn = Device.opsPointer(context, "req_notify_cq");
        MemorySegment wcs = arena.allocate(IBV_WC.byteSize() * WC_BATCH, C.PAGE); // on as few pages as it fits: every poll touches it
        this.cqAddress = cq.address();
        this.wcsAddress = wcs.address();
        this.eventCq = arena.allocate(C.PTR);
        this.eventCtx = arena.allocate(C.PTR);
    }

    MemorySegment cq() {
        return cq;
    }

    VerbsDomain verbsDomain() {
        return domain;
    }

    /**
     * Adds an endpoint being made, under the lock {@link #close} takes to check its users: either the close sees the
     * endpoint (and answers {@code BUSY}), or this refuses it; never an endpoint added to a queue whose close has passed.
     */
    void attach(VerbsEndpoint endpoint) {
        synchronized (pollLock) {
            if (!open) {
                throw FabricException.closed("completion queue");
            }
            users.add(endpoint);
        }
    }

    void detach(VerbsEndpoint endpoint) {
        users.remove(endpoint);
    }

    /** @param endpoint a failed or closing endpoint whose requests may need completing by software */
    void watchStranded(VerbsEndpoint endpoint) {
        stranded.add(endpoint);
    }

    void unwatchStranded(VerbsEndpoint endpoint) {
        stranded.remove(endpoint);
    }

    @Override
    public int poll(CompletionBatch batch) {
        batch.clear();
        synchronized (pollLock) {
            if (!open) {
                return -1;
            }
            return drain(batch);
        }
    }

    private int drain(CompletionBatch batch) {
        int total = 0;
        while (!batch.isFull()) {
            int want = Math.min(WC_BATCH, batch.capacity() - batch.size());
            int n;
            try {
                n = (int) Ibv.POLL_CQ.invokeExact(pollFn, cqAddress, want, wcsAddress);
            } catch (Throwable t) {
                throw new IllegalStateException("poll_cq failed", t);
            }
            if (n <= 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                long base = wcsAddress + i * WC_SIZE; // read through Raw: this queue's memory, alive under pollLock while open
                long wrId = Raw.getLong(base + WR_ID);
                if ((wrId & 0xFFFF_FFFFL) == VerbsEndpoint.NUDGE_WR) {
                    continue; // the provider's own request (VerbsEndpoint.nudge), failed or flushed: nothing to report
                }
                VerbsEndpoint endpoint = table.get((int) (wrId >>> 32));
                if (endpoint == null) {
                    continue; // cannot happen: an endpoint stays in the table until its last completion was reported
                }
                boolean receive = (wrId & 0x8000_0000L) != 0;
                int slot = (int) (wrId & 0x7fff_ffffL);
                if (!endpoint.owes(receive, slot)) {
                    continue; // a second report of a request that already completed (siw flushing a queued read): reported once
                }
                // Only the fields the completion needs are read: every read is an instruction, which an emulated CPU
                // pays for one by one. vendor_err is valid for a failed request only; a send-side
                // completion takes its opcode and length from the endpoint's slot and never carries immediate data.
                int ibvStatus = Raw.getInt(base + STATUS);
                int vendorErr = ibvStatus == Ibv.WC_SUCCESS ? 0 : Raw.getInt(base + VENDOR_ERR);
                if (receive) {
                    boolean imm = (Raw.getInt(base + WC_FLAGS) & Ibv.WC_WITH_IMM) != 0;
                    endpoint.completeReceive(slot, ibvStatus, Raw.getInt(base + OPCODE), Raw.getInt(base + BYTE_LEN),
                            imm ? Integer.reverseBytes(Raw.getInt(base + IMM)) : 0, imm, vendorErr, batch.next());
                } else {
                    endpoint.completeSend(slot, ibvStatus, vendorErr, batch.next());
                }
                total++;
            }
            if (n < want) {
                break;
            }
        }
        if (!stranded.isEmpty() && !batch.isFull()) {
            // failed endpoints only: requests the device will never complete (see VerbsEndpoint.completeStranded)
            for (VerbsEndpoint e : stranded) {
                total += e.completeStranded(this, batch);
                if (e.strandedDoneOn(this)) {
                    stranded.remove(e);
                    if (!e.strandedDoneOn(this)) {
                        // a post counted a request and watched the endpoint between the check and the removal (its add
                        // found the endpoint still here): without this, that request would never be completed
                        stranded.add(e);
                    }
                }
            }
        }
        return total;
    }

    @Override
    public int await(CompletionBatch batch, long timeout, TimeUnit unit) {
        long deadline = System.nanoTime() + unit.toNanos(Math.max(0, timeout));
        while (true) {
            int n = poll(batch);
            if (n != 0) {
                return n;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || Thread.currentThread().isInterrupted()) {
                return 0;
            }
            synchronized (waitLock) {
                if (!open) {
                    return -1;
                }
                if (!armed) {
                    int rc;
                    try {
                        rc = (int) Ibv.REQ_NOTIFY_CQ.invokeExact(notifyFn, cq, 0);
                    } catch (Throwable t) {
                        throw new IllegalStateException("req_notify_cq failed", t);
                    }
                    if (rc != 0) {
                        // drivers disagree on the sign of the errno they return (as for posts: see VerbsEndpoint.refused)
                        throw Native.failure("ibv_req_notify_cq", Math.abs(rc), "arming a completion queue");
                    }
                    armed = true;
                    // a completion that arrived before the queue was armed raised no event
                    n = poll(batch);
                    if (n != 0) {
                        return n;
                    }
                }
                // the slice bounds how late an interrupt is seen: a thread in poll(2) does not notice one
                int millis = (int) Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(left)));
                if (waiter.await(millis) && Ibv.getCqEvent(channel, eventCq, eventCtx) == 0) {
                    Ibv.ackCqEvents(cq, 1);
                    armed = false;
                }
            }
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
        synchronized (pollLock) {
            if (!open) {
                return;
            }
            for (VerbsEndpoint e : users) {
                if (e.isOpen()) {
                    throw new FabricException(ErrorCode.BUSY, "completion queue is still used by endpoint " + e.id()
                            + "; close the endpoints first (closing the domain closes both in the right order)");
                }
            }
            open = false;
        }
        // An await in progress holds waitLock (and takes pollLock inside it): wake it and wait for it
        // to see the queue closed before the native objects go away. Never nest the two locks the
        // other way.
        waiter.wake();
        synchronized (waitLock) {
            open = false;
        }
        for (VerbsEndpoint e : users) {
            e.releaseAtQueueClose(this);
        }
        users.clear();
        domain.forget(this);
        try {
            Ibv.destroyCq(cq);
            Ibv.destroyCompChannel(channel);
        } finally {
            waiter.close();
            arena.close();
        }
    }
}
