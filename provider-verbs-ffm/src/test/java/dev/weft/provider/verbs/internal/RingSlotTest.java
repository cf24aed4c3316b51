package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

/**
 * The ring of an endpoint's outstanding requests has a power of two of slots, at least the queue's
 * depth, so that a post finds its slot with a mask instead of a division (see {@link VerbsEndpoint#slotMask}).
 * The data path itself is exercised by the TCK on the testbed's devices.
 */
class RingSlotTest {
    @Test
    void theMaskCoversTheDepthWithThePowerOfTwoAtOrAboveIt() {
        assertEquals(0, VerbsEndpoint.slotMask(1), "a queue of one request has one slot");
        assertEquals(1, VerbsEndpoint.slotMask(2));
        assertEquals(3, VerbsEndpoint.slotMask(3));
        assertEquals(3, VerbsEndpoint.slotMask(4));
        assertEquals(7, VerbsEndpoint.slotMask(5));
        assertEquals(127, VerbsEndpoint.slotMask(128), "the provider's default depth is a power of two already");
        assertEquals(255, VerbsEndpoint.slotMask(129));
        assertEquals((1 << 15) - 1, VerbsEndpoint.slotMask(1 << 15), "a real HCA's max_qp_wr");
        assertEquals((1 << 22) - 1, VerbsEndpoint.slotMask((1 << 21) + 1));
    }

    @Test
    void consecutiveRequestsTakeEverySlotOnceBeforeTheFirstComesRound() {
        for (int depth : new int[] {1, 3, 100, 128}) {
            int mask = VerbsEndpoint.slotMask(depth);
            int slots = mask + 1;
            boolean[] seen = new boolean[slots];
            long start = (1L << 33) - 7; // request numbers are longs: the slot comes from their low bits across 2^32
            for (long n = start; n < start + slots; n++) {
                int slot = (int) n & mask;
                assertFalse(seen[slot], "depth " + depth + ": slot " + slot + " taken twice within one round");
                seen[slot] = true;
            }
            assertEquals((int) start & mask, (int) (start + slots) & mask, "depth " + depth + ": the ring wraps after its slot count");
        }
    }
}
