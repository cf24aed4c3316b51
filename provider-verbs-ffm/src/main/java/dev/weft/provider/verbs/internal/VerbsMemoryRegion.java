package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_MR;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.Access;
import dev.weft.Domain;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.Errno;
import dev.weft.provider.verbs.internal.nat.Ibv;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * A registered segment ({@code ibv_reg_mr}): zero-copy, the device reads and writes the
 * application's memory directly. The remote address is the segment's virtual address. The segment
 * must stay alive until the region is closed; closing deregisters it, after which the device no
 * longer touches the memory. Thread-safe.
 */
final class VerbsMemoryRegion implements MemoryRegion {
    private static final long LKEY = offset(IBV_MR, "lkey");
    private static final long RKEY = offset(IBV_MR, "rkey");

    private final VerbsDomain domain;
    private final MemorySegment segment;
    // the segment's address and size, kept here so that filling a gather entry reads this object only
    private final long address;
    private final long length;
    private final Set<Access> access;
    private final MemorySegment mr;
    private final int lkey;
    private final int rkey;
    /** {@link #SINK} and {@link #READ_SINK} bits: what this region may be the sink of (see {@link #sinkRights}). */
    private final int sinkRights;
    private volatile boolean open = true;

    /** A {@link #sinkRights} bit: the region can take what the device writes locally (an atomic's result, a receive). */
    static final int SINK = 1;
    /** A {@link #sinkRights} bit: the region can be the sink of an RDMA read (iWARP also needs REMOTE_WRITE there). */
    static final int READ_SINK = 2;

    VerbsMemoryRegion(VerbsDomain domain, MemorySegment segment, Set<Access> access) {
        this.domain = domain;
        this.segment = segment;
        this.address = segment.address();
        this.length = segment.byteSize();
        this.access = Collections.unmodifiableSet(access.isEmpty() ? EnumSet.noneOf(Access.class) : EnumSet.copyOf(access));
        boolean localWrite = access.contains(Access.LOCAL_WRITE);
        boolean readSink = localWrite && (access.contains(Access.REMOTE_WRITE)
                || !domain.verbsFabric().info().limits().readSinkNeedsRemoteWrite());
        this.sinkRights = (localWrite ? SINK : 0) | (readSink ? READ_SINK : 0);
        this.mr = register(domain, segment, access).reinterpret(IBV_MR.byteSize());
        this.lkey = mr.get(C.INT, LKEY);
        this.rkey = mr.get(C.INT, RKEY);
    }

    /** Registers, naming the locked-memory limit when the kernel refuses to pin the pages. */
    private static MemorySegment register(VerbsDomain domain, MemorySegment segment, Set<Access> access) {
        try {
            return Ibv.regMr(domain.pd(), segment, Access.toBits(access));
        } catch (FabricException e) {
            if (e.errno() == Errno.ENOMEM || e.errno() == Errno.EPERM) {
                throw new FabricException(e.code(), e.getMessage() + "; registration pins the pages, and the locked-memory limit"
                        + " (RLIMIT_MEMLOCK, `ulimit -l`) may be below " + segment.byteSize() + " bytes plus what is already"
                        + " registered: raise it (ulimit -l unlimited, or memlock in /etc/security/limits.conf)", e.errno(), e);
            }
            if (e.errno() == Errno.EFAULT) {
                throw new FabricException(e.code(), e.getMessage() + "; the kernel could not pin " + segment.byteSize() + " bytes at 0x"
                        + Long.toHexString(segment.address()) + ": part of that range is not mapped memory of this process"
                        + " (a segment made with reinterpret() beyond its allocation?); register memory an arena allocated", e.errno(), e);
            }
            throw e;
        }
    }

    /** @return {@code lkey} for scatter-gather entries */
    int lkey() {
        return lkey;
    }

    VerbsDomain verbsDomain() {
        return domain;
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long length() {
        return length;
    }

    @Override
    public long remoteAddress() {
        return address;
    }

    @Override
    public long localKey() {
        return Integer.toUnsignedLong(lkey);
    }

    @Override
    public long remoteKey() {
        return Integer.toUnsignedLong(rkey);
    }

    @Override
    public Set<Access> access() {
        return access;
    }

    /**
     * @return {@link #SINK} if the device may write this region on the local side (LOCAL_WRITE: the sink of an atomic or a
     *         receive), and {@link #READ_SINK} if it may also be the sink of an RDMA read (LOCAL_WRITE, and on iWARP
     *         REMOTE_WRITE, since an iWARP read response is placed as a remote write: {@code Limits.readSinkNeedsRemoteWrite})
     */
    int sinkRights() {
        return sinkRights;
    }

    @Override
    public Domain domain() {
        return domain;
    }

    @Override
    public boolean isOpen() {
        return open && segment.scope().isAlive(); // an arena closed under the region freed its memory: posts refuse it
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!open) {
                return;
            }
            open = false;
        }
        domain.forget(this);
        Ibv.deregMr(mr);
    }

    @Override
    public String toString() {
        return "VerbsMemoryRegion[" + segment.byteSize() + " bytes at 0x" + Long.toHexString(segment.address()) + ", rkey 0x"
                + Integer.toHexString(rkey) + ", " + access + (open ? "" : ", closed") + "]";
    }
}
