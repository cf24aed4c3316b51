package dev.weft;

import java.util.Optional;

/**
 * A reliable connected endpoint, like an RC queue pair: the initiator of RDMA writes, reads,
 * atomics and sends, and the owner of posted receives.
 *
 * <h2>Posting</h2>
 * Every operation takes a caller-chosen work request id that comes back in its
 * {@link Completion}, and local memory as (region, offset, length) or as a
 * {@link ScatterGatherList}. Posting never throws for expected outcomes and never allocates;
 * it returns a {@link PostStatus}. A request accepted with {@link PostStatus#OK} produces
 * exactly one completion on the endpoint's send queue (receives: on its receive queue), with
 * {@link Status#SUCCESS} or an error status. A local buffer that can never work (outside its
 * region, a region of another domain or closed) is refused at the post with
 * {@link PostStatus#INVALID}; errors found at the target (bad remote key, remote range out of
 * bounds, missing remote rights) arrive as completions, as on verbs.
 *
 * <p>Remote memory is addressed by a remote address and key, usually taken from a
 * {@link RemoteRegion}: byte {@code i} of the region is {@code region.address() + i}
 * (arithmetic wraps; the target checks bounds and rights).
 *
 * <p><b>Buffers.</b> The local memory of a request must not be modified (sources) or read
 * (sinks) until its completion. Providers with {@link Capability#INLINE} copy payloads of up to
 * {@link Limits#maxInlineData()} bytes at post time.
 *
 * <p><b>Ordering.</b> Requests on one endpoint execute in posted order; a write followed by a
 * send or write-with-immediate is visible at the target when the receive completes, and a read
 * posted after a write returns what the write put there. One exception, as on InfiniBand (where
 * only a fenced request waits for earlier reads): a request that changes target memory, posted
 * after a read of the same bytes, may change them before the read has fetched them. Post such a
 * request after the read's completion when the read must see the bytes as they were.
 *
 * <p><b>Errors.</b> A fatal error moves the endpoint to {@link EndpointState#ERROR}: every
 * outstanding and later request completes with {@link Status#FLUSHED}.
 *
 * <p><b>Threading.</b> All methods are thread-safe; posts from several threads are executed in
 * an order consistent with each thread's own order.
 *
 * <p><b>Lifetime.</b> Created by {@link Domain#connect} or {@link Listener#accept}; closed by
 * {@link #close()} or with its domain. Closing flushes outstanding work: each request still
 * gets exactly one completion.
 */
public interface Endpoint extends AutoCloseable {
    /** @return an id unique within the fabric, reported by {@link Completion#endpointId()} */
    long id();

    /** @return the current state */
    EndpointState state();

    /** @return the peer's URI (without secret parameters) */
    FabricUri peer();

    /** @return the well-known region the connect URI named, known without any handshake; empty if none was named */
    Optional<RemoteRegion> wellKnownRegion();

    /**
     * RDMA write of {@code length} bytes from local memory to remote memory.
     *
     * @param workRequestId returned in the completion
     * @param local registered local memory (the source)
     * @param localOffset offset of the first byte within {@code local}
     * @param length byte count, 0 .. {@link Limits#maxMessageSize()}
     * @param remoteAddress remote address of the first target byte
     * @param remoteKey the target region's remote key
     * @return the post status
     */
    PostStatus write(long workRequestId, MemoryRegion local, long localOffset, int length, long remoteAddress, long remoteKey);

    /**
     * RDMA write gathering from several local segments.
     *
     * @param workRequestId returned in the completion
     * @param local the source segments, read only during this call
     * @param remoteAddress remote address of the first target byte
     * @param remoteKey the target region's remote key
     * @return the post status
     */
    PostStatus write(long workRequestId, ScatterGatherList local, long remoteAddress, long remoteKey);

    /**
     * RDMA write with 32-bit immediate data: consumes a receive at the target, which completes
     * with {@link Opcode#RECEIVE_WRITE_WITH_IMMEDIATE} once the data is in place.
     *
     * @param workRequestId returned in the completion
     * @param local the source segments, read only during this call
     * @param remoteAddress remote address of the first target byte
     * @param remoteKey the target region's remote key
     * @param immediate the immediate data
     * @return the post status
     */
    PostStatus writeWithImmediate(long workRequestId, ScatterGatherList local, long remoteAddress, long remoteKey, int immediate);

    /**
     * RDMA read of {@code length} bytes from remote memory into local memory.
     *
     * @param workRequestId returned in the completion
     * @param local registered local memory (the sink); needs {@link Access#LOCAL_WRITE}
     * @param localOffset offset of the first byte within {@code local}
     * @param length byte count, 0 .. {@link Limits#maxMessageSize()}
     * @param remoteAddress remote address of the first source byte
     * @param remoteKey the source region's remote key
     * @return the post status
     */
    PostStatus read(long workRequestId, MemoryRegion local, long localOffset, int length, long remoteAddress, long remoteKey);

    /**
     * RDMA read scattering into several local segments.
     *
     * @param workRequestId returned in the completion
     * @param local the sink segments, read only during this call
     * @param remoteAddress remote address of the first source byte
     * @param remoteKey the source region's remote key
     * @return the post status
     */
    PostStatus read(long workRequestId, ScatterGatherList local, long remoteAddress, long remoteKey);

    /**
     * Sends a message into the peer's next posted receive.
     *
     * @param workRequestId returned in the completion
     * @param local the payload segments, read only during this call
     * @return the post status
     */
    PostStatus send(long workRequestId, ScatterGatherList local);

    /**
     * Posts a receive buffer for the peer's next send or write-with-immediate.
     *
     * @param workRequestId returned in the completion
     * @param local the buffer segments (need {@link Access#LOCAL_WRITE}), read only during this call
     * @return the post status
     */
    PostStatus receive(long workRequestId, ScatterGatherList local);

    /**
     * Atomic fetch-and-add on an 8-byte aligned remote word; the previous value is stored
     * (native byte order) into the 8 local bytes at {@code resultOffset}.
     *
     * @param workRequestId returned in the completion
     * @param result local memory for the previous value; needs {@link Access#LOCAL_WRITE}
     * @param resultOffset offset of the 8-byte result within {@code result}
     * @param remoteAddress remote address of the word, a multiple of 8
     * @param remoteKey the target region's remote key
     * @param add the addend
     * @return the post status
     */
    PostStatus fetchAndAdd(long workRequestId, MemoryRegion result, long resultOffset, long remoteAddress, long remoteKey, long add);

    /**
     * Atomic compare-and-swap on an 8-byte aligned remote word: if it equals {@code expected}
     * it becomes {@code desired}; the previous value is stored into the local result.
     *
     * @param workRequestId returned in the completion
     * @param result local memory for the previous value; needs {@link Access#LOCAL_WRITE}
     * @param resultOffset offset of the 8-byte result within {@code result}
     * @param remoteAddress remote address of the word, a multiple of 8
     * @param remoteKey the target region's remote key
     * @param expected the value to compare with
     * @param desired the value to store on a match
     * @return the post status
     */
    PostStatus compareAndSwap(long workRequestId, MemoryRegion result, long resultOffset, long remoteAddress, long remoteKey,
                              long expected, long desired);

    /**
     * Single-segment send. Providers may override to avoid the list.
     *
     * @param workRequestId returned in the completion
     * @param local registered local memory
     * @param localOffset offset within {@code local}
     * @param length byte count, 0 .. {@link Limits#maxMessageSize()}
     * @return the post status
     */
    PostStatus send(long workRequestId, MemoryRegion local, long localOffset, int length);

    /**
     * Single-segment receive.
     *
     * @param workRequestId returned in the completion
     * @param local registered local memory with {@link Access#LOCAL_WRITE}
     * @param localOffset offset within {@code local}
     * @param length buffer size
     * @return the post status
     */
    PostStatus receive(long workRequestId, MemoryRegion local, long localOffset, int length);

    /**
     * Single-segment write with immediate data.
     *
     * @param workRequestId returned in the completion
     * @param local registered local memory
     * @param localOffset offset within {@code local}
     * @param length byte count, 0 .. {@link Limits#maxMessageSize()}
     * @param remoteAddress remote address of the first target byte
     * @param remoteKey the target region's remote key
     * @param immediate the immediate data
     * @return the post status
     */
    PostStatus writeWithImmediate(long workRequestId, MemoryRegion local, long localOffset, int length, long remoteAddress,
                                  long remoteKey, int immediate);

    /**
     * RDMA write into byte {@code remoteOffset} of a remote region.
     *
     * @param workRequestId returned in the completion
     * @param local registered local memory
     * @param localOffset offset within {@code local}
     * @param length byte count, 0 .. {@link Limits#maxMessageSize()}
     * @param remote the target region; null answers {@link PostStatus#INVALID}
     * @param remoteOffset offset within {@code remote}
     * @return the post status
     */
    default PostStatus write(long workRequestId, MemoryRegion local, long localOffset, int length, RemoteRegion remote, long remoteOffset) {
        if (remote == null) {
            return PostStatus.INVALID;
        }
        return write(workRequestId, local, localOffset, length, remote.addressOf(remoteOffset), remote.key());
    }

    /**
     * RDMA read from byte {@code remoteOffset} of a remote region.
     *
     * @param workRequestId returned in the completion
     * @param local registered local memory
     * @param localOffset offset within {@code local}
     * @param length byte count, 0 .. {@link Limits#maxMessageSize()}
     * @param remote the source region; null answers {@link PostStatus#INVALID}
     * @param remoteOffset offset within {@code remote}
     * @return the post status
     */
    default PostStatus read(long workRequestId, MemoryRegion local, long localOffset, int length, RemoteRegion remote, long remoteOffset) {
        if (remote == null) {
            return PostStatus.INVALID;
        }
        return read(workRequestId, local, localOffset, length, remote.addressOf(remoteOffset), remote.key());
    }

    /**
     * Fetch-and-add on byte {@code remoteOffset} of a remote region.
     *
     * @param workRequestId returned in the completion
     * @param result local memory for the previous value
     * @param resultOffset offset within {@code result}
     * @param remote the target region; null answers {@link PostStatus#INVALID}
     * @param remoteOffset offset within {@code remote}, a multiple of 8 from an aligned base
     * @param add the addend
     * @return the post status
     */
    default PostStatus fetchAndAdd(long workRequestId, MemoryRegion result, long resultOffset, RemoteRegion remote, long remoteOffset, long add) {
        if (remote == null) {
            return PostStatus.INVALID;
        }
        return fetchAndAdd(workRequestId, result, resultOffset, remote.addressOf(remoteOffset), remote.key(), add);
    }

    /**
     * Compare-and-swap on byte {@code remoteOffset} of a remote region.
     *
     * @param workRequestId returned in the completion
     * @param result local memory for the previous value
     * @param resultOffset offset within {@code result}
     * @param remote the target region; null answers {@link PostStatus#INVALID}
     * @param remoteOffset offset within {@code remote}
     * @param expected the value to compare with
     * @param desired the value to store on a match
     * @return the post status
     */
    default PostStatus compareAndSwap(long workRequestId, MemoryRegion result, long resultOffset, RemoteRegion remote, long remoteOffset,
                                      long expected, long desired) {
        if (remote == null) {
            return PostStatus.INVALID;
        }
        return compareAndSwap(workRequestId, result, resultOffset, remote.addressOf(remoteOffset), remote.key(), expected, desired);
    }

    /**
     * Closes the endpoint. Idempotent. Outstanding requests complete with {@link Status#FLUSHED}
     * (each exactly once) before or shortly after this returns; the peer sees the connection end.
     */
    @Override
    void close();
}
