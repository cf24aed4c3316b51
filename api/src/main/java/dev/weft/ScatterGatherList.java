package dev.weft;

/**
 * A caller-owned, reusable list of local segments for one work request, like an array of
 * {@code ibv_sge}. Allocate it once with a fixed capacity, then {@link #clear()} and
 * {@link #add(MemoryRegion, long, int)} for each request; it never allocates after construction.
 *
 * <p><b>Lifetime.</b> A provider reads the list only during the post call; the list may be
 * reused as soon as post returns. The memory it names must stay untouched until the
 * completion, as with single-segment posts.
 *
 * <p><b>Threading.</b> Not thread-safe: confine each list to one thread.
 */
public final class ScatterGatherList {
    private final MemoryRegion[] regions;
    private final long[] offsets;
    private final int[] lengths;
    private int size;

    /**
     * Creates an empty list.
     *
     * @param capacity the most entries it can hold, 1 .. 1024 (an endpoint takes at most
     *        {@link Limits#maxScatterGather()} of them in one request)
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a capacity out of that range
     */
    public ScatterGatherList(int capacity) {
        if (capacity < 1 || capacity > 1024) {
            throw FabricException.invalid("scatter-gather capacity " + capacity + " is out of range 1..1024");
        }
        regions = new MemoryRegion[capacity];
        offsets = new long[capacity];
        lengths = new int[capacity];
    }

    /**
     * Removes every entry.
     *
     * @return this list
     */
    public ScatterGatherList clear() {
        java.util.Arrays.fill(regions, 0, size, null);
        size = 0;
        return this;
    }

    /**
     * Appends a segment. Bounds are checked when the request is posted.
     *
     * @param region registered local memory
     * @param offset byte offset within the region
     * @param length byte count
     * @return this list
     * @throws IllegalStateException if the list is full
     */
    public ScatterGatherList add(MemoryRegion region, long offset, int length) {
        if (size == regions.length) {
            throw new IllegalStateException("scatter-gather list is full (capacity " + regions.length + ")");
        }
        regions[size] = region;
        offsets[size] = offset;
        lengths[size] = length;
        size++;
        return this;
    }

    /** @return the number of entries */
    public int size() {
        return size;
    }

    /** @return the most entries this list can hold */
    public int capacity() {
        return regions.length;
    }

    /**
     * @param index entry index, 0 .. size-1
     * @return the entry's region
     */
    public MemoryRegion region(int index) {
        check(index);
        return regions[index];
    }

    /**
     * @param index entry index, 0 .. size-1
     * @return the entry's offset within its region
     */
    public long offset(int index) {
        check(index);
        return offsets[index];
    }

    /**
     * @param index entry index, 0 .. size-1
     * @return the entry's byte count
     */
    public int length(int index) {
        check(index);
        return lengths[index];
    }

    /** @return the sum of all entries' lengths, or -1 if it exceeds {@code Integer.MAX_VALUE} or an entry is negative */
    public long totalLength() {
        long total = 0;
        for (int i = 0; i < size; i++) {
            if (lengths[i] < 0) {
                return -1;
            }
            total += lengths[i];
        }
        return total > Integer.MAX_VALUE ? -1 : total;
    }

    private void check(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("entry " + index + " of a list of " + size);
        }
    }
}
