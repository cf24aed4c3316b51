package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The wait of a closing fabric that saw its device removed, until librdmacm no longer lists the device
 * ({@link VerbsFabric#stillListedAfter}), on its own: the removal tests of {@code VerbsOnRxeTest} go
 * through it against a real device, where the kernel decides how often it is asked.
 */
class DeviceReleaseWaitTest {
    /** Answers {@code true} for the first {@code listedFor} questions, then {@code false}; counts them. */
    private static final class Listing implements BooleanSupplier {
        final AtomicInteger asked = new AtomicInteger();
        private final int listedFor;

        Listing(int listedFor) {
            this.listedFor = listedFor;
        }

        @Override
        public boolean getAsBoolean() {
            return asked.incrementAndGet() <= listedFor;
        }
    }

    @Test
    void withoutARemovalItAsksOnce() {
        Listing listing = new Listing(Integer.MAX_VALUE);
        assertTrue(VerbsFabric.stillListedAfter(listing, 0), "still listed: the answer it got");
        assertEquals(1, listing.asked.get());
        Listing gone = new Listing(0);
        assertFalse(VerbsFabric.stillListedAfter(gone, 0));
        assertEquals(1, gone.asked.get());
    }

    @Test
    void itStopsAskingOnceTheDeviceIsGone() {
        Listing listing = new Listing(3);
        assertFalse(VerbsFabric.stillListedAfter(listing, TimeUnit.SECONDS.toNanos(30)),
                "the device left the list on the fourth question");
        assertEquals(4, listing.asked.get(), "no question after the first 'not listed'");
    }

    @Test
    void aDeviceThatStaysListedEndsTheWaitAfterThePatience() {
        Listing listing = new Listing(Integer.MAX_VALUE);
        long patience = TimeUnit.MILLISECONDS.toNanos(200);
        long start = System.nanoTime();
        assertTrue(VerbsFabric.stillListedAfter(listing, patience), "still listed when the patience ran out");
        long waited = System.nanoTime() - start;
        assertTrue(waited >= patience, "gave up after " + waited + " ns, before its patience of " + patience + " ns");
        assertTrue(listing.asked.get() >= 2 && listing.asked.get() <= 11,
                "asked " + listing.asked.get() + " times in 200 ms; it asks every 20 ms, so 2 to 11 times");
    }

    @Test
    void anInterruptEndsTheWaitAndStaysSet() {
        Listing listing = new Listing(Integer.MAX_VALUE);
        Thread.currentThread().interrupt();
        try {
            assertTrue(VerbsFabric.stillListedAfter(listing, TimeUnit.SECONDS.toNanos(30)));
            assertEquals(1, listing.asked.get(), "an interrupted close does not keep asking");
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the caller");
        } finally {
            Thread.interrupted();
        }
    }
}
