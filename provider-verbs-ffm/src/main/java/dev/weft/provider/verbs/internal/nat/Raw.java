package dev.weft.provider.verbs.internal.nat;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The data path's reads and writes of native memory by address: the work requests and gather lists
 * a post fills, the work completions a poll reads.
 *
 * <p>Each access goes through one segment that spans the whole address space in the global scope,
 * held in a constant. The JIT folds that segment's read-only flag and scope away and leaves one
 * bounds compare, so an access is the load or store and that compare, and reads no segment
 * object. A segment of the endpoint's or queue's own arena costs about fifteen instructions per
 * access for its checks (the segment's class, read-only flag, bounds, alignment, the arena's owner
 * and state), which an emulated CPU runs one by one: the post and poll of one 8-byte read made
 * about a dozen such accesses.
 *
 * <p>Nothing here checks that the memory is alive or that an address is right: the caller must
 * know it. Weft's callers hold the lock of the endpoint or queue that owns the memory and have
 * checked that it is not closed; close frees the memory under the same lock. Set-up code keeps
 * using ordinary segments. Accesses use the unaligned layouts (the addresses are aligned; an
 * aligned layout would only add its check). Thread-safe: there is no state.
 */
public final class Raw {
    @SuppressWarnings("restricted")
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private Raw() {
    }

    /**
     * @param address where; alive, see the class comment
     * @param value the 64-bit value to store
     */
    public static void putLong(long address, long value) {
        ALL.set(LONG, address, value);
    }

    /**
     * @param address where; alive, see the class comment
     * @param value the 32-bit value to store
     */
    public static void putInt(long address, int value) {
        ALL.set(INT, address, value);
    }

    /**
     * @param address where; alive, see the class comment
     * @return the 64-bit value there
     */
    public static long getLong(long address) {
        return ALL.get(LONG, address);
    }

    /**
     * @param address where; alive, see the class comment
     * @return the 32-bit value there
     */
    public static int getInt(long address) {
        return ALL.get(INT, address);
    }
}
