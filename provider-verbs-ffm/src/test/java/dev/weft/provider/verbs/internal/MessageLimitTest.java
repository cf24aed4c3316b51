package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The largest request the provider declares for a device ({@code Limits.maxMessageSize}) is the port's {@code max_msg_sz},
 * read as the unsigned 32-bit count it is, within what an {@code int} length can ask for. Posting a longer request is
 * refused by the TCK's {@code rma_overMaxMessageSizeIsInvalid} on the testbed's devices.
 */
class MessageLimitTest {
    @Test
    void thePortsLimitIsDeclaredAsItIs() {
        assertEquals(8L << 20, Device.messageLimit(0x800000), "rxe's port (RXE_PORT_MAX_MSG_SZ)");
        assertEquals(1L << 30, Device.messageLimit(1 << 30), "a ConnectX port");
        assertEquals(1, Device.messageLimit(1));
    }

    @Test
    void limitsBeyondAnIntLengthAreCappedThere() {
        assertEquals(Integer.MAX_VALUE, Device.messageLimit(-1), "siw's port reports 0xffffffff (4 GiB - 1)");
        assertEquals(Integer.MAX_VALUE, Device.messageLimit(Integer.MIN_VALUE), "2 GiB");
        assertEquals(Integer.MAX_VALUE, Device.messageLimit(Integer.MAX_VALUE));
    }

    @Test
    void aPortThatReportsNoLimitGetsTheLargestIntLength() {
        assertEquals(Integer.MAX_VALUE, Device.messageLimit(0));
    }
}
