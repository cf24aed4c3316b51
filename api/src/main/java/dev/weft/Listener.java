package dev.weft;

import java.time.Duration;
import java.util.Set;

/**
 * Accepts endpoints at the fabric's local address and publishes well-known regions (the
 * "configuration data location": docs/architecture.md, "Remote regions and well-known regions").
 *
 * <p>Connections are accepted by the provider as they arrive, with the configuration given to
 * {@link Domain#listen(EndpointConfig)}, so that one-sided operations of peers are served
 * without the application's involvement; {@link #accept(Duration)} hands the next accepted
 * endpoint to the application for two-sided use and for closing.
 *
 * <p><b>Threading.</b> Thread-safe. <b>Lifetime.</b> Closing the listener stops accepting and
 * unpublishes every region, as closing a listening socket does. Every connection it accepted
 * stays connected, whether {@code accept} handed its endpoint out or not: the endpoints belong
 * to the domain and close with it (or when closed themselves), and one never handed out goes on
 * serving its peer's one-sided operations until then. A connection still being set up when the
 * listener closes is either refused or completed and then kept the same way.
 *
 * <p><b>Reaping.</b> An accepted endpoint stays in memory, with its buffers (on tcp about 200 KB,
 * heap and direct buffers together, measured 2026-12-07), until it is closed
 * or its domain closes, also after its peer has left and it is in {@link EndpointState#ERROR}:
 * nothing but {@code accept} hands it out, so only the application can close it. A server that
 * serves peers only one-sided and never calls {@code accept} therefore keeps every connection it
 * ever had, and one whose peers come and go runs out of memory. Take the endpoints with
 * {@code accept(Duration.ZERO)} from time to time, keep those still
 * {@link EndpointState#CONNECTED} and close the others, as {@code weft perf server} and the
 * cluster manager do:
 * <pre>{@code
 * for (Endpoint e = listener.accept(Duration.ZERO); e != null; e = listener.accept(Duration.ZERO)) {
 *     served.add(e);
 * }
 * served.removeIf(e -> {
 *     if (e.state() == EndpointState.CONNECTED) {
 *         return false;
 *     }
 *     e.close();
 *     return true;
 * });
 * }</pre>
 */
public interface Listener extends AutoCloseable {
    /** @return the bound local URI, with the real port if port 0 was asked for */
    FabricUri uri();

    /**
     * Publishes a region under a name, so that {@code connect(".../NAME")} returns an endpoint
     * that already knows it. Replaces an earlier region of the same name for later connects.
     *
     * @param name 1 to {@value FabricUri#MAX_REGION_NAME} letters, digits, '.', '_' or '-'
     * @param region an open region of this listener's domain
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a bad name or a foreign or closed region
     */
    void publish(String name, MemoryRegion region);

    /**
     * Withdraws a published name. Later connects naming it fail.
     *
     * @param name the published name
     * @return {@code true} if it was published
     */
    boolean unpublish(String name);

    /** @return the published names whose regions are still open (a closed region is offered to no peer) */
    Set<String> published();

    /**
     * Returns the next accepted endpoint.
     *
     * @param timeout how long to wait
     * @return the endpoint, or {@code null} if none arrived in time
     * @throws FabricException with {@link ErrorCode#CLOSED} if the listener is closed, or if it can
     *         accept nothing more because the provider lost what it listens on (a removed RDMA
     *         device) and no accepted endpoint is left to hand out
     */
    Endpoint accept(Duration timeout);

    /**
     * Stops listening: later connects to this listener's address fail, and {@code accept} answers
     * {@code CLOSED}. Connections already accepted stay open (see the class comment). Idempotent.
     */
    @Override
    void close();
}
