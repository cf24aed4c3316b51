package dev.weft;

import java.lang.foreign.MemorySegment;
import java.util.EnumSet;
import java.util.Set;

/**
 * A protection domain: the scope of registered memory, completion queues, listeners and
 * endpoints. Keys of one domain never work in another.
 *
 * <p><b>Threading.</b> Thread-safe. <b>Lifetime.</b> Closing the domain closes its children
 * first, in reverse creation order; failures are collected with {@code addSuppressed}. A
 * {@link #connect} that another thread is running when the domain (or its fabric) closes ends
 * within a moment with {@link ErrorCode#CLOSED}, and the close returns once that connect has
 * released what it had made.
 */
public interface Domain extends AutoCloseable {
    /** @return the fabric this domain belongs to */
    Fabric fabric();

    /**
     * Registers memory.
     *
     * @param segment native memory that outlives the registration and that any thread may access:
     *        heap segments and segments of {@code Arena.ofConfined()} are refused, since providers
     *        access registered memory from their own threads
     * @param access the rights to grant; {@link Access#REMOTE_WRITE} and {@link Access#REMOTE_ATOMIC} need {@link Access#LOCAL_WRITE}
     * @return the region
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a heap or confined segment, one at address 0
     *         ({@code MemorySegment.NULL} reinterpreted), a bad access set, a
     *         read-only segment with a right to write it, a zero-length segment, or a size over {@link Limits#maxRegionSize()};
     *         {@link ErrorCode#CLOSED} for a segment whose arena is closed; {@link ErrorCode#RESOURCE_EXHAUSTED} past the
     *         registration limit
     */
    MemoryRegion register(MemorySegment segment, Set<Access> access);

    /**
     * Registers memory.
     *
     * @param segment native memory that outlives the registration
     * @param first a right to grant
     * @param rest further rights
     * @return the region
     */
    default MemoryRegion register(MemorySegment segment, Access first, Access... rest) {
        if (first == null || rest == null || java.util.Arrays.asList(rest).contains(null)) {
            throw FabricException.invalid("a right to grant is null; pass Access values, e.g. register(segment, Access.LOCAL_WRITE)");
        }
        return register(segment, EnumSet.of(first, rest));
    }

    /**
     * Creates a completion queue.
     *
     * @param depth how many completions it holds, 1 .. {@link Limits#maxCompletionQueueDepth()}; enough for every completion
     *        that can wait in it at once (see {@link CompletionQueue}, "Depth")
     * @return the queue
     * @throws FabricException INVALID_ARGUMENT naming the allowed range if {@code depth} is outside it (nothing is
     *         created, the domain stays usable); CLOSED if the domain is closed
     */
    CompletionQueue openCompletionQueue(int depth);

    /**
     * Listens at the fabric's local address.
     *
     * @param config how accepted endpoints are created; a {@link EndpointConfig#maxScatterGather()} above the fabric's
     *        {@link Limits#maxScatterGather()} is lowered to it, as for {@link #connect}
     * @return the listener
     * @throws FabricException {@link ErrorCode#BUSY} if another listener holds the address and port,
     *         {@link ErrorCode#INVALID_ARGUMENT} for a configuration whose queues are of another domain or whose depths
     *         exceed {@link Limits#maxQueueDepth()}, {@link ErrorCode#CLOSED} if the domain or a queue is closed; an address
     *         that is not local fails with the provider's code and a message naming it
     */
    Listener listen(EndpointConfig config);

    /**
     * Connects to a peer. If the URI names a region ({@code /REGION}), the returned endpoint
     * already knows it ({@link Endpoint#wellKnownRegion()}).
     *
     * @param peer the peer's URI, same scheme as this fabric
     * @param config queues and depths of the new endpoint, checked as for {@link #listen}; a
     *        {@link EndpointConfig#maxScatterGather()} above the fabric's {@link Limits#maxScatterGather()} is lowered to it,
     *        not refused (the granted width is the smaller of the two: see {@link EndpointConfig#withMaxScatterGather})
     * @return the connected endpoint
     * @throws FabricException {@link ErrorCode#INVALID_URI} for a missing peer, another scheme, no port or port 0,
     *         {@link ErrorCode#CONNECTION_REFUSED} (nobody listens there, or the listener refused),
     *         {@link ErrorCode#TIMEOUT} (also when the calling thread is interrupted; its interrupt flag stays set),
     *         {@link ErrorCode#AUTHENTICATION_FAILED},
     *         {@link ErrorCode#INVALID_ARGUMENT} for an unknown region name or a bad configuration, or
     *         {@link ErrorCode#CLOSED} if the domain or a queue is closed, also while the connect runs
     */
    Endpoint connect(FabricUri peer, EndpointConfig config);

    /**
     * Connects to a peer given as text.
     *
     * @param peer the peer's URI
     * @param config queues and depths of the new endpoint
     * @return the connected endpoint
     */
    default Endpoint connect(String peer, EndpointConfig config) {
        return connect(FabricUri.parse(peer), config);
    }

    /** @return {@code false} once closed */
    boolean isOpen();

    /** Closes every child in reverse creation order, then the domain. Idempotent. */
    @Override
    void close();
}
