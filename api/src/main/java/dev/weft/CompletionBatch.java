package dev.weft;

/**
 * A caller-owned, reusable array of {@link Completion} slots that
 * {@link CompletionQueue#poll(CompletionBatch)} fills. Allocate one per polling thread and
 * reuse it: polling allocates nothing.
 *
 * <p><b>Threading.</b> Not thread-safe; confine each batch to one thread.
 */
public final class CompletionBatch {
    private final Completion[] slots;
    private int size;

    /**
     * Creates a batch.
     *
     * @param capacity the most completions one poll returns, 1 .. 65536
     */
    public CompletionBatch(int capacity) {
        if (capacity < 1 || capacity > 65536) {
            throw FabricException.invalid("completion batch capacity " + capacity + " is out of range 1..65536");
        }
        slots = new Completion[capacity];
        for (int i = 0; i < capacity; i++) {
            slots[i] = new Completion();
        }
    }

    /** @return the number of completions of the last poll */
    public int size() {
        return size;
    }

    /** @return the most completions one poll returns */
    public int capacity() {
        return slots.length;
    }

    /**
     * @param index 0 .. size-1
     * @return the slot; valid until this batch is polled into again
     */
    public Completion get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("completion " + index + " of a batch holding " + size);
        }
        return slots[index];
    }

    /** Empties the batch. For providers, at the start of a poll. */
    public void clear() {
        size = 0;
    }

    /** @return {@code true} if no slot is left. For providers. */
    public boolean isFull() {
        return size == slots.length;
    }

    /**
     * Claims the next free slot. For providers: fill it with
     * {@link Completion#set(long, Opcode, Status, int, int, boolean, long, int)}.
     *
     * @return the slot
     * @throws IllegalStateException if the batch is full
     */
    public Completion next() {
        if (size == slots.length) {
            throw new IllegalStateException("completion batch is full");
        }
        return slots[size++];
    }
}
