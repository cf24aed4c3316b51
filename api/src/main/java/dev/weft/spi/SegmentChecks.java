package dev.weft.spi;

import dev.weft.FabricException;
import java.lang.foreign.MemorySegment;

/**
 * Checks every provider makes on a segment before registering it, so that a program behaves the
 * same on every fabric (DESIGN.md §5). Stateless; thread-safe.
 */
public final class SegmentChecks {
    /** A thread that owns no arena and never runs: a segment it may access is not confined to a thread. */
    private static final Thread NO_OWNER = Thread.ofPlatform().unstarted(() -> { });

    private SegmentChecks() {
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
}
