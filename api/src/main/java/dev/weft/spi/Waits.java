package dev.weft.spi;

import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What every provider's listener does the same way: a caller's {@link Duration} turned into a
 * deadline without overflow, a blocking take that a close ends promptly, and the list of
 * published names. Stateless; thread-safe.
 */
public final class Waits {
    /** How often a waiting thread looks whether its object was closed. */
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private Waits() {
    }

    /**
     * @param timeout a caller's timeout
     * @param what what it is for, for the message if it is null (e.g. "the accept timeout")
     * @return its length in nanoseconds: 0 for a negative one, {@link Long#MAX_VALUE} for one too long to count in
     *         nanoseconds (about 292 years)
     * @throws FabricException with {@link dev.weft.ErrorCode#INVALID_ARGUMENT} if it is null
     */
    public static long nanos(Duration timeout, String what) {
        if (timeout == null) {
            throw FabricException.invalid(what + " is null; pass a Duration, e.g. Duration.ofSeconds(5), or Duration.ZERO not to wait");
        }
        if (timeout.isNegative()) {
            return 0;
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Takes the next element, waiting up to {@code nanos}, and gives up as soon as {@code open} answers false: the
     * wait runs in slices of at most 50 ms, so a close by another thread ends it within one slice.
     *
     * @param queue where the elements arrive
     * @param nanos how long to wait at most
     * @param open whether the owner is still open
     * @param <T> the element type
     * @return the element, or {@code null} on timeout or once the owner is closed (the caller tells them apart)
     * @throws InterruptedException if the thread is interrupted while it waits
     */
    public static <T> T pollWhileOpen(BlockingQueue<T> queue, long nanos, BooleanSupplier open) throws InterruptedException {
        long deadline = System.nanoTime() + Math.min(nanos, Long.MAX_VALUE / 4);
        while (true) {
            long left = deadline - System.nanoTime();
            T next = queue.poll(Math.max(0, Math.min(left, SLICE_NANOS)), TimeUnit.NANOSECONDS);
            if (next != null || left <= SLICE_NANOS || !open.getAsBoolean()) {
                return next;
            }
        }
    }

    /**
     * A listener's {@code accept}: takes the next accepted endpoint, waiting up to {@code timeout}, and ends the wait
     * within one slice when the listener is closed meanwhile.
     *
     * @param queue the accepted endpoints
     * @param timeout the caller's timeout (negative: no wait; too long for nanoseconds: as long as possible)
     * @param open whether the listener is still open
     * @param listener the listener, for the message
     * @param <T> the endpoint type
     * @return the endpoint, or {@code null} if none arrived in time
     * @throws FabricException with {@link dev.weft.ErrorCode#INVALID_ARGUMENT} for a null timeout, or
     *         {@link dev.weft.ErrorCode#CLOSED} if the listener was closed while it waited
     * @throws InterruptedException if the thread is interrupted while it waits
     */
    public static <T> T accept(BlockingQueue<T> queue, Duration timeout, BooleanSupplier open, String listener)
            throws InterruptedException {
        T next = pollWhileOpen(queue, nanos(timeout, "the accept timeout"), open);
        if (next == null && !open.getAsBoolean()) {
            throw FabricException.closed(listener + " (closed while accept waited)");
        }
        return next;
    }

    /**
     * A listener's {@code published()}: the names whose regions are still open, sorted.
     *
     * @param published the published regions by name
     * @return an unmodifiable snapshot
     */
    public static Set<String> openNames(Map<String, ? extends MemoryRegion> published) {
        TreeSet<String> names = new TreeSet<>();
        published.forEach((name, region) -> {
            if (region.isOpen()) {
                names.add(name); // a closed region is no longer offered to connecting peers
            }
        });
        return Collections.unmodifiableSet(names);
    }
}
