package dev.weft.provider.verbs.internal;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Endpoints by small integer, so that a completion finds its endpoint from its work request id
 * alone without a map lookup or allocation. A work request id handed to the device is
 * {@code index << 32 | receiveBit << 31 | slot}; the application's own id is kept in the
 * endpoint's ring at {@code slot}. Thread-safe.
 */
final class EndpointTable {
    static final int CAPACITY = 1 << 16;
    private final AtomicReferenceArray<VerbsEndpoint> slots = new AtomicReferenceArray<>(CAPACITY);
    private int next;

    synchronized int add(VerbsEndpoint endpoint) {
        for (int i = 0; i < CAPACITY; i++) {
            int k = (next + i) % CAPACITY;
            if (slots.get(k) == null) {
                slots.set(k, endpoint);
                next = k + 1;
                return k;
            }
        }
        throw new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "this fabric already has " + CAPACITY + " endpoints; close some first");
    }

    VerbsEndpoint get(int index) {
        return index >= 0 && index < CAPACITY ? slots.get(index) : null;
    }

    void remove(int index, VerbsEndpoint endpoint) {
        slots.compareAndSet(index, endpoint, null);
    }
}
