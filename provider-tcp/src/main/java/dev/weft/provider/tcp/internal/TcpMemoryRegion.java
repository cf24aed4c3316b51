package dev.weft.provider.tcp.internal;

import dev.weft.Access;
import dev.weft.Domain;
import dev.weft.MemoryRegion;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A registered segment. Zero-copy: the provider reads and writes the segment in place. Its
 * remote address is the segment's native address, so 8-byte alignment of atomics is the real
 * alignment. Thread-safe.
 *
 * <p>The deregistration fence: every access by the provider is bracketed by {@link #enter()}
 * and {@link #exit()}; {@link #close()} marks the region invalid and then waits until no access
 * is in progress, so when it returns nothing touches the memory again. A poster writing straight
 * from the region while the socket is full is woken and stops using it (see
 * {@code TcpEndpoint.transmitFromRegion}), so the close does not wait for a peer to read. The
 * wait parks rather than spins.
 */
final class TcpMemoryRegion implements MemoryRegion {
    private final TcpDomain domain;
    private final MemorySegment segment;
    private final Set<Access> access;
    private final long key;
    private final boolean localWrite;
    private final boolean remoteRead;
    private final boolean remoteWrite;
    private final boolean remoteAtomic;
    private final AtomicInteger users = new AtomicInteger();
    private volatile boolean valid = true;

    TcpMemoryRegion(TcpDomain domain, MemorySegment segment, Set<Access> access, long key) {
        this.domain = domain;
        this.segment = segment;
        this.access = Collections.unmodifiableSet(access.isEmpty() ? EnumSet.noneOf(Access.class) : EnumSet.copyOf(access));
        this.key = key;
        this.localWrite = access.contains(Access.LOCAL_WRITE);
        this.remoteRead = access.contains(Access.REMOTE_READ);
        this.remoteWrite = access.contains(Access.REMOTE_WRITE);
        this.remoteAtomic = access.contains(Access.REMOTE_ATOMIC);
    }

    /** Starts an access; returns {@code false} (and starts nothing) if the region or its memory's arena is closed. */
    boolean enter() {
        users.incrementAndGet();
        if (!isValid()) {
            users.decrementAndGet();
            return false;
        }
        return true;
    }

    /** Ends an access started by a successful {@link #enter()}. */
    void exit() {
        users.decrementAndGet();
    }

    /** @return whether the region is open and its memory still allocated (an arena closed under it frees the memory) */
    boolean isValid() {
        return valid && segment.scope().isAlive();
    }

    boolean localWrite() {
        return localWrite;
    }

    boolean remoteRead() {
        return remoteRead;
    }

    boolean remoteWrite() {
        return remoteWrite;
    }

    boolean remoteAtomic() {
        return remoteAtomic;
    }

    long base() {
        return segment.address();
    }

    TcpDomain tcpDomain() {
        return domain;
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
        return key;
    }

    @Override
    public long remoteKey() {
        return key;
    }

    @Override
    public Set<Access> access() {
        return access;
    }

    @Override
    public Domain domain() {
        return domain;
    }

    @Override
    public boolean isOpen() {
        return isValid();
    }

    @Override
    public void close() {
        if (!valid) {
            return;
        }
        valid = false;
        domain.unregister(this);
        // Fence: wait for accesses that entered before we marked the region invalid. Most are copies of at most 64 KiB; a
        // poster writing straight from the region while the socket is full is woken and gives the fence up at once (the rest
        // of its payload goes as zeros). The wait spins briefly, then parks with a growing pause (up to 1 ms): it never
        // holds a core while an access takes long.
        int rounds = 0;
        long pause = 1_000;
        while (users.get() != 0) {
            if (rounds == 0) {
                domain.wakeFenceHolders();
            }
            if (++rounds < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(pause);
                pause = Math.min(pause * 2, 1_000_000);
                if ((rounds & 63) == 0) {
                    domain.wakeFenceHolders(); // a wake-up that came before its poster's wait began was not lost: this is belt and braces
                }
            }
        }
        domain.regionClosed(); // no endpoint keeps a view of the closed region (nor, so, its memory) reachable
    }

    @Override
    public String toString() {
        return String.format("tcp memory region [address=0x%x, length=%d, access=%s]", segment.address(), segment.byteSize(), access);
    }
}
