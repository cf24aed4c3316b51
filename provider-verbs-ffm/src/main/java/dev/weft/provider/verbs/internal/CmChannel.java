package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.RDMA_CM_EVENT;
import static dev.weft.provider.verbs.internal.nat.Structs.RDMA_EVENT_CHANNEL;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.Errno;
import dev.weft.provider.verbs.internal.nat.FdWaiter;
import dev.weft.provider.verbs.internal.nat.Libc;
import dev.weft.provider.verbs.internal.nat.Native;
import dev.weft.provider.verbs.internal.nat.RdmaCm;
import dev.weft.provider.verbs.internal.nat.Structs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A fabric's {@code rdma_event_channel} and the thread that drains it: each event is copied
 * (type, status, ids, private data), its handler looked up, and the event acknowledged (so
 * {@code rdma_destroy_id} never waits on a handler) and handed to the handler registered for its
 * id — for a connect request, the handler of the listening id. The lookup comes before the
 * acknowledgement: a destroyed id's address is soon reused by a new id, which must never receive
 * the old one's late events (seen as a new connect failing with a stale DISCONNECTED). The
 * thread sleeps in {@code poll(2)} on the channel's fd and on an {@code eventfd} that close
 * signals, so an idle fabric never wakes it (a periodic wake-up costs an application's data path
 * CPU time on the same core) and close is prompt. The channel's fd is non-blocking:
 * {@code rdma_get_cm_event} consumes some events itself (on iWARP the connect response, which it
 * answers and then reads again), so a readable fd does not promise an event, and a blocking read
 * would hold the thread past close. The channel itself is destroyed only once no id of it is left: a
 * close that finds ids alive (a connect held inside a native call past the domain's close, as siw's
 * {@code rdma_connect} to a silent address is) leaves that to the destruction of the last one, since
 * librdmacm writes every command of an id to its channel's descriptor. Thread-safe.
 */
final class CmChannel implements AutoCloseable {
    private final MemorySegment channel;
    private final Map<Long, Consumer<CmEvent>> handlers = new ConcurrentHashMap<>();
    /** The thread's wait on the channel's fd, which {@link #close} ends. */
    private final FdWaiter waiter;
    private final Thread thread;
    private volatile boolean open = true;
    private volatile boolean deviceRemoved;
    /**
     * Held while the thread takes an event from librdmacm: {@code rdma_get_cm_event} acts on the id's queue pair for some
     * events (the active side's connect response: to RTR and RTS, or to the error state), and the kernel refuses to
     * destroy a queue pair another call is using at that moment ({@code EBUSY}, which {@code rdma_destroy_qp} drops, so
     * the queue pair would stay, holding its completion queues). See {@link #withoutEventInFlight}.
     */
    private final Object taking = new Object();
    /** Ids made on this channel ({@link #createId}, and every connection request's) and not yet destroyed. */
    private final AtomicInteger liveIds = new AtomicInteger();
    /** Set by {@link #close} when ids were alive; guarded by {@code this}. */
    private boolean destroyWhenIdle;
    /** Whether the channel was destroyed; guarded by {@code this}. */
    private boolean destroyed;
    /** Why the thread stopped taking events before close, or null. */
    private volatile String failure;

    CmChannel(String name) {
        channel = RdmaCm.createEventChannel();
        try {
            int fd = channel.get(C.INT, offset(RDMA_EVENT_CHANNEL, "fd"));
            Libc.setNonBlocking(fd, "making the connection manager's event channel non-blocking");
            waiter = new FdWaiter(fd, "creating the descriptor that wakes the connection manager's thread at close");
        } catch (RuntimeException e) {
            RdmaCm.destroyEventChannel(channel);
            throw e;
        }
        thread = Thread.ofPlatform().daemon().name(name + "-cm").start(this::run);
    }

    /**
     * Makes an {@code rdma_cm_id} on this channel, counted until {@link #destroyId} destroys it.
     *
     * @param out a pointer-sized cell for librdmacm's answer
     * @param what what the id is for, for the message
     * @return the id
     * @throws dev.weft.FabricException CLOSED after close, IO_ERROR if the channel's thread failed or librdmacm refuses
     */
    synchronized MemorySegment createId(MemorySegment out, String what) {
        if (!open) {
            throw dev.weft.FabricException.closed(what + ": the fabric");
        }
        String why = failure;
        if (why != null) {
            throw new dev.weft.FabricException(dev.weft.ErrorCode.IO_ERROR, what + ": the fabric's connection-manager thread stopped ("
                    + why + "); no connection can be made or accepted on it: close the fabric and open it again");
        }
        MemorySegment id = RdmaCm.createId(channel, out, what);
        liveIds.incrementAndGet();
        return id;
    }

    /**
     * Destroys an id of this channel (made by {@link #createId} or delivered with a connection request), waiting until
     * its events are acknowledged; the last one destroys the channel if {@link #close} came first.
     *
     * @param id the id, without queue pair
     */
    void destroyId(MemorySegment id) {
        try {
            RdmaCm.destroyId(id);
        } finally {
            // counted out even if librdmacm failed: the id is not used again, and a count that never reaches 0 would keep
            // the channel after the fabric's close
            if (liveIds.decrementAndGet() == 0) {
                synchronized (this) {
                    if (destroyWhenIdle) {
                        destroyLocked();
                    }
                }
            }
        }
    }

    /**
     * @param id an {@code rdma_cm_id} address
     * @param handler receives its events on the channel's thread; must not block for long
     */
    void register(long id, Consumer<CmEvent> handler) {
        handlers.put(id, handler);
    }

    /** @return whether an id of this channel was told that its RDMA device was removed */
    boolean sawDeviceRemoval() {
        return deviceRemoved;
    }

    /**
     * Runs {@code action} while the channel's thread is not inside {@code rdma_get_cm_event}: for destroying an id's
     * queue pair, which librdmacm may be changing there. Held briefly (the channel's fd is non-blocking); may be called
     * on the channel's thread itself, from a handler.
     *
     * @param action what must not overlap the taking of an event
     */
    void withoutEventInFlight(Runnable action) {
        synchronized (taking) {
            action.run();
        }
    }

    /** @param id an id whose events are no longer wanted */
    void unregister(long id) {
        handlers.remove(id);
    }

    private void run() {
        try {
            takeEvents();
        } catch (RuntimeException | Error e) {
            failure = String.valueOf(e.getMessage());
        }
    }

    private void takeEvents() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(C.PTR);
            while (open && waiter.await()) {
                CmEvent event;
                Consumer<CmEvent> handler;
                synchronized (taking) {
                    if (RdmaCm.getCmEvent(channel, out) != 0) {
                        int errno = Native.lastErrno();
                        if (errno == Errno.EAGAIN || errno == Errno.EINTR) {
                            continue;
                        }
                        failure = "rdma_get_cm_event failed: " + Errno.name(errno) + " (" + Libc.strerror(errno) + ")";
                        return;
                    }
                    MemorySegment e = out.get(C.PTR, 0).reinterpret(RDMA_CM_EVENT.byteSize());
                    try {
                        int len = Byte.toUnsignedInt(e.get(C.U8, offset(RDMA_CM_EVENT, "param.conn.private_data_len")));
                        MemorySegment pd = e.get(C.PTR, offset(RDMA_CM_EVENT, "param.conn.private_data"));
                        byte[] data = len == 0 || pd.address() == 0 ? new byte[0] : pd.reinterpret(len).toArray(C.U8);
                        event = new CmEvent(e.get(C.INT, offset(RDMA_CM_EVENT, "event")), e.get(C.INT, offset(RDMA_CM_EVENT, "status")),
                                e.get(C.PTR, offset(RDMA_CM_EVENT, "id")).address(), e.get(C.PTR, offset(RDMA_CM_EVENT, "listen_id")).address(),
                                data, Byte.toUnsignedInt(e.get(C.U8, offset(RDMA_CM_EVENT, "param.conn.responder_resources"))),
                                Byte.toUnsignedInt(e.get(C.U8, offset(RDMA_CM_EVENT, "param.conn.initiator_depth"))));
                        if (event.type() == RdmaCm.EVENT_CONNECT_REQUEST) {
                            liveIds.incrementAndGet(); // the request's new id is on this channel too
                        }
                        // Find the handler before the acknowledgement: until then rdma_destroy_id of this id waits, so
                        // the address cannot yet belong to a new id (malloc reuses it), whose handler would get this event.
                        handler = handlers.get(event.type() == RdmaCm.EVENT_CONNECT_REQUEST ? event.listenId() : event.id());
                    } finally {
                        RdmaCm.ackCmEvent(e);
                    }
                }
                if (event.type() == RdmaCm.EVENT_DEVICE_REMOVAL) {
                    deviceRemoved = true;
                }
                if (handler != null) {
                    try {
                        handler.accept(event);
                    } catch (RuntimeException | Error ex) {
                        // a handler's failure (out of memory included) must not stop the channel: every other id of the
                        // fabric would hear no more events; the handler reports it to its owner
                    }
                } else if (event.type() == RdmaCm.EVENT_CONNECT_REQUEST) {
                    RdmaCm.reject(MemorySegment.ofAddress(event.id()).reinterpret(Structs.RDMA_CM_ID.byteSize()), MemorySegment.NULL, 0);
                    destroyId(MemorySegment.ofAddress(event.id()).reinterpret(Structs.RDMA_CM_ID.byteSize()));
                }
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false; // under the lock createId takes: no id is made after this
        }
        waiter.wake();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            // a thread still in a handler after 5 s may yet call librdmacm on this channel's ids: the channel and its
            // descriptor stay (a leak, where freeing them could hand their memory and number to something else)
            return;
        }
        synchronized (this) {
            if (liveIds.get() == 0) {
                destroyLocked();
            } else {
                destroyWhenIdle = true; // the last destroyId destroys it
            }
        }
    }

    /** Destroys the channel and the thread's wake-up descriptor, once; the caller holds this object's lock. */
    private void destroyLocked() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        RdmaCm.destroyEventChannel(channel);
        waiter.close();
    }

    /** @return how many ids of this channel are not yet destroyed (for tests and diagnostics) */
    int liveIds() {
        return liveIds.get();
    }
}
