package dev.weft;

import java.lang.foreign.MemorySegment;
import java.util.Set;

/**
 * Registered memory: a {@link MemorySegment} with access rights and keys, usable as the local
 * side of operations and, through {@link #toRemote()}, as their target.
 *
 * <p><b>Lifetime.</b> The segment must stay alive (its arena open) until this region is
 * closed. Registration is zero-copy on providers that can do it: the provider reads and writes
 * the segment in place. Closing fences: once {@link #close()} returns no remote operation will
 * touch the memory again, operations in flight on it complete with an error status, and its
 * remote key is dead for good.
 *
 * <p><b>Threading.</b> Thread-safe. The memory itself is shared with the peer and with the
 * provider: the application must not read memory that an outstanding operation writes, or
 * write memory that an outstanding operation reads, until that operation's completion.
 */
public interface MemoryRegion extends AutoCloseable {
    /** @return the registered memory */
    MemorySegment segment();

    /** @return the number of registered bytes */
    long length();

    /** @return the address a peer uses for byte 0 of this region (see {@link RemoteRegion}) */
    long remoteAddress();

    /** @return the key that authorises local use in this domain */
    long localKey();

    /** @return the key a peer presents to access this region */
    long remoteKey();

    /** @return the granted rights; unmodifiable */
    Set<Access> access();

    /** @return the domain this region belongs to */
    Domain domain();

    /**
     * @return {@code false} once {@link #close()} started, or once the arena of the region's memory was closed (the memory is
     *         freed: posts refuse the region with {@link PostStatus#INVALID}; close the region to deregister it, and close an
     *         arena only after its regions, since a peer may still address the memory until then)
     */
    boolean isOpen();

    /**
     * Describes this region for a peer.
     *
     * @return the remote descriptor of the whole region
     * @throws FabricException with {@link ErrorCode#CLOSED} after close
     */
    default RemoteRegion toRemote() {
        if (!isOpen()) {
            throw FabricException.closed("memory region");
        }
        return new RemoteRegion(remoteAddress(), length(), remoteKey(), access());
    }

    /**
     * Deregisters the region. Idempotent. When it returns, no remote operation touches the
     * memory any more.
     *
     * @throws FabricException if the provider failed to deregister (the region is closed anyway)
     */
    @Override
    void close();
}
