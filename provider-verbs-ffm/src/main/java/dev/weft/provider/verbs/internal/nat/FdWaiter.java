package dev.weft.provider.verbs.internal.nat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Lets one thread sleep in {@code poll(2)} until a descriptor is readable, and another thread
 * wake it: the waiter polls the descriptor together with an {@code eventfd} that {@link #wake()}
 * signals. For the provider's event threads, which must cost nothing while idle and still end
 * promptly when their owner closes, and for a completion queue's blocking wait, which a close
 * must end at once.
 *
 * <p>Lifetime: created by the owner, used by one waiting thread at a time (a completion queue
 * lets its awaiting threads in one by one), closed once (by whichever side finishes last, see
 * {@link #close()}). {@link #wake()} and {@link #close()} are thread-safe; {@link #await()},
 * {@link #await(int)} and {@link #failed()} belong to the waiting thread.
 */
public final class FdWaiter implements AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment pollfds;
    private final MemorySegment one;
    private final int wakeFd;
    private volatile boolean woken;
    private boolean closed;

    /**
     * @param fd the descriptor to wait on; it stays the caller's
     * @param what for the message if the eventfd cannot be made
     * @throws dev.weft.FabricException naming the errno if no eventfd can be made
     */
    public FdWaiter(int fd, String what) {
        try {
            wakeFd = Libc.eventFd(what);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        pollfds = arena.allocate(Structs.POLLFD, 2);
        one = arena.allocate(C.U64);
        one.set(C.U64, 0, 1L);
        Libc.watch(pollfds, 0, fd);
        Libc.watch(pollfds, 1, wakeFd);
    }

    /**
     * Sleeps until the descriptor is readable or broken, or until {@link #wake()}.
     *
     * @return {@code true} if the descriptor is ready; {@code false} once woken (and every time after)
     */
    public boolean await() {
        while (!woken) {
            if (await(-1)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Sleeps at most {@code timeoutMillis} until the descriptor is readable or broken, or until
     * {@link #wake()}; for waiters that must also look at something else now and then (an
     * interrupt, which a thread in {@code poll(2)} does not see).
     *
     * @param timeoutMillis how long at most; -1 without limit
     * @return {@code true} if the descriptor is ready; {@code false} on timeout, on EINTR, and once woken
     */
    public boolean await(int timeoutMillis) {
        return !woken && Libc.poll(pollfds, 2, timeoutMillis) > 0 && Libc.ready(pollfds, 0) && !woken;
    }

    /** @return whether the last {@link #await()} found the descriptor closed or broken rather than readable */
    public boolean failed() {
        return Libc.failed(pollfds, 0);
    }

    /** Makes {@link #await()} return {@code false} now and from then on; does nothing once closed. */
    public synchronized void wake() {
        woken = true;
        if (!closed) {
            Libc.signal(wakeFd, one);
        }
    }

    /**
     * Closes the eventfd. Call only when no thread is in {@link #await()} any more; {@link #wake()}
     * may still be called after.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.close(wakeFd);
        arena.close();
    }
}
