package dev.weft;

/**
 * One provider instance bound to one device or local address, opened with
 * {@link Fabrics#open(String)}.
 *
 * <p><b>Threading.</b> Thread-safe. <b>Lifetime.</b> Closing the fabric closes its domains
 * (and through them everything else) in reverse creation order and releases the provider's
 * threads, sockets and native resources.
 */
public interface Fabric extends AutoCloseable {
    /** @return the URI this fabric was opened with (parameters included) */
    FabricUri uri();

    /** @return the provider's description, capabilities and limits for this fabric's device */
    ProviderInfo info();

    /**
     * Opens a protection domain.
     *
     * @return the domain
     * @throws FabricException with {@link ErrorCode#CLOSED} after close
     */
    Domain openDomain();

    /** @return {@code false} once closed */
    boolean isOpen();

    /** Closes every domain, then the fabric. Idempotent. */
    @Override
    void close();
}
