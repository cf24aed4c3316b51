package dev.weft.provider.tcp.tck.broken;

import dev.weft.Access;
import dev.weft.Availability;
import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Limits;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.ProviderInfo;
import dev.weft.RemoteRegion;
import dev.weft.ScatterGatherList;
import dev.weft.Status;
import dev.weft.spi.FabricProvider;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Deliberately broken providers, each the TCP provider with one defect, to prove that the TCK
 * catches it (a check that cannot fail is a defect of the TCK). Test fixtures only.
 */
public final class BrokenTcp {
    private BrokenTcp() {
    }

    /** The defects. */
    enum Defect {
        /** Registers 4 KiB more on each side than asked: the target's bounds check is effectively skipped. */
        BOUNDS,
        /** Hands out the key of a closed region again. */
        KEYS,
        /**
         * Loses one completion of flushed work: the first that is FLUSHED or that belongs to an
         * endpoint already closed when it is polled. The second half does not depend on timing: a
         * fast peer may finish every write before close, leaving nothing FLUSHED to lose.
         */
        CLOSE,
        /** Grants every right whatever was asked. */
        ACCESS,
        /**
         * Declares transmit completion, then hides a target's rejection: the rejected write
         * completes SUCCESS and the endpoint reports CONNECTED for ever.
         */
        SILENT,
        /** Allocates a small array on every RDMA write it posts and keeps it reachable, as a careless wrapper might. */
        ALLOCATE,
        /**
         * The second FLUSHED completion of a queue carries the first one's id: a duplicate stands in for a lost one,
         * so the count of completions is right.
         */
        DUPFLUSH,
        /** Send, receive, atomics and write-with-immediate on a CLOSED endpoint answer OK and queue nothing. */
        CLOSEDPOST,
        /** Leaks one file descriptor on every 10th registration. */
        FDLEAK,
        /** Every fabric it opens starts a virtual thread that outlives the fabric's close. */
        VTLEAK,
        /** The first SUCCESS completion of each queue is delivered again, once, on a poll 100 ms or more later. */
        LATEDUP,
        /** Reports a byte count of 0 on every completion that is not a plain RECEIVE. */
        BYTES,
        /**
         * Serves remote reads without key or bounds checks (regions with REMOTE_READ): a read of up to 4 KiB around such a
         * region is served whatever key it names, also after the region was closed.
         */
        READANY,
        /** Completions name an endpoint id that is not {@code Endpoint.id()} (still unique per endpoint: off by 1000). */
        EPID,
        /** Declares transmit completion and no RMA_READ; a write of more than 4,096 bytes drops its last byte. */
        TXNOREAD,
        /** Not a defect: an honest provider without RMA_READ (not declared; every read answers INVALID). */
        NOREAD,
        /** Not a defect: an honest provider without SEND_RECV and WRITE_IMM (not declared; those posts answer INVALID). */
        NOSR
    }

    /** What the FDLEAK and VTLEAK defects leak, kept reachable. */
    static final java.util.List<Object> LEAKED = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Registrations the FDLEAK defect has counted. */
    static final java.util.concurrent.atomic.AtomicInteger REGISTRATIONS = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * READANY: for each region registered with REMOTE_READ, a registration 4 KiB wider on each side with REMOTE_READ only,
     * found by address for every read; kept open after the region closes.
     */
    static final java.util.List<MemoryRegion> SHADOWS = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** READANY: the key of a shadow that holds [address, address + length), else {@code key}. */
    static long readKey(long address, long length, long key) {
        for (MemoryRegion shadow : SHADOWS) {
            long base = shadow.segment().address();
            if (shadow.isOpen() && address - base >= 0 && address - base + length <= shadow.length()) {
                return shadow.remoteKey();
            }
        }
        return key;
    }

    /** Where the ALLOCATE defect keeps its last allocation, so that the JIT cannot remove it. */
    @SuppressWarnings("unused")
    private static volatile Object lastAllocation;

    abstract static class Base implements FabricProvider {
        private final Defect defect;

        Base(Defect defect) {
            this.defect = defect;
        }

        @Override
        public String scheme() {
            return "broken-" + defect.name().toLowerCase();
        }

        @Override
        public ProviderInfo info() {
            return info(new dev.weft.provider.tcp.TcpProvider().info().limits());
        }

        /** The description with the given limits (a fabric's own: its URI may shorten the peer-failure time). */
        private ProviderInfo info(Limits l) {
            ProviderInfo tcp = new dev.weft.provider.tcp.TcpProvider().info();
            Limits limits = defect != Defect.SILENT && defect != Defect.TXNOREAD ? l : new Limits(l.maxMessageSize(), l.maxScatterGather(), l.maxInlineData(),
                    l.maxQueueDepth(), l.maxCompletionQueueDepth(), l.maxEndpoints(), l.maxRegionSize(), l.peerFailureTimeout(),
                    l.readSinkNeedsRemoteWrite(), true);
            var caps = EnumSet.copyOf(tcp.capabilities());
            if (defect == Defect.NOREAD || defect == Defect.TXNOREAD) {
                caps.remove(dev.weft.Capability.RMA_READ);
            }
            if (defect == Defect.NOSR) {
                caps.remove(dev.weft.Capability.SEND_RECV);
                caps.remove(dev.weft.Capability.WRITE_IMM);
            }
            return new ProviderInfo("broken " + defect, scheme(), "0", "a deliberately broken provider", tcp.transports(),
                    caps, limits, tcp.uriParameters());
        }

        @Override
        public Availability availability() {
            return Availability.ofAvailable();
        }

        @Override
        public Fabric open(FabricUri uri) {
            String text = uri.toString();
            Fabric inner = Fabrics.open("tcp" + text.substring(text.indexOf("://")));
            if (defect == Defect.VTLEAK) {
                LEAKED.add(Thread.ofVirtual().name("leaked-" + LEAKED.size()).start(() -> java.util.concurrent.locks.LockSupport.park()));
            }
            return new WFabric(inner, defect, uri, info(inner.info().limits()));
        }
    }

    /** Bounds defect. */
    public static final class Bounds extends Base {
        /** Creates it. */
        public Bounds() {
            super(Defect.BOUNDS);
        }
    }

    /** Key-reuse defect. */
    public static final class Keys extends Base {
        /** Creates it. */
        public Keys() {
            super(Defect.KEYS);
        }
    }

    /** Lost-completion defect. */
    public static final class Close extends Base {
        /** Creates it. */
        public Close() {
            super(Defect.CLOSE);
        }
    }

    /** Ignored-access defect. */
    public static final class AccessFlags extends Base {
        /** Creates it. */
        public AccessFlags() {
            super(Defect.ACCESS);
        }
    }

    /** Hidden-rejection defect. */
    public static final class Silent extends Base {
        /** Creates it. */
        public Silent() {
            super(Defect.SILENT);
        }
    }

    /** Duplicate-flush defect. */
    public static final class DupFlush extends Base {
        /** Creates it. */
        public DupFlush() {
            super(Defect.DUPFLUSH);
        }
    }

    /** Posts-after-close defect. */
    public static final class ClosedPost extends Base {
        /** Creates it. */
        public ClosedPost() {
            super(Defect.CLOSEDPOST);
        }
    }

    /** Descriptor-leak defect. */
    public static final class FdLeak extends Base {
        /** Creates it. */
        public FdLeak() {
            super(Defect.FDLEAK);
        }
    }

    /** Virtual-thread-leak defect. */
    public static final class VtLeak extends Base {
        /** Creates it. */
        public VtLeak() {
            super(Defect.VTLEAK);
        }
    }

    /** Late-duplicate defect. */
    public static final class LateDup extends Base {
        /** Creates it. */
        public LateDup() {
            super(Defect.LATEDUP);
        }
    }

    /** Byte-count defect. */
    public static final class Bytes extends Base {
        /** Creates it. */
        public Bytes() {
            super(Defect.BYTES);
        }
    }

    /** Reads-without-checks defect. */
    public static final class ReadAny extends Base {
        /** Creates it. */
        public ReadAny() {
            super(Defect.READANY);
        }
    }

    /** Wrong-endpoint-id defect. */
    public static final class EpId extends Base {
        /** Creates it. */
        public EpId() {
            super(Defect.EPID);
        }
    }

    /** Lost-byte defect of a transmit-completion provider without reads. */
    public static final class TxNoRead extends Base {
        /** Creates it. */
        public TxNoRead() {
            super(Defect.TXNOREAD);
        }
    }

    /** Honest provider without reads. */
    public static final class NoRead extends Base {
        /** Creates it. */
        public NoRead() {
            super(Defect.NOREAD);
        }
    }

    /** Honest provider without send/receive. */
    public static final class NoSr extends Base {
        /** Creates it. */
        public NoSr() {
            super(Defect.NOSR);
        }
    }

    /** Allocation defect. */
    public static final class Allocating extends Base {
        /** Creates it. */
        public Allocating() {
            super(Defect.ALLOCATE);
        }
    }

    record WFabric(Fabric inner, Defect defect, FabricUri uri, ProviderInfo info) implements Fabric {
        @Override
        public Domain openDomain() {
            return new WDomain(inner.openDomain(), this);
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static final class WDomain implements Domain {
        final Domain inner;
        final WFabric fabric;
        private final ArrayDeque<Long> closedKeys = new ArrayDeque<>();

        WDomain(Domain inner, WFabric fabric) {
            this.inner = inner;
            this.fabric = fabric;
        }

        @Override
        public Fabric fabric() {
            return fabric;
        }

        @Override
        @SuppressWarnings("restricted") // widening a segment is the defect this fixture simulates
        public MemoryRegion register(MemorySegment segment, Set<Access> access) {
            switch (fabric.defect()) {
                case BOUNDS -> {
                    MemorySegment wide = MemorySegment.ofAddress(segment.address() - 4096).reinterpret(segment.byteSize() + 8192);
                    return new WRegion(inner.register(wide, access), this, segment, null);
                }
                case ACCESS -> {
                    return new WRegion(inner.register(segment, EnumSet.allOf(Access.class)), this, segment, null);
                }
                case KEYS -> {
                    Long reused;
                    synchronized (closedKeys) {
                        reused = closedKeys.poll();
                    }
                    return new WRegion(inner.register(segment, access), this, segment, reused);
                }
                case FDLEAK -> {
                    if (REGISTRATIONS.incrementAndGet() % 10 == 0) {
                        try {
                            LEAKED.add(java.nio.channels.FileChannel.open(java.nio.file.Path.of("/dev/null")));
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                    return new WRegion(inner.register(segment, access), this, segment, null);
                }
                case READANY -> {
                    MemoryRegion region = inner.register(segment, access);
                    if (access.contains(Access.REMOTE_READ)) {
                        MemorySegment wide = MemorySegment.ofAddress(segment.address() - 4096).reinterpret(segment.byteSize() + 8192);
                        SHADOWS.add(inner.register(wide, EnumSet.of(Access.REMOTE_READ)));
                    }
                    return new WRegion(region, this, segment, null);
                }
                default -> {
                    return new WRegion(inner.register(segment, access), this, segment, null);
                }
            }
        }

        void keyFreed(long key) {
            synchronized (closedKeys) {
                closedKeys.add(key);
            }
        }

        @Override
        public CompletionQueue openCompletionQueue(int depth) {
            return new WQueue(inner.openCompletionQueue(depth), fabric.defect());
        }

        EndpointConfig unwrap(EndpointConfig c) {
            return new EndpointConfig(((WQueue) c.sendQueue()).inner, ((WQueue) c.receiveQueue()).inner, c.sendQueueDepth(),
                    c.receiveQueueDepth(), c.maxScatterGather(), c.connectTimeout());
        }

        @Override
        public Listener listen(EndpointConfig config) {
            return new WListener(inner.listen(unwrap(config)), this, (WQueue) config.sendQueue());
        }

        @Override
        public Endpoint connect(FabricUri peer, EndpointConfig config) {
            String text = peer.toString();
            return new WEndpoint(inner.connect(FabricUri.parse("tcp" + text.substring(text.indexOf("://"))), unwrap(config)),
                    fabric.defect(), (WQueue) config.sendQueue());
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** A region as the user sees it: the asked-for segment, over an inner registration that may be wider. */
    static final class WRegion implements MemoryRegion {
        final MemoryRegion inner;
        private final WDomain domain;
        private final MemorySegment segment;
        private final Long reportedKey;

        WRegion(MemoryRegion inner, WDomain domain, MemorySegment segment, Long reportedKey) {
            this.inner = inner;
            this.domain = domain;
            this.segment = segment;
            this.reportedKey = reportedKey;
        }

        long offsetShift() {
            return segment.address() - inner.segment().address();
        }

        @Override
        public MemorySegment segment() {
            return segment;
        }

        @Override
        public long length() {
            return segment.byteSize();
        }

        @Override
        public long remoteAddress() {
            return segment.address();
        }

        @Override
        public long localKey() {
            return remoteKey();
        }

        @Override
        public long remoteKey() {
            return reportedKey != null ? reportedKey : inner.remoteKey();
        }

        @Override
        public Set<Access> access() {
            return inner.access();
        }

        @Override
        public Domain domain() {
            return domain;
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() {
            if (inner.isOpen()) {
                domain.keyFreed(remoteKey());
            }
            inner.close();
        }
    }

    static final class WQueue implements CompletionQueue {
        final CompletionQueue inner;
        private final Defect defect;
        private boolean lost;
        private final Set<Long> closedEndpoints = new HashSet<>();
        private CompletionBatch pollBatch;
        private long firstFlushedId = -1;
        private boolean duplicated;
        private final Completion late = new Completion();
        private long lateAt;
        private int lateState; // LATEDUP: 0 none seen, 1 pending, 2 delivered

        WQueue(CompletionQueue inner, Defect defect) {
            this.inner = inner;
            this.defect = defect;
        }

        private synchronized int copy(CompletionBatch innerBatch, int n, CompletionBatch batch) {
            batch.clear();
            int out = 0;
            if (n >= 0 && defect == Defect.LATEDUP && lateState == 1 && System.nanoTime() - lateAt > 100_000_000L) {
                batch.next().set(late);
                lateState = 2;
                out++;
            }
            for (int i = 0; i < n; i++) {
                Completion c = innerBatch.get(i);
                if (defect == Defect.CLOSE && !lost && (c.status() == Status.FLUSHED || closedEndpoints.contains(c.endpointId()))) {
                    lost = true;
                    continue;
                }
                Completion copied = batch.next().set(c);
                if (defect == Defect.SILENT && c.opcode() == Opcode.WRITE && !c.status().isSuccess() && c.status() != Status.FLUSHED) {
                    copied.set(c.workRequestId(), c.opcode(), Status.SUCCESS, 8, c.immediate(), c.hasImmediate(), c.endpointId(), 0);
                }
                if (defect == Defect.DUPFLUSH && c.status() == Status.FLUSHED) {
                    if (firstFlushedId < 0) {
                        firstFlushedId = c.workRequestId();
                    } else if (!duplicated) {
                        duplicated = true;
                        copied.set(firstFlushedId, c.opcode(), c.status(), c.byteCount(), c.immediate(), c.hasImmediate(), c.endpointId(), c.vendorError());
                    }
                }
                if (defect == Defect.LATEDUP && lateState == 0 && c.status() == Status.SUCCESS) {
                    late.set(c);
                    lateAt = System.nanoTime();
                    lateState = 1;
                }
                if (defect == Defect.EPID) {
                    copied.set(c.workRequestId(), c.opcode(), c.status(), c.byteCount(), c.immediate(), c.hasImmediate(), c.endpointId() + 1000,
                            c.vendorError());
                }
                if (defect == Defect.BYTES && c.opcode() != Opcode.RECEIVE) {
                    copied.set(c.workRequestId(), c.opcode(), c.status(), 0, c.immediate(), c.hasImmediate(), c.endpointId(), c.vendorError());
                }
                out++;
            }
            return n < 0 ? n : out;
        }

        /** Remembers an endpoint closed on this queue (the CLOSE defect loses one of its completions). */
        synchronized void closed(long endpointId) {
            closedEndpoints.add(endpointId);
        }

        @Override
        public synchronized int poll(CompletionBatch batch) {
            // one batch for the inner queue, reused, so that polling allocates nothing (the TCK's allocation rule)
            if (pollBatch == null || pollBatch.capacity() != batch.capacity()) {
                pollBatch = new CompletionBatch(batch.capacity());
            }
            return copy(pollBatch, inner.poll(pollBatch), batch);
        }

        @Override
        public int await(CompletionBatch batch, long timeout, TimeUnit unit) {
            CompletionBatch b = new CompletionBatch(batch.capacity());
            return copy(b, inner.await(b, timeout, unit), batch);
        }

        @Override
        public int depth() {
            return inner.depth();
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    static final class WListener implements Listener {
        private final Listener inner;
        private final WDomain domain;
        private final WQueue sendQueue;

        WListener(Listener inner, WDomain domain, WQueue sendQueue) {
            this.inner = inner;
            this.domain = domain;
            this.sendQueue = sendQueue;
        }

        @Override
        public FabricUri uri() {
            String text = inner.uri().toString();
            return FabricUri.parse(domain.fabric.uri().scheme() + text.substring(text.indexOf("://")));
        }

        @Override
        public void publish(String name, MemoryRegion region) {
            inner.publish(name, ((WRegion) region).inner);
        }

        @Override
        public boolean unpublish(String name) {
            return inner.unpublish(name);
        }

        @Override
        public Set<String> published() {
            return inner.published();
        }

        @Override
        public Endpoint accept(Duration timeout) {
            Endpoint e = inner.accept(timeout);
            return e == null ? null : new WEndpoint(e, domain.fabric.defect(), sendQueue);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    /** Translates the user's regions into the inner ones (shifting offsets for widened registrations). */
    record WEndpoint(Endpoint inner, Defect defect, WQueue sendQueue) implements Endpoint {
        private static MemoryRegion in(MemoryRegion r) {
            return r instanceof WRegion w ? w.inner : r;
        }

        private static long off(MemoryRegion r, long offset) {
            return r instanceof WRegion w ? offset + w.offsetShift() : offset;
        }

        private static ScatterGatherList in(ScatterGatherList sgl) {
            ScatterGatherList out = new ScatterGatherList(Math.max(1, sgl.capacity()));
            for (int i = 0; i < sgl.size(); i++) {
                out.add(in(sgl.region(i)), off(sgl.region(i), sgl.offset(i)), sgl.length(i));
            }
            return out;
        }

        @Override
        public long id() {
            return inner.id();
        }

        @Override
        public EndpointState state() {
            EndpointState s = inner.state();
            return defect == Defect.SILENT && s == EndpointState.ERROR ? EndpointState.CONNECTED : s;
        }

        @Override
        public FabricUri peer() {
            return inner.peer();
        }

        @Override
        public Optional<RemoteRegion> wellKnownRegion() {
            // a widened registration is published whole; show the peer the region the user asked for
            return inner.wellKnownRegion().map(r -> defect == Defect.BOUNDS
                    ? new RemoteRegion(r.address() + 4096, r.length() - 8192, r.key(), r.access()) : r);
        }

        @Override
        public PostStatus write(long id, MemoryRegion l, long lo, int len, long ra, long rk) {
            if (defect == Defect.ALLOCATE) {
                lastAllocation = new long[] {id, ra};
            }
            if (defect == Defect.TXNOREAD && len > 4096) {
                len--;
            }
            return inner.write(id, in(l), off(l, lo), len, ra, rk);
        }

        @Override
        public PostStatus write(long id, ScatterGatherList l, long ra, long rk) {
            return inner.write(id, in(l), ra, rk);
        }

        @Override
        public PostStatus writeWithImmediate(long id, ScatterGatherList l, long ra, long rk, int imm) {
            if (defect == Defect.CLOSEDPOST && inner.state() == EndpointState.CLOSED) {
                return PostStatus.OK;
            }
            return inner.writeWithImmediate(id, in(l), ra, rk, imm);
        }

        @Override
        public PostStatus read(long id, MemoryRegion l, long lo, int len, long ra, long rk) {
            if (defect == Defect.NOREAD || defect == Defect.TXNOREAD) {
                return PostStatus.INVALID;
            }
            if (defect == Defect.READANY) {
                rk = readKey(ra, len, rk);
            }
            return inner.read(id, in(l), off(l, lo), len, ra, rk);
        }

        @Override
        public PostStatus read(long id, ScatterGatherList l, long ra, long rk) {
            if (defect == Defect.NOREAD || defect == Defect.TXNOREAD) {
                return PostStatus.INVALID;
            }
            if (defect == Defect.READANY && l != null) {
                rk = readKey(ra, l.totalLength(), rk);
            }
            return inner.read(id, in(l), ra, rk);
        }

        @Override
        public PostStatus send(long id, ScatterGatherList l) {
            if (defect == Defect.NOSR) {
                return PostStatus.INVALID;
            }
            if (defect == Defect.CLOSEDPOST && inner.state() == EndpointState.CLOSED) {
                return PostStatus.OK;
            }
            return inner.send(id, in(l));
        }

        @Override
        public PostStatus receive(long id, ScatterGatherList l) {
            if (defect == Defect.NOSR) {
                return PostStatus.INVALID;
            }
            return inner.receive(id, in(l));
        }

        @Override
        public PostStatus fetchAndAdd(long id, MemoryRegion r, long ro, long ra, long rk, long add) {
            if (defect == Defect.CLOSEDPOST && inner.state() == EndpointState.CLOSED) {
                return PostStatus.OK;
            }
            return inner.fetchAndAdd(id, in(r), off(r, ro), ra, rk, add);
        }

        @Override
        public PostStatus compareAndSwap(long id, MemoryRegion r, long ro, long ra, long rk, long e, long d) {
            if (defect == Defect.CLOSEDPOST && inner.state() == EndpointState.CLOSED) {
                return PostStatus.OK;
            }
            return inner.compareAndSwap(id, in(r), off(r, ro), ra, rk, e, d);
        }

        @Override
        public PostStatus send(long id, MemoryRegion l, long lo, int len) {
            if (defect == Defect.NOSR) {
                return PostStatus.INVALID;
            }
            if (defect == Defect.CLOSEDPOST && inner.state() == EndpointState.CLOSED) {
                return PostStatus.OK;
            }
            return inner.send(id, in(l), off(l, lo), len);
        }

        @Override
        public PostStatus receive(long id, MemoryRegion l, long lo, int len) {
            if (defect == Defect.NOSR) {
                return PostStatus.INVALID;
            }
            return inner.receive(id, in(l), off(l, lo), len);
        }

        @Override
        public PostStatus writeWithImmediate(long id, MemoryRegion l, long lo, int len, long ra, long rk, int imm) {
            if (defect == Defect.CLOSEDPOST && inner.state() == EndpointState.CLOSED) {
                return PostStatus.OK;
            }
            return inner.writeWithImmediate(id, in(l), off(l, lo), len, ra, rk, imm);
        }

        @Override
        public void close() {
            if (defect == Defect.CLOSE && inner.state() != EndpointState.CLOSED) {
                sendQueue.closed(inner.id());
            }
            inner.close();
        }
    }
}
