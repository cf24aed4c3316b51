package dev.weft.cluster;

import java.util.Arrays;

/**
 * A client's links to the partner in failover order (the first is used), copy-on-write and
 * compared by identity.
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

    /** Appends {@code link} (the last choice). */
    synchronized void add(ClientLink link) {
        ClientLink[] next = Arrays.copyOf(links, links.length + 1);
        next[links.length] = link;
        links = next;
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
