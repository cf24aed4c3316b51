package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_ASYNC_EVENT;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_CONTEXT;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.Ibv;
import dev.weft.provider.verbs.internal.nat.Libc;
import dev.weft.provider.verbs.internal.nat.Structs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The device's asynchronous events ({@code ibv_get_async_event}), one reader per device context
 * for the whole process (several fabrics share a librdmacm context, and only one reader may drain
 * its async fd). A QP event (fatal, request or access error) fails that endpoint; a port or device
 * failure fails every endpoint on the device: the QP moves to the error state, which flushes its
 * work. Each event is acknowledged at once. The reader is a daemon thread that lives as long as
 * the context (the process). Thread-safe.
 */
final class AsyncEvents {
    // enum ibv_event_type
    private static final int QP_FATAL = 1;
    private static final int QP_REQ_ERR = 2;
    private static final int QP_ACCESS_ERR = 3;
    private static final int DEVICE_FATAL = 8;
    private static final int PORT_ERR = 10;

    private static final Map<Long, AsyncEvents> BY_CONTEXT = new ConcurrentHashMap<>();

    private final MemorySegment context;
    private final Map<Long, VerbsEndpoint> byQp = new ConcurrentHashMap<>();

    private AsyncEvents(MemorySegment context) {
        this.context = context.reinterpret(IBV_CONTEXT.byteSize());
        Thread.ofPlatform().daemon().name("weft-verbs-async-" + Long.toHexString(context.address())).start(this::run);
    }

    /** @return the reader of this device context, started on first use */
    static AsyncEvents of(MemorySegment context) {
        return BY_CONTEXT.computeIfAbsent(context.address(), k -> new AsyncEvents(context));
    }

    void register(MemorySegment qp, VerbsEndpoint endpoint) {
        byQp.put(qp.address(), endpoint);
    }

    void unregister(MemorySegment qp) {
        byQp.remove(qp.address());
    }

    private void run() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment pollfd = arena.allocate(Structs.POLLFD);
            MemorySegment event = arena.allocate(IBV_ASYNC_EVENT);
            int fd = context.get(C.INT, offset(IBV_CONTEXT, "async_fd"));
            while (true) {
                if (!Libc.readable(pollfd, fd, 1000) || Ibv.getAsyncEvent(context, event) != 0) {
                    continue;
                }
                int type = event.get(C.INT, offset(IBV_ASYNC_EVENT, "event_type"));
                long qp = event.get(C.PTR, offset(IBV_ASYNC_EVENT, "element.qp")).address();
                String what = Ibv.eventTypeString(type);
                Ibv.ackAsyncEvent(event);
                switch (type) {
                    case QP_FATAL, QP_REQ_ERR, QP_ACCESS_ERR -> {
                        VerbsEndpoint e = byQp.get(qp);
                        if (e != null) {
                            e.fail("asynchronous event: " + what);
                        }
                    }
                    case PORT_ERR, DEVICE_FATAL -> byQp.values().forEach(e -> e.fail("asynchronous event: " + what));
                    default -> {
                        // informational (port active, LID change, ...) or events for objects Weft does not use
                    }
                }
            }
        }
    }
}
