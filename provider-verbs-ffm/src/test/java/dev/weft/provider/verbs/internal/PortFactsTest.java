package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Transport;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code weft info} says about a port: its state by name, and its RoCE version as rdma_cm will use it. */
class PortFactsTest {
    @Test
    void everyPortStateHasItsName() {
        assertEquals("DOWN", Device.portStateName(1));
        assertEquals("INIT", Device.portStateName(2));
        assertEquals("ARMED", Device.portStateName(3));
        assertEquals("ACTIVE", Device.portStateName(4));
        assertEquals("ACTIVE_DEFER", Device.portStateName(5));
        assertEquals("STATE 0", Device.portStateName(0));
    }

    @Test
    void anArmedPortIsShownArmedNotDown() {
        Device d = new Device(MemorySegment.NULL, "mlx5_0", 1L, Transport.INFINIBAND, 1, 3, 4096, 1024, 4, 4096, Long.MAX_VALUE, 16, 16,
                true, "", List.of(), 0x02c9, Integer.MAX_VALUE, "");
        assertEquals("1 ARMED", d.info(java.time.Duration.ofSeconds(2)).attributes().get("port"));
        assertTrue(!d.portActive());
    }

    @Test
    void roceIsWhatRdmaCmUsesAndBothGidTypesAreShown() {
        assertEquals(Transport.ROCE_V2, Device.roceTransport(true, null), "rdma_cm prefers v2 where the port has v2 GIDs");
        assertEquals(Transport.ROCE_V1, Device.roceTransport(false, null));
        assertEquals(Transport.ROCE_V1, Device.roceTransport(true, "IB/RoCE v1"), "configfs default_roce_mode wins");
        assertEquals(Transport.ROCE_V2, Device.roceTransport(true, "RoCE v2"));
        String both = Device.roceText(true, true, null);
        assertTrue(both.contains("v1 and v2") && both.contains("rdma_cm uses v2"), both);
        String configured = Device.roceText(true, true, "IB/RoCE v1");
        assertTrue(configured.contains("rdma_cm uses v1") && configured.contains("default_roce_mode"), configured);
    }
}
