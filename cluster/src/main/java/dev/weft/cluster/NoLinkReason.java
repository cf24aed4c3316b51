package dev.weft.cluster;

/**
 * Why an interconnect gives a client no link, as its manager reports it to
 * {@link ConnectionClient#noLink(int, int, NoLinkReason, String)}.
 */
public enum NoLinkReason {
    /**
     * The partner's address actively refuses the connection ({@link dev.weft.ErrorCode#CONNECTION_REFUSED}): its host
     * or fabric answers, but nothing listens there, so the partner's node is not running (or its listener is closing).
     * Reported once, when the manager's connect is first refused; it holds until another reason or a link follows.
     */
    PARTNER_REFUSES,
    /**
     * The partner's address did not answer in time ({@link dev.weft.ErrorCode#TIMEOUT}), this host has no way to it
     * ({@link dev.weft.ErrorCode#UNREACHABLE}: no route, an interface down), or the connection failed otherwise: the
     * partner, or this node's path to it, may be down. Nothing is known about the partner.
     */
    PARTNER_UNREACHABLE,
    /** The partner's configuration region was reached; the session is being formed and links follow once both nodes are ready. */
    FORMING,
    /**
     * The session is formed, but the partner's counterpart of this client is missing or gives memory of another size
     * (for a {@link LogMirror}, another capacity): the manager does not connect this client on this interconnect for
     * the session, since the two would read and write each other's memory at different offsets.
     */
    INCOMPATIBLE
}
