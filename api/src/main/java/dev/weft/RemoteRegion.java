package dev.weft;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * What a peer needs to address registered memory: the remote address of its first byte, its
 * length, its remote key, and the rights it grants. A value: immutable and thread-safe.
 *
 * <p>The remote address is provider-defined: a virtual address on verbs, an opaque base on
 * TCP. Operations address byte {@code i} of the region as {@code address() + i}; the target
 * checks every access against the region's bounds and rights.
 *
 * <h2>Binary encoding</h2>
 * A fixed {@value #ENCODED_SIZE}-byte record, all integers big-endian (network order), so that
 * it can travel in connection private data or a configuration record:
 * <pre>
 * offset size field
 *  0      2   magic      0x5746 ("WF")
 *  2      1   version    1
 *  3      1   access     bit set of {@link Access#bit()}: 1 local write, 2 remote write, 4 remote read, 8 remote atomic
 *  4      4   checksum   CRC-32C of bytes 0..3 and 8..31
 *  8      8   address    remote address of the first byte (unsigned)
 * 16      8   length     length in bytes (0 .. 2^63-1)
 * 24      8   key        remote key (unsigned)
 * </pre>
 * {@link #decode(byte[])} rejects input of any other size, another magic or version, unknown
 * access bits, a negative length or a checksum mismatch.
 *
 * @param address remote address of the first byte
 * @param length length in bytes, not negative
 * @param key remote key
 * @param access rights the region grants; an unmodifiable copy is kept
 */
public record RemoteRegion(long address, long length, long key, Set<Access> access) {
    /** Size of the binary encoding in bytes. */
    public static final int ENCODED_SIZE = 32;
    /** Magic number at offset 0 of the encoding. */
    public static final short MAGIC = 0x5746;
    /** Version of the encoding at offset 2. */
    public static final byte VERSION = 1;

    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * Validates and copies the components.
     *
     * @param address remote address of the first byte
     * @param length length in bytes, not negative
     * @param key remote key
     * @param access rights the region grants
     */
    public RemoteRegion {
        if (length < 0) {
            throw FabricException.invalid("remote region length " + length + " is negative; expected 0 or more bytes");
        }
        Access.requireNoNull(access);
        access = Collections.unmodifiableSet(access.isEmpty() ? EnumSet.noneOf(Access.class) : EnumSet.copyOf(access));
    }

    /**
     * Returns the remote address of byte {@code offset} of this region (wrapping, unsigned).
     * No bounds check: the target checks.
     *
     * @param offset byte offset within the region
     * @return {@code address() + offset}
     */
    public long addressOf(long offset) {
        return address + offset;
    }

    /**
     * Encodes this region into {@value #ENCODED_SIZE} bytes.
     *
     * @return a new array
     */
    public byte[] encode() {
        byte[] out = new byte[ENCODED_SIZE];
        encodeInto(MemorySegment.ofArray(out), 0);
        return out;
    }

    /**
     * Encodes this region into {@code target} at {@code offset}. Does not allocate.
     *
     * @param target where to write; must be writable and have {@value #ENCODED_SIZE} bytes from {@code offset}
     * @param offset byte offset in {@code target}
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a null or read-only target, or one too short
     */
    public void encodeInto(MemorySegment target, long offset) {
        if (target == null || target.isReadOnly()) {
            throw FabricException.invalid("cannot encode a remote region into " + (target == null ? "a null segment" : "a read-only segment")
                    + "; pass a writable segment with " + ENCODED_SIZE + " bytes from the offset");
        }
        requireRoom(target, offset);
        MemorySegment out = target.asSlice(offset, ENCODED_SIZE);
        out.set(SHORT_BE, 0, MAGIC);
        out.set(ValueLayout.JAVA_BYTE, 2, VERSION);
        out.set(ValueLayout.JAVA_BYTE, 3, (byte) Access.toBits(access));
        out.set(LONG_BE, 8, address);
        out.set(LONG_BE, 16, length);
        out.set(LONG_BE, 24, key);
        out.set(INT_BE, 4, checksum(out));
    }

    /**
     * Decodes a region from exactly {@value #ENCODED_SIZE} bytes.
     *
     * @param encoded the encoding
     * @return the region
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} naming what is wrong
     */
    public static RemoteRegion decode(byte[] encoded) {
        if (encoded == null) {
            throw FabricException.invalid("encoded remote region is null");
        }
        if (encoded.length != ENCODED_SIZE) {
            throw FabricException.invalid("encoded remote region is " + encoded.length + " bytes; expected exactly " + ENCODED_SIZE);
        }
        return decode(MemorySegment.ofArray(encoded), 0);
    }

    /**
     * Decodes a region from {@value #ENCODED_SIZE} bytes of {@code source} at {@code offset}.
     *
     * @param source where to read
     * @param offset byte offset in {@code source}
     * @return the region
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} naming what is wrong
     */
    public static RemoteRegion decode(MemorySegment source, long offset) {
        if (source == null) {
            throw FabricException.invalid("encoded remote region source is null; pass the segment that holds the "
                    + ENCODED_SIZE + "-byte record");
        }
        requireRoom(source, offset);
        MemorySegment in = source.asSlice(offset, ENCODED_SIZE);
        short magic = in.get(SHORT_BE, 0);
        if (magic != MAGIC) {
            throw FabricException.invalid(String.format("encoded remote region has magic 0x%04x; expected 0x%04x", magic & 0xffff, MAGIC));
        }
        byte version = in.get(ValueLayout.JAVA_BYTE, 2);
        if (version != VERSION) {
            throw FabricException.invalid("encoded remote region has version " + version + "; this library reads version " + VERSION);
        }
        int stored = in.get(INT_BE, 4);
        int computed = checksum(in);
        if (stored != computed) {
            throw FabricException.invalid(String.format("encoded remote region is corrupt: checksum 0x%08x, computed 0x%08x", stored, computed));
        }
        Set<Access> access = Access.fromBits(in.get(ValueLayout.JAVA_BYTE, 3) & 0xff);
        long length = in.get(LONG_BE, 16);
        if (length < 0) {
            throw FabricException.invalid("encoded remote region has negative length " + length);
        }
        return new RemoteRegion(in.get(LONG_BE, 8), length, in.get(LONG_BE, 24), access);
    }

    /** Throws unless {@code segment} has {@value #ENCODED_SIZE} bytes from {@code offset}. */
    private static void requireRoom(MemorySegment segment, long offset) {
        if (offset < 0 || segment.byteSize() - offset < ENCODED_SIZE) {
            throw FabricException.invalid("encoded remote region needs " + ENCODED_SIZE + " bytes at offset " + offset
                    + " but the segment has " + Math.max(0, segment.byteSize() - Math.max(0, offset)));
        }
    }

    private static int checksum(MemorySegment record) {
        CRC32C crc = new CRC32C();
        crc.update(record.asSlice(0, 4).asByteBuffer());
        crc.update(record.asSlice(8, ENCODED_SIZE - 8).asByteBuffer());
        return (int) crc.getValue();
    }

    @Override
    public String toString() {
        return String.format("RemoteRegion[address=0x%x, length=%d, key=0x%x, access=%s]", address, length, key, access);
    }
}
