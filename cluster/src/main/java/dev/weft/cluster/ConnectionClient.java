package dev.weft.cluster;

import java.lang.foreign.MemorySegment;

/**
 * A client of the connection manager (the seed's heartbeat / failover monitor, a mirror, ...).
 * It registers with a {@link ClusterNode} before the node starts, says what it needs — its
 * name, the memory the partner's counterpart may access on this node, and memory it sends from
 * — and is given a {@link ClientLink} per interconnect once both nodes are connected and ready.
 *
 * <p>Both nodes must register a client of the same name; the managers check that through the
 * client directories in their configuration regions. Link callbacks come from manager threads,
 * one per interconnect: implementations must be thread-safe, and a callback must return quickly
 * (while it runs, that interconnect's manager neither watches its session nor serves its
 * partner's state changes). A link whose endpoint breaks while the interconnect stays up ends
 * its session: every client gets {@code linkDown}, then a new link once the session is formed
 * again.
 */
public interface ConnectionClient {
    /** @return 1 to 32 characters of letters, digits, '-' or '_'; the same on both nodes */
    String name();

    /** @return native memory the partner's counterpart reads and writes by RDMA; lives as long as the client */
    MemorySegment partnerMemory();

    /** @return native memory this client sends from (and reads into); lives as long as the client */
    MemorySegment sendMemory();

    /**
     * A connection to the partner's counterpart is ready on one interconnect.
     *
     * @param link the link; valid until {@link #linkDown(ClientLink)}
     */
    void linkUp(ClientLink link);

    /**
     * The link's interconnect failed, its session ended, or the manager closed; the link must not be used any more.
     * Called once for each link that {@link #linkUp(ClientLink)} was given, and only for those: a session that ends
     * before both nodes are ready drops the links it created without showing them to the client.
     *
     * @param link a link this client was given by {@link #linkUp(ClientLink)}
     */
    void linkDown(ClientLink link);

    /**
     * Why interconnect {@code interconnect} gives this client no link now. The manager reports a reason when it changes
     * ({@link NoLinkReason#PARTNER_REFUSES}, {@link NoLinkReason#PARTNER_UNREACHABLE}, {@link NoLinkReason#FORMING}, as
     * seen by its connects to the partner while no session is formed), and {@link NoLinkReason#INCOMPATIBLE} for each
     * session that leaves this client unconnected; a reason holds until another one or a {@link #linkUp} for that
     * interconnect. Called on that interconnect's manager thread, like the link callbacks: it must return quickly.
     * The default does nothing.
     *
     * @param interconnect the interconnect's index
     * @param interconnects how many interconnects the node has (so that a client can tell "every interconnect")
     * @param reason why there is no link
     * @param detail what the manager saw (a connect error's message, both sizes of a mismatched client's memory)
     */
    default void noLink(int interconnect, int interconnects, NoLinkReason reason, String detail) {
    }
}
