package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_RECV_WR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_SEND_WR;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.provider.verbs.internal.nat.C;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The block of native structures an endpoint's posts touch ({@link HotBlock}): page-aligned, its parts
 * apart and naturally aligned, small enough for one page at the gather list lengths soft devices grant,
 * and wired the way the post path relies on. The posts themselves run in the TCK on the testbed's devices.
 */
class HotBlockTest {
    private static final int[] MAX_SGES = {1, 2, 4, 16, 30, 32, 256};

    /**
     * The inline payload a queue pair of {@code maxSge} gather entries may be granted: Weft asks for 64 bytes, and rxe
     * grants what its send queue entry holds, the larger of the request and the gather list (16 bytes an entry).
     */
    private static int inlineFor(int maxSge) {
        return Math.max(64, 16 * maxSge);
    }

    @Test
    void theBlockStartsOnAPageAndItsPartsNeitherOverlapNorLeaveIt() {
        for (int maxSge : MAX_SGES) {
            try (Arena arena = Arena.ofConfined()) {
                HotBlock hot = HotBlock.allocate(arena, maxSge, inlineFor(maxSge));
                long start = hot.sendWr().address();
                long size = HotBlock.layout(maxSge, inlineFor(maxSge)).byteSize();
                assertEquals(0, start % C.PAGE, "maxSge " + maxSge + ": the block starts on a page boundary");
                List<MemorySegment> parts = Arrays.asList(hot.sendWr(), hot.sendSges(), hot.badSendWr(), hot.recvWr(),
                        hot.recvSges(), hot.badRecvWr(), hot.inline());
                for (MemorySegment part : parts) {
                    assertEquals(0, part.address() % 8, "maxSge " + maxSge + ": every part at its natural (8-byte) alignment");
                    assertTrue(part.address() >= start && part.address() + part.byteSize() <= start + size,
                            "maxSge " + maxSge + ": every part inside the block");
                }
                List<MemorySegment> byAddress = parts.stream().sorted(Comparator.comparingLong(MemorySegment::address)).toList();
                for (int i = 1; i < byAddress.size(); i++) {
                    MemorySegment before = byAddress.get(i - 1);
                    assertTrue(before.address() + before.byteSize() <= byAddress.get(i).address(),
                            "maxSge " + maxSge + ": parts " + (i - 1) + " and " + i + " (by address) overlap");
                }
                assertEquals(maxSge * 16L, hot.sendSges().byteSize(), "a gather list holds maxSge 16-byte ibv_sge");
                assertEquals(maxSge * 16L, hot.recvSges().byteSize());
                assertEquals(inlineFor(maxSge), hot.inline().byteSize(), "the inline staging buffer holds what the queue pair grants");
            }
        }
    }

    @Test
    void atTheGatherListsSoftDevicesGrantTheBlockIsOnePage() {
        // an endpoint asks for min(its config's, the device's) gather entries; rxe grants at most 32 (RXE_MAX_SGE), siw fewer
        for (int maxSge = 1; maxSge <= 32; maxSge++) {
            assertTrue(HotBlock.layout(maxSge, inlineFor(maxSge)).byteSize() <= C.PAGE,
                    "maxSge " + maxSge + ": " + HotBlock.layout(maxSge, inlineFor(maxSge)).byteSize() + " bytes do not fit one page");
        }
    }

    @Test
    void theBlockComesWired() {
        for (int maxSge : MAX_SGES) {
            try (Arena arena = Arena.ofConfined()) {
                HotBlock hot = HotBlock.allocate(arena, maxSge, inlineFor(maxSge));
                assertEquals(hot.sendSges().address(), hot.sendWr().get(C.PTR, offset(IBV_SEND_WR, "sg_list")).address(),
                        "the send request's sg_list points at the send gather list");
                assertEquals(hot.recvSges().address(), hot.recvWr().get(C.PTR, offset(IBV_RECV_WR, "sg_list")).address(),
                        "the receive request's sg_list points at the receive gather list");
                assertEquals(hot.sendWr().address(), hot.badSendWr().get(C.PTR, 0).address(),
                        "post_send's bad_wr cell names the send request until a driver writes it");
                assertEquals(hot.recvWr().address(), hot.badRecvWr().get(C.PTR, 0).address(),
                        "post_recv's bad_wr cell names the receive request until a driver writes it");
            }
        }
    }

    @Test
    void aQueuePairWithoutGatherEntriesIsRefused() {
        try (Arena arena = Arena.ofConfined()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HotBlock.allocate(arena, 0, 64));
            assertTrue(e.getMessage().contains("maxSge is 0") && e.getMessage().contains("at least one"), e.getMessage());
        }
    }
}
