package dev.weft;

import java.util.Set;

/**
 * Access rights of a {@link MemoryRegion}, as in {@code ibv_access_flags}.
 *
 * <p>The verbs rule holds for every provider: {@link #REMOTE_WRITE} and {@link #REMOTE_ATOMIC}
 * require {@link #LOCAL_WRITE}. A region is always locally readable.
 */
public enum Access {
    /** The local endpoint may write into the region (receive buffers, read sinks, atomic results). */
    LOCAL_WRITE(1),
    /** A peer may RDMA-write into the region. Requires {@link #LOCAL_WRITE}. */
    REMOTE_WRITE(2),
    /** A peer may RDMA-read from the region. */
    REMOTE_READ(4),
    /** A peer may perform atomics on 8-byte words of the region. Requires {@link #LOCAL_WRITE}. */
    REMOTE_ATOMIC(8);

    private final int bit;

    Access(int bit) {
        this.bit = bit;
    }

    /** @return this right's bit in {@link #toBits(Set)}; equal to the verbs {@code IBV_ACCESS_*} flag */
    public int bit() {
        return bit;
    }

    /**
     * Encodes a set of rights as bits (the verbs {@code ibv_access_flags} values).
     *
     * @param access the rights
     * @return the bit set
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a null set or element
     */
    public static int toBits(Set<Access> access) {
        requireNoNull(access);
        int bits = 0;
        for (Access a : access) {
            bits |= a.bit;
        }
        return bits;
    }

    /**
     * Decodes rights from bits.
     *
     * @param bits a value produced by {@link #toBits(Set)}
     * @return the rights, as a new mutable set
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} if unknown bits are set
     */
    public static Set<Access> fromBits(int bits) {
        Set<Access> set = java.util.EnumSet.noneOf(Access.class);
        int rest = bits;
        for (Access a : values()) {
            if ((bits & a.bit) != 0) {
                set.add(a);
                rest &= ~a.bit;
            }
        }
        if (rest != 0) {
            throw FabricException.invalid("unknown access bits 0x" + Integer.toHexString(rest)
                    + " in 0x" + Integer.toHexString(bits) + "; known bits are LOCAL_WRITE=1, REMOTE_WRITE=2, REMOTE_READ=4, REMOTE_ATOMIC=8");
        }
        return set;
    }

    /**
     * Checks the verbs rule that remote write and remote atomic access require local write.
     *
     * @param access the requested rights
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} naming the missing right, or for a null set or element
     */
    public static void validate(Set<Access> access) {
        requireNoNull(access);
        if (access.contains(REMOTE_WRITE) && !access.contains(LOCAL_WRITE)) {
            throw FabricException.invalid("access " + access + " grants REMOTE_WRITE without LOCAL_WRITE; "
                    + "remote write requires local write, add Access.LOCAL_WRITE");
        }
        if (access.contains(REMOTE_ATOMIC) && !access.contains(LOCAL_WRITE)) {
            throw FabricException.invalid("access " + access + " grants REMOTE_ATOMIC without LOCAL_WRITE; "
                    + "remote atomics require local write, add Access.LOCAL_WRITE");
        }
    }

    /** Throws {@link ErrorCode#INVALID_ARGUMENT} for a null set or element (also for sets whose contains(null) throws). */
    static void requireNoNull(Set<Access> access) {
        if (access == null || access.stream().anyMatch(java.util.Objects::isNull)) {
            throw FabricException.invalid("access set " + access + " is null or holds null; pass the rights to grant, e.g. "
                    + "EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE), or an empty set for none");
        }
    }
}
