package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_QP;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_QP_ATTR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_QP_INIT_ATTR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_RECV_WR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_SEND_WR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_SGE;
import static dev.weft.provider.verbs.internal.nat.Structs.RDMA_CM_ID;
import static dev.weft.provider.verbs.internal.nat.Structs.RDMA_CONN_PARAM;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.Completion;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.ScatterGatherList;
import dev.weft.Status;
import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.Errno;
import dev.weft.provider.verbs.internal.nat.Ibv;
import dev.weft.provider.verbs.internal.nat.Raw;
import dev.weft.provider.verbs.internal.nat.RdmaCm;
import dev.weft.spi.ConfigChecks;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reliable connected endpoint: an {@code rdma_cm_id} with an RC queue pair.
 *
 * <p><b>Data path.</b> Each post fills a work request and scatter-gather array that the endpoint
 * allocated once in native memory and calls the driver's {@code post_send}/{@code post_recv}
 * through the context's function pointers: no allocation, no copy (sends of up to the granted
 * inline size are copied into the work queue by the driver, {@code IBV_SEND_INLINE}). The
 * application's work request id, opcode and length go into a ring slot; the device sees
 * {@code table index << 32 | receive bit << 31 | slot}, so a completion finds everything without
 * a lookup. The ring is as deep as the queue the application asked for, so a full queue answers
 * {@link PostStatus#AGAIN} before the device is asked.
 *
 * <p><b>Errors and close.</b> An error completion moves the endpoint to ERROR; the device then
 * flushes every outstanding and later request (FLUSHED). A disconnect by the peer, or a fatal
 * asynchronous event, moves the QP to the error state with the same effect. {@link #close()}
 * disconnects and moves the QP to the error state; the QP and id are destroyed once the last
 * flushed completion has been polled (or when its completion queue closes).
 *
 * <p>Thread-safe: sends and receives are serialised separately.
 */
final class VerbsEndpoint implements Endpoint {
    private static final long SEND_WR_ID = offset(IBV_SEND_WR, "wr_id");
    private static final long SEND_NUM_SGE = offset(IBV_SEND_WR, "num_sge");
    private static final long SEND_OPCODE = offset(IBV_SEND_WR, "opcode");
    private static final long SEND_FLAGS = offset(IBV_SEND_WR, "send_flags");
    private static final long SEND_IMM = offset(IBV_SEND_WR, "imm_data");
    private static final long RDMA_ADDR = offset(IBV_SEND_WR, "wr.rdma.remote_addr");
    private static final long RDMA_RKEY = offset(IBV_SEND_WR, "wr.rdma.rkey");
    private static final long ATOMIC_ADDR = offset(IBV_SEND_WR, "wr.atomic.remote_addr");
    private static final long ATOMIC_COMPARE_ADD = offset(IBV_SEND_WR, "wr.atomic.compare_add");
    private static final long ATOMIC_SWAP = offset(IBV_SEND_WR, "wr.atomic.swap");
    private static final long ATOMIC_RKEY = offset(IBV_SEND_WR, "wr.atomic.rkey");
    private static final long RECV_WR_ID = offset(IBV_RECV_WR, "wr_id");
    private static final long RECV_NUM_SGE = offset(IBV_RECV_WR, "num_sge");
    private static final long SGE_SIZE = IBV_SGE.byteSize();
    private static final long SGE_ADDR = offset(IBV_SGE, "addr");
    private static final long SGE_LENGTH = offset(IBV_SGE, "length");
    private static final long SGE_LKEY = offset(IBV_SGE, "lkey");
    private static final Opcode[] OPCODES = Opcode.values();
    /**
     * The low 32 bits of the work request id of the provider's own zero-length write ({@link #nudge()}): no ring
     * slot has this number, and the completion queue drops its completions (there are some only if it fails or is
     * flushed: it is posted unsignaled).
     */
    static final long NUDGE_WR = 0x7fff_ffffL;
    private static final int NOT_OK = -1;
    // states of a ring slot (see sendSlots)
    private static final long FREE = 0;
    // A poll frees a slot with a release store after reading its request id, and a post finds it free with an acquire
    // load before writing a new id: on a CPU that may reorder a load after a later store (ARM), a plain pair could let
    // the poll read the new request's id for the old one's completion. Plain moves on x86.
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(long[].class);
    private static final long RECEIVE_BUSY = 1;
    private static final long SEND_BUSY = 1L << 40;
    /** {@link #state}, for the error completion's compare-and-set (see {@link #failed}). */
    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(VerbsEndpoint.class, "state", EndpointState.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final VerbsDomain domain;
    private final VerbsFabric fabric;
    private final VerbsCompletionQueue sendCq;
    private final VerbsCompletionQueue recvCq;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment id;
    private final MemorySegment qp;
    private final long qpNum;
    /** The device port of the connection, from the id once route resolution (or the request) bound it. */
    private final int port;
    private final int index;
    private final MemorySegment postSendFn;
    private final MemorySegment postRecvFn;
    private final int maxSge;
    private final long maxMessage; // the device's declared limit on a request's length (Limits.maxMessageSize)
    /** Whether the fabric declares atomics and write-with-immediate: an undeclared one is INVALID at post, never handed to the driver. */
    private final boolean atomics;
    private final boolean writeImmediate;
    private final int inlineMax;
    // The QP, the work requests and their gather lists as addresses, for the hot downcalls (see Ibv.POST_SEND) and the
    // data path's writes (see Raw); and where post_send and post_recv store the first request the driver did not take
    // (one cell each: the two post under different locks), see deviceKept. Valid while the endpoint is not released.
    private final long qpAddress;
    private final long sendWrAddress;
    private final long recvWrAddress;
    private final long sendSgesAddress;
    private final long recvSgesAddress;
    private final MemorySegment badSendWr;
    private final MemorySegment badRecvWr;
    private final long badSendWrAddress;
    private final long badRecvWrAddress;
    private final MemorySegment inlineStage; // an inline payload is copied here, through its segment, before post_send
    private final long inlineStageAddress;
    private final MemorySegment qpAttr;
    private final MemorySegment queryInitAttr;

    private final Object sendLock = new Object();
    private final Object recvLock = new Object();
    private final Object nativeLock = new Object();
    // The rings of outstanding requests, one pair of longs per slot in one array, so that a post and its completion
    // touch one object: at 2 * slot the application's work request id, at 2 * slot + 1 the slot's state, 0 while
    // the slot is free (see sendState). A send slot is busy from post to completion. Devices may complete the send
    // queue out of posted order (siw completes a write when it is transmitted and a read when its response arrives),
    // so a slot is reused only once its own request completed, not merely once as many requests completed as the
    // ring holds. A receive slot is busy the same way: a completion for a slot that is not busy is a second report
    // of a request that already completed, and is dropped (see owes). A ring has a power of two of slots, at least
    // the queue's depth, so that request n's slot is n & mask (a post pays no division); the depth alone bounds how
    // many requests are outstanding.
    private final long[] sendSlots;
    private final int sendRing;
    private final int sendMask;
    private volatile long sendPosted;
    private volatile long sendDone;
    private final long[] recvSlots;
    private final int recvRing;
    private final int recvMask;
    private volatile long recvPosted;
    private volatile long recvDone;
    // Stranded requests: a device may leave a failed QP in a state where it neither flushes nor accepts work (siw
    // after a TERMINATE ends in its idle state, reported as RESET). The endpoint then completes those requests
    // itself (FLUSHED): the ones the device holds once the QP is in RESET, the ones it refused right away.
    // sendHanded/recvHanded count the requests the device took; once one is refused after a failure they stop
    // following sendPosted/recvPosted, and every later request is completed by the endpoint too.
    private static final long STRANDED_GRACE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private volatile long sendHanded;
    private volatile long recvHanded;
    private long sendFlushedHere; // send completions made by completeStranded (under the send CQ's poll lock)
    private long sendScan; // every send request below this index has completed (completeStranded's starting point)
    private long recvFlushedHere; // the same two for receives (under the receive CQ's poll lock)
    private long recvScan;
    // Completions dropped as second reports of one request (see owes). The send and the receive queue may be two
    // queues polled by two threads at once, so the count is atomic; it moves only on a duplicate.
    private final AtomicLong duplicates = new AtomicLong();
    private volatile long failedAtNanos;
    private volatile long lastStateQueryNanos;
    // The device completes nothing more it owes: the QP is in RESET, or (completionsLost, after the grace) the device dropped
    // completions when its completion queue overflowed (IBV_EVENT_CQ_ERR). The endpoint then completes those requests itself.
    private volatile boolean deviceSilent;
    private volatile boolean completionsLost;
    // One of the endpoint's two queues closed while the other still waited for some of its completions: the queue pair
    // is gone, and the other queue's polls report those requests (see releaseAtQueueClose).
    private volatile boolean orphaned;
    // Whether a poll of the other queue saw the endpoint orphaned (under that queue's poll lock): the device may have
    // added completions between that poll's read of the device queue and the destroy, so the rest is completed only by
    // the next poll, whose read of the device queue comes after the destroy.
    private boolean orphanSeen;

    private final ConnectAttempt attempt; // the active side's set-up events; null on the passive side
    private volatile boolean established;
    private volatile EndpointState state = EndpointState.CONNECTED;
    private volatile String errorCause;
    private volatile boolean closing;
    private final AtomicBoolean released = new AtomicBoolean();
    private volatile FabricUri peer;
    private volatile RemoteRegion wellKnown;
    private volatile java.util.function.Consumer<VerbsEndpoint> onEstablished;
    private volatile java.util.function.Consumer<VerbsEndpoint> onSetupFailed;

    private VerbsEndpoint(VerbsDomain domain, MemorySegment id, EndpointConfig config, ConnectAttempt attempt) {
        this.domain = domain;
        this.attempt = attempt;
        this.fabric = domain.verbsFabric();
        Device device = fabric.device();
        checkConfig(domain, config, "the endpoint's");
        this.sendCq = (VerbsCompletionQueue) config.sendQueue();
        this.recvCq = (VerbsCompletionQueue) config.receiveQueue();
        this.id = id;
        // lowered to the limit the fabric declares, not refused: iWARP devices allow one entry, below the default of 4
        this.maxSge = ConfigChecks.scatterGather(config, fabric.info().limits());
        this.maxMessage = device.maxMessageSize();
        this.atomics = fabric.info().supports(dev.weft.Capability.ATOMIC_FETCH_ADD);
        this.writeImmediate = fabric.info().supports(dev.weft.Capability.WRITE_IMM);
        MemorySegment init = arena.allocate(IBV_QP_INIT_ATTR);
        init.set(C.PTR, offset(IBV_QP_INIT_ATTR, "send_cq"), sendCq.cq());
        init.set(C.PTR, offset(IBV_QP_INIT_ATTR, "recv_cq"), recvCq.cq());
        init.set(C.INT, offset(IBV_QP_INIT_ATTR, "cap.max_send_wr"), config.sendQueueDepth());
        init.set(C.INT, offset(IBV_QP_INIT_ATTR, "cap.max_recv_wr"), config.receiveQueueDepth());
        init.set(C.INT, offset(IBV_QP_INIT_ATTR, "cap.max_send_sge"), maxSge);
        init.set(C.INT, offset(IBV_QP_INIT_ATTR, "cap.max_recv_sge"), maxSge);
        init.set(C.INT, offset(IBV_QP_INIT_ATTR, "cap.max_inline_data"), Device.INLINE_REQUEST);
        init.set(C.INT, offset(IBV_QP_INIT_ATTR, "qp_type"), Ibv.QPT_RC);
        // Every request of the application is posted IBV_SEND_SIGNALED; only the provider's own nudge is not.
        init.set(C.INT, offset(IBV_QP_INIT_ATTR, "sq_sig_all"), 0);
        // Known to the table and both queues before the queue pair names the queues: a queue's close then either sees
        // this endpoint (BUSY) or has already refused it here, never destroys a queue the new queue pair uses.
        int slot = -1;
        try {
            slot = fabric.endpoints().add(this);
            sendCq.attach(this);
            recvCq.attach(this);
            try {
                RdmaCm.createQp(id, domain.pd(), init, "creating the queue pair of an endpoint");
            } catch (FabricException e) {
                // some devices grant no inline data: retry without
                init.set(C.INT, offset(IBV_QP_INIT_ATTR, "cap.max_inline_data"), 0);
                RdmaCm.createQp(id, domain.pd(), init, "creating the queue pair of an endpoint");
            }
        } catch (FabricException e) {
            undoConstruction(slot, false);
            throw e;
        }
        try {
            this.index = slot;
            this.inlineMax = init.get(C.INT, offset(IBV_QP_INIT_ATTR, "cap.max_inline_data"));
            this.qp = id.get(C.PTR, offset(RDMA_CM_ID, "qp")).reinterpret(IBV_QP.byteSize());
            this.qpNum = Integer.toUnsignedLong(qp.get(C.INT, offset(IBV_QP, "qp_num")));
            this.port = Byte.toUnsignedInt(id.get(C.U8, offset(RDMA_CM_ID, "port_num")));
            this.postSendFn = Device.opsPointer(device.context(), "post_send");
            this.postRecvFn = Device.opsPointer(device.context(), "post_recv");
            HotBlock hot = HotBlock.allocate(arena, maxSge, inlineMax); // every post's structures on as few pages as they fit, wired
            this.qpAddress = qp.address();
            this.sendWrAddress = hot.sendWr().address();
            this.recvWrAddress = hot.recvWr().address();
            this.sendSgesAddress = hot.sendSges().address();
            this.recvSgesAddress = hot.recvSges().address();
            this.badSendWr = hot.badSendWr();
            this.badRecvWr = hot.badRecvWr();
            this.badSendWrAddress = badSendWr.address();
            this.badRecvWrAddress = badRecvWr.address();
            this.inlineStage = hot.inline();
            this.inlineStageAddress = inlineStage.address();
            this.qpAttr = arena.allocate(IBV_QP_ATTR);
            this.queryInitAttr = arena.allocate(IBV_QP_INIT_ATTR);
            this.sendRing = config.sendQueueDepth();
            this.sendMask = slotMask(sendRing);
            this.sendSlots = new long[2 * (sendMask + 1)];
            this.recvRing = config.receiveQueueDepth();
            this.recvMask = slotMask(recvRing);
            this.recvSlots = new long[2 * (recvMask + 1)];
            fabric.cm().register(id.address(), this::onCmEvent);
            AsyncEvents.of(device.context()).register(qp, this);
        } catch (RuntimeException | Error e) {
            // out of memory, in practice: a queue pair left behind would outlive the id its caller destroys
            undoConstruction(slot, true);
            throw e;
        }
    }

    /**
     * Undoes a constructor that failed: a queue or table left holding this endpoint would answer BUSY for it forever.
     * The caller destroys the id and drops its connection-manager handler.
     *
     * @param slot the endpoint's table slot, or -1 if it got none
     * @param qpCreated whether {@code rdma_create_qp} succeeded on the id
     */
    private void undoConstruction(int slot, boolean qpCreated) {
        if (qpCreated) {
            MemorySegment createdQp = id.get(C.PTR, offset(RDMA_CM_ID, "qp"));
            AsyncEvents.unregister(fabric.device().context(), createdQp);
            fabric.cm().withoutEventInFlight(() -> RdmaCm.destroyQp(id));
        }
        sendCq.detach(this);
        recvCq.detach(this);
        if (slot >= 0) {
            fabric.endpoints().remove(slot, this);
        }
        arena.close();
    }

    /**
     * Checks what an endpoint of {@code config} needs and can know before a connection: completion queues of this domain
     * that are open, and queue depths within the device's limit.
     *
     * @param whose "the endpoint's" or "the listener's", for the messages
     * @throws FabricException INVALID_ARGUMENT or CLOSED naming what to change
     */
    static void checkConfig(VerbsDomain domain, EndpointConfig config, String whose) {
        ConfigChecks.require(config, q -> q instanceof VerbsCompletionQueue v && v.verbsDomain() == domain,
                domain.verbsFabric().info().limits(), whose);
    }

    /** @return the device port the connection runs on (the id's {@code port_num}, from 1) */
    int port() {
        return port;
    }

    /** @return whether this endpoint's send or receive completions go to the device queue at {@code cqAddress} */
    boolean usesCompletionQueue(long cqAddress) {
        return sendCq.cq().address() == cqAddress || recvCq.cq().address() == cqAddress;
    }

    // ---------------------------------------------------------------- set-up

    /** The active side: resolve, create the QP, connect with the region name as private data. */
    static VerbsEndpoint connect(VerbsDomain domain, FabricUri peer, EndpointConfig config) {
        peer.requirePort("verbs://192.0.2.1:7471/config");
        if (peer.port() == 0) {
            throw new FabricException(ErrorCode.INVALID_URI, "cannot connect to port 0 of " + peer.host() + ": a listener's port is never 0"
                    + " (port 0 asks for a free port when listening); use the port of the peer's listener.uri(), e.g. "
                    + peer.withoutParameters().withPort(7471).safeText());
        }
        byte[] request = PrivateData.request(peer.region());
        InetAddress address;
        try {
            address = InetAddress.getByName(peer.host());
        } catch (UnknownHostException e) {
            throw new FabricException(ErrorCode.INVALID_URI, "cannot resolve \"" + peer.host() + "\"; give the peer's IP address, e.g. "
                    + "verbs://192.0.2.1:7471", e);
        }
        ConnectAttempt attempt = new ConnectAttempt("connecting to " + peer.safeText(), System.nanoTime() + config.connectTimeout().toNanos());
        domain.beginConnect(attempt); // from here a close of the domain ends this connect and waits for it
        try {
            return connect(domain, peer, config, address, request, attempt);
        } finally {
            attempt.finished();
            domain.forget(attempt);
        }
    }

    /** {@link #connect(VerbsDomain, FabricUri, EndpointConfig)} once its arguments are checked and its attempt is registered. */
    private static VerbsEndpoint connect(VerbsDomain domain, FabricUri peer, EndpointConfig config, InetAddress address, byte[] request,
                                         ConnectAttempt attempt) {
        VerbsFabric fabric = domain.verbsFabric();
        String what = attempt.what();
        long timeoutNanos = config.connectTimeout().toNanos();
        int resolveMillis = (int) Math.min(fabric.config().resolveTimeout().toMillis(), Math.max(1, timeoutNanos / 1_000_000));
        MemorySegment id;
        try (Arena scratch = Arena.ofConfined()) {
            id = fabric.cm().createId(scratch.allocate(C.PTR), what);
            fabric.cm().register(id.address(), attempt::add);
            try {
                RdmaCm.resolveAddr(id, fabric.address() == null ? MemorySegment.NULL : Sockaddr.of(scratch, fabric.address(), 0),
                        Sockaddr.of(scratch, address, peer.port()), resolveMillis, what);
                expect(attempt, RdmaCm.EVENT_ADDR_RESOLVED, "address resolution");
                RdmaCm.resolveRoute(id, resolveMillis, what);
                expect(attempt, RdmaCm.EVENT_ROUTE_RESOLVED, "route resolution");
                if (id.get(C.PTR, offset(RDMA_CM_ID, "verbs")).address() != fabric.device().context().address()) {
                    throw new FabricException(ErrorCode.UNREACHABLE, what + ": the peer is reached through another RDMA device than "
                            + fabric.device().name() + "; open the fabric on the address of the device that routes to it");
                }
            } catch (RuntimeException e) {
                fabric.cm().unregister(id.address());
                fabric.cm().destroyId(id);
                throw e;
            }
        }
        VerbsEndpoint endpoint;
        try {
            endpoint = new VerbsEndpoint(domain, id, config, attempt);
        } catch (RuntimeException | Error e) { // the constructor undid its own part, out of memory included
            fabric.cm().unregister(id.address());
            fabric.cm().destroyId(id);
            throw e;
        }
        try {
            endpoint.peer = peer;
            try (Arena scratch = Arena.ofConfined()) {
                MemorySegment param = endpoint.connParam(scratch, request, null);
                RdmaCm.connect(id, param, what);
            }
            CmEvent e = endpoint.awaitSetup();
            if (e.type() != RdmaCm.EVENT_ESTABLISHED) {
                throw refused(e, peer, what);
            }
            RemoteRegion region = PrivateData.acceptedRegion(e.privateData());
            if (peer.region() != null && region == null) {
                throw new FabricException(ErrorCode.PROTOCOL_ERROR, what + ": the peer accepted but sent no descriptor for region \""
                        + peer.region() + "\"");
            }
            endpoint.wellKnown = region;
            endpoint.established = true;
            domain.adopt(endpoint);
            if (fabric.device().isSoftIwarp()) {
                SiwFirstFrame.watch(endpoint);
            }
            return endpoint;
        } catch (RuntimeException ex) {
            endpoint.abort();
            throw ex;
        }
    }

    /** The passive side: a QP on the request's id; {@link VerbsListener} accepts it. */
    static VerbsEndpoint accepting(VerbsDomain domain, MemorySegment id, EndpointConfig config) {
        VerbsEndpoint endpoint = new VerbsEndpoint(domain, id, config, null);
        try {
            InetSocketAddress remote = Sockaddr.read(id.asSlice(offset(RDMA_CM_ID, "route.addr.dst_addr")));
            endpoint.peer = FabricUri.parse("verbs://" + uriHost(remote.getAddress()) + ":" + remote.getPort());
        } catch (RuntimeException | Error e) {
            // the id stays the caller's (the listener rejects and destroys it); the endpoint gives up all else it holds
            domain.verbsFabric().cm().unregister(id.address());
            endpoint.undoConstruction(endpoint.index, true);
            throw e;
        }
        return endpoint;
    }

    static String uriHost(InetAddress a) {
        return a instanceof java.net.Inet6Address ? "[" + a.getHostAddress() + "]" : a.getHostAddress();
    }

    /**
     * The parameters of {@code rdma_connect} ({@code request} null) or of {@code rdma_accept}. The depths of outstanding
     * reads and atomics are the device's (at most 16); an answer to a request takes no more than the request reported
     * (its event gives them from this side's view: {@code initiator_depth} is what the requester will serve,
     * {@code responder_resources} what it will have outstanding), as {@code rdma_accept(3)} requires, so that a peer with
     * fewer resources is never sent more reads than it serves. A depth the request reported as 0 (a transport that does
     * not negotiate it) leaves this side's.
     */
    MemorySegment connParam(Arena scratch, byte[] privateData, CmEvent request) {
        Device device = fabric.device();
        MemorySegment param = scratch.allocate(RDMA_CONN_PARAM);
        MemorySegment data = scratch.allocate(Math.max(1, privateData.length));
        MemorySegment.copy(MemorySegment.ofArray(privateData), 0, data, 0, privateData.length);
        param.set(C.PTR, offset(RDMA_CONN_PARAM, "private_data"), data);
        param.set(C.U8, offset(RDMA_CONN_PARAM, "private_data_len"), (byte) privateData.length);
        int responder = Math.max(1, Math.min(16, device.maxReadAtomic()));
        int initiator = Math.max(1, Math.min(16, device.maxInitReadAtomic()));
        if (request != null) {
            responder = agreedDepth(responder, request.responderResources());
            initiator = agreedDepth(initiator, request.initiatorDepth());
        }
        param.set(C.U8, offset(RDMA_CONN_PARAM, "responder_resources"), (byte) responder);
        param.set(C.U8, offset(RDMA_CONN_PARAM, "initiator_depth"), (byte) initiator);
        param.set(C.U8, offset(RDMA_CONN_PARAM, "flow_control"), (byte) 1);
        param.set(C.U8, offset(RDMA_CONN_PARAM, "retry_count"), (byte) fabric.config().retry());
        param.set(C.U8, offset(RDMA_CONN_PARAM, "rnr_retry_count"), (byte) fabric.config().rnrRetry());
        return param;
    }

    /**
     * @param ours this side's depth
     * @param requested the depth a connect request reported for this side, 0 if none
     * @return the smaller, or ours where the request reported none
     */
    static int agreedDepth(int ours, int requested) {
        return requested == 0 ? ours : Math.min(ours, requested);
    }

    private static void expect(ConnectAttempt attempt, int type, String step) {
        CmEvent e = attempt.next(step);
        if (e == null) {
            throw new FabricException(ErrorCode.TIMEOUT, attempt.what() + ": " + step + " did not finish within the connect timeout");
        }
        if (e.type() != type) {
            throw e.connectFailure(attempt.what() + ": " + step + " failed with ", "; is the address reachable over an RDMA device (rdma link show)?");
        }
    }

    /** @return the first event after {@code rdma_connect} that decides the connection: ESTABLISHED, or why not */
    private CmEvent awaitSetup() {
        while (true) {
            CmEvent e = attempt.next("the peer's answer");
            if (e == null) {
                throw new FabricException(ErrorCode.TIMEOUT, attempt.what() + ": no answer within the connect timeout");
            }
            if (e.type() != RdmaCm.EVENT_TIMEWAIT_EXIT && e.type() != RdmaCm.EVENT_CONNECT_RESPONSE) {
                return e;
            }
        }
    }

    private static FabricException refused(CmEvent e, FabricUri peer, String what) {
        if (e.type() == RdmaCm.EVENT_REJECTED) {
            String weft = PrivateData.rejectMessage(e.privateData());
            if (weft != null) {
                // a name the listener does not serve is the caller's argument, as on every provider (Domain.connect)
                ErrorCode code = PrivateData.rejectReason(e.privateData()) == PrivateData.REJECT_NO_SUCH_REGION
                        ? ErrorCode.INVALID_ARGUMENT : ErrorCode.CONNECTION_REFUSED;
                return new FabricException(code, what + ": the peer refused: " + weft);
            }
            return new FabricException(ErrorCode.CONNECTION_REFUSED, what + ": refused (no Weft listener at " + peer.withoutParameters().safeText()
                    + "? reject status " + e.status() + ")");
        }
        if (e.type() == RdmaCm.EVENT_UNREACHABLE || e.type() == RdmaCm.EVENT_CONNECT_ERROR) {
            return e.connectFailure(what + ": ", "; is a listener running there?");
        }
        return e.connectFailure(what + ": unexpected ", "");
    }

    /** Connection-manager events for this id, on the channel's thread. */
    private void onCmEvent(CmEvent e) {
        if (!established) {
            if (e.type() == RdmaCm.EVENT_ESTABLISHED && onEstablished != null) {
                established = true;
                onEstablished.accept(this);
                return;
            }
            if (attempt != null) {
                attempt.add(e);
            } else if (endsSetup(e.type()) && onSetupFailed != null) {
                onSetupFailed.accept(this); // the passive side: this connection will never be established
            }
            return;
        }
        switch (e.type()) {
            case RdmaCm.EVENT_DISCONNECTED -> fail("the peer disconnected");
            case RdmaCm.EVENT_DEVICE_REMOVAL -> fail("the RDMA device was removed");
            case RdmaCm.EVENT_ADDR_CHANGE -> fail("the local address changed");
            default -> {
                // TIMEWAIT_EXIT and others need no action
            }
        }
    }

    void whenEstablished(java.util.function.Consumer<VerbsEndpoint> action) {
        this.onEstablished = action;
    }

    /**
     * @param action called on the connection manager's thread when the connection ends before it is established (the
     *               passive side: the client gave up, refused the answer or never confirmed it), so that the listener
     *               can release the endpoint instead of keeping it as pending until it closes
     */
    void whenSetupFails(java.util.function.Consumer<VerbsEndpoint> action) {
        this.onSetupFailed = action;
    }

    /** @return whether a connection-manager event before ESTABLISHED means the connection will not be established */
    private static boolean endsSetup(int type) {
        return type == RdmaCm.EVENT_CONNECT_ERROR || type == RdmaCm.EVENT_UNREACHABLE || type == RdmaCm.EVENT_REJECTED
                || type == RdmaCm.EVENT_DISCONNECTED || type == RdmaCm.EVENT_DEVICE_REMOVAL;
    }

    /**
     * Moves the endpoint to ERROR and the QP to the error state, which flushes its work.
     *
     * @param cause for {@link #toString()}
     */
    void fail(String cause) {
        // Under recvLock: a receive being posted either reaches the QP before the move below (whose flush takes it)
        // or sees failedAtNanos set and stays with the endpoint (see receive).
        synchronized (recvLock) {
            synchronized (nativeLock) {
                if (released.get()) {
                    return;
                }
                if (state == EndpointState.CONNECTED) {
                    errorCause = cause;
                    state = EndpointState.ERROR;
                }
                markFailed();
                Ibv.modifyQpToError(qp, qpAttr);
            }
        }
        watchForStranded();
    }

    /**
     * Fails the endpoint because the device dropped completions of its requests (a completion queue overflowed): the
     * requests whose completions are gone are completed FLUSHED by the endpoint a second after the failure.
     *
     * @param cause why the endpoint failed, as its error state reports it
     */
    void failWithCompletionsLost(String cause) {
        completionsLost = true;
        fail(cause);
    }

    /** Records when the endpoint learned of its failure, once: the stranded check's grace runs from then. */
    private void markFailed() {
        if (failedAtNanos == 0) {
            failedAtNanos = System.nanoTime();
        }
    }

    /** From now on the completion queues check for requests the device will never complete. */
    private void watchForStranded() {
        markFailed();
        sendCq.watchStranded(this);
        recvCq.watchStranded(this);
    }

    /**
     * Completes, FLUSHED and in posted order, the requests of this endpoint on {@code cq}'s side
     * that the device will never complete: those the device refused after the failure, once the
     * device finished the ones it took; and all of them once the QP is in RESET (the device
     * discards a RESET QP's requests without completions) or a second after the device dropped
     * completions of this endpoint's queue ({@link #failWithCompletionsLost}). Called by {@code cq} under its poll
     * lock, after it drained the device; checks the QP's state at most every 100 ms, and only a
     * second after the failure, so that the device flushes what it can first. While the device
     * still owes receives on a QP in the error state, each check moves the QP to that state again,
     * which makes rxe flush receives that entered its queue after its own flush (receives posted
     * once this endpoint knew of the failure never reach the device; see {@link #fail}). Takes the endpoint's send and
     * receive locks (after {@code cq}'s poll lock, the order {@link #release} from a poll takes them in).
     *
     * @return how many completions were added to {@code batch}
     */
    int completeStranded(VerbsCompletionQueue cq, dev.weft.CompletionBatch batch) {
        if (!orphaned && (failedAtNanos == 0 || released.get())) {
            return 0; // (an orphan has no queue pair left: deviceSilent, nothing below touches native memory)
        }
        if (orphaned && !orphanSeen) {
            orphanSeen = true;
            return 0; // the device's last entries may have reached the queue after this poll read it: the next poll reads them first
        }
        // Under the post locks (in their order, as release takes them): a post writes a slot before it counts the request,
        // so a walk that ran beside one could read the slot of the request being posted as that of the request a ring
        // back (already complete), and complete it in the old one's place.
        synchronized (sendLock) {
            synchronized (recvLock) {
                return completeStrandedLocked(cq, batch);
            }
        }
    }

    /** {@link #completeStranded} once it decided to look; the caller holds sendLock and recvLock. */
    private int completeStrandedLocked(VerbsCompletionQueue cq, dev.weft.CompletionBatch batch) {
        boolean sends = cq == sendCq;
        boolean receives = cq == recvCq;
        boolean deviceOwes = (sends && sendDone - sendFlushedHere < sendHanded) || (receives && recvDone - recvFlushedHere < recvHanded);
        if (deviceOwes && !deviceSilent) {
            long now = System.nanoTime();
            if (now - failedAtNanos < STRANDED_GRACE_NANOS || now - lastStateQueryNanos < 100_000_000L) {
                return 0;
            }
            lastStateQueryNanos = now;
            synchronized (nativeLock) {
                // after a dropped completion the device completes nothing more it owes: what it still held was flushed
                // within the grace
                // the flag is only ever raised: an orphan (released, no queue pair) raised it before this thread got the lock
                if (completionsLost || released.get() || Ibv.queryQpState(qp, qpAttr, queryInitAttr) == Ibv.QPS_RESET) {
                    deviceSilent = true;
                }
                if (!deviceSilent && receives && recvDone - recvFlushedHere < recvHanded) {
                    // Receives that reached the device's queue after its flush (posted while the device failed the QP
                    // by itself, before this endpoint saw it): rxe flushes its receive queue only when the QP enters
                    // the error state, so enter it again (error to error is a valid transition; its answer is moot).
                    int ignored = Ibv.modifyQpToError(qp, qpAttr);
                }
            }
            if (!deviceSilent) {
                return 0;
            }
        }
        int n = sends ? completeStrandedSends(batch) : 0;
        return receives ? n + completeStrandedReceives(batch) : n;
    }

    /**
     * The send side of {@link #completeStranded}: walks the requests not known to be complete in
     * posted order, completing the busy ones FLUSHED, and stops at one the device still owes
     * (unless the device is silent: QP in RESET, or completions dropped). A request as many slots as the ring has behind the newest has
     * completed (a request is posted only into a free slot, and its slot was its predecessor's by
     * that distance), so the walk never reads a slot a newer request took.
     */
    private int completeStrandedSends(dev.weft.CompletionBatch batch) {
        int n = 0;
        long posted = sendPosted;
        for (long i = Math.max(sendScan, posted - (sendMask + 1)); i < posted && !batch.isFull(); i++) {
            int slot = (int) i & sendMask;
            if (sendSlots[2 * slot + 1] != FREE) {
                if (!deviceSilent && i < sendHanded) {
                    break;
                }
                completeSend(slot, Ibv.WC_WR_FLUSH_ERR, 0, batch.next());
                sendFlushedHere++;
                n++;
            }
            sendScan = i + 1;
        }
        return n;
    }

    /**
     * The receive side of {@link #completeStranded}, as {@link #completeStrandedSends}: completes the busy slots in posted
     * order and stops at one the device still owes. Slots, not the count of completions, say which receives are left:
     * after a completion queue overflow the device's completions need not be the oldest ones (some dropped, later ones
     * stored), so the receives owed are not simply the ones from the count on.
     */
    private int completeStrandedReceives(dev.weft.CompletionBatch batch) {
        int n = 0;
        long posted = recvPosted;
        for (long i = Math.max(recvScan, posted - (recvMask + 1)); i < posted && !batch.isFull(); i++) {
            int slot = (int) i & recvMask;
            if (recvSlots[2 * slot + 1] != FREE) {
                if (!deviceSilent && i < recvHanded) {
                    break;
                }
                completeReceive(slot, Ibv.WC_WR_FLUSH_ERR, 0, 0, 0, false, 0, batch.next());
                recvFlushedHere++;
                n++;
            }
            recvScan = i + 1;
        }
        return n;
    }

    /** @return whether {@code cq} has nothing more to complete for this endpoint (a later post watches again) */
    boolean strandedDoneOn(VerbsCompletionQueue cq) {
        return (released.get() && !orphaned) || ((cq != sendCq || sendDone >= sendPosted) && (cq != recvCq || recvDone >= recvPosted));
    }

    /** Undoes a half-made connection. */
    private void abort() {
        state = EndpointState.CLOSED;
        synchronized (nativeLock) {
            if (released.get()) {
                return; // released already: a close of the domain closed it as the connect handed it over (adopt refused it)
            }
            RdmaCm.disconnect(id);
            Ibv.modifyQpToError(qp, qpAttr);
        }
        closing = true;
        if (outstanding() == 0) {
            release();
        }
    }

    // ---------------------------------------------------------------- completions

    private long outstanding() {
        return (sendPosted - sendDone) + (recvPosted - recvDone);
    }

    /**
     * Whether the request in {@code slot} is still outstanding, so that a completion the device
     * reports for it is its first. A device can report one request twice: siw (Linux 6.1) flushes a
     * read that was queued for transmission both from its outstanding-read queue and as the
     * current request (siw_sq_flush in siw_qp.c), and counting the second report would end the
     * endpoint's bookkeeping one completion early and lose another request's completion. Called by
     * a completion queue's poll, under its lock.
     */
    boolean owes(boolean receive, int slot) {
        long[] slots = receive ? recvSlots : sendSlots;
        if (slot >= 0 && slot < slots.length / 2 && slots[2 * slot + 1] != FREE) {
            return true;
        }
        duplicates.incrementAndGet();
        return false;
    }

    /**
     * Reports the completion of the send-side request in {@code slot} (write, read, send, atomic): its id, opcode
     * and length come from the slot. Called by a completion queue's poll, under its lock.
     */
    void completeSend(int slot, int ibvStatus, int vendorErr, Completion out) {
        long wrId = sendSlots[2 * slot];
        long sent = sendSlots[2 * slot + 1];
        Opcode opcode = OPCODES[(int) (sent >>> 32) & 0xff];
        SLOT.setRelease(sendSlots, 2 * slot + 1, FREE);
        sendDone = sendDone + 1; // volatile write after the slot is freed: a poster that sees it sees the slot free
        if (ibvStatus == Ibv.WC_SUCCESS) {
            out.set(wrId, opcode, Status.SUCCESS, (int) sent, 0, false, qpNum, 0);
        } else {
            out.set(wrId, opcode, failed(ibvStatus, opcode), 0, 0, false, qpNum, vendorErr);
        }
        if (closing && outstanding() == 0) {
            release();
        }
    }

    /** Reports the completion of the receive in {@code slot}. Called by a completion queue's poll, under its lock. */
    void completeReceive(int slot, int ibvStatus, int ibvOpcode, int byteLen, int immediate, boolean hasImmediate, int vendorErr,
                         Completion out) {
        long wrId = recvSlots[2 * slot];
        SLOT.setRelease(recvSlots, 2 * slot + 1, FREE);
        recvDone = recvDone + 1;
        if (ibvStatus == Ibv.WC_SUCCESS) {
            Opcode opcode = ibvOpcode == Ibv.WC_RECV_RDMA_WITH_IMM ? Opcode.RECEIVE_WRITE_WITH_IMMEDIATE : Opcode.RECEIVE;
            out.set(wrId, opcode, Status.SUCCESS, byteLen, immediate, hasImmediate, qpNum, 0);
        } else {
            out.set(wrId, Opcode.RECEIVE, failed(ibvStatus, Opcode.RECEIVE), 0, 0, false, qpNum, vendorErr);
        }
        if (closing && outstanding() == 0) {
            release();
        }
    }

    /**
     * The status of a request the device did not complete successfully; the first such failure of a connected
     * endpoint (other than a flush) moves it to ERROR, naming the status and the operation.
     */
    private Status failed(int ibvStatus, Opcode opcode) {
        Status status = Status.fromIbvCode(ibvStatus);
        if (status == Status.LOCAL_QP_OPERATION_ERROR && state == EndpointState.CLOSED) {
            status = Status.FLUSHED; // siw fails the request it was transmitting when close moved the QP to the error state
        }
        // compare-and-set: a close() between a plain check and write would be undone (CLOSED back to ERROR: posts accepted
        // after close, and the queue's close answering BUSY for an endpoint the application closed)
        if (status != Status.FLUSHED && state == EndpointState.CONNECTED
                && STATE.compareAndSet(this, EndpointState.CONNECTED, EndpointState.ERROR)) {
            errorCause = status + " on " + opcode;
            watchForStranded();
        }
        return status;
    }

    /**
     * Destroys the QP and the id and frees the endpoint's memory (once), and forgets the endpoint everywhere; after the
     * last completion, at queue close, or when an orphan's last completion was reported.
     */
    void release() {
        synchronized (sendLock) {
            synchronized (recvLock) {
                synchronized (nativeLock) {
                    releaseNativeLocked();
                    fabric.endpoints().remove(index, this);
                    sendCq.detach(this);
                    recvCq.detach(this);
                    sendCq.unwatchStranded(this);
                    recvCq.unwatchStranded(this);
                }
            }
        }
    }

    /** The native half of {@link #release}, once. Caller holds sendLock, recvLock and nativeLock. */
    private void releaseNativeLocked() {
        if (!released.compareAndSet(false, true)) {
            return;
        }
        fabric.cm().unregister(id.address());
        AsyncEvents.unregister(fabric.device().context(), qp);
        // not while librdmacm takes an event of this id: it may be changing the queue pair (see CmChannel)
        fabric.cm().withoutEventInFlight(() -> {
            RdmaCm.destroyQp(id);
            fabric.cm().destroyId(id);
        });
        arena.close();
    }

    /**
     * Releases the endpoint because {@code closing}, one of its completion queues, closes (a queue closes only under
     * closed endpoints). The queue pair must go first, since a completion queue cannot be destroyed under one. When the
     * endpoint's other queue stays open and still waits for some of its completions (a closed endpoint's receives, on a
     * receive queue it shares with others), the endpoint stays known to that queue as an orphan: its polls report what
     * the device completed before, then the rest {@code FLUSHED}, and the last one forgets the endpoint. The requests
     * of the closing queue's side complete nowhere: nobody can poll that queue any more.
     */
    void releaseAtQueueClose(VerbsCompletionQueue closing) {
        VerbsCompletionQueue other = closing == sendCq ? recvCq : sendCq;
        boolean owedOnOther = other != closing && other.isOpen() && (other == recvCq ? recvPosted > recvDone : sendPosted > sendDone);
        if (!owedOnOther) {
            release();
            return;
        }
        boolean done;
        synchronized (sendLock) {
            synchronized (recvLock) {
                synchronized (nativeLock) {
                    if (closing == sendCq) {
                        abandon(sendSlots);
                        sendDone = sendPosted;
                    } else {
                        abandon(recvSlots);
                        recvDone = recvPosted;
                    }
                    releaseNativeLocked();
                    // published once the queue pair is gone: the device adds nothing more to the other queue, whose
                    // polls read what it holds before they complete the rest
                    deviceSilent = true;
                    orphaned = true;
                    closing.detach(this);
                    closing.unwatchStranded(this);
                    done = outstanding() == 0; // the other queue's poll may have reported the last one meanwhile
                }
            }
        }
        if (done) {
            release();
        } else {
            other.watchStranded(this);
        }
    }

    private static void abandon(long[] slots) {
        for (int i = 1; i < slots.length; i += 2) {
            slots[i] = FREE;
        }
    }

    // ---------------------------------------------------------------- data path

    // The gather lists and work requests are written through Raw: the caller holds the queue's lock and checked that
    // the endpoint is not released, which frees them under the same lock.

    /**
     * Writes one {@code ibv_sge} at address {@code sge}; returns 1, 0 for an empty range, or {@link #NOT_OK} for a
     * buffer that can never work: a region of another domain, closed, the range outside it, or a sink (of a read, an
     * atomic or a receive) without LOCAL_WRITE, or on iWARP the sink of a read without REMOTE_WRITE, which the device
     * would fail with a protection error and the endpoint with it (refused here, as on every provider).
     *
     * @param need 0 for a source, {@link VerbsMemoryRegion#SINK} or {@link VerbsMemoryRegion#READ_SINK}
     */
    private int fillAt(long sge, MemoryRegion region, long offset, int length, int need) {
        if (!(region instanceof VerbsMemoryRegion r) || r.verbsDomain() != domain) {
            return NOT_OK;
        }
        if (!r.isOpen() || (r.sinkRights() & need) != need) {
            return NOT_OK;
        }
        if (offset < 0 || length < 0 || offset > r.length() - length) {
            return NOT_OK;
        }
        if (length == 0) {
            return 0;
        }
        Raw.putLong(sge + SGE_ADDR, r.remoteAddress() + offset);
        Raw.putInt(sge + SGE_LENGTH, length);
        Raw.putInt(sge + SGE_LKEY, r.lkey());
        return 1;
    }

    private int fillList(long sges, ScatterGatherList list, int need) {
        int n = list.size();
        if (n > maxSge) {
            return NOT_OK;
        }
        int k = 0;
        for (int i = 0; i < n; i++) {
            int rc = fillAt(sges + k * SGE_SIZE, list.region(i), list.offset(i), list.length(i), need);
            if (rc < 0) {
                return rc;
            }
            k += rc;
        }
        return k;
    }

    /** @return one less than the smallest power of two not below {@code depth} (at least 1), the mask of a ring's slot index */
    static int slotMask(int depth) {
        return depth <= 1 ? 0 : -1 >>> Integer.numberOfLeadingZeros(depth - 1);
    }

    /** @return the state of a busy send slot: never {@link #FREE}, the opcode's ordinal in bits 32..39, the length below */
    private static long sendState(Opcode opcode, int length) {
        return SEND_BUSY | (long) opcode.ordinal() << 32 | Integer.toUnsignedLong(length);
    }

    private static boolean badKey(long key) {
        return key < 0 || key > 0xFFFF_FFFFL;
    }

    /**
     * Posts the send work request prepared at {@link #sendWrAddress}; the caller holds {@link #sendLock}
     * and has checked {@link #closedForPosting()} (close and release take the same lock). {@code inline}: the
     * payload was staged by {@link #stageInline} and is posted {@code IBV_SEND_INLINE}, decided in one place,
     * {@link #gatherAndPostLocked}.
     */
    private PostStatus postSendLocked(long wrId, Opcode opcode, int ibvOpcode, int sges, int length, boolean inline) {
        long posted = sendPosted;
        if (posted - sendDone >= sendRing) {
            return PostStatus.AGAIN;
        }
        int slot = (int) posted & sendMask;
        if ((long) SLOT.getAcquire(sendSlots, 2 * slot + 1) != FREE) {
            return PostStatus.AGAIN; // the request that held this slot, a slot count back, has not completed yet (out-of-order completion)
        }
        sendSlots[2 * slot] = wrId;
        sendSlots[2 * slot + 1] = sendState(opcode, length);
        if (sendHanded != posted) {
            // the device refused an earlier one: completed FLUSHED by completeStranded, in order. Watched again: the
            // queue stops watching once it completed the earlier ones, and nothing else would complete this one.
            sendPosted = posted + 1;
            sendCq.watchStranded(this);
            return PostStatus.OK;
        }
        Raw.putLong(sendWrAddress + SEND_WR_ID, ((long) index << 32) | slot);
        Raw.putInt(sendWrAddress + SEND_NUM_SGE, sges);
        Raw.putInt(sendWrAddress + SEND_OPCODE, ibvOpcode);
        Raw.putInt(sendWrAddress + SEND_FLAGS, Ibv.SEND_SIGNALED | (inline ? Ibv.SEND_INLINE : 0));
        int rc = postSendDowncall();
        if (rc == 0 || deviceKept(badSendWr)) {
            sendPosted = posted + 1;
            sendHanded = posted + 1;
            if (failedAtNanos != 0) {
                sendCq.watchStranded(this); // a failed QP that took the request may still never complete it
            }
            return PostStatus.OK;
        }
        if (failedAtNanos != 0) {
            // the failed QP takes no more work (siw in its idle state): this request and later ones complete FLUSHED
            sendPosted = posted + 1;
            sendCq.watchStranded(this);
            return PostStatus.OK;
        }
        sendSlots[2 * slot + 1] = FREE;
        return refused(rc);
    }

    /**
     * Posts an unsignaled zero-length RDMA write that no application request accounts for, so that the peer's
     * driver reads its socket again (see {@link SiwFirstFrame}). A zero-length write places nothing and its
     * address and key are not checked. It takes a slot of the device's send queue until it is sent (microseconds),
     * so a post of the application's in that moment may answer AGAIN. Does nothing once the endpoint is no longer
     * connected; a refusal (the queue is full of the application's requests) is ignored: the next nudge tries again.
     */
    void nudge() {
        synchronized (sendLock) {
            if (released.get() || state != EndpointState.CONNECTED) {
                return;
            }
            Raw.putLong(sendWrAddress + SEND_WR_ID, ((long) index << 32) | NUDGE_WR);
            Raw.putInt(sendWrAddress + SEND_NUM_SGE, 0);
            Raw.putInt(sendWrAddress + SEND_OPCODE, Ibv.WR_RDMA_WRITE);
            Raw.putInt(sendWrAddress + SEND_FLAGS, 0);
            Raw.putLong(sendWrAddress + RDMA_ADDR, 0L);
            Raw.putInt(sendWrAddress + RDMA_RKEY, 0);
            int ignored = postSendDowncall();
        }
    }

    /** Posts the send work request as filled; the caller holds {@link #sendLock}. @return the driver's answer, 0 or an errno */
    private int postSendDowncall() {
        // the cell names the request again before each post: a driver that refuses a post before it writes the cell (or
        // after writing NULL, as rxe's does when it finds no queue) must not leave a NULL behind that deviceKept would
        // read as "taken", which would hold the request's slot forever
        Raw.putLong(badSendWrAddress, sendWrAddress);
        try {
            return (int) Ibv.POST_SEND.invokeExact(postSendFn, qpAddress, sendWrAddress, badSendWrAddress);
        } catch (Throwable t) {
            throw new IllegalStateException("post_send failed", t);
        }
    }

    /**
     * Maps a driver's non-zero answer to post_send or post_recv. Drivers disagree on its sign:
     * libibverbs documents a positive errno and rxe returns one, but siw returns {@code -ENOMEM}
     * when the ring slot it would fill is still marked in use. That happens for a moment after a
     * completion was polled: siw's kernel side marks the completion valid before it recycles the
     * request's slot, so a post right behind that poll can find the slot busy (seen in CI as an
     * INVALID answer in the middle of a write stream, {@code conc_closeWhilePosting} on siw).
     *
     * @param rc the driver's answer, not 0
     * @return AGAIN for a full queue (ENOMEM or EAGAIN, either sign), INVALID for anything else
     */
    static PostStatus refused(int rc) {
        int errno = Math.abs(rc);
        return errno == Errno.ENOMEM || errno == Errno.EAGAIN ? PostStatus.AGAIN : PostStatus.INVALID;
    }

    /**
     * Whether a post the driver refused still left its request with the device. A driver that
     * refuses a post points {@code bad_wr} at the first request it did not take, which for Weft's
     * single-request posts is the request itself; a {@code NULL} there says the driver took every
     * request and failed afterwards. The soft devices' user libraries do this (rdma-core
     * {@code providers/siw} and {@code providers/rxe}): they write the request into the ring they
     * share with the kernel, then ring the kernel's doorbell with {@code write(2)}, and when the
     * kernel refuses the doorbell (siw: {@code ENOTCONN} while the QP changes state, e.g. to the
     * error state) they answer its error with {@code bad_wr} NULL. The request is then in the ring
     * and completes like any other (flushed once the QP is in the error state), so it counts as
     * posted: answering it refused would free its slot for the next request, and the device's
     * completion for the first would be reported as the second's.
     *
     * @param badWr the cell the driver was given as {@code bad_wr}; it holds the request's address (written before
     *              each post) until a driver writes it (rxe writes NULL at the start of every post, siw of every send)
     * @return whether the cell is NULL
     */
    static boolean deviceKept(MemorySegment badWr) {
        return badWr.get(C.U64, 0) == 0L;
    }

    /** @return whether posting must answer CLOSED; the caller holds the queue's lock, so the native memory stays alive */
    private boolean closedForPosting() {
        return state == EndpointState.CLOSED || released.get();
    }

    /**
     * Fills the gather list of the send work request from a single range or a list, then posts it;
     * the caller holds {@link #sendLock}, checked {@link #closedForPosting()} and set the
     * opcode-specific fields.
     */
    private PostStatus gatherAndPostLocked(long wrId, Opcode opcode, int ibvOpcode, MemoryRegion local, long localOffset, int length,
                                           ScatterGatherList list) {
        boolean sink = ibvOpcode == Ibv.WR_RDMA_READ;
        int need = sink ? VerbsMemoryRegion.READ_SINK : 0;
        int sges = list == null ? fillAt(sendSgesAddress, local, localOffset, length, need) : fillList(sendSgesAddress, list, need);
        if (sges < 0) {
            return PostStatus.INVALID;
        }
        long total = list == null ? length : list.totalLength();
        if (total < 0 || total > maxMessage) {
            return PostStatus.INVALID; // longer than the port's max_msg_sz (which also keeps a list's total within an int)
        }
        boolean inline = !sink && total > 0 && total <= inlineMax; // a write, write with immediate or send that fits
        if (inline) {
            if (!stageInline(local, localOffset, (int) total, list)) {
                return PostStatus.INVALID;
            }
            sges = 1;
        }
        return postSendLocked(wrId, opcode, ibvOpcode, sges, (int) total, inline);
    }

    /**
     * Copies an inline payload into the endpoint's staging buffer through the application's segments and points the
     * first gather entry at it. The driver copies an inline payload in user space during {@code post_send}; from the
     * application's own addresses it would read unmapped memory, and crash the JVM, if another thread closed the
     * region's arena after the post's checks. A segment copy either completes before such a close or fails, and the
     * post is then refused ({@code INVALID}, as for a region closed before the post). The regions were checked by
     * {@link #fillAt}. Caller holds {@link #sendLock}.
     */
    private boolean stageInline(MemoryRegion local, long localOffset, int total, ScatterGatherList list) {
        try {
            if (list == null) {
                MemorySegment.copy(((VerbsMemoryRegion) local).segment(), localOffset, inlineStage, 0, total);
            } else {
                long at = 0;
                for (int i = 0, n = list.size(); i < n; i++) {
                    int len = list.length(i);
                    MemorySegment.copy(((VerbsMemoryRegion) list.region(i)).segment(), list.offset(i), inlineStage, at, len);
                    at += len;
                }
            }
        } catch (IllegalStateException closedMeanwhile) {
            return false;
        }
        Raw.putLong(sendSgesAddress + SGE_ADDR, inlineStageAddress);
        Raw.putInt(sendSgesAddress + SGE_LENGTH, total); // the key stays the first entry's: a driver ignores it for inline data
        return true;
    }

    private PostStatus rma(long wrId, Opcode opcode, int ibvOpcode, MemoryRegion local, long localOffset, int length,
                           ScatterGatherList list, long remoteAddress, long remoteKey, int immediate) {
        if (badKey(remoteKey)) {
            return PostStatus.INVALID;
        }
        synchronized (sendLock) {
            if (closedForPosting()) {
                return PostStatus.CLOSED;
            }
            Raw.putLong(sendWrAddress + RDMA_ADDR, remoteAddress);
            Raw.putInt(sendWrAddress + RDMA_RKEY, (int) remoteKey);
            if (ibvOpcode == Ibv.WR_RDMA_WRITE_WITH_IMM) {
                Raw.putInt(sendWrAddress + SEND_IMM, Integer.reverseBytes(immediate)); // the device reads it for this opcode only
            }
            return gatherAndPostLocked(wrId, opcode, ibvOpcode, local, localOffset, length, list);
        }
    }

    private PostStatus atomic(long wrId, Opcode opcode, int ibvOpcode, MemoryRegion result, long resultOffset, long remoteAddress,
                              long remoteKey, long compareAdd, long swap) {
        if (!atomics || badKey(remoteKey)) {
            return PostStatus.INVALID; // a device without atomics (iWARP, atomic_cap NONE) might take it and fail the endpoint
        }
        synchronized (sendLock) {
            if (closedForPosting()) {
                return PostStatus.CLOSED;
            }
            int sges = fillAt(sendSgesAddress, result, resultOffset, 8, VerbsMemoryRegion.SINK);
            if (sges < 0) {
                return PostStatus.INVALID;
            }
            Raw.putLong(sendWrAddress + ATOMIC_ADDR, remoteAddress);
            Raw.putLong(sendWrAddress + ATOMIC_COMPARE_ADD, compareAdd);
            Raw.putLong(sendWrAddress + ATOMIC_SWAP, swap);
            Raw.putInt(sendWrAddress + ATOMIC_RKEY, (int) remoteKey);
            return postSendLocked(wrId, opcode, ibvOpcode, sges, 8, false);
        }
    }

    private PostStatus send(long wrId, MemoryRegion local, long localOffset, int length, ScatterGatherList list) {
        synchronized (sendLock) {
            if (closedForPosting()) {
                return PostStatus.CLOSED;
            }
            return gatherAndPostLocked(wrId, Opcode.SEND, Ibv.WR_SEND, local, localOffset, length, list);
        }
    }

    private PostStatus receive(long wrId, MemoryRegion local, long localOffset, int length, ScatterGatherList list) {
        synchronized (recvLock) {
            if (closedForPosting()) {
                return PostStatus.CLOSED;
            }
            int sges = list == null ? fillAt(recvSgesAddress, local, localOffset, length, VerbsMemoryRegion.SINK)
                    : fillList(recvSgesAddress, list, VerbsMemoryRegion.SINK);
            if (sges < 0) {
                return PostStatus.INVALID;
            }
            long posted = recvPosted;
            if (posted - recvDone >= recvRing) {
                return PostStatus.AGAIN;
            }
            int slot = (int) posted & recvMask;
            if ((long) SLOT.getAcquire(recvSlots, 2 * slot + 1) != FREE) {
                return PostStatus.AGAIN; // its request, a ring back, has not completed (its completion was dropped or is late)
            }
            recvSlots[2 * slot] = wrId;
            recvSlots[2 * slot + 1] = RECEIVE_BUSY;
            if (recvHanded != posted || failedAtNanos != 0) {
                // Once the endpoint failed, receives stay here and completeStranded completes them FLUSHED, in order
                // after the ones the device holds: a device need not flush a receive posted to a QP that is already
                // in the error state (rxe's post_recv only fills a queue in user space, and its kernel side
                // flushes that queue only when the QP enters the error state).
                recvPosted = posted + 1;
                recvCq.watchStranded(this);
                return PostStatus.OK;
            }
            Raw.putLong(recvWrAddress + RECV_WR_ID, ((long) index << 32) | 0x8000_0000L | slot);
            Raw.putInt(recvWrAddress + RECV_NUM_SGE, sges);
            Raw.putLong(badRecvWrAddress, recvWrAddress); // as in postSendDowncall (rxe answers EINVAL after writing NULL for a QP in RESET)
            int rc;
            try {
                rc = (int) Ibv.POST_RECV.invokeExact(postRecvFn, qpAddress, recvWrAddress, badRecvWrAddress);
            } catch (Throwable t) {
                throw new IllegalStateException("post_recv failed", t);
            }
            if (rc == 0 || deviceKept(badRecvWr)) {
                recvPosted = posted + 1;
                recvHanded = posted + 1;
                if (failedAtNanos != 0) {
                    recvCq.watchStranded(this); // the device failed while this was posted (completeStranded kicks it)
                }
                return PostStatus.OK;
            }
            if (failedAtNanos != 0) {
                recvPosted = posted + 1;
                recvCq.watchStranded(this);
                return PostStatus.OK;
            }
            recvSlots[2 * slot + 1] = FREE;
            return refused(rc);
        }
    }

    @Override
    public PostStatus write(long workRequestId, MemoryRegion local, long localOffset, int length, long remoteAddress, long remoteKey) {
        return rma(workRequestId, Opcode.WRITE, Ibv.WR_RDMA_WRITE, local, localOffset, length, null, remoteAddress, remoteKey, 0);
    }

    @Override
    public PostStatus write(long workRequestId, ScatterGatherList local, long remoteAddress, long remoteKey) {
        return rma(workRequestId, Opcode.WRITE, Ibv.WR_RDMA_WRITE, null, 0, 0, local, remoteAddress, remoteKey, 0);
    }

    @Override
    public PostStatus writeWithImmediate(long workRequestId, ScatterGatherList local, long remoteAddress, long remoteKey, int immediate) {
        if (!writeImmediate) {
            return PostStatus.INVALID; // iWARP has no immediate data
        }
        return rma(workRequestId, Opcode.WRITE_WITH_IMMEDIATE, Ibv.WR_RDMA_WRITE_WITH_IMM, null, 0, 0, local, remoteAddress, remoteKey,
                immediate);
    }

    @Override
    public PostStatus writeWithImmediate(long workRequestId, MemoryRegion local, long localOffset, int length, long remoteAddress,
                                         long remoteKey, int immediate) {
        if (!writeImmediate) {
            return PostStatus.INVALID; // iWARP has no immediate data
        }
        return rma(workRequestId, Opcode.WRITE_WITH_IMMEDIATE, Ibv.WR_RDMA_WRITE_WITH_IMM, local, localOffset, length, null, remoteAddress,
                remoteKey, immediate);
    }

    @Override
    public PostStatus read(long workRequestId, MemoryRegion local, long localOffset, int length, long remoteAddress, long remoteKey) {
        return rma(workRequestId, Opcode.READ, Ibv.WR_RDMA_READ, local, localOffset, length, null, remoteAddress, remoteKey, 0);
    }

    @Override
    public PostStatus read(long workRequestId, ScatterGatherList local, long remoteAddress, long remoteKey) {
        return rma(workRequestId, Opcode.READ, Ibv.WR_RDMA_READ, null, 0, 0, local, remoteAddress, remoteKey, 0);
    }

    @Override
    public PostStatus send(long workRequestId, ScatterGatherList local) {
        return send(workRequestId, null, 0, 0, local);
    }

    @Override
    public PostStatus send(long workRequestId, MemoryRegion local, long localOffset, int length) {
        return send(workRequestId, local, localOffset, length, null);
    }

    @Override
    public PostStatus receive(long workRequestId, ScatterGatherList local) {
        return receive(workRequestId, null, 0, 0, local);
    }

    @Override
    public PostStatus receive(long workRequestId, MemoryRegion local, long localOffset, int length) {
        return receive(workRequestId, local, localOffset, length, null);
    }

    @Override
    public PostStatus fetchAndAdd(long workRequestId, MemoryRegion result, long resultOffset, long remoteAddress, long remoteKey, long add) {
        return atomic(workRequestId, Opcode.FETCH_AND_ADD, Ibv.WR_ATOMIC_FETCH_AND_ADD, result, resultOffset, remoteAddress, remoteKey, add, 0);
    }

    @Override
    public PostStatus compareAndSwap(long workRequestId, MemoryRegion result, long resultOffset, long remoteAddress, long remoteKey,
                                     long expected, long desired) {
        return atomic(workRequestId, Opcode.COMPARE_AND_SWAP, Ibv.WR_ATOMIC_CMP_AND_SWP, result, resultOffset, remoteAddress, remoteKey,
                expected, desired);
    }

    // ---------------------------------------------------------------- state

    @Override
    public long id() {
        return qpNum;
    }

    @Override
    public EndpointState state() {
        return state;
    }

    @Override
    public FabricUri peer() {
        return peer;
    }

    @Override
    public Optional<RemoteRegion> wellKnownRegion() {
        return Optional.ofNullable(wellKnown);
    }

    boolean isOpen() {
        return state != EndpointState.CLOSED;
    }

    @Override
    public void close() {
        synchronized (sendLock) {
            synchronized (recvLock) {
                if (state == EndpointState.CLOSED) {
                    return;
                }
                state = EndpointState.CLOSED;
            }
        }
        domain.forget(this);
        synchronized (nativeLock) {
            if (!released.get()) {
                RdmaCm.disconnect(id);
                Ibv.modifyQpToError(qp, qpAttr);
            }
        }
        closing = true;
        if (outstanding() == 0) {
            release();
        } else {
            watchForStranded();
        }
    }

    @Override
    public String toString() {
        long dropped = duplicates.get();
        return "VerbsEndpoint[qp " + qpNum + " to " + (peer == null ? "?" : peer.safeText()) + ", " + state
                + (errorCause == null ? "" : " (" + errorCause + ")")
                + (dropped == 0 ? "" : ", " + dropped + " duplicate completion(s) from the device dropped") + "]";
    }
}
