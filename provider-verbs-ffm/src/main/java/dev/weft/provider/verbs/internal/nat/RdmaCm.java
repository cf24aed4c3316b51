package dev.weft.provider.verbs.internal.nat;

import static dev.weft.provider.verbs.internal.nat.Native.B;
import static dev.weft.provider.verbs.internal.nat.Native.I;
import static dev.weft.provider.verbs.internal.nat.Native.P;
import static dev.weft.provider.verbs.internal.nat.Native.rethrow;
import static dev.weft.provider.verbs.internal.nat.Native.S;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * librdmacm ({@code librdmacm.so.1}): connection management. Every call here is set-up, so each
 * captures errno and throws a {@link dev.weft.FabricException} naming the function on failure,
 * except those whose failure the caller handles (they return the raw result). Loaded on first
 * use. Thread-safe.
 */
public final class RdmaCm {
    private RdmaCm() {
    }

    private static final SymbolLookup LIB = Native.library("librdmacm.so.1", Ibv.HINT);

    private static final MethodHandle CREATE_EVENT_CHANNEL = Native.fn(LIB, "rdma_create_event_channel", true, FunctionDescriptor.of(P));
    private static final MethodHandle DESTROY_EVENT_CHANNEL = Native.fn(LIB, "rdma_destroy_event_channel", false,
            FunctionDescriptor.ofVoid(P));
    private static final MethodHandle CREATE_ID = Native.fn(LIB, "rdma_create_id", true, FunctionDescriptor.of(I, P, P, P, I));
    private static final MethodHandle DESTROY_ID = Native.fn(LIB, "rdma_destroy_id", true, FunctionDescriptor.of(I, P));
    private static final MethodHandle BIND_ADDR = Native.fn(LIB, "rdma_bind_addr", true, FunctionDescriptor.of(I, P, P));
    private static final MethodHandle RESOLVE_ADDR = Native.fn(LIB, "rdma_resolve_addr", true, FunctionDescriptor.of(I, P, P, P, I));
    private static final MethodHandle RESOLVE_ROUTE = Native.fn(LIB, "rdma_resolve_route", true, FunctionDescriptor.of(I, P, I));
    private static final MethodHandle CREATE_QP = Native.fn(LIB, "rdma_create_qp", true, FunctionDescriptor.of(I, P, P, P));
    private static final MethodHandle DESTROY_QP = Native.fn(LIB, "rdma_destroy_qp", false, FunctionDescriptor.ofVoid(P));
    private static final MethodHandle CONNECT = Native.fn(LIB, "rdma_connect", true, FunctionDescriptor.of(I, P, P));
    private static final MethodHandle LISTEN = Native.fn(LIB, "rdma_listen", true, FunctionDescriptor.of(I, P, I));
    private static final MethodHandle ACCEPT = Native.fn(LIB, "rdma_accept", true, FunctionDescriptor.of(I, P, P));
    private static final MethodHandle REJECT = Native.fn(LIB, "rdma_reject", true, FunctionDescriptor.of(I, P, P, B));
    private static final MethodHandle DISCONNECT = Native.fn(LIB, "rdma_disconnect", true, FunctionDescriptor.of(I, P));
    private static final MethodHandle GET_CM_EVENT = Native.fn(LIB, "rdma_get_cm_event", true, FunctionDescriptor.of(I, P, P));
    private static final MethodHandle ACK_CM_EVENT = Native.fn(LIB, "rdma_ack_cm_event", false, FunctionDescriptor.of(I, P));
    private static final MethodHandle GET_SRC_PORT = Native.fn(LIB, "rdma_get_src_port", false, FunctionDescriptor.of(S, P));
    private static final MethodHandle EVENT_STR = Native.fn(LIB, "rdma_event_str", false, FunctionDescriptor.of(P, I));
    private static final MethodHandle GET_DEVICES = Native.fn(LIB, "rdma_get_devices", true, FunctionDescriptor.of(P, P));
    private static final MethodHandle FREE_DEVICES = Native.fn(LIB, "rdma_free_devices", false, FunctionDescriptor.ofVoid(P));

    /** {@code RDMA_PS_TCP}: reliable connected. */
    public static final int PS_TCP = 0x0106;

    /** {@code enum rdma_cm_event_type}. */
    public static final int EVENT_ADDR_RESOLVED = 0;
    /** Address resolution failed. */
    public static final int EVENT_ADDR_ERROR = 1;
    /** Route resolved. */
    public static final int EVENT_ROUTE_RESOLVED = 2;
    /** Route resolution failed. */
    public static final int EVENT_ROUTE_ERROR = 3;
    /** A connection request on a listener. */
    public static final int EVENT_CONNECT_REQUEST = 4;
    /** Connect response (only without a QP on the id). */
    public static final int EVENT_CONNECT_RESPONSE = 5;
    /** Connection failed. */
    public static final int EVENT_CONNECT_ERROR = 6;
    /** The peer is unreachable. */
    public static final int EVENT_UNREACHABLE = 7;
    /** The peer rejected the connection. */
    public static final int EVENT_REJECTED = 8;
    /** Connected. */
    public static final int EVENT_ESTABLISHED = 9;
    /** The connection ended. */
    public static final int EVENT_DISCONNECTED = 10;
    /** The device went away. */
    public static final int EVENT_DEVICE_REMOVAL = 11;
    /** The id's address changed. */
    public static final int EVENT_ADDR_CHANGE = 14;
    /** Time-wait ended. */
    public static final int EVENT_TIMEWAIT_EXIT = 15;

    private static void checked(int rc, String function, String what) {
        if (rc != 0) {
            throw Native.failure(function, Native.lastErrno(), what);
        }
    }

    /** @return a new {@code struct rdma_event_channel *} */
    public static MemorySegment createEventChannel() {
        try {
            MemorySegment ch = (MemorySegment) CREATE_EVENT_CHANNEL.invokeExact(Native.capture());
            if (ch.address() == 0) {
                throw Native.failure("rdma_create_event_channel", Native.lastErrno(), "opening the connection manager");
            }
            return ch.reinterpret(Structs.RDMA_EVENT_CHANNEL.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param channel from {@link #createEventChannel} */
    public static void destroyEventChannel(MemorySegment channel) {
        try {
            DESTROY_EVENT_CHANNEL.invokeExact(channel);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param channel the event channel
     * @param out a pointer-sized segment receiving the id
     * @param what for the message
     * @return {@code struct rdma_cm_id *}
     */
    public static MemorySegment createId(MemorySegment channel, MemorySegment out, String what) {
        try {
            checked((int) CREATE_ID.invokeExact(Native.capture(), channel, out, MemorySegment.NULL, PS_TCP), "rdma_create_id", what);
            return out.get(C.PTR, 0).reinterpret(Structs.RDMA_CM_ID.byteSize());
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id an id without QP (or whose QP was destroyed); waits until its events are acknowledged
     * @return 0 or -1
     */
    public static int destroyId(MemorySegment id) {
        try {
            return (int) DESTROY_ID.invokeExact(Native.capture(), id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id the id
     * @param sockaddr the local address
     * @param what for the message
     */
    public static void bindAddr(MemorySegment id, MemorySegment sockaddr, String what) {
        try {
            checked((int) BIND_ADDR.invokeExact(Native.capture(), id, sockaddr), "rdma_bind_addr", what);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id the id
     * @param src the local address to resolve from (binds the id to its device), or NULL
     * @param dst the peer's address
     * @param timeoutMillis resolution timeout
     * @param what for the message
     */
    public static void resolveAddr(MemorySegment id, MemorySegment src, MemorySegment dst, int timeoutMillis, String what) {
        try {
            checked((int) RESOLVE_ADDR.invokeExact(Native.capture(), id, src, dst, timeoutMillis), "rdma_resolve_addr",
                    what);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id the id
     * @param timeoutMillis resolution timeout
     * @param what for the message
     */
    public static void resolveRoute(MemorySegment id, int timeoutMillis, String what) {
        try {
            checked((int) RESOLVE_ROUTE.invokeExact(Native.capture(), id, timeoutMillis), "rdma_resolve_route", what);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id the id (its {@code verbs} context must be the pd's)
     * @param pd the protection domain
     * @param initAttr an {@link Structs#IBV_QP_INIT_ATTR}; updated with the actual capacities
     * @param what for the message
     */
    public static void createQp(MemorySegment id, MemorySegment pd, MemorySegment initAttr, String what) {
        try {
            checked((int) CREATE_QP.invokeExact(Native.capture(), id, pd, initAttr), "rdma_create_qp", what);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param id an id with a QP */
    public static void destroyQp(MemorySegment id) {
        try {
            DESTROY_QP.invokeExact(id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id the id, route resolved, QP created
     * @param param an {@link Structs#RDMA_CONN_PARAM}
     * @param what for the message
     */
    public static void connect(MemorySegment id, MemorySegment param, String what) {
        try {
            checked((int) CONNECT.invokeExact(Native.capture(), id, param), "rdma_connect", what);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id a bound id
     * @param backlog pending requests
     * @param what for the message
     */
    public static void listen(MemorySegment id, int backlog, String what) {
        try {
            checked((int) LISTEN.invokeExact(Native.capture(), id, backlog), "rdma_listen", what);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id the request's id, QP created
     * @param param an {@link Structs#RDMA_CONN_PARAM}
     * @return 0, or -1 with errno
     */
    public static int accept(MemorySegment id, MemorySegment param) {
        try {
            return (int) ACCEPT.invokeExact(Native.capture(), id, param);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id the request's id
     * @param privateData what to tell the peer
     * @param length bytes of it
     * @return 0, or -1 with errno
     */
    public static int reject(MemorySegment id, MemorySegment privateData, int length) {
        try {
            return (int) REJECT.invokeExact(Native.capture(), id, privateData, (byte) length);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id a connected id
     * @return 0, or -1 with errno
     */
    public static int disconnect(MemorySegment id) {
        try {
            return (int) DISCONNECT.invokeExact(Native.capture(), id);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param channel a channel whose fd is readable
     * @param out pointer-sized segment receiving the event
     * @return 0, or -1 with errno
     */
    public static int getCmEvent(MemorySegment channel, MemorySegment out) {
        try {
            return (int) GET_CM_EVENT.invokeExact(Native.capture(), channel, out);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param event from {@link #getCmEvent} */
    public static void ackCmEvent(MemorySegment event) {
        try {
            int rc = (int) ACK_CM_EVENT.invokeExact(event);
            if (rc != 0) {
                throw new IllegalStateException("rdma_ack_cm_event failed");
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param id a bound id
     * @return its local port in host order
     */
    public static int srcPort(MemorySegment id) {
        try {
            return Short.toUnsignedInt(Short.reverseBytes((short) GET_SRC_PORT.invokeExact(id)));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * The device port a bound or resolved id uses ({@code rdma_cm_id.port_num}; the probe checks
     * its offset and size).
     *
     * @param id {@code struct rdma_cm_id *}, bound to an address or resolved
     * @return the 1-based port number, or 0 if the id is bound to no device yet
     */
    public static int portNum(MemorySegment id) {
        return Byte.toUnsignedInt(id.reinterpret(Structs.RDMA_CM_ID.byteSize())
                .get(C.U8, Structs.offset(Structs.RDMA_CM_ID, "port_num")));
    }

    /**
     * @param event {@code enum rdma_cm_event_type}
     * @return librdmacm's text for it
     */
    public static String eventString(int event) {
        try {
            return Native.string((MemorySegment) EVENT_STR.invokeExact(event));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param count receives the number of contexts
     * @return {@code struct ibv_context **}, NULL-terminated, opened by librdmacm; free with {@link #freeDevices}
     */
    public static MemorySegment getDevices(MemorySegment count) {
        try {
            MemorySegment list = (MemorySegment) GET_DEVICES.invokeExact(Native.capture(), count);
            if (list.address() == 0) {
                throw Native.failure("rdma_get_devices", Native.lastErrno(), "listing RDMA devices");
            }
            return list;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param list from {@link #getDevices} */
    public static void freeDevices(MemorySegment list) {
        try {
            FREE_DEVICES.invokeExact(list);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
