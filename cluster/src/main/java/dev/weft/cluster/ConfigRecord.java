package dev.weft.cluster;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * A node's 64-byte configuration record, the unit that slam connect reads and writes by RDMA.
 * Big-endian; documented in {@code docs/cluster.md}:
 *
 * <pre>
 * offset size field
 *  0     4   magic 0x57434C52 ("WCLR")
 *  4     2   version (1)
 *  6     2   state (SlamState code: 0..5, 6 Connected, 7 Error)
 *  8     8   node id
 * 16     8   incarnation (random at every start of the node)
 * 24     8   sequence number (seqlock: odd while the owner rewrites the record)
 * 32     8   the partner incarnation this record refers to (0: none yet)
 * 40     4   flags (bit 0: ready — client endpoints are created)
 * 44     4   CRC-32C of the client directory
 * 48    12   reserved, 0
 * 60     4   CRC-32C of bytes 0..59
 * </pre>
 *
 * A record whose magic, version or checksum is wrong, or whose sequence number is odd, is torn
 * or corrupt and is never acted on ({@link #read} returns {@code null}). Immutable.
 *
 * @param state the writer's state
 * @param nodeId the writer's node id
 * @param incarnation the writer's incarnation
 * @param sequence the seqlock sequence number (even)
 * @param peerIncarnation the partner incarnation the writer refers to
 * @param flags bit 0 = ready
 * @param directoryCrc checksum of the writer's client directory
 */
public record ConfigRecord(SlamState state, long nodeId, long incarnation, long sequence, long peerIncarnation, int flags,
                           int directoryCrc) {
    /** Size in bytes. */
    public static final int SIZE = 64;
    /** Magic number. */
    public static final int MAGIC = 0x57434C52;
    /** Record layout version. */
    public static final int VERSION = 1;
    /** Flag: the writer created its client endpoints. */
    public static final int FLAG_READY = 1;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /** @return {@code true} if the ready flag is set */
    public boolean ready() {
        return (flags & FLAG_READY) != 0;
    }

    /**
     * Writes the whole record (with its checksum) at {@code offset}. Not a seqlock update: use
     * it on a staging buffer that is then sent with one RDMA write, or through {@link #publish}.
     *
     * @param target where to write
     * @param offset byte offset
     */
    public void writeTo(MemorySegment target, long offset) {
        MemorySegment r = target.asSlice(offset, SIZE);
        r.set(INT, 0, MAGIC);
        r.set(SHORT, 4, (short) VERSION);
        r.set(SHORT, 6, (short) state.code());
        r.set(LONG, 8, nodeId);
        r.set(LONG, 16, incarnation);
        r.set(LONG, 24, sequence);
        r.set(LONG, 32, peerIncarnation);
        r.set(INT, 40, flags);
        r.set(INT, 44, directoryCrc);
        r.asSlice(48, 12).fill((byte) 0);
        r.set(INT, 60, checksum(r));
    }

    /**
     * Rewrites a record in place as a seqlock writer: the sequence number is odd while the
     * fields change, so that a concurrent RDMA read sees either the old record, the new one, or
     * something {@link #read} rejects.
     *
     * @param target the owner's memory
     * @param offset byte offset
     * @return the record as written (with its new even sequence number)
     */
    public ConfigRecord publish(MemorySegment target, long offset) {
        long previous = target.get(LONG, offset + 24);
        long odd = (previous | 1) + ((previous & 1) == 0 ? 0 : 2);
        target.set(LONG, offset + 24, odd);
        java.lang.invoke.VarHandle.fullFence();
        ConfigRecord stable = new ConfigRecord(state, nodeId, incarnation, odd + 1, peerIncarnation, flags, directoryCrc);
        stable.writeTo(target, offset);
        java.lang.invoke.VarHandle.fullFence();
        return stable;
    }

    /**
     * Reads and validates a record.
     *
     * @param source memory holding the record (a local copy of a remote one, or the inbox)
     * @param offset byte offset
     * @return the record, or {@code null} if it is empty, torn or corrupt
     */
    public static ConfigRecord read(MemorySegment source, long offset) {
        MemorySegment r = source.asSlice(offset, SIZE);
        if (r.get(INT, 0) != MAGIC || r.get(SHORT, 4) != VERSION || r.get(INT, 60) != checksum(r)) {
            return null;
        }
        long seq = r.get(LONG, 24);
        SlamState state = SlamState.ofCode(r.get(SHORT, 6));
        if ((seq & 1) != 0 || state == null) {
            return null;
        }
        return new ConfigRecord(state, r.get(LONG, 8), r.get(LONG, 16), seq, r.get(LONG, 32), r.get(INT, 40), r.get(INT, 44));
    }

    private static int checksum(MemorySegment record) {
        CRC32C crc = new CRC32C();
        crc.update(record.asSlice(0, 60).asByteBuffer());
        return (int) crc.getValue();
    }
}
