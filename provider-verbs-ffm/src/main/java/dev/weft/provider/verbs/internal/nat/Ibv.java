package dev.weft.provider.verbs.internal.nat;

import static dev.weft.provider.verbs.internal.nat.Native.B;
import static dev.weft.provider.verbs.internal.nat.Native.I;
import static dev.weft.provider.verbs.internal.nat.Native.L;
import static dev.weft.provider.verbs.internal.nat.Native.P;
import static dev.weft.provider.verbs.internal.nat.Native.rethrow;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * libibverbs ({@code libibverbs.so.1}): the exported functions as downcall handles, wrapped so
 * that set-up calls throw a {@link dev.weft.FabricException} with the function, errno name and
 * strerror text; and the four hot verbs that {@code verbs.h} implements inline through
 * {@code context->ops} ({@code post_send}, {@code post_recv}, {@code poll_cq},
 * {@code req_notify_cq}), called through the context's function pointers. Post and poll use
 * {@link java.lang.foreign.Linker.Option#critical}: they never wait (for the network, a peer or a
 * lock held elsewhere), never call back into Java, and receive only native memory; a safepoint waits
 * for one of them at most as long as it runs. On a hardware device {@code post_send} writes a
 * doorbell and returns; on the soft devices it enters the kernel ({@code write(2)} on the
 * verbs descriptor: rxe runs its requester for the new requests, siw hands them to a
 * non-blocking socket), a few microseconds (4.7 µs for rxe in the emulated testbed). Their pointer arguments (the QP or CQ, the
 * work request, the completion array) are passed as raw addresses ({@code long}, the same
 * register in the C calling convention): the linker would otherwise acquire and release the
 * owning shared arena for every segment argument (two atomic updates each, about 50 ns per
 * argument in the emulated testbed). The callers keep that memory alive: they call under the
 * endpoint's or queue's lock, which closing takes before it frees anything. Loaded on first use.
 * Thread-safe.
 */
public final class Ibv {
    private Ibv() {
    }

    /** What to install when the library is missing. */
    public static final String HINT = "install the RDMA user space: apt-get install libibverbs1 librdmacm1 ibverbs-providers";

    private static final SymbolLookup LIB = Native.library("libibverbs.so.1", HINT);

    private static final MethodHandle GET_DEVICE_NAME = Native.fn(LIB, "ibv_get_device_name", false, FunctionDescriptor.of(P, P));
    private static final MethodHandle GET_DEVICE_GUID = Native.fn(LIB, "ibv_get_device_guid", false, FunctionDescriptor.of(L, P));
    private static final MethodHandle QUERY_DEVICE = Native.fn(LIB, "ibv_query_device", false, FunctionDescriptor.of(I, P, P));
    private static final MethodHandle QUERY_PORT = Native.fn(LIB, "ibv_query_port", false, FunctionDescriptor.of(I, P, B, P));
    private static final MethodHandle QUERY_GID_EX = Native.fn(LIB, "_ibv_query_gid_ex", false,
            FunctionDescriptor.of(I, P, I, I, P, I, L));
    private static final MethodHandle QUERY_GID_TABLE = Native.fn(LIB, "_ibv_query_gid_table", false,
            FunctionDescriptor.of(L, P, P, L, I, L));
    private static final MethodHandle ALLOC_PD = Native.fn(LIB, "ibv_alloc_pd", true, FunctionDescriptor.of(P, P));
    private static final MethodHandle DEALLOC_PD = Native.fn(LIB, "ibv_dealloc_pd", false, FunctionDescriptor.of(I, P));
    private static final MethodHandle REG_MR = Native.fn(LIB, "ibv_reg_mr", true, FunctionDescriptor.of(P, P, P, L, I));
    private static final MethodHandle DEREG_MR = Native.fn(LIB, "ibv_dereg_mr", false, FunctionDescriptor.of(I, P));
    private static final MethodHandle CREATE_COMP_CHANNEL = Native.fn(LIB, "ibv_create_comp_channel", true, FunctionDescriptor.of(P, P));
    private static final MethodHandle DESTROY_COMP_CHANNEL = Native.fn(LIB, "ibv_destroy_comp_channel", false, FunctionDescriptor.of(I, P));
    private static final MethodHandle CREATE_CQ = Native.fn(LIB, "ibv_create_cq", true, FunctionDescriptor.of(P, P, I, P, P, I));
    private static final MethodHandle DESTROY_CQ = Native.fn(LIB, "ibv_destroy_cq", false, FunctionDescriptor.of(I, P));
    private static final MethodHandle GET_CQ_EVENT = Native.fn(LIB, "ibv_get_cq_event", true, FunctionDescriptor.of(I, P, P, P));
    private static final MethodHandle ACK_CQ_EVENTS = Native.fn(LIB, "ibv_ack_cq_events", false, FunctionDescriptor.ofVoid(P, I));
    private static final MethodHandle MODIFY_QP = Native.fn(LIB, "ibv_modify_qp", false, FunctionDescriptor.of(I, P, P, I));
    private static final MethodHandle QUERY_QP = Native.fn(LIB, "ibv_query_qp", false, FunctionDescriptor.of(I, P, P, I, P));
    private static final MethodHandle GET_ASYNC_EVENT = Native.fn(LIB, "ibv_get_async_event", true, FunctionDescriptor.of(I, P, P));
    private static final MethodHandle ACK_ASYNC_EVENT = Native.fn(LIB, "ibv_ack_async_event", false, FunctionDescriptor.ofVoid(P));
    private static final MethodHandle EVENT_TYPE_STR = Native.fn(LIB, "ibv_event_type_str", false, FunctionDescriptor.of(P, I));

    /** {@code ops.post_send(qp, wr, bad_wr)}, the three pointers as addresses: returns 0 or an errno value. */
    public static final MethodHandle POST_SEND = Native.pointer(FunctionDescriptor.of(I, L, L, L), true);
    /** {@code ops.post_recv(qp, wr, bad_wr)}, the three pointers as addresses: returns 0 or an errno value. */
    public static final MethodHandle POST_RECV = Native.pointer(FunctionDescriptor.of(I, L, L, L), true);
    /** {@code ops.poll_cq(cq, n, wc)}, the pointers as addresses: returns the number of completions, negative on error. */
    public static final MethodHandle POLL_CQ = Native.pointer(FunctionDescriptor.of(I, L, I, L), true);
    /** {@code ops.req_notify_cq(cq, solicited_only)}. */
    public static final MethodHandle REQ_NOTIFY_CQ = Native.pointer(FunctionDescriptor.of(I, P, I), false);

    // enum values from verbs.h
    /** {@code IBV_ACCESS_LOCAL_WRITE}. */
    public static final int ACCESS_LOCAL_WRITE = 1;
    /** {@code IBV_ACCESS_REMOTE_WRITE}. */
    public static final int ACCESS_REMOTE_WRITE = 1 << 1;
    /** {@code IBV_ACCESS_REMOTE_READ}. */
    public static final int ACCESS_REMOTE_READ = 1 << 2;
    /** {@code IBV_ACCESS_REMOTE_ATOMIC}. */
    public static final int ACCESS_REMOTE_ATOMIC = 1 << 3;
    /** {@code IBV_WR_RDMA_WRITE}. */
    public static final int WR_RDMA_WRITE = 0;
    /** {@code IBV_WR_RDMA_WRITE_WITH_IMM}. */
    public static final int WR_RDMA_WRITE_WITH_IMM = 1;
    /** {@code IBV_WR_SEND}. */
    public static final int WR_SEND = 2;
    /** {@code IBV_WR_RDMA_READ}. */
    public static final int WR_RDMA_READ = 4;
    /** {@code IBV_WR_ATOMIC_CMP_AND_SWP}. */
    public static final int WR_ATOMIC_CMP_AND_SWP = 5;
    /** {@code IBV_WR_ATOMIC_FETCH_AND_ADD}. */
    public static final int WR_ATOMIC_FETCH_AND_ADD = 6;
    /** {@code IBV_SEND_SIGNALED}. */
    public static final int SEND_SIGNALED = 1 << 1;
    /** {@code IBV_SEND_INLINE}. */
    public static final int SEND_INLINE = 1 << 3;
    /** {@code IBV_WC_RECV}. */
    public static final int WC_RECV = 128;
    /** {@code IBV_WC_RECV_RDMA_WITH_IMM}. */
    public static final int WC_RECV_RDMA_WITH_IMM = 129;
    /** {@code IBV_WC_WITH_IMM}. */
    public static final int WC_WITH_IMM = 1 << 1;
    /** {@code IBV_QPT_RC}. */
    public static final int QPT_RC = 2;
    /** {@code IBV_QPS_ERR}. */
    public static final int QPS_ERR = 6;
    /** {@code IBV_QPS_RESET}: a QP in this state discards its work requests without completions. */
    public static final int QPS_RESET = 0;
    /** {@code IBV_WC_SUCCESS}. */
    public static final int WC_SUCCESS = 0;
    /** {@code IBV_WC_WR_FLUSH_ERR}. */
    public static final int WC_WR_FLUSH_ERR = 5;
    /** {@code IBV_QP_STATE}. */
    public static final int QP_STATE = 1;
    /** {@code IBV_TRANSPORT_IWARP}. */
    public static final int TRANSPORT_IWARP = 1;
    /** {@code IBV_LINK_LAYER_INFINIBAND}. */
    public static final int LINK_LAYER_INFINIBAND = 1;
    /** {@code IBV_LINK_LAYER_ETHERNET}. */
    public static final int LINK_LAYER_ETHERNET = 2;
    /** {@code IBV_GID_TYPE_ROCE_V2} in {@code struct ibv_gid_entry}. */
    public static final int GID_TYPE_ROCE_V2 = 2;
    /** {@code IBV_ATOMIC_NONE}. */
    public static final int ATOMIC_NONE = 0;
    /** {@code IBV_GID_TYPE_ROCE_V1} in {@code struct ibv_gid_entry} (also the type of an InfiniBand GID). */
    public static final int GID_TYPE_ROCE_V1 = 1;
    /** {@code IBV_PORT_DOWN} ({@code enum ibv_port_state}). */
    public static final int PORT_DOWN = 1;
    /** {@code IBV_PORT_INIT}. */
    public static final int PORT_INIT = 2;
    /** {@code IBV_PORT_ARMED}. */
    public static final int PORT_ARMED = 3;
    /** {@code IBV_PORT_ACTIVE}. */
    public static final int PORT_ACTIVE = 4;
    /** {@code IBV_PORT_ACTIVE_DEFER}. */
    public static final int PORT_ACTIVE_DEFER = 5;
    /** {@code IBV_MTU_256}, the smallest {@code enum ibv_mtu} code: code {@code n} is {@code 128 << n} bytes. */
    public static final int MTU_256 = 1;
    /** {@code IBV_MTU_4096}, the largest {@code enum ibv_mtu} code. */
    public static final int MTU_4096 = 5;
    /** {@code IBV_EVENT_CQ_ERR} ({@code enum ibv_event_type}). */
    public static final int EVENT_CQ_ERR = 0;
    /** {@code IBV_EVENT_QP_FATAL}. */
    public static final int EVENT_QP_FATAL = 1;
    /** {@code IBV_EVENT_QP_REQ_ERR}. */
    public static final int EVENT_QP_REQ_ERR = 2;
    /** {@code IBV_EVENT_QP_ACCESS_ERR}. */
    public static final int EVENT_QP_ACCESS_ERR = 3;
    /** {@code IBV_EVENT_DEVICE_FATAL}. */
    public static final int EVENT_DEVICE_FATAL = 8;
    /** {@code IBV_EVENT_PORT_ERR}. */
    public static final int EVENT_PORT_ERR = 10;

    private static MemorySegment checked(MemorySegment p, String function, String what) {
        if (p.address() == 0) {
            throw Native.failure(function, Native.lastErrno(), what);
        }
        return p;
    }

    private static void checked(int rc, String function, String what) {
        if (rc != 0) {
            throw Native.failure(function, rc < 0 ? -rc : rc, what);
        }
    }

    /**
     * @param device {@code struct ibv_device *}
     * @return its kernel name, e.g. {@code rxe0}
     */
    public static String deviceName(MemorySegment device) {
        try {
            return Native.string((MemorySegment) GET_DEVICE_NAME.invokeExact(device));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param device {@code struct ibv_device *}
     * @return its node GUID in host order
     */
    public static long deviceGuid(MemorySegment device) {
        try {
            return Long.reverseBytes((long) GET_DEVICE_GUID.invokeExact(device));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param context {@code struct ibv_context *}
     * @param attr an {@link Structs#IBV_DEVICE_ATTR} segment
     */
    public static void queryDevice(MemorySegment context, MemorySegment attr) {
        try {
            checked((int) QUERY_DEVICE.invokeExact(context, attr), "ibv_query_device", "querying the device");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Calls the exported {@code ibv_query_port}, which fills the fields up to {@code link_layer}
     * (the compat prefix of {@code struct ibv_port_attr}); the segment must be zeroed.
     *
     * @param context the device context
     * @param port 1-based port
     * @param attr an {@link Structs#IBV_PORT_ATTR} segment, zeroed
     */
    public static void queryPort(MemorySegment context, int port, MemorySegment attr) {
        try {
            checked((int) QUERY_PORT.invokeExact(context, (byte) port, attr), "ibv_query_port", "querying port " + port);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param context the device context
     * @param port 1-based port
     * @param index GID index
     * @param entry an {@link Structs#IBV_GID_ENTRY} segment
     * @return {@code true} if the entry exists
     */
    public static boolean queryGid(MemorySegment context, int port, int index, MemorySegment entry) {
        try {
            int rc = (int) QUERY_GID_EX.invokeExact(context, port, index, entry, 0, Structs.IBV_GID_ENTRY.byteSize());
            return rc == 0;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Every valid GID entry of every port of the device, in one call ({@code ibv_query_gid_table}).
     *
     * @param context the device context
     * @param entries room for {@code max} {@link Structs#IBV_GID_ENTRY} entries: at least the sum of every port's
     *        {@code gid_tbl_len}, or the call fails
     * @param max the number of entries {@code entries} holds
     * @return the number of entries filled in
     */
    public static int queryGidTable(MemorySegment context, MemorySegment entries, int max) {
        try {
            long n = (long) QUERY_GID_TABLE.invokeExact(context, entries, (long) max, 0, Structs.IBV_GID_ENTRY.byteSize());
            if (n < 0) {
                throw Native.failure("ibv_query_gid_table", (int) -n, "reading the GID table");
            }
            return (int) n;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param context the device context
     * @return {@code struct ibv_pd *}
     */
    public static MemorySegment allocPd(MemorySegment context) {
        try {
            return checked((MemorySegment) ALLOC_PD.invokeExact(Native.capture(), context), "ibv_alloc_pd", "opening a domain");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param pd from {@link #allocPd} */
    public static void deallocPd(MemorySegment pd) {
        try {
            checked((int) DEALLOC_PD.invokeExact(pd), "ibv_dealloc_pd", "closing a domain");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param pd the protection domain
     * @param segment native memory to register
     * @param access {@code IBV_ACCESS_*} flags
     * @return {@code struct ibv_mr *}
     */
    public static MemorySegment regMr(MemorySegment pd, MemorySegment segment, int access) {
        try {
            MemorySegment mr = (MemorySegment) REG_MR.invokeExact(Native.capture(), pd, segment, segment.byteSize(), access);
            return checked(mr, "ibv_reg_mr", "registering " + segment.byteSize() + " bytes");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param mr from {@link #regMr} */
    public static void deregMr(MemorySegment mr) {
        try {
            checked((int) DEREG_MR.invokeExact(mr), "ibv_dereg_mr", "closing a memory region");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param context the device context
     * @return {@code struct ibv_comp_channel *}
     */
    public static MemorySegment createCompChannel(MemorySegment context) {
        try {
            return checked((MemorySegment) CREATE_COMP_CHANNEL.invokeExact(Native.capture(), context), "ibv_create_comp_channel",
                    "opening a completion channel");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param channel from {@link #createCompChannel} */
    public static void destroyCompChannel(MemorySegment channel) {
        try {
            checked((int) DESTROY_COMP_CHANNEL.invokeExact(channel), "ibv_destroy_comp_channel", "closing a completion channel");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param context the device context
     * @param depth minimum number of entries
     * @param channel completion channel or NULL
     * @return {@code struct ibv_cq *}
     */
    public static MemorySegment createCq(MemorySegment context, int depth, MemorySegment channel) {
        try {
            return checked((MemorySegment) CREATE_CQ.invokeExact(Native.capture(), context, depth, MemorySegment.NULL, channel, 0),
                    "ibv_create_cq", "opening a completion queue of depth " + depth);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param cq from {@link #createCq} */
    public static void destroyCq(MemorySegment cq) {
        try {
            checked((int) DESTROY_CQ.invokeExact(cq), "ibv_destroy_cq", "closing a completion queue");
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Reads one completion event (the channel's fd must be readable, or this blocks).
     *
     * @param channel the completion channel
     * @param cqOut receives the CQ pointer
     * @param ctxOut receives the CQ context
     * @return 0, or -1 with errno
     */
    public static int getCqEvent(MemorySegment channel, MemorySegment cqOut, MemorySegment ctxOut) {
        try {
            return (int) GET_CQ_EVENT.invokeExact(Native.capture(), channel, cqOut, ctxOut);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param cq the CQ
     * @param n events to acknowledge
     */
    public static void ackCqEvents(MemorySegment cq, int n) {
        try {
            ACK_CQ_EVENTS.invokeExact(cq, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * Moves a QP to the error state, which flushes its outstanding work requests.
     *
     * @param qp the QP
     * @param attr a scratch {@link Structs#IBV_QP_ATTR} segment
     * @return 0 or an errno value
     */
    public static int modifyQpToError(MemorySegment qp, MemorySegment attr) {
        attr.fill((byte) 0);
        attr.set(C.INT, Structs.offset(Structs.IBV_QP_ATTR, "qp_state"), QPS_ERR);
        try {
            return (int) MODIFY_QP.invokeExact(qp, attr, QP_STATE);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param qp the QP
     * @param attr a scratch {@link Structs#IBV_QP_ATTR} segment
     * @param initAttr a scratch {@link Structs#IBV_QP_INIT_ATTR} segment (the call fills it too)
     * @return the QP's state ({@code enum ibv_qp_state}), or -1 if the query failed
     */
    public static int queryQpState(MemorySegment qp, MemorySegment attr, MemorySegment initAttr) {
        try {
            int rc = (int) QUERY_QP.invokeExact(qp, attr, QP_STATE, initAttr);
            return rc == 0 ? attr.get(C.INT, Structs.offset(Structs.IBV_QP_ATTR, "qp_state")) : -1;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param context a context whose async fd is readable
     * @param event an {@link Structs#IBV_ASYNC_EVENT} segment
     * @return 0, or -1 with errno
     */
    public static int getAsyncEvent(MemorySegment context, MemorySegment event) {
        try {
            return (int) GET_ASYNC_EVENT.invokeExact(Native.capture(), context, event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** @param event from {@link #getAsyncEvent} */
    public static void ackAsyncEvent(MemorySegment event) {
        try {
            ACK_ASYNC_EVENT.invokeExact(event);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * @param type {@code enum ibv_event_type}
     * @return libibverbs' text for it
     */
    public static String eventTypeString(int type) {
        try {
            return Native.string((MemorySegment) EVENT_TYPE_STR.invokeExact(type));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
