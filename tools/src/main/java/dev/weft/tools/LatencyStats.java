package dev.weft.tools;

import java.util.Arrays;

/** Percentiles of per-iteration times recorded into a preallocated array. Not thread-safe. */
final class LatencyStats {
    private final long[] nanos;
    private int count;

    LatencyStats(int capacity) {
        nanos = new long[capacity];
    }

    void record(long value) {
        nanos[count++] = value;
    }

    /** Forgets the samples recorded so far (the warm-up's). */
    void clear() {
        count = 0;
    }

    int count() {
        return count;
    }

    /** Sorts the samples; call once after the run. */
    void finish() {
        Arrays.sort(nanos, 0, count);
    }

    /** @param fraction 0..1 @return the sample at that rank (nearest-rank), in microseconds */
    double percentileMicros(double fraction) {
        if (count == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(fraction * count) - 1;
        return nanos[Math.max(0, Math.min(count - 1, rank))] / 1000.0;
    }

    double averageMicros() {
        if (count == 0) {
            return Double.NaN;
        }
        double sum = 0;
        for (int i = 0; i < count; i++) {
            sum += nanos[i];
        }
        return sum / count / 1000.0;
    }
}
