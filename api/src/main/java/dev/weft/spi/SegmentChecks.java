package dev.weft.spi;

import dev.weft.Access;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * Checks every provider makes on a segment before registering it, so that a program behaves the
 * same on every fabric (docs/architecture.md, "Lifecycle"; docs/provider-spi.md). Stateless; thread-safe.
 */
public final class SegmentChecks {
    /** A thread that owns no arena and never runs: a segment it may access is not confined to a thread. */
    private static final Thread NO_OWNER = Thread.ofPlatform().unstarted(() -> { });

    private SegmentChecks() {
    }

    /**
     * Every check {@code Domain.register} makes before the provider registers anything, in one order, so that a bad
     * call gets the same code and message on every fabric: a null segment or access set, a heap segment, a native
     * segment at address 0 ({@code MemorySegment.NULL} reinterpreted to a size), a segment whose arena is closed ({@code CLOSED}), one confined to a thread, an access set {@link Access#validate} refuses, a
     * read-only segment with a right to write it, a zero-length segment, a segment longer than {@code maxRegionSize}.
     *
     * @param segment the caller's segment
     * @param access the caller's rights
     * @param maxRegionSize the provider's {@code Limits.maxRegionSize()}
     * @throws FabricException with {@link dev.weft.ErrorCode#INVALID_ARGUMENT}, or {@link dev.weft.ErrorCode#CLOSED}
     *         for a closed arena, naming what is wrong and what would do
     */
    public static void requireRegistrable(MemorySegment segment, Set<Access> access, long maxRegionSize) {
        if (segment == null || access == null) {
            throw FabricException.invalid("register needs a segment and an access set, got " + segment + " and " + access
                    + "; e.g. register(Arena.ofShared().allocate(4096, 4096), Access.LOCAL_WRITE)");
        }
        if (!segment.isNative()) {
            long size = segment.byteSize();
            throw FabricException.invalid("cannot register a heap segment (" + size + " bytes backed by a Java array):"
                    + " RDMA needs memory at a fixed native address, and the garbage collector moves heap arrays; allocate it from"
                    + " an Arena, e.g. Arena.ofShared().allocate(" + (size == 0 ? "4096, 4096) (a region holds at least one byte)"
                    : size + ", 4096)"));
        }
        if (segment.address() == 0) {
            throw FabricException.invalid("cannot register a segment at address 0 (" + segment.byteSize() + " bytes, such as"
                    + " MemorySegment.NULL.reinterpret(size)): no memory is there, and the first access would crash the process;"
                    + " register memory from an Arena, e.g. Arena.ofShared().allocate(4096, 4096)");
        }
        requireAlive(segment);
        requireAccessibleFromAnyThread(segment);
        Access.validate(access);
        requireWritableIfWritten(segment, access);
        requireNonEmpty(segment);
        if (segment.byteSize() > maxRegionSize) {
            throw FabricException.invalid("a region of " + segment.byteSize() + " bytes exceeds the largest this fabric registers, "
                    + maxRegionSize + " bytes (Limits.maxRegionSize()); register it in parts of at most that size");
        }
    }

    /**
     * Refuses a segment confined to one thread ({@code Arena.ofConfined()}): providers read and
     * write registered memory from their own threads (the tcp provider's readers, as a NIC would),
     * and a program that registers confined memory on one fabric must fail on every fabric, at
     * registration, rather than at the first remote access on some.
     *
     * @param segment a native segment about to be registered
     * @throws FabricException with {@link dev.weft.ErrorCode#INVALID_ARGUMENT} naming the arenas to use instead
     */
    public static void requireAccessibleFromAnyThread(MemorySegment segment) {
        if (!segment.isAccessibleBy(NO_OWNER)) {
            throw FabricException.invalid("cannot register a segment confined to one thread (" + segment.byteSize()
                    + " bytes from Arena.ofConfined()): registered memory is read and written by the provider's threads, as by a NIC; "
                    + "allocate it from Arena.ofShared(), Arena.ofAuto() or Arena.global()");
        }
    }

    /**
     * Refuses a zero-length segment: a region holds at least one byte on every provider (a device would still map and
     * grant a whole page for it, which a peer holding the key could reach).
     *
     * @param segment a native segment about to be registered
     * @throws FabricException with {@link dev.weft.ErrorCode#INVALID_ARGUMENT}
     */
    public static void requireNonEmpty(MemorySegment segment) {
        if (segment.byteSize() == 0) {
            throw FabricException.invalid("a zero-length segment cannot be registered; register at least one byte");
        }
    }

    /**
     * Refuses a segment whose arena is already closed: the memory is gone, and a provider that
     * registered it would fail (or worse, touch freed memory) at the first access.
     *
     * @param segment a native segment about to be registered
     * @throws FabricException with {@link ErrorCode#CLOSED}
     */
    public static void requireAlive(MemorySegment segment) {
        if (!segment.scope().isAlive()) {
            throw new FabricException(ErrorCode.CLOSED, "cannot register a segment whose arena is closed (" + segment.byteSize()
                    + " bytes): its memory is freed; register memory of an open arena and close the arena only after the region");
        }
    }

    /**
     * Refuses a read-only segment ({@code MemorySegment.asReadOnly()}, a {@code READ_ONLY} file
     * mapping) registered with a right to write it: the provider, or the peer through it, would
     * fail at the first write instead of at registration.
     *
     * @param segment a native segment about to be registered
     * @param access the rights asked for
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} naming the rights to drop
     */
    public static void requireWritableIfWritten(MemorySegment segment, Set<Access> access) {
        if (segment.isReadOnly() && (access.contains(Access.LOCAL_WRITE) || access.contains(Access.REMOTE_WRITE)
                || access.contains(Access.REMOTE_ATOMIC))) {
            throw FabricException.invalid("cannot grant " + access + " on a read-only segment (" + segment.byteSize()
                    + " bytes): register it with REMOTE_READ only (or no rights, as a source of sends and writes), or register writable memory");
        }
    }
}
