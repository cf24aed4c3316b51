package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RetryBackoffTest {

    private static final long MS = 1_000_000L;

    @Test
    void failuresBeforeAnySessionDoubleThePauseUpToTheMaximum() {
        RetryBackoff b = new RetryBackoff(100 * MS, 2_000 * MS);
        long[] expected = {100, 200, 400, 800, 1_600, 2_000, 2_000};
        for (long e : expected) {
            assertEquals(e * MS, b.pauseAfterError(0));
        }
    }

    @Test
    void aFlappingSessionKeepsDoubling() {
        RetryBackoff b = new RetryBackoff(100 * MS, 2_000 * MS);
        long now = 0;
        long[] expected = {100, 200, 400, 800, 1_600, 2_000};
        for (long e : expected) {
            b.sessionStarted(now);
            now += 500 * MS; // each session fails half a second after it formed, shorter than retryMax
            long pause = b.pauseAfterError(now);
            assertEquals(e * MS, pause, "a session shorter than retryMax must not reset the back-off");
            now += pause;
        }
    }

    @Test
    void aStableSessionStartsTheBackOffAfresh() {
        RetryBackoff b = new RetryBackoff(100 * MS, 2_000 * MS);
        for (int i = 0; i < 5; i++) {
            b.pauseAfterError(0);
        }
        b.sessionStarted(10_000 * MS);
        assertEquals(100 * MS, b.pauseAfterError(12_000 * MS), "a session of exactly retryMax counts as stable");
        assertEquals(200 * MS, b.pauseAfterError(12_100 * MS), "a failure with no session in between doubles again");
        b.sessionStarted(20_000 * MS);
        assertEquals(400 * MS, b.pauseAfterError(21_999 * MS), "a session 1 ms short of retryMax is a flap");
    }

    @Test
    void doublingNeverOverflows() {
        RetryBackoff b = new RetryBackoff(Long.MAX_VALUE / 3, Long.MAX_VALUE - 1);
        assertEquals(Long.MAX_VALUE / 3, b.pauseAfterError(0));
        assertEquals(Long.MAX_VALUE / 3 * 2, b.pauseAfterError(0));
        assertEquals(Long.MAX_VALUE - 1, b.pauseAfterError(0));
        assertEquals(Long.MAX_VALUE - 1, b.pauseAfterError(0));
    }

    @Test
    void anEmptyOrReversedRangeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RetryBackoff(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new RetryBackoff(20, 10));
    }
}
