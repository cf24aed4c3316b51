package dev.weft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RemoteRegionTest {
    private static final RemoteRegion SAMPLE = new RemoteRegion(0xfedcba9876543210L, 4096, 0x0123456789abcdefL,
            EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE));

    @Test
    void roundTripsThroughBytesAndSegments() {
        byte[] bytes = SAMPLE.encode();
        assertEquals(RemoteRegion.ENCODED_SIZE, bytes.length);
        assertEquals(SAMPLE, RemoteRegion.decode(bytes));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(100);
            SAMPLE.encodeInto(seg, 17);
            assertEquals(SAMPLE, RemoteRegion.decode(seg, 17));
        }
        RemoteRegion none = new RemoteRegion(0, 0, -1, Set.of());
        assertEquals(none, RemoteRegion.decode(none.encode()));
    }

    @Test
    void encodingIsTheDocumentedLayout() {
        byte[] bytes = SAMPLE.encode();
        String hex = HexFormat.of().formatHex(bytes);
        assertEquals("5746", hex.substring(0, 4), "magic");
        assertEquals("01", hex.substring(4, 6), "version");
        assertEquals("07", hex.substring(6, 8), "access bits LOCAL_WRITE|REMOTE_WRITE|REMOTE_READ");
        assertEquals("fedcba9876543210", hex.substring(16, 32), "address, big-endian");
        assertEquals("0000000000001000", hex.substring(32, 48), "length, big-endian");
        assertEquals("0123456789abcdef", hex.substring(48, 64), "key, big-endian");
    }

    @Test
    void rejectsTruncatedAndOversizedInput() {
        byte[] bytes = SAMPLE.encode();
        for (int n : new int[] {0, 1, 16, 31, 33, 64}) {
            byte[] wrong = java.util.Arrays.copyOf(bytes, n);
            FabricException e = assertThrows(FabricException.class, () -> RemoteRegion.decode(wrong));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("expected exactly 32"), e.getMessage());
        }
        assertThrows(FabricException.class, () -> RemoteRegion.decode((byte[]) null));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(40);
            assertTrue(assertThrows(FabricException.class, () -> RemoteRegion.decode(seg, 9)).getMessage().contains("needs 32 bytes"));
            assertThrows(FabricException.class, () -> RemoteRegion.decode(seg, -1));
        }
    }

    @Test
    void rejectsEverySingleBitFlip() {
        byte[] good = SAMPLE.encode();
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            FabricException e = assertThrows(FabricException.class, () -> RemoteRegion.decode(bad), "bit " + bit);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        }
    }

    @Test
    void rejectsRandomGarbage() {
        Random random = new Random(42);
        for (int i = 0; i < 10_000; i++) {
            byte[] garbage = new byte[RemoteRegion.ENCODED_SIZE];
            random.nextBytes(garbage);
            assertThrows(FabricException.class, () -> RemoteRegion.decode(garbage));
        }
    }

    @Test
    void namesTheCorruptField() {
        byte[] bytes = SAMPLE.encode();
        bytes[0] = 0;
        assertTrue(assertThrows(FabricException.class, () -> RemoteRegion.decode(bytes)).getMessage().contains("magic"));
        byte[] v = SAMPLE.encode();
        v[2] = 9;
        assertTrue(assertThrows(FabricException.class, () -> RemoteRegion.decode(v)).getMessage().contains("version 9"));
        byte[] c = SAMPLE.encode();
        c[20] ^= 1;
        assertTrue(assertThrows(FabricException.class, () -> RemoteRegion.decode(c)).getMessage().contains("checksum"));
    }

    @Test
    void rejectsNegativeLengthAndCopiesAccess() {
        assertThrows(FabricException.class, () -> new RemoteRegion(0, -1, 0, Set.of()));
        EnumSet<Access> access = EnumSet.of(Access.REMOTE_READ);
        RemoteRegion r = new RemoteRegion(0, 1, 0, access);
        access.add(Access.REMOTE_WRITE);
        assertEquals(Set.of(Access.REMOTE_READ), r.access());
        assertThrows(UnsupportedOperationException.class, () -> r.access().add(Access.LOCAL_WRITE));
        assertEquals(0L, new RemoteRegion(-8, 16, 0, Set.of()).addressOf(8), "address arithmetic wraps like 64-bit hardware");
    }

    @Test
    void accessBitsMatchVerbsAndRule() {
        assertEquals(1, Access.LOCAL_WRITE.bit());
        assertEquals(2, Access.REMOTE_WRITE.bit());
        assertEquals(4, Access.REMOTE_READ.bit());
        assertEquals(8, Access.REMOTE_ATOMIC.bit());
        assertEquals(EnumSet.allOf(Access.class), Access.fromBits(15));
        assertThrows(FabricException.class, () -> Access.fromBits(16));
        FabricException w = assertThrows(FabricException.class, () -> Access.validate(EnumSet.of(Access.REMOTE_WRITE)));
        assertTrue(w.getMessage().contains("LOCAL_WRITE"));
        assertThrows(FabricException.class, () -> Access.validate(EnumSet.of(Access.REMOTE_ATOMIC, Access.REMOTE_READ)));
        Access.validate(EnumSet.of(Access.REMOTE_READ));
        Access.validate(EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_ATOMIC, Access.REMOTE_WRITE));
    }

    @Test
    void nullsAndUnfitTargetsAreInvalidArguments() {
        Set<Access> withNull = new java.util.HashSet<>();
        withNull.add(null);
        for (Set<Access> bad : java.util.Arrays.asList(null, withNull)) {
            FabricException e = assertThrows(FabricException.class, () -> new RemoteRegion(0, 8, 1, bad));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("empty set for none"), e.getMessage());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(FabricException.class, () -> Access.toBits(bad)).code());
        }
        assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(FabricException.class, () -> RemoteRegion.decode(null, 0)).code());
        assertTrue(assertThrows(FabricException.class, () -> SAMPLE.encodeInto(null, 0)).getMessage().contains("null segment"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment seg = arena.allocate(40);
            FabricException shortTarget = assertThrows(FabricException.class, () -> SAMPLE.encodeInto(seg, 9));
            assertTrue(shortTarget.getMessage().contains("needs 32 bytes at offset 9 but the segment has 31"), shortTarget.getMessage());
            assertThrows(FabricException.class, () -> SAMPLE.encodeInto(seg, -1));
            FabricException readOnly = assertThrows(FabricException.class, () -> SAMPLE.encodeInto(seg.asReadOnly(), 0));
            assertTrue(readOnly.getMessage().contains("read-only"), readOnly.getMessage());
            assertFilledWithZero(seg);
        }
    }

    private static void assertFilledWithZero(MemorySegment seg) {
        for (long i = 0; i < seg.byteSize(); i++) {
            assertEquals(0, seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i), "a refused encode wrote byte " + i);
        }
    }

    @Test
    void statusMirrorsIbvWcStatus() {
        assertEquals(Status.SUCCESS, Status.fromIbvCode(0));
        assertEquals(Status.FLUSHED, Status.fromIbvCode(5));
        assertEquals(Status.REMOTE_ACCESS_ERROR, Status.fromIbvCode(10));
        assertEquals(Status.RNR_RETRY_EXCEEDED, Status.fromIbvCode(13));
        assertEquals(Status.GENERAL_ERROR, Status.fromIbvCode(21));
        assertEquals(Status.GENERAL_ERROR, Status.fromIbvCode(999));
        assertEquals(Status.GENERAL_ERROR, Status.fromIbvCode(-1));
        for (Status s : Status.values()) {
            assertEquals(s, Status.fromIbvCode(s.ibvCode()));
        }
    }
}
