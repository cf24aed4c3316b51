package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class ConfigRecordTest {
    private static final ConfigRecord SAMPLE = new ConfigRecord(SlamState.ATTEMPTING_WRITE_AGAIN, 7, 0x1234_5678_9abc_def0L, 10, -5,
            ConfigRecord.FLAG_READY, 0xCAFE);

    @Test
    void roundTripsAndPublishesAsASeqlock() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(256);
            SAMPLE.writeTo(m, 64);
            assertEquals(SAMPLE, ConfigRecord.read(m, 64));
            assertTrue(ConfigRecord.read(m, 64).ready());
            ConfigRecord first = SAMPLE.publish(m, 0);
            ConfigRecord second = SAMPLE.publish(m, 0);
            assertEquals(0, first.sequence() % 2);
            assertEquals(first.sequence() + 2, second.sequence());
            assertEquals(second, ConfigRecord.read(m, 0));
            assertNull(ConfigRecord.read(m, 128), "an empty record is not a record");
        }
    }

    @Test
    void tornOrCorruptRecordsAreNeverActedOn() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(64);
            for (int bit = 0; bit < 64 * 8; bit++) {
                SAMPLE.writeTo(m, 0);
                byte b = m.get(ValueLayout.JAVA_BYTE, bit / 8);
                m.set(ValueLayout.JAVA_BYTE, bit / 8, (byte) (b ^ (1 << (bit % 8))));
                assertNull(ConfigRecord.read(m, 0), "bit " + bit);
            }
            // a writer caught mid-update: odd sequence number with a valid checksum
            new ConfigRecord(SlamState.CONNECTED, 1, 2, 11, 0, 0, 0).writeTo(m, 0);
            assertNull(ConfigRecord.read(m, 0));
            // a record torn between two versions: first half new, second half old
            MemorySegment old = arena.allocate(64);
            SAMPLE.writeTo(old, 0);
            new ConfigRecord(SlamState.CONNECTED, 8, 9, 12, 0, 0, 0).writeTo(m, 0);
            MemorySegment.copy(old, 32, m, 32, 32);
            assertNull(ConfigRecord.read(m, 0));
        }
    }
}
