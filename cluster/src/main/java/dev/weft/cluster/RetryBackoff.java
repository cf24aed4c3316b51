package dev.weft.cluster;

/**
 * The pause a {@link ConnectionManager} takes in {@code Error} before it tries again: it starts at {@code retryMin} and
 * doubles up to {@code retryMax}, and it starts again at {@code retryMin} only after a session (a stay in
 * {@code Connected}) that lasted at least {@code retryMax}. A session that keeps failing soon after it formed (a
 * flapping link) is therefore retried ever more slowly, not every {@code retryMin}; failures before any session formed
 * double it too.
 *
 * <p>Times are {@link System#nanoTime()} values passed in by the caller, so the policy can be tested without waiting.
 * Not thread-safe: one manager's thread owns an instance.
 */
final class RetryBackoff {

    private final long minNanos;
    private final long maxNanos;
    private long next;
    private long sessionStart;
    private boolean inSession;

    /**
     * @param minNanos the first pause, positive
     * @param maxNanos the largest pause and the length of a session that counts as stable, at least {@code minNanos}
     */
    RetryBackoff(long minNanos, long maxNanos) {
        if (minNanos <= 0 || maxNanos < minNanos) {
            throw new IllegalArgumentException("back-off range " + minNanos + ".." + maxNanos + " ns: need 0 < min <= max");
        }
        this.minNanos = minNanos;
        this.maxNanos = maxNanos;
        this.next = minNanos;
    }

    /** A session formed (the manager entered {@code Connected}) at {@code now}. */
    void sessionStarted(long now) {
        sessionStart = now;
        inSession = true;
    }

    /**
     * The manager entered {@code Error} at {@code now}: the pause to take before it retries.
     *
     * @return nanoseconds, between {@code minNanos} and {@code maxNanos}
     */
    long pauseAfterError(long now) {
        if (inSession) {
            inSession = false;
            if (now - sessionStart >= maxNanos) {
                next = minNanos; // a stable session ended: start afresh
            }
        }
        long pause = next;
        next = pause > maxNanos / 2 ? maxNanos : pause * 2; // doubling a pause up to half the maximum stays within it
        return pause;
    }
}
