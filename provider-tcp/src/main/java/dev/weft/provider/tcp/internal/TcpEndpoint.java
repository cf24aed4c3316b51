package dev.weft.provider.tcp.internal;

import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.FabricUri;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.ScatterGatherList;
import dev.weft.Status;
import dev.weft.provider.tcp.internal.Wire.Refusal;
import dev.weft.spi.ConfigChecks;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A reliable connected endpoint over one TCP connection: the initiator of requests and, for
 * the peer's requests, the target that serves them without the application (as a NIC would).
 *
 * <h2>Initiator</h2>
 * Posting fills a preallocated slot of the send queue (a ring indexed by sequence number),
 * writes the frame to the socket from the posting thread (no hand-off), and returns once the
 * socket has taken the whole frame (waiting for room if it is full; when the peer takes none of our output for the
 * fabric's {@code timeout}, the endpoint moves to ERROR with RETRY_EXCEEDED, as on a transport retry timeout). Responses
 * arrive in request order and complete the head of the queue. A send or write-with-immediate
 * answered "receiver not ready" rewinds the queue (go-back-N): after {@code rnr_delay} every
 * outstanding request from that one on is sent again, up to {@code rnr_retry} times.
 *
 * <h2>Target</h2>
 * Every request is checked before anything is touched, in the documented order (header, length,
 * key in this domain, region valid, access right, bounds, alignment). A violation answers the
 * initiator with the matching status and moves this endpoint to ERROR; nothing is applied.
 * What the target owes (acknowledgements, READ responses, atomic results) is queued and written
 * between request frames; the target side never waits for the socket to take it, so it keeps
 * reading while both directions of the connection are full (see the output fields below).
 *
 * <h2>Progress</h2>
 * The channel is non-blocking; waits are selector waits. In {@code auto} progress a reader thread
 * per endpoint waits for input; in {@code manual} progress the threads polling the fabric's
 * completion queues read whatever has arrived, and a poster waiting for room serves input too.
 *
 * <p>Thread-safe. The data path allocates nothing in steady state (the answer queue grows, at
 * most a few times, while a peer keeps more requests outstanding than this endpoint's depths).
 */
final class TcpEndpoint implements dev.weft.Endpoint {
    private static final int CHUNK = 64 * 1024;
    private static final VarHandle LONG = ValueLayout.JAVA_LONG.varHandle();

    /** A send-queue slot; reused for the endpoint's lifetime. */
    private static final class WorkRequest {
        long seq;
        long wrId;
        byte wireOp;
        Opcode opcode;
        int sgeCount;
        final TcpMemoryRegion[] regions;
        final long[] offsets;
        final int[] lengths;
        int total;
        long address;
        long key;
        int immediate;
        long operand1;
        long operand2;
        int rnrAttempts;
        boolean localFailure;
        /** A READ's data has arrived (READ_DATA); its ACK may then complete it, and a second READ_DATA is a violation. */
        boolean dataArrived;

        WorkRequest(int maxSge) {
            regions = new TcpMemoryRegion[maxSge];
            offsets = new long[maxSge];
            lengths = new int[maxSge];
        }
    }

    /** A posted receive; reused for the endpoint's lifetime. */
    private static final class ReceiveRequest {
        long wrId;
        int sgeCount;
        final TcpMemoryRegion[] regions;
        final long[] offsets;
        final int[] lengths;
        long total;

        ReceiveRequest(int maxSge) {
            regions = new TcpMemoryRegion[maxSge];
            offsets = new long[maxSge];
            lengths = new int[maxSge];
        }
    }

    private final long id;
    private final TcpDomain domain;
    private final TcpFabric fabric;
    private final TcpConfig config;
    private final Socket socket;
    private final InputStream in;
    private final SocketChannel channel;
    private final TcpCompletionQueue sendQueue;
    private final TcpCompletionQueue receiveQueue;
    private final int maxSge;
    private final int maxMessage;
    private final FabricUri peer;
    private final Optional<RemoteRegion> wellKnown;
    private final Thread reader;
    private final AtomicBoolean socketReleased = new AtomicBoolean();
    private volatile EndpointState state = EndpointState.CONNECTED;
    private volatile String errorReason;

    // Output. The channel is non-blocking: no thread waits inside a write. Bytes to send are staged in outDirect (a
    // direct buffer: the channel copies nothing more) between outStart and outEnd, followed by payloadView while a
    // poster writes a large payload straight from its region. Only the holder of writeLock stages and writes.
    // A poster stages its whole request frame and waits (awaitRoom) until the socket has taken it. The target side
    // never waits for the socket: it queues what it owes in `answers`, which the holder of writeLock stages between
    // request frames (never inside one, see frameOpen). Who pushes queued answers: the input side, when it can take
    // writeLock without waiting and before it waits for input; otherwise the poster holding writeLock, as it
    // releases it (releaseOutput). What the socket does not take then is left to the input side, which waits for
    // room as well as for input while it owes output, and is woken for it. All fields below: guarded by writeLock.
    private final ReentrantLock writeLock = new ReentrantLock();
    private final byte[] frame = new byte[Wire.HEADER_SIZE];
    private final ByteBuffer outDirect = ByteBuffer.allocateDirect(Wire.HEADER_SIZE + CHUNK);
    private final MemorySegment outSeg = MemorySegment.ofBuffer(outDirect);
    private int outStart;
    private int outEnd;
    private ByteBuffer payloadView;
    private final ByteBuffer[] sendGather = new ByteBuffer[2];
    // Payloads larger than the staging buffer, in one region, are written straight from it (transmitFromRegion): one
    // system call instead of one per 64 KiB, and no copy. Smaller ones are staged (the copy showed no measurable cost,
    // and staging does not hold the region's fence while the socket is full).
    private static final int DIRECT_SEND_MIN = CHUNK + 1;
    private final RegionViews sendViews = new RegionViews();
    private volatile boolean viewsStale; // a region of the domain closed: sendViews may hold it (see forgetClosedRegions)
    private boolean frameOpen;
    private final AnswerQueue answers;
    private final AnswerQueue.Answer answer = new AnswerQueue.Answer(); // the answer being staged, if answering
    private boolean answering;
    private boolean answerHeaderStaged;
    private boolean answerIntact;
    private String errorAfterOutput; // the endpoint moves to ERROR with this reason once the staged output has left
    private volatile boolean outputLeft; // staged bytes remain: the socket took less than all of them
    private volatile boolean rewinding;
    private volatile long lastSent = System.nanoTime();

    // Readiness waits (see Waiter). The input side (the reader, or the holder of readLock) waits on `input` for input,
    // and for room while it owes output it may push; a poster waits on `output` for room (in manual progress on
    // `input`, serving input meanwhile, if it can take readLock).
    // A wait without a deadline (UNTIL_READY) ends on readiness, a wake-up or the waiters' close in releaseSocket; on a
    // platform thread it also re-checks after SAFETY_MILLIS, which only bounds the cost of a wake-up missed by a defect.
    private static final long UNTIL_READY = 0;
    private static final long SAFETY_MILLIS = 1000;
    private static final Consumer<SelectionKey> IGNORE_READY = key -> { };
    private final Waiter input = new Waiter(SelectionKey.OP_READ);
    private final Waiter output = new Waiter(SelectionKey.OP_WRITE);

    // Send queue ring. Guarded by sqLock.
    private final Object sqLock = new Object();
    private final WorkRequest[] sq;
    private long sqHead = 1;
    private long sqTail = 1;
    private Status headStatusOnFlush; // the oldest request's status when the endpoint moved to ERROR, until a flush reports it
    private long errorTail; // sqTail when the endpoint moved to ERROR: only a request posted before may take headStatusOnFlush
    // Set once the input side has stopped writing into posted buffers after the move to ERROR or CLOSED (see
    // awaitInputSide); until then only the thread that moved the endpoint flushes, so that no completion reaches the
    // application while the input side still copies into its buffer.
    private volatile boolean inputStopped;

    // Receive queue ring. Guarded by rqLock.
    private final Object rqLock = new Object();
    private final ReceiveRequest[] rq;
    private long rqHead;
    private long rqTail;

    // Input: confined to the reader (auto) or to the holder of readLock (manual).
    private final ReentrantLock readLock = new ReentrantLock();
    private final byte[] header = new byte[Wire.HEADER_SIZE];
    // Input buffer: one read takes in as much as has arrived, up to a header and a full chunk (a run of
    // acknowledgements, or a header with its whole payload and the next header); headers and payloads are taken from
    // here, payloads copied once into the region under its fence.
    private static final int READ_AHEAD = Wire.HEADER_SIZE + CHUNK;
    private final ByteBuffer readAhead = ByteBuffer.allocateDirect(READ_AHEAD).limit(0);
    private final MemorySegment readAheadSeg = MemorySegment.ofBuffer(readAhead.duplicate().clear());
    private volatile int readAheadBytes; // for the liveness check on the timer thread
    private long nextExpectedSeq = 1;
    private boolean rnrDiscard;
    private volatile long lastReceived = System.nanoTime();
    // Manual progress: a refusal that later polls finish (see reject). Set by the input side; read by the timer too.
    private static final long REFUSAL_MILLIS = 2000;
    private volatile String refusalReason;
    private volatile long refusalDeadline;
    private boolean refusalOutputShut; // confined to the input side

    TcpEndpoint(TcpDomain domain, Socket socket, EndpointConfig config, FabricUri peer, Handshake.Result handshake) throws IOException {
        this.id = domain.tcpFabric().nextEndpointId();
        this.domain = domain;
        this.fabric = domain.tcpFabric();
        this.config = fabric.config();
        this.socket = socket;
        this.in = socket.getInputStream();
        this.channel = socket.getChannel();
        if (channel == null) {
            throw new IllegalStateException("a tcp endpoint needs a socket opened through a SocketChannel");
        }
        this.sendQueue = (TcpCompletionQueue) config.sendQueue();
        this.receiveQueue = (TcpCompletionQueue) config.receiveQueue();
        this.maxSge = ConfigChecks.scatterGather(config, fabric.info().limits());
        this.maxMessage = handshake.maxMessage();
        this.peer = peer;
        this.wellKnown = Optional.ofNullable(handshake.region());
        this.sq = new WorkRequest[config.sendQueueDepth()];
        for (int i = 0; i < sq.length; i++) {
            sq[i] = new WorkRequest(maxSge);
        }
        this.rq = new ReceiveRequest[config.receiveQueueDepth()];
        for (int i = 0; i < rq.length; i++) {
            rq[i] = new ReceiveRequest(maxSge);
        }
        this.answers = new AnswerQueue(Math.max(config.sendQueueDepth(), config.receiveQueueDepth()));
        channel.configureBlocking(false);
        // The domain first: a domain closing meanwhile refuses the endpoint before any queue counts it (counted first, it
        // would make the closing domain's queues refuse to close). A queue closed meanwhile refuses too (CLOSED), so no
        // endpoint reports into a closed queue; nothing stays attached or registered when a step refuses.
        domain.addChild(this);
        try {
            sendQueue.attach();
            try {
                receiveQueue.attach();
            } catch (RuntimeException e) {
                sendQueue.detach();
                throw e;
            }
        } catch (RuntimeException e) {
            domain.removeChild(this);
            throw e;
        }
        fabric.addEndpoint(this);
        if (this.config.manualProgress()) {
            reader = null;
        } else {
            Thread.Builder builder = this.config.virtualThreads() ? Thread.ofVirtual() : Thread.ofPlatform().daemon();
            reader = builder.name(fabric.name() + "-endpoint-" + id).start(this::readLoop);
        }
    }

    // ------------------------------------------------------------------ public API

    @Override
    public long id() {
        return id;
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
        return wellKnown;
    }

    @Override
    public PostStatus write(long wrId, MemoryRegion local, long localOffset, int length, long remoteAddress, long remoteKey) {
        return post(Wire.OP_WRITE, Opcode.WRITE, wrId, local, localOffset, length, null, remoteAddress, remoteKey, 0, 0, 0);
    }

    @Override
    public PostStatus write(long wrId, ScatterGatherList local, long remoteAddress, long remoteKey) {
        return post(Wire.OP_WRITE, Opcode.WRITE, wrId, null, 0, 0, local, remoteAddress, remoteKey, 0, 0, 0);
    }

    @Override
    public PostStatus writeWithImmediate(long wrId, ScatterGatherList local, long remoteAddress, long remoteKey, int immediate) {
        return post(Wire.OP_WRITE_IMM, Opcode.WRITE_WITH_IMMEDIATE, wrId, null, 0, 0, local, remoteAddress, remoteKey, immediate, 0, 0);
    }

    @Override
    public PostStatus writeWithImmediate(long wrId, MemoryRegion local, long localOffset, int length, long remoteAddress,
                                         long remoteKey, int immediate) {
        return post(Wire.OP_WRITE_IMM, Opcode.WRITE_WITH_IMMEDIATE, wrId, local, localOffset, length, null, remoteAddress, remoteKey,
                immediate, 0, 0);
    }

    @Override
    public PostStatus read(long wrId, MemoryRegion local, long localOffset, int length, long remoteAddress, long remoteKey) {
        return post(Wire.OP_READ, Opcode.READ, wrId, local, localOffset, length, null, remoteAddress, remoteKey, 0, 0, 0);
    }

    @Override
    public PostStatus read(long wrId, ScatterGatherList local, long remoteAddress, long remoteKey) {
        return post(Wire.OP_READ, Opcode.READ, wrId, null, 0, 0, local, remoteAddress, remoteKey, 0, 0, 0);
    }

    @Override
    public PostStatus send(long wrId, ScatterGatherList local) {
        return post(Wire.OP_SEND, Opcode.SEND, wrId, null, 0, 0, local, 0, 0, 0, 0, 0);
    }

    @Override
    public PostStatus send(long wrId, MemoryRegion local, long localOffset, int length) {
        return post(Wire.OP_SEND, Opcode.SEND, wrId, local, localOffset, length, null, 0, 0, 0, 0, 0);
    }

    @Override
    public PostStatus fetchAndAdd(long wrId, MemoryRegion result, long resultOffset, long remoteAddress, long remoteKey, long add) {
        return post(Wire.OP_FETCH_ADD, Opcode.FETCH_AND_ADD, wrId, result, resultOffset, 8, null, remoteAddress, remoteKey, 0, add, 0);
    }

    @Override
    public PostStatus compareAndSwap(long wrId, MemoryRegion result, long resultOffset, long remoteAddress, long remoteKey,
                                     long expected, long desired) {
        return post(Wire.OP_CMP_SWAP, Opcode.COMPARE_AND_SWAP, wrId, result, resultOffset, 8, null, remoteAddress, remoteKey, 0,
                expected, desired);
    }

    @Override
    public PostStatus receive(long wrId, ScatterGatherList local) {
        return postReceive(wrId, null, 0, 0, local);
    }

    @Override
    public PostStatus receive(long wrId, MemoryRegion local, long localOffset, int length) {
        return postReceive(wrId, local, localOffset, length, null);
    }

    // ------------------------------------------------------------------ initiator

    private PostStatus post(byte wireOp, Opcode opcode, long wrId, MemoryRegion region, long offset, int length, ScatterGatherList sgl,
                            long address, long key, int immediate, long operand1, long operand2) {
        if (state == EndpointState.CLOSED) {
            return PostStatus.CLOSED;
        }
        int entries = sgl == null ? 1 : sgl.size();
        long total = sgl == null ? length : sgl.totalLength();
        // an atomic carries no payload (its 8-byte result comes back in the answer's header): max_message does not limit it
        if (entries > maxSge || total < 0 || (total > maxMessage && !Wire.isAtomic(wireOp)) || (sgl == null && region == null)) {
            return PostStatus.INVALID;
        }
        boolean sink = wireOp == Wire.OP_READ || Wire.isAtomic(wireOp);
        // a local buffer that can never work (another domain, closed, out of bounds, a sink without LOCAL_WRITE) is refused
        // here, with nothing queued: failing it later would move the endpoint to ERROR and flush requests already executed
        if (!localsUsable(region, offset, length, sgl, sink)) {
            return refusedLocal();
        }
        writeLock.lock();
        try {
            WorkRequest wr;
            synchronized (sqLock) {
                if (sqTail - sqHead >= sq.length) {
                    return PostStatus.AGAIN;
                }
                wr = sq[(int) (sqTail % sq.length)];
                wr.seq = sqTail++;
            }
            wr.wrId = wrId;
            wr.wireOp = wireOp;
            wr.opcode = opcode;
            wr.address = address;
            wr.key = key;
            wr.immediate = immediate;
            wr.operand1 = wireOp == Wire.OP_READ ? total : operand1;
            wr.operand2 = operand2;
            wr.rnrAttempts = 0;
            wr.localFailure = false;
            wr.dataArrived = false;
            wr.total = (int) total;
            // checked above; a region closed since then is found where the payload is copied, as for any request in flight
            if (sgl == null) {
                wr.sgeCount = 1;
                setSge(wr.regions, wr.offsets, wr.lengths, 0, region, offset, length);
            } else {
                wr.sgeCount = entries;
                for (int i = 0; i < entries; i++) {
                    setSge(wr.regions, wr.offsets, wr.lengths, i, sgl.region(i), sgl.offset(i), sgl.length(i));
                }
            }
            if (state != EndpointState.CONNECTED) {
                if (inputStopped) { // else the thread that ended the endpoint flushes this request too, once the input side stopped
                    flushSendQueue(null);
                }
            } else if (!rewinding) {
                transmit(wr);
            }
            return PostStatus.OK;
        } catch (IOException e) {
            connectionLost(e);
            return PostStatus.OK;
        } finally {
            releaseOutput();
        }
    }

    /** Stores one local segment, which {@link #localsUsable} accepted. */
    private static void setSge(TcpMemoryRegion[] regions, long[] offsets, int[] lengths, int i, MemoryRegion region, long offset,
                               int length) {
        regions[i] = (TcpMemoryRegion) region;
        offsets[i] = offset;
        lengths[i] = length;
    }

    /** @return whether the single buffer, or every entry of {@code sgl} if it is not null, is {@link #localUsable} */
    private boolean localsUsable(MemoryRegion region, long offset, int length, ScatterGatherList sgl, boolean sink) {
        if (sgl == null) {
            return localUsable(region, offset, length, sink);
        }
        for (int i = 0; i < sgl.size(); i++) {
            if (!localUsable(sgl.region(i), sgl.offset(i), sgl.length(i), sink)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The answer to a post whose local buffer failed {@link #localsUsable}: INVALID, or CLOSED when this endpoint was
     * closed since the post's first check. A domain or fabric close closes its endpoints before its regions, so a post
     * that raced it finds the region closed after the endpoint and must answer as a post after close does.
     */
    private PostStatus refusedLocal() {
        return state == EndpointState.CLOSED ? PostStatus.CLOSED : PostStatus.INVALID;
    }

    /** @return whether a local buffer is usable: a region of this domain, open, the range inside it, writable if a sink */
    private boolean localUsable(MemoryRegion region, long offset, int length, boolean sink) {
        return region instanceof TcpMemoryRegion r && r.tcpDomain() == domain && r.isValid() && (!sink || r.localWrite()) && length >= 0
                && offset >= 0 && offset <= r.length() - length;
    }

    /**
     * Writes one request frame and its payload, after everything staged or owed before it, and
     * returns once the socket has taken the whole frame. Caller holds writeLock.
     */
    private void transmit(WorkRequest wr) throws IOException {
        drainOutput();
        boolean payload = wr.wireOp == Wire.OP_WRITE || wr.wireOp == Wire.OP_WRITE_IMM || wr.wireOp == Wire.OP_SEND;
        Wire.header(frame, 0, wr.wireOp, 0, payload ? wr.total : 0, wr.immediate, wr.seq, wr.address, wr.key, wr.operand1, wr.operand2);
        wr.localFailure = false;
        wr.dataArrived = false;
        frameOpen = true;
        try {
            stageHeader();
            if (payload && wr.sgeCount == 1 && wr.total >= DIRECT_SEND_MIN && transmitFromRegion(wr, wr.regions[0], wr.offsets[0], wr.total)) {
                return;
            }
            if (payload) {
                for (int i = 0; i < wr.sgeCount; i++) {
                    wr.localFailure |= !stagePayload(wr.regions[i], wr.offsets[i], wr.lengths[i]);
                }
            }
            drainOutput();
        } finally {
            frameOpen = false;
        }
    }

    /**
     * Stages {@code length} bytes of a request's payload from the region, writing the staging
     * buffer out whenever it is full; a region closed meanwhile is replaced by zeros (the frame
     * keeps its length) and answers {@code false}. Caller holds writeLock, inside a frame.
     */
    private boolean stagePayload(TcpMemoryRegion region, long offset, int length) throws IOException {
        boolean intact = true;
        while (length > 0) {
            int room = room();
            if (room == 0) {
                drainOutput();
                continue;
            }
            int n = Math.min(length, room);
            intact &= copyOut(region, offset, n, intact);
            offset += n;
            length -= n;
        }
        return intact;
    }

    /**
     * Appends {@code n} bytes of the region (under its fence) to the staged output, or zeros if
     * {@code intact} is false or the region was closed; returns whether the region's bytes went.
     */
    private boolean copyOut(TcpMemoryRegion region, long offset, int n, boolean intact) {
        boolean copied = false;
        if (intact && region.enter()) {
            try {
                MemorySegment.copy(region.segment(), offset, outSeg, outEnd, n);
                copied = true;
            } finally {
                region.exit();
            }
        } else {
            outSeg.asSlice(outEnd, n).fill((byte) 0);
        }
        outEnd += n;
        return copied;
    }

    /**
     * Writes a large payload straight from the region after the staged header (one gathering
     * write, no staging copy), under the region's fence. A close of that local region meanwhile
     * wakes this poster ({@link #wakeFenceHolders}): it gives the fence up at once and sends the
     * rest of the payload as zeros (the frame keeps its length), and the request completes
     * LOCAL_PROTECTION_ERROR, as for a region closed while its payload is staged; so a region's
     * close never waits for a peer to read. Returns {@code false}, having written nothing, where
     * the region cannot be viewed as one buffer (beyond 2 GiB) or was closed; the caller then
     * stages. Caller holds writeLock, inside a frame.
     */
    private boolean transmitFromRegion(WorkRequest wr, TcpMemoryRegion region, long offset, int length) throws IOException {
        if (region.length() > Integer.MAX_VALUE) {
            return false; // a ByteBuffer cannot view it whole, and a view of the slice would be an allocation per request
        }
        ByteBuffer view = sendViews.viewOf(region);
        if (!region.enter()) {
            return false;
        }
        int rest;
        try {
            view.limit((int) (offset + length));
            view.position((int) offset);
            payloadView = view;
            while (!pushOutput() && region.isValid()) {
                awaitRoom();
            }
            rest = view.remaining();
        } finally {
            payloadView = null;
            region.exit();
        }
        if (rest > 0) { // the region was closed while the socket was full: the fence is released, zeros fill the frame
            wr.localFailure = true;
            stageZeros(rest);
            drainOutput();
        }
        return true;
    }

    /** Stages {@code n} zero bytes of a payload, writing the staging buffer out whenever it is full. Caller holds writeLock, inside a frame. */
    private void stageZeros(int n) throws IOException {
        while (n > 0) {
            int room = room();
            if (room == 0) {
                drainOutput();
                continue;
            }
            int k = Math.min(n, room);
            outSeg.asSlice(outEnd, k).fill((byte) 0);
            outEnd += k;
            n -= k;
        }
    }

    /**
     * Called when a region of this endpoint's domain is closed while accesses hold its fence: wakes a
     * poster that waits for room while writing straight from a region, so that it sees the close
     * and gives the fence up. Any thread.
     */
    void wakeFenceHolders() {
        output.wakeup();
        input.wakeup();
    }

    /**
     * Called when a region of this endpoint's domain has closed: drops the cached views of closed regions now if
     * writeLock is free, else the holder drops them as it releases it. Any thread.
     */
    void forgetClosedRegions() {
        viewsStale = true;
        if (writeLock.tryLock()) {
            releaseOutput();
        }
    }

    /** Appends the header assembled in {@link #frame} to the staged output (room for it is the caller's care). Caller holds writeLock. */
    private void stageHeader() {
        MemorySegment.copy(frame, 0, outSeg, ValueLayout.JAVA_BYTE, outEnd, Wire.HEADER_SIZE);
        outEnd += Wire.HEADER_SIZE;
    }

    /** @return the room left after the staged bytes, moving them to the front of the buffer first if that makes room for a header */
    private int room() {
        if (outStart == outEnd) {
            outStart = 0;
            outEnd = 0;
        } else if (outStart > 0 && outDirect.capacity() - outEnd < Wire.HEADER_SIZE) {
            MemorySegment.copy(outSeg, outStart, outSeg, 0, outEnd - outStart);
            outEnd -= outStart;
            outStart = 0;
        }
        return outDirect.capacity() - outEnd;
    }

    /**
     * Writes the staged bytes (and {@link #payloadView}) as far as the socket takes them without
     * waiting; returns whether all have left. Caller holds writeLock.
     */
    private boolean writeStaged() throws IOException {
        ByteBuffer payload = payloadView;
        while (outStart < outEnd || (payload != null && payload.hasRemaining())) {
            outDirect.limit(outEnd).position(outStart);
            long n;
            if (payload == null) {
                n = channel.write(outDirect);
            } else {
                sendGather[0] = outDirect;
                sendGather[1] = payload;
                n = channel.write(sendGather);
            }
            outStart = outDirect.position();
            if (n == 0) {
                outputLeft = true;
                return false;
            }
            lastSent = System.nanoTime();
        }
        outStart = 0;
        outEnd = 0;
        outputLeft = false;
        if (errorAfterOutput != null) {
            String reason = errorAfterOutput;
            errorAfterOutput = null;
            enterError(null, reason);
        }
        return true;
    }

    /**
     * Writes without waiting: the staged bytes, then (between request frames) the queued answers
     * as they are staged; returns whether nothing is left. Caller holds writeLock.
     */
    private boolean pushOutput() throws IOException {
        while (writeStaged()) {
            if (frameOpen || !stageAnswers()) {
                return true;
            }
        }
        return false;
    }

    /** {@link #pushOutput}, waiting for room until nothing is left. Caller holds writeLock. */
    private void drainOutput() throws IOException {
        while (!pushOutput()) {
            awaitRoom();
        }
    }

    /**
     * Waits until the socket may take more. In manual progress a
     * poster that can take readLock waits for input too and serves it: the peer may be waiting for
     * us to read before it reads what we write. Caller holds writeLock.
     */
    private void awaitRoom() throws IOException {
        if (config.manualProgress() && readLock.tryLock()) {
            try {
                input.await(SelectionKey.OP_READ | SelectionKey.OP_WRITE, UNTIL_READY);
                serveArrived();
            } finally {
                readLock.unlock();
            }
        } else {
            output.await(SelectionKey.OP_WRITE, UNTIL_READY);
        }
        if (state == EndpointState.CLOSED) {
            throw new ClosedChannelException();
        }
    }

    /**
     * Stages queued answers while they fit, continuing one that was partly staged; returns whether
     * it staged anything. Between request frames only. Caller holds writeLock.
     */
    private boolean stageAnswers() {
        boolean staged = false;
        while (true) {
            if (!answering) {
                if (!answers.take(answer)) {
                    return staged;
                }
                answering = true;
                answerHeaderStaged = false;
                answerIntact = true;
            }
            if (answer.op == Wire.OP_READ_DATA) {
                if (!answerHeaderStaged) {
                    if (room() < Wire.HEADER_SIZE) {
                        return staged;
                    }
                    Wire.header(frame, 0, Wire.OP_READ_DATA, 0, answer.length, 0, answer.seq, 0, 0, 0, 0);
                    stageHeader();
                    answerHeaderStaged = true;
                    staged = true;
                }
                while (answer.length > 0) {
                    int n = Math.min(answer.length, room());
                    if (n == 0) {
                        return staged;
                    }
                    answerIntact &= copyOut(answer.region, answer.offset, n, answerIntact);
                    answer.offset += n;
                    answer.length -= n;
                    staged = true;
                }
                if (room() < Wire.HEADER_SIZE) {
                    return staged;
                }
                Wire.header(frame, 0, Wire.OP_ACK, answerIntact ? Wire.ST_OK : Refusal.REGION_CLOSED.status, 0, 0, answer.seq, 0, 0,
                        answerIntact ? 0 : Refusal.REGION_CLOSED.code, 0);
                if (!answerIntact) {
                    errorAfterOutput = "a region was closed while a remote read of it was answered";
                }
            } else {
                if (room() < Wire.HEADER_SIZE) {
                    return staged;
                }
                Wire.header(frame, 0, answer.op, answer.status, 0, 0, answer.seq, 0, 0, answer.value, 0);
            }
            stageHeader();
            answer.region = null;
            answering = false;
            staged = true;
        }
    }

    /**
     * Releases writeLock at the end of a poster's (or the timer's) turn: first pushes, without
     * waiting, what the target side queued meanwhile. What the socket does not take is left to the
     * input side, which is woken for it; an answer queued by the input side while it could not
     * take the lock is found by the check after the unlock.
     */
    private void releaseOutput() {
        if (writeLock.getHoldCount() > 1) {
            writeLock.unlock(); // an inner hold: the outermost release pushes
            return;
        }
        if (viewsStale) {
            viewsStale = false;
            sendViews.forgetClosed();
        }
        while (true) {
            boolean left = false;
            try {
                left = !pushOutput();
            } catch (IOException e) {
                connectionLost(e);
            } finally {
                writeLock.unlock();
            }
            if (left) {
                input.wakeup(); // the input side pushes what the socket did not take
                return;
            }
            if (answers.isEmpty() || !writeLock.tryLock()) {
                return;
            }
        }
    }

    /**
     * The input side's push: stages and writes queued answers without waiting, if writeLock is
     * free (its holder pushes them otherwise); returns whether output is left that the input side
     * must wait to push (the socket was full).
     */
    private boolean pushAnswers() throws IOException {
        if ((answers.isEmpty() && !outputLeft) || !writeLock.tryLock()) {
            return false;
        }
        try {
            return !pushOutput();
        } finally {
            writeLock.unlock();
        }
    }

    /** Queues an answer of the target side (see {@link AnswerQueue}); the caller is the input side. */
    private void owe(byte op, int status, long seq, long value, TcpMemoryRegion region, long offset, int length) throws ProtocolViolation {
        if (!answers.add(op, status, seq, value, region, offset, length)) {
            throw new ProtocolViolation("the peer has more than " + TcpConfig.MAX_QUEUE_DEPTH
                    + " requests unanswered, more than any send queue holds");
        }
    }

    /** @return the milliseconds left until {@code deadline} (a {@link System#nanoTime()}), at least 1 */
    private static long millisUntil(long deadline) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private PostStatus postReceive(long wrId, MemoryRegion region, long offset, int length, ScatterGatherList sgl) {
        if (state == EndpointState.CLOSED) {
            return PostStatus.CLOSED;
        }
        int entries = sgl == null ? 1 : sgl.size();
        long total = sgl == null ? length : sgl.totalLength();
        if (entries > maxSge || total < 0 || (sgl == null && region == null)) {
            return PostStatus.INVALID;
        }
        if (!localsUsable(region, offset, length, sgl, true)) {
            return refusedLocal(); // as for sends: a buffer that can never receive is refused with nothing queued
        }
        synchronized (rqLock) {
            if (rqTail - rqHead >= rq.length) {
                return PostStatus.AGAIN;
            }
            ReceiveRequest r = rq[(int) (rqTail % rq.length)];
            r.wrId = wrId;
            r.total = total;
            r.sgeCount = entries;
            // checked above; a region closed since then is found when a message is placed into it
            if (sgl == null) {
                setSge(r.regions, r.offsets, r.lengths, 0, region, offset, length);
            } else {
                for (int i = 0; i < entries; i++) {
                    setSge(r.regions, r.offsets, r.lengths, i, sgl.region(i), sgl.offset(i), sgl.length(i));
                }
            }
            rqTail++;
        }
        if (state != EndpointState.CONNECTED && inputStopped) { // else the thread that ended the endpoint flushes it
            flushReceiveQueue();
        }
        return PostStatus.OK;
    }

    // ------------------------------------------------------------------ input

    private void readLoop() {
        readLock.lock(); // held for the reader's life: a flush waits for it to stop touching buffers (see awaitInputSide)
        try {
            while (state == EndpointState.CONNECTED) {
                try {
                    readFrame();
                } catch (IOException e) {
                    connectionLost(e);
                    return;
                } catch (ProtocolViolation e) {
                    enterError(Status.BAD_RESPONSE, "the peer broke the wire protocol: " + e.getMessage());
                    return;
                } catch (RuntimeException e) {
                    readerFailed(e);
                    return;
                }
            }
        } finally {
            readLock.unlock();
        }
    }

    /**
     * A failure the reader did not foresee (a fault of registered memory, a defect): the endpoint moves to ERROR with its
     * cause, so that its requests complete and its peer sees the connection end at once, instead of a reader thread
     * that dies and a peer that waits for its timeout and reports the peer lost.
     */
    private void readerFailed(RuntimeException e) {
        enterError(Status.LOCAL_QP_OPERATION_ERROR, "the endpoint's reader failed: " + e);
    }

    /** Manual progress: serves what has arrived and pushes what the target side owes. Returns {@code true} if anything was read. */
    boolean progressOnce() {
        if (state != EndpointState.CONNECTED || !readLock.tryLock()) {
            return false;
        }
        try {
            boolean any = serveArrived();
            try {
                pushAnswers(); // what the socket does not take now, the next poll pushes
            } catch (IOException e) {
                connectionLost(e);
            }
            return any;
        } finally {
            readLock.unlock();
        }
    }

    /**
     * Reads and serves every frame that has arrived (waiting only for the rest of a frame begun);
     * a failure ends the endpoint as it would end the reader. Returns whether anything was read.
     * Caller holds readLock.
     */
    private boolean serveArrived() {
        if (refusalReason != null) {
            return finishRefusal();
        }
        try {
            boolean any = false;
            while (state == EndpointState.CONNECTED && refusalReason == null && headerArrived()) {
                readFrame();
                any = true;
            }
            return any;
        } catch (IOException e) {
            connectionLost(e);
            return true;
        } catch (ProtocolViolation e) {
            enterError(Status.BAD_RESPONSE, "the peer broke the wire protocol: " + e.getMessage());
            return true;
        } catch (RuntimeException e) {
            readerFailed(e);
            return true;
        }
    }

    /** A frame that breaks the protocol: the connection cannot be trusted any more. */
    static final class ProtocolViolation extends Exception {
        private static final long serialVersionUID = 1L;

        ProtocolViolation(String message) {
            super(message, null, false, false);
        }
    }

    private void readFrame() throws IOException, ProtocolViolation {
        readFully(header, Wire.HEADER_SIZE);
        String bad = Wire.checkHeader(header, 0, maxMessage);
        if (bad != null) {
            throw new ProtocolViolation(bad);
        }
        lastReceived = System.nanoTime();
        byte op = header[3];
        int status = Wire.getShort(header, 6);
        int payload = Wire.getInt(header, 8);
        int immediate = Wire.getInt(header, 12);
        long seq = Wire.getLong(header, 16);
        switch (op) {
            case Wire.OP_ACK -> onAck(seq, status, Wire.getLong(header, 40));
            case Wire.OP_READ_DATA -> onReadData(seq, payload);
            case Wire.OP_ATOMIC_RESULT -> onAtomicResult(seq, status, Wire.getLong(header, 40));
            case Wire.OP_KEEPALIVE -> { }
            case Wire.OP_DISCONNECT -> enterError(null, "the peer closed the connection");
            default -> serve(op, payload, immediate, seq, Wire.getLong(header, 24), Wire.getLong(header, 32),
                    Wire.getLong(header, 40), Wire.getLong(header, 48));
        }
    }

    /** Takes {@code n} bytes (at most {@link #READ_AHEAD}) into {@code b}, reading ahead as much as has arrived. */
    private void readFully(byte[] b, int n) throws IOException {
        while (readAhead.remaining() < n) {
            readMore();
        }
        MemorySegment.copy(readAheadSeg, ValueLayout.JAVA_BYTE, readAhead.position(), b, 0, n);
        readAhead.position(readAhead.position() + n);
        readAheadBytes = readAhead.remaining();
    }

    /**
     * Manual progress: whether a whole frame header has arrived, reading ahead what the socket has without waiting. The
     * bytes of a header begun stay read ahead for the next poll: a poll never waits for a peer to finish a header (one
     * that sent half of one and stopped would otherwise hold every poll of the fabric).
     */
    private boolean headerArrived() throws IOException {
        if (readAhead.remaining() >= Wire.HEADER_SIZE) {
            return true;
        }
        readAhead.compact();
        try {
            readAvailable();
        } finally {
            readAhead.flip();
            readAheadBytes = readAhead.remaining();
        }
        return readAhead.remaining() >= Wire.HEADER_SIZE;
    }

    private void skip(long n) throws IOException {
        while (n > 0) {
            int k = readPayload(n);
            consume(k);
            n -= k;
        }
        lastReceived = System.nanoTime();
    }

    /**
     * Makes payload bytes available at the read-ahead buffer's position, reading from the channel
     * when it is empty; returns how many of the next {@code n} are there (at least one). The caller
     * takes them and calls {@link #consume}.
     */
    private int readPayload(long n) throws IOException {
        if (!readAhead.hasRemaining()) {
            readMore();
        }
        return (int) Math.min(readAhead.remaining(), n);
    }

    /**
     * Keeps the unconsumed bytes of the read-ahead buffer and appends what the channel has, at
     * least one byte: while none has arrived the input side pushes what it owes and waits (for
     * input, and for room while output it may push is left).
     */
    private void readMore() throws IOException {
        readAhead.compact();
        try {
            if (!answers.isEmpty()) {
                pushAnswers(); // answers leave before the input side reads on (a run of them leaves in one write)
            }
            while (readAvailable() == 0) {
                boolean owes = pushAnswers();
                input.await(owes ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ,
                        UNTIL_READY);
            }
        } finally {
            readAhead.flip();
        }
    }

    private void consume(int k) {
        readAhead.position(readAhead.position() + k);
        readAheadBytes = readAhead.remaining();
    }

    /** Reads what has arrived into the read-ahead buffer (in fill mode) without waiting; returns how many bytes. */
    private int readAvailable() throws IOException {
        int r = channel.read(readAhead);
        if (r < 0) {
            throw new EOFException("the peer closed the connection");
        }
        return r;
    }

    /** Copies {@code n} incoming bytes into a segment list; returns false if a region closed meanwhile (bytes are consumed anyway). */
    private boolean receiveInto(TcpMemoryRegion[] regions, long[] offsets, int[] lengths, int count, long n) throws IOException {
        boolean ok = true;
        for (int i = 0; i < count && n > 0; i++) {
            long take = Math.min(lengths[i], n);
            ok &= receiveInto(regions[i], offsets[i], take);
            n -= take;
        }
        if (n > 0) {
            skip(n);
            ok = false;
        }
        return ok;
    }

    private boolean receiveInto(TcpMemoryRegion region, long offset, long n) throws IOException {
        boolean ok = true;
        while (n > 0) {
            int r = readPayload(n);
            if (ok && region.enter()) {
                try {
                    MemorySegment.copy(readAheadSeg, readAhead.position(), region.segment(), offset, r);
                } finally {
                    region.exit();
                }
            } else {
                ok = false;
            }
            consume(r);
            offset += r;
            n -= r;
            lastReceived = System.nanoTime();
        }
        return ok;
    }

    // ------------------------------------------------------------------ initiator: responses

    private WorkRequest head(long seq, String what) throws ProtocolViolation {
        synchronized (sqLock) {
            if (sqHead >= sqTail || sq[(int) (sqHead % sq.length)].seq != seq || seq != sqHead) {
                throw new ProtocolViolation(what + " for request " + seq + ", but the oldest outstanding request is "
                        + (sqHead < sqTail ? sqHead : "none"));
            }
            return sq[(int) (sqHead % sq.length)];
        }
    }

    /** @param refusal operand 1: why the target refused the request, for an error status (see {@link Refusal}) */
    private void onAck(long seq, int status, long refusal) throws ProtocolViolation {
        WorkRequest wr = head(seq, "ACK");
        if (status == Wire.ST_RNR) {
            onReceiverNotReady(wr);
        } else if (status != Wire.ST_OK) {
            failAt(seq, Wire.toStatus(status), "the peer answered " + wr.opcode + " with " + Wire.toStatus(status) + Refusal.explain(refusal, wr.wireOp));
        } else if (Wire.isAtomic(wr.wireOp)) {
            throw new ProtocolViolation("ACK for " + wr.opcode + " " + seq + ", which only ATOMIC_RESULT answers");
        } else if (wr.wireOp == Wire.OP_READ && !wr.dataArrived) {
            throw new ProtocolViolation("ACK for READ " + seq + " before its READ_DATA");
        } else if (wr.localFailure) {
            failAt(seq, Status.LOCAL_PROTECTION_ERROR, "a local region of " + wr.opcode + " was closed while the request was in flight");
        } else {
            completeHead(seq, Status.SUCCESS, wr.total);
        }
    }

    private void onReadData(long seq, int payload) throws IOException, ProtocolViolation {
        WorkRequest wr = head(seq, "READ_DATA");
        if (wr.wireOp != Wire.OP_READ || payload != wr.total) {
            throw new ProtocolViolation("READ_DATA of " + payload + " bytes for a " + wr.opcode + " of " + wr.total);
        }
        if (wr.dataArrived) {
            throw new ProtocolViolation("a second READ_DATA for READ " + seq);
        }
        wr.dataArrived = true;
        if (!receiveInto(wr.regions, wr.offsets, wr.lengths, wr.sgeCount, payload)) {
            wr.localFailure = true;
        }
    }

    private void onAtomicResult(long seq, int status, long previous) throws ProtocolViolation {
        WorkRequest wr = head(seq, "ATOMIC_RESULT");
        if (!Wire.isAtomic(wr.wireOp)) {
            throw new ProtocolViolation("ATOMIC_RESULT for " + wr.opcode + " " + seq);
        }
        if (status != Wire.ST_OK) {
            failAt(seq, Wire.toStatus(status), "the peer answered " + wr.opcode + " with " + Wire.toStatus(status));
            return;
        }
        TcpMemoryRegion r = wr.regions[0];
        if (r.enter()) {
            try {
                r.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, wr.offsets[0], previous);
            } finally {
                r.exit();
            }
            completeHead(seq, Status.SUCCESS, 8);
        } else {
            failAt(seq, Status.LOCAL_PROTECTION_ERROR, "the result region of " + wr.opcode + " was closed while it was in flight");
        }
    }

    private void onReceiverNotReady(WorkRequest wr) {
        if (++wr.rnrAttempts > config.rnrRetries()) {
            failAt(wr.seq, Status.RNR_RETRY_EXCEEDED, "the peer had no receive posted for " + wr.opcode + " after "
                    + config.rnrRetries() + " retries");
            return;
        }
        rewinding = true; // not under writeLock: the input side never waits for a poster
        // the timer thread only starts it: a retransmit waits for room in the socket, which a peer that stopped reading
        // never gives, and the one timer thread also sends every endpoint's keepalives and finds silent peers
        fabric.timer().schedule(() -> Thread.ofVirtual().name(fabric.name() + "-retransmit-" + id).start(this::retransmit),
                config.rnrDelay().toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Go-back-N after "receiver not ready": sends every outstanding request again, oldest first. */
    private void retransmit() {
        writeLock.lock();
        try {
            if (state != EndpointState.CONNECTED) {
                return;
            }
            long from;
            long to;
            synchronized (sqLock) {
                from = sqHead;
                to = sqTail;
            }
            for (long s = from; s < to; s++) {
                transmit(sq[(int) (s % sq.length)]);
            }
            rewinding = false;
        } catch (IOException e) {
            connectionLost(e);
        } finally {
            releaseOutput();
        }
    }

    private void completeHead(long seq, Status status, int byteCount) {
        synchronized (sqLock) {
            if (sqHead != seq || sqHead >= sqTail) {
                return; // already flushed
            }
            WorkRequest wr = sq[(int) (sqHead % sq.length)];
            sqHead++;
            sendQueue.push(wr.wrId, wr.opcode, status, byteCount, 0, false, id);
        }
    }

    /** Completes request {@code seq} with an error status and everything else outstanding with FLUSHED; moves to ERROR. */
    private void failAt(long seq, Status status, String reason) {
        synchronized (sqLock) {
            for (long s = sqHead; s < sqTail; s++) {
                WorkRequest wr = sq[(int) (s % sq.length)];
                sendQueue.push(wr.wrId, wr.opcode, s == seq ? status : Status.FLUSHED, 0, 0, false, id);
            }
            sqHead = sqTail;
        }
        enterError(null, reason);
    }

    // ------------------------------------------------------------------ target

    private void serve(byte op, int payload, int immediate, long seq, long address, long key, long operand1, long operand2)
            throws IOException, ProtocolViolation {
        if (seq != nextExpectedSeq) {
            if (rnrDiscard && seq > nextExpectedSeq) {
                skip(payload);
                return;
            }
            throw new ProtocolViolation("request sequence " + seq + ", expected " + nextExpectedSeq);
        }
        rnrDiscard = false;
        switch (op) {
            case Wire.OP_WRITE, Wire.OP_WRITE_IMM -> {
                TcpMemoryRegion region = domain.regions().find(key);
                Refusal refusal = check(region, address, payload, Access.WRITE);
                if (refusal != null) {
                    skip(payload);
                    reject(seq, refusal, op, "remote write");
                    return;
                }
                if (op == Wire.OP_WRITE_IMM && !receivePosted()) {
                    skip(payload);
                    receiverNotReady(seq);
                    return;
                }
                if (!receiveInto(region, address - region.base(), payload)) {
                    reject(seq, Refusal.REGION_CLOSED, "remote write");
                    return;
                }
                if (op == Wire.OP_WRITE_IMM) {
                    consumeReceive(Opcode.RECEIVE_WRITE_WITH_IMMEDIATE, Status.SUCCESS, payload, immediate, true);
                }
                nextExpectedSeq++;
                owe(Wire.OP_ACK, Wire.ST_OK, seq, 0, null, 0, 0);
            }
            case Wire.OP_SEND -> {
                ReceiveRequest r = peekReceive();
                if (r == null) {
                    skip(payload);
                    receiverNotReady(seq);
                    return;
                }
                if (payload > r.total) {
                    skip(payload);
                    consumeReceive(Opcode.RECEIVE, Status.LOCAL_LENGTH_ERROR, payload, 0, false);
                    reject(seq, Refusal.SEND_TOO_LONG, "send of " + payload + " bytes into a " + r.total + "-byte receive");
                    return;
                }
                boolean ok = receiveInto(r.regions, r.offsets, r.lengths, r.sgeCount, payload);
                consumeReceive(Opcode.RECEIVE, ok ? Status.SUCCESS : Status.LOCAL_PROTECTION_ERROR, payload, 0, false);
                if (!ok) {
                    reject(seq, Refusal.RECEIVE_CLOSED, "send");
                    return;
                }
                nextExpectedSeq++;
                owe(Wire.OP_ACK, Wire.ST_OK, seq, 0, null, 0, 0);
            }
            case Wire.OP_READ -> {
                if (operand1 < 0 || operand1 > maxMessage) {
                    reject(seq, Refusal.READ_LENGTH, "read of " + operand1 + " bytes");
                    return;
                }
                TcpMemoryRegion region = domain.regions().find(key);
                Refusal refusal = check(region, address, operand1, Access.READ);
                if (refusal != null) {
                    reject(seq, refusal, op, "remote read");
                    return;
                }
                nextExpectedSeq++;
                owe(Wire.OP_READ_DATA, Wire.ST_OK, seq, 0, region, address - region.base(), (int) operand1);
                // copied out now, before a later request is served, wherever the socket takes it (and writeLock is free):
                // a later write of the same bytes then cannot change what this read returns
                pushAnswers();
            }
            case Wire.OP_FETCH_ADD, Wire.OP_CMP_SWAP -> {
                TcpMemoryRegion region = domain.regions().find(key);
                Refusal refusal = check(region, address, 8, Access.ATOMIC);
                if (refusal != null) {
                    reject(seq, refusal, op, "remote atomic");
                    return;
                }
                long previous;
                if (!region.enter()) {
                    reject(seq, Refusal.REGION_CLOSED, "remote atomic");
                    return;
                }
                try {
                    long offset = address - region.base();
                    previous = op == Wire.OP_FETCH_ADD
                            ? (long) LONG.getAndAdd(region.segment(), offset, operand1)
                            : (long) LONG.compareAndExchange(region.segment(), offset, operand1, operand2);
                } finally {
                    region.exit();
                }
                nextExpectedSeq++;
                owe(Wire.OP_ATOMIC_RESULT, Wire.ST_OK, seq, previous, null, 0, 0);
            }
            default -> throw new ProtocolViolation("unexpected " + Wire.opcodeName(op));
        }
    }

    private enum Access { READ, WRITE, ATOMIC }

    /**
     * The target's checks after the header, in order: key in this domain, region valid, right granted, bounds, alignment.
     *
     * @return the first check that fails, or null if the request may be applied
     */
    private static Refusal check(TcpMemoryRegion region, long address, long length, Access access) {
        if (region == null) {
            return Refusal.UNKNOWN_KEY;
        }
        if (!region.isValid()) {
            return Refusal.REGION_CLOSED;
        }
        boolean granted = switch (access) {
            case READ -> region.remoteRead();
            case WRITE -> region.remoteWrite();
            case ATOMIC -> region.remoteAtomic();
        };
        if (!granted) {
            return Refusal.RIGHT_NOT_GRANTED;
        }
        if (!Wire.inBounds(region.base(), region.length(), address, length)) {
            return Refusal.OUT_OF_BOUNDS;
        }
        if (access == Access.ATOMIC && (address & 7) != 0) {
            return Refusal.MISALIGNED;
        }
        return null;
    }

    /**
     * Answers request {@code seq} with {@code refusal} (its status, its code in operand 1), then ends the connection. The
     * reader (auto progress) sends the answer, shuts its direction and drains the peer's input before it ends, waiting
     * up to a second for each. In manual progress the caller is a poll, which must not wait (it serves every endpoint of
     * the fabric): the refusal is finished by later polls ({@link #finishRefusal}), and by the timer at its deadline.
     */
    private void reject(long seq, Refusal refusal, String what) throws ProtocolViolation {
        reject(seq, refusal, 0, what);
    }

    /** As {@link #reject(long, Refusal, String)}, for a request of opcode {@code op} (a refused right is named by it). */
    private void reject(long seq, Refusal refusal, int op, String what) throws ProtocolViolation {
        owe(Wire.OP_ACK, refusal.status, seq, refusal.code, null, 0, 0);
        String reason = "refused the peer's " + what + " with " + Wire.toStatus(refusal.status) + ": " + refusal.text(op);
        if (config.manualProgress()) {
            refusalDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REFUSAL_MILLIS);
            refusalReason = reason; // no request is served after this one
            finishRefusal();
            return;
        }
        sendBeforeEnd(1000, (byte) 0); // all that is owed, unless a request frame of this thread is half written
        drainBeforeClose();
        enterError(null, reason);
    }

    /**
     * Manual progress: one step, without waiting, of ending the connection after a refusal: pushes what is owed; once
     * all has left, shuts our direction; then discards the peer's input until it closes, and ends the endpoint then or
     * at the refusal's deadline. Caller holds readLock.
     */
    private boolean finishRefusal() {
        String reason = refusalReason;
        try {
            if (!refusalOutputShut && owedOutputSent()) {
                channel.shutdownOutput();
                refusalOutputShut = true;
            }
            if (refusalOutputShut) {
                try {
                    readAhead.clear();
                    while (readAvailable() > 0) {
                        readAhead.clear(); // the peer's requests after the refused one are not served
                    }
                } finally {
                    readAhead.clear().limit(0);
                    readAheadBytes = 0;
                }
            }
        } catch (IOException e) {
            enterError(null, reason); // the peer closed (end of stream): our answer has been read, or the connection broke
            return true;
        }
        if (System.nanoTime() - refusalDeadline >= 0) {
            enterError(null, reason);
            return true;
        }
        return false;
    }

    /**
     * Pushes what is staged and owed without waiting; returns whether all has left. Not while this thread is inside a
     * request frame (a manual-progress poster waiting for room), nor while another thread holds writeLock (it pushes
     * the answers as it releases it). Caller holds readLock.
     */
    private boolean owedOutputSent() throws IOException {
        if (writeLock.isHeldByCurrentThread() && frameOpen) {
            return false;
        }
        if (!writeLock.tryLock()) {
            return false;
        }
        try {
            return pushOutput() && !answering && answers.isEmpty();
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Ends our direction and discards what the peer still sends until it closes (at most a
     * second), so that closing with unread input does not reset the connection before the peer
     * has read our last answer. Called by the input side.
     */
    private void drainBeforeClose() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        try {
            channel.shutdownOutput();
            while (System.nanoTime() - deadline < 0) {
                readAhead.clear();
                if (readAvailable() == 0) {
                    input.await(SelectionKey.OP_READ, millisUntil(deadline));
                }
            }
        } catch (IOException ignored) {
            // the peer closed (end of stream), or the connection is going away anyway
        } finally {
            readAhead.clear().limit(0);
            readAheadBytes = 0;
        }
    }

    private void receiverNotReady(long seq) throws ProtocolViolation {
        rnrDiscard = true;
        owe(Wire.OP_ACK, Wire.ST_RNR, seq, 0, null, 0, 0);
    }

    private boolean receivePosted() {
        synchronized (rqLock) {
            return rqHead < rqTail;
        }
    }

    private ReceiveRequest peekReceive() {
        synchronized (rqLock) {
            return rqHead < rqTail ? rq[(int) (rqHead % rq.length)] : null;
        }
    }

    private void consumeReceive(Opcode opcode, Status status, int byteCount, int immediate, boolean hasImmediate) {
        synchronized (rqLock) {
            if (rqHead >= rqTail) {
                return;
            }
            ReceiveRequest r = rq[(int) (rqHead % rq.length)];
            rqHead++;
            receiveQueue.push(r.wrId, opcode, status, byteCount, immediate, hasImmediate, id);
        }
    }

    // ------------------------------------------------------------------ errors, liveness, close

    private void connectionLost(IOException e) {
        String refused = refusalReason;
        if (refused != null) {
            enterError(null, refused); // we are ending the connection ourselves (manual progress finishing a refusal)
        } else if (state == EndpointState.CONNECTED) {
            enterError(Status.RETRY_EXCEEDED, "lost the connection to " + peer + ": " + IoText.of(e));
        }
    }

    /**
     * Moves to ERROR: the socket closes (the peer sees the connection end), the oldest
     * outstanding request completes with {@code headStatus} (or FLUSHED), everything else
     * outstanding and every posted receive with FLUSHED.
     */
    private void enterError(Status headStatus, String reason) {
        synchronized (this) {
            if (state != EndpointState.CONNECTED) {
                return;
            }
            state = EndpointState.ERROR;
            errorReason = reason;
        }
        synchronized (sqLock) {
            headStatusOnFlush = headStatus; // whoever flushes first (a poster may, once the input side stopped) reports it
            errorTail = sqTail; // for the request at the head now, if any; never for one posted later
        }
        releaseSocket();
        awaitInputSide();
        inputStopped = true;
        flushSendQueue(headStatus);
        flushReceiveQueue();
    }

    /**
     * Waits until the input side has stopped: the reader (auto progress), or a poll or poster serving input (manual),
     * may be copying a payload it had read ahead into a posted receive or a READ's sink, up to 64 KiB. Verbs writes
     * nothing into a buffer after its completion, so a flush that completes those requests waits for that copy to end
     * (the input side holds readLock while it serves; releaseSocket has woken it from any wait, and it serves no further
     * frame once the state is no longer CONNECTED). Never called with writeLock alone held by a thread that the input
     * side waits for without a bound: the input side only tries writeLock (a refusal in auto progress for up to 1 s).
     */
    private void awaitInputSide() {
        if (!readLock.isHeldByCurrentThread()) {
            readLock.lock();
            readLock.unlock();
        }
    }

    private void flushSendQueue(Status headStatus) {
        synchronized (sqLock) {
            // the status of the move to ERROR belongs to the request that was oldest then, and to no later one
            Status head = headStatus != null ? headStatus : headStatusOnFlush;
            headStatusOnFlush = null;
            for (long s = sqHead; s < sqTail; s++) {
                WorkRequest wr = sq[(int) (s % sq.length)];
                sendQueue.push(wr.wrId, wr.opcode, s == sqHead && s < errorTail && head != null ? head : Status.FLUSHED, 0, 0, false, id);
            }
            sqHead = sqTail;
        }
    }

    private void flushReceiveQueue() {
        synchronized (rqLock) {
            for (long s = rqHead; s < rqTail; s++) {
                receiveQueue.push(rq[(int) (s % rq.length)].wrId, Opcode.RECEIVE, Status.FLUSHED, 0, 0, false, id);
            }
            rqHead = rqTail;
        }
    }

    private void releaseSocket() {
        if (socketReleased.compareAndSet(false, true)) {
            try {
                if (!socket.isOutputShutdown() && !socket.isClosed()) {
                    socket.shutdownOutput();
                }
            } catch (IOException ignored) {
                // the close below is what matters
            }
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
            // closing the selectors wakes their waiters and deregisters the channel, which lets its descriptor close
            input.close();
            output.close();
            answers.clear();
            fabric.releaseConnection();
        }
    }

    /** Called by the fabric's timer: keepalive when idle, ERROR when the peer has been silent too long. */
    void checkLiveness() {
        if (state != EndpointState.CONNECTED) {
            return;
        }
        long now = System.nanoTime();
        String refused = refusalReason;
        if (refused != null && now - refusalDeadline >= 0) {
            enterError(null, refused); // a refusal that no poll finished in time (manual progress)
            return;
        }
        long timeout = config.peerTimeout().toNanos();
        if (now - lastSent > timeout / 4 && writeLock.tryLock()) {
            // staged only when nothing else waits to leave (output that waits for room is no sign of idleness to send)
            if (outStart == outEnd && !answering) {
                Wire.header(frame, 0, Wire.OP_KEEPALIVE, 0, 0, 0, 0, 0, 0, 0, 0);
                room();
                stageHeader();
                lastSent = now;
            }
            releaseOutput(); // writes it without waiting; the input side pushes what the socket does not take
        }
        // The analogue of the transport retry timeout: output waits for room and the socket has taken none of it for
        // `timeout`. The peer may still be heard (keepalives from its timer) while it reads nothing: a peer that stopped
        // reading, or a manual-progress peer that stopped polling. Without this, a poster waits for it forever, holding
        // its local region's deregistration fence if it writes straight from the region.
        if (outputLeft && now - lastSent > timeout) {
            enterError(Status.RETRY_EXCEEDED, "the peer " + peer + " has taken none of our output for " + config.peerTimeout().toMillis()
                    + " ms (it stopped reading: dead, stalled, or in manual progress not polling)");
            return;
        }
        if (now - lastReceived > timeout) {
            try {
                // a whole header read ahead, or bytes in the socket: the peer talks and nobody has polled yet; the start of a
                // header, or a poll that waits for the rest of a payload, is a peer that stopped talking
                if (config.manualProgress() && (readAheadBytes >= Wire.HEADER_SIZE || in.available() > 0)) {
                    return;
                }
            } catch (IOException e) {
                // fall through: the socket is broken too
            }
            enterError(Status.RETRY_EXCEEDED, "the peer " + peer + " has been silent for " + config.peerTimeout().toMillis()
                    + " ms (dead or unreachable)");
        }
    }

    @Override
    public void close() {
        EndpointState before;
        synchronized (this) {
            before = state;
            if (before == EndpointState.CLOSED) {
                return;
            }
            state = EndpointState.CLOSED;
        }
        if (before == EndpointState.CONNECTED) {
            sendBeforeEnd(100, Wire.OP_DISCONNECT); // tells the peer this endpoint closes
        }
        releaseSocket();
        awaitInputSide();
        inputStopped = true;
        flushSendQueue(null);
        flushReceiveQueue();
        if (reader != null && reader != Thread.currentThread()) {
            try {
                reader.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sendQueue.detach();
        receiveQueue.detach();
        fabric.removeEndpoint(this);
        domain.removeChild(this);
    }

    /**
     * Before the endpoint ends: sends what is staged and owed, then the link frame {@code last}
     * unless it is 0 (close sends DISCONNECT), waiting at most {@code millis} for writeLock and
     * for room; what does not leave in time is dropped (the peer sees the connection close). The
     * caller's interrupt flag is cleared for the waits and restored.
     */
    private void sendBeforeEnd(long millis, byte last) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        boolean interrupted = Thread.interrupted();
        try {
            if (!writeLock.tryLock(millis, TimeUnit.MILLISECONDS)) {
                return;
            }
            try {
                if (sendWithin(deadline) && last != 0) {
                    Wire.header(frame, 0, last, 0, 0, 0, 0, 0, 0, 0, 0);
                    room();
                    stageHeader();
                    sendWithin(deadline);
                }
            } finally {
                writeLock.unlock();
            }
        } catch (IOException | InterruptedException ignored) {
            // the endpoint ends anyway
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@link #pushOutput} until nothing is left or the deadline passes; returns whether nothing is left. Caller holds writeLock. */
    private boolean sendWithin(long deadline) throws IOException {
        while (!pushOutput()) {
            if (deadline - System.nanoTime() <= 0) {
                return false;
            }
            output.await(SelectionKey.OP_WRITE, millisUntil(deadline));
        }
        return true;
    }

    @Override
    public String toString() {
        return "tcp endpoint " + id + " to " + peer + " (" + state + (errorReason != null ? ": " + errorReason : "") + ")";
    }

    /**
     * A selector over this endpoint's channel, for one kind of wait: opened on first use (an
     * endpoint that never waits opens none), closed with the socket, which wakes its waiter and
     * lets the channel's descriptor close. One thread waits on it at a time (the input side on
     * {@link #input}, the holder of writeLock on {@link #output}).
     */
    private final class Waiter {
        private final int registered;
        private volatile Selector selector;
        private SelectionKey key; // written before selector is published, read after it

        Waiter(int registered) {
            this.registered = registered;
        }

        /**
         * Waits until the channel is ready for {@code interest}, the selector is woken or closed,
         * or {@code millis} pass ({@link #UNTIL_READY}: no deadline). The caller's interrupt flag
         * is cleared for the wait (it would end every wait at once) and restored.
         */
        void await(int interest, long millis) throws IOException {
            Selector s = selector;
            if (s == null) {
                s = open();
            }
            boolean interrupted = Thread.interrupted();
            try {
                if (key.interestOps() != interest) {
                    key.interestOps(interest);
                }
                if (millis != UNTIL_READY) {
                    s.select(IGNORE_READY, millis);
                } else if (Thread.currentThread().isVirtual()) {
                    s.select(IGNORE_READY); // a timed wait would park with a timer: a fifth of a thousand readers' throughput
                } else {
                    s.select(IGNORE_READY, SAFETY_MILLIS);
                }
            } catch (ClosedSelectorException | java.nio.channels.CancelledKeyException e) {
                throw new ClosedChannelException();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** Opens the selector with the channel registered; one opened while the socket was being released is closed again. */
        private Selector open() throws IOException {
            Selector s = Selector.open();
            try {
                key = channel.register(s, registered);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
            selector = s;
            if (socketReleased.get()) { // releaseSocket may have looked before selector was set
                s.close();
                throw new ClosedChannelException();
            }
            return s;
        }

        void wakeup() {
            Selector s = selector;
            if (s != null) {
                s.wakeup();
            }
        }

        void close() {
            Selector s = selector;
            if (s != null) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing more to release
                }
            }
        }
    }

    /**
     * ByteBuffer views of the last few regions one thread used, so that a steady stream of large
     * requests allocates nothing; a fifth region replaces the oldest. A region's close drops its
     * view ({@link TcpEndpoint#forgetClosedRegions}). Not thread-safe: one per lock that confines
     * its user.
     */
    private static final class RegionViews {
        private final TcpMemoryRegion[] regions = new TcpMemoryRegion[4];
        private final ByteBuffer[] views = new ByteBuffer[4];
        private int next;

        /** Drops the views of closed regions, so that none keeps a closed region or its memory reachable. */
        void forgetClosed() {
            for (int i = 0; i < regions.length; i++) {
                if (regions[i] != null && !regions[i].isValid()) {
                    regions[i] = null;
                    views[i] = null;
                }
            }
        }

        ByteBuffer viewOf(TcpMemoryRegion region) {
            for (int i = 0; i < regions.length; i++) {
                if (regions[i] == region) {
                    return views[i];
                }
            }
            int i = next;
            next = (next + 1) % regions.length;
            regions[i] = region;
            views[i] = region.segment().asByteBuffer();
            return views[i];
        }
    }
}
