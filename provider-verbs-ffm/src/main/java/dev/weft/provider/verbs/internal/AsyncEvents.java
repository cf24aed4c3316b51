package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_ASYNC_EVENT;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_CONTEXT;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.FdWaiter;
import dev.weft.provider.verbs.internal.nat.Ibv;
import dev.weft.provider.verbs.internal.nat.Libc;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device's asynchronous events ({@code ibv_get_async_event}), one reader per device context
 * for the whole process (several fabrics share a librdmacm context, and only one reader may drain
 * its async fd). A QP event (fatal, request or access error) fails that endpoint; a port error fails
 * every endpoint on that port, a device failure every endpoint on the device: the QP moves to the error
 * state, which flushes its work. A completion queue error (the queue overflowed: the device dropped completions) fails every
 * endpoint whose completions go to that queue, so that their requests are flushed rather than lost. Each event is
 * acknowledged at once. The reader is a daemon thread that sleeps in
 * {@code poll(2)} until an event comes, and lives as long as the context: for the process, unless
 * the device is removed. Then a device whose driver can give up its resources at once sends
 * DEVICE_FATAL as its last event and the reader ends there; for one that cannot (rxe, siw: the
 * removal waits until the process closes its files), a closing fabric that finds its device gone
 * ends the reader with {@link #stop}, before librdmacm closes the context: a thread still asleep
 * in {@code poll} on the context's fd would keep the file open, and the removal waiting. The async
 * fd is made non-blocking: another user of the shared context in the process (a second RDMA library)
 * may take an event between the reader's {@code poll} and its read, which would otherwise block the
 * reader where {@link #stop} cannot reach it. Thread-safe.
 */
final class AsyncEvents {
    private static final Map<Long, AsyncEvents> BY_CONTEXT = new ConcurrentHashMap<>();

    private final MemorySegment context;
    private final Map<Long, VerbsEndpoint> byQp = new ConcurrentHashMap<>();
    private final FdWaiter waiter;
    private final Thread thread;

    private AsyncEvents(MemorySegment context) {
        this.context = context.reinterpret(IBV_CONTEXT.byteSize());
        int fd = this.context.get(C.INT, offset(IBV_CONTEXT, "async_fd"));
        Libc.setNonBlocking(fd, "making the device's asynchronous event descriptor non-blocking");
        waiter = new FdWaiter(fd, "creating the descriptor that wakes the reader of the device's asynchronous events");
        thread = Thread.ofPlatform().daemon().name("weft-verbs-async-" + Long.toHexString(context.address())).start(this::run);
    }

    /**
     * Ends the reader of a removed device's context, if it has not ended by itself, and waits
     * until it has, so that no thread uses the context or its fd when librdmacm closes it.
     *
     * @param context a device context whose device is gone
     */
    static void stop(MemorySegment context) {
        AsyncEvents reader = BY_CONTEXT.get(context.address());
        if (reader == null) {
            return;
        }
        reader.waiter.wake();
        try {
            reader.thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** @return the reader of this device context, started on first use */
    static AsyncEvents of(MemorySegment context) {
        return BY_CONTEXT.computeIfAbsent(context.address(), k -> new AsyncEvents(context));
    }

    void register(MemorySegment qp, VerbsEndpoint endpoint) {
        byQp.put(qp.address(), endpoint);
    }

    /**
     * Forgets a queue pair of {@code context}. Starts no reader: after DEVICE_FATAL or {@link #stop} there is none, and a
     * new one would poll a removed device's descriptor.
     *
     * @param context the device context
     * @param qp the queue pair, about to be destroyed
     */
    static void unregister(MemorySegment context, MemorySegment qp) {
        AsyncEvents reader = BY_CONTEXT.get(context.address());
        if (reader != null) {
            reader.byQp.remove(qp.address());
        }
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment event = arena.allocate(IBV_ASYNC_EVENT);
            while (waiter.await()) {
                if (Ibv.getAsyncEvent(context, event) != 0) {
                    if (waiter.failed()) {
                        return; // the descriptor is closed or broken: no event can come any more
                    }
                    continue;
                }
                int type = event.get(C.INT, offset(IBV_ASYNC_EVENT, "event_type"));
                long qp = event.get(C.PTR, offset(IBV_ASYNC_EVENT, "element.qp")).address();
                long cq = event.get(C.PTR, offset(IBV_ASYNC_EVENT, "element.cq")).address();
                int port = event.get(C.INT, offset(IBV_ASYNC_EVENT, "element.port_num"));
                String what = Ibv.eventTypeString(type);
                // the endpoints are found before the event is acknowledged: destroying a queue pair or completion queue
                // waits for the acknowledgement of its reported events, so until then no other one can have its address
                List<VerbsEndpoint> affected = switch (type) {
                    case Ibv.EVENT_QP_FATAL, Ibv.EVENT_QP_REQ_ERR, Ibv.EVENT_QP_ACCESS_ERR -> {
                        VerbsEndpoint e = byQp.get(qp);
                        yield e == null ? List.of() : List.of(e);
                    }
                    case Ibv.EVENT_CQ_ERR -> byQp.values().stream().filter(e -> e.usesCompletionQueue(cq)).toList();
                    // an endpoint whose id named no port (0) is failed too: better a flush than a connection left hanging
                    case Ibv.EVENT_PORT_ERR -> byQp.values().stream().filter(e -> e.port() == port || e.port() == 0).toList();
                    case Ibv.EVENT_DEVICE_FATAL -> List.copyOf(byQp.values());
                    default -> List.of(); // informational (port active, LID change, ...) or objects Weft does not use
                };
                Ibv.ackAsyncEvent(event);
                // failing an endpoint may destroy its queue pair, which waits for the acknowledgement above
                for (VerbsEndpoint e : affected) {
                    if (type == Ibv.EVENT_CQ_ERR) {
                        e.failWithCompletionsLost("asynchronous event: " + what + ": its completion queue overflowed and the device"
                                + " dropped completions; open the queue with a depth of at least the requests its endpoints can"
                                + " have outstanding together (the sum of their queue depths is always enough)");
                    } else {
                        e.fail("asynchronous event: " + what);
                    }
                }
                if (type == Ibv.EVENT_DEVICE_FATAL) {
                    return; // the kernel's last event for this context (device removed or failed)
                }
            }
        } finally {
            BY_CONTEXT.remove(context.address(), this);
            waiter.close();
        }
    }
}
