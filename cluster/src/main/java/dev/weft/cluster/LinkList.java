package dev.weft.cluster;

/**
 * A client's links to the partner in the node's order of preference — by
 * {@link ClientLink#interconnect()}, the order in which the node was given its interconnects — so the
 * first is the link of the most preferred interconnect that is up: a client fails over to the next
 * when it removes the first, and goes back to a preferred interconnect as soon as that one's link
 * is added again (before 2026-12-06 a link was appended, and a rejoined interconnect 0 stayed
 * behind interconnect 1 for good). Copy-on-write and compared by identity.
 *
 * <p>Why not a {@code CopyOnWriteArrayList}: its {@code remove} compares with
 * {@link ClientLink#equals}, a record's equals, whose call site the JVM links on its first call.
 * That first call comes at the first failover, the moment a heartbeat must not be late, and
 * linking costs milliseconds on a cold JVM and 0.4–0.8 s in the Soft-RoCE testbed's emulated
 * guest (measured there with the rxe failover test: {@code remove} alone took that long, and the
 * partner was declared failed). A link is one object for its whole life, so identity is the right
 * comparison anyway.
 *
 * <p>Thread-safe: changes are serialised, reads see a consistent snapshot without locking.
 */
final class LinkList {
    private static final ClientLink[] NONE = new ClientLink[0];
    private volatile ClientLink[] links = NONE;

    /** Adds {@code link} in order of its interconnect: after the links of the same or an earlier interconnect. */
    synchronized void add(ClientLink link) {
        ClientLink[] now = links;
        int at = 0;
        while (at < now.length && now[at].interconnect() <= link.interconnect()) {
            at++;
        }
        ClientLink[] next = new ClientLink[now.length + 1];
        System.arraycopy(now, 0, next, 0, at);
        next[at] = link;
        System.arraycopy(now, at, next, at + 1, now.length - at);
        links = next;
    }

    /** @return whether {@code link} (this very object) is in the list */
    boolean contains(ClientLink link) {
        for (ClientLink l : links) {
            if (l == link) {
                return true;
            }
        }
        return false;
    }

    /** @return whether {@code link} (this very object) was in the list and is now removed */
    synchronized boolean remove(ClientLink link) {
        ClientLink[] now = links;
        for (int i = 0; i < now.length; i++) {
            if (now[i] == link) {
                ClientLink[] next = now.length == 1 ? NONE : new ClientLink[now.length - 1];
                System.arraycopy(now, 0, next, 0, i);
                System.arraycopy(now, i + 1, next, i, now.length - i - 1);
                links = next;
                return true;
            }
        }
        return false;
    }

    /** @return the link to use, {@code null} if there is none */
    ClientLink first() {
        ClientLink[] now = links;
        return now.length == 0 ? null : now[0];
    }

    /** Forgets every link. */
    synchronized void clear() {
        links = NONE;
    }

    boolean isEmpty() {
        return links.length == 0;
    }

    /** @return the links now, in order; shared, never modify it (no allocation) */
    ClientLink[] snapshot() {
        return links;
    }
}
