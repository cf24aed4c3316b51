package dev.weft.provider.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The frame codec and the order of the header checks. */
class WireTest {
    private static byte[] frame(byte op, int payload) {
        byte[] b = new byte[Wire.HEADER_SIZE];
        Wire.header(b, 0, op, 0, payload, 7, 42, 0x1000, 0xfeedL, 1, 2);
        return b;
    }

    @Test
    void headerRoundTrips() {
        byte[] b = new byte[Wire.HEADER_SIZE];
        Wire.header(b, 0, Wire.OP_CMP_SWAP, 3, 0, 0xCAFEBABE, Long.MIN_VALUE, -1L, 0x0123456789abcdefL, Long.MAX_VALUE, -2);
        assertEquals(0x5754, Wire.getShort(b, 0));
        assertEquals(Wire.VERSION, b[2]);
        assertEquals(Wire.OP_CMP_SWAP, b[3]);
        assertEquals(Wire.HEADER_SIZE, Wire.getShort(b, 4));
        assertEquals(3, Wire.getShort(b, 6));
        assertEquals(0xCAFEBABE, Wire.getInt(b, 12));
        assertEquals(Long.MIN_VALUE, Wire.getLong(b, 16));
        assertEquals(-1L, Wire.getLong(b, 24));
        assertEquals(0x0123456789abcdefL, Wire.getLong(b, 32));
        assertEquals(Long.MAX_VALUE, Wire.getLong(b, 40));
        assertEquals(-2L, Wire.getLong(b, 48));
        assertNull(Wire.checkHeader(b, 0, 1 << 20));
    }

    @Test
    void checksRunInTheDocumentedOrder() {
        byte[] b = frame((byte) 99, 1 << 30);
        b[0] = 0;
        b[2] = 9;
        assertTrue(Wire.checkHeader(b, 0, 1024).startsWith("bad magic"), "magic first");
        b = frame((byte) 99, 1 << 30);
        b[2] = 9;
        assertTrue(Wire.checkHeader(b, 0, 1024).startsWith("unsupported frame version"), "then version");
        b = frame((byte) 99, 1 << 30);
        Wire.putShort(b, 4, 40);
        assertTrue(Wire.checkHeader(b, 0, 1024).startsWith("unknown opcode"), "then opcode");
        b = frame(Wire.OP_WRITE, 1 << 30);
        Wire.putShort(b, 4, 40);
        assertTrue(Wire.checkHeader(b, 0, 1024).startsWith("header size"), "then header size");
        b = frame(Wire.OP_WRITE, 1025);
        assertTrue(Wire.checkHeader(b, 0, 1024).contains("exceeds the negotiated maximum"), "then the length, before any allocation");
        b = frame(Wire.OP_WRITE, -1);
        assertTrue(Wire.checkHeader(b, 0, Integer.MAX_VALUE).contains("exceeds"), "lengths are unsigned");
        b = frame(Wire.OP_READ, 8);
        assertTrue(Wire.checkHeader(b, 0, 1024).contains("carries no payload"));
        assertNull(Wire.checkHeader(frame(Wire.OP_WRITE, 1024), 0, 1024));
    }

    @Test
    void randomFramesNeverPassUnnoticed() {
        Random random = new Random(7);
        int accepted = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] b = new byte[Wire.HEADER_SIZE];
            random.nextBytes(b);
            if (i % 2 == 0) {
                Wire.putShort(b, 0, Wire.MAGIC);
                b[2] = Wire.VERSION;
                Wire.putShort(b, 4, Wire.HEADER_SIZE);
            }
            String verdict = Wire.checkHeader(b, 0, 1 << 20);
            if (verdict == null) {
                accepted++;
                assertTrue(Wire.isKnown(b[3]));
                assertTrue((Wire.getInt(b, 8) & 0xffffffffL) <= 1 << 20);
            }
        }
        assertTrue(accepted < 5_000, "random frames are mostly rejected, got " + accepted);
    }

    @Test
    void boundsCheckIsOverflowSafe() {
        long base = 0x7000_0000_0000L;
        long len = 4096;
        assertTrue(Wire.inBounds(base, len, base, len), "exact fit");
        assertTrue(Wire.inBounds(base, len, base + len - 8, 8), "exact fit at the end");
        assertTrue(Wire.inBounds(base, len, base + len, 0), "empty access at the end");
        assertFalse(Wire.inBounds(base, len, base - 1, 8), "below the base");
        assertFalse(Wire.inBounds(base, len, base + len - 7, 8), "one past the end");
        assertFalse(Wire.inBounds(base, len, base + 8, Long.MAX_VALUE), "huge length");
        assertFalse(Wire.inBounds(base, len, base - 8, 16), "address + length wraps 2^64 into the region");
        assertFalse(Wire.inBounds(-16, 64, -16 + 32, 64), "region at the top of the address space");
        assertTrue(Wire.inBounds(-64, 64, -8, 8), "last word of the address space");
        assertFalse(Wire.inBounds(base, len, base, -1), "negative length");
    }

    @Test
    void statusMapping() {
        assertEquals(dev.weft.Status.SUCCESS, Wire.toStatus(Wire.ST_OK));
        assertEquals(dev.weft.Status.REMOTE_ACCESS_ERROR, Wire.toStatus(Wire.ST_REMOTE_ACCESS));
        assertEquals(dev.weft.Status.REMOTE_INVALID_REQUEST, Wire.toStatus(Wire.ST_REMOTE_INVALID));
        assertEquals(dev.weft.Status.RNR_RETRY_EXCEEDED, Wire.toStatus(Wire.ST_RNR));
        assertEquals(dev.weft.Status.REMOTE_OPERATION_ERROR, Wire.toStatus(77));
    }
}
