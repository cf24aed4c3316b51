package dev.weft.provider.verbs.internal.nat;

import static dev.weft.provider.verbs.internal.nat.Native.I;
import static dev.weft.provider.verbs.internal.nat.Native.L;
import static dev.weft.provider.verbs.internal.nat.Native.P;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/** The two libc functions the provider needs: {@code poll} (to wait on event fds with a timeout) and {@code strerror}. */
public final class Libc {
    private Libc() {
    }

    private static final SymbolLookup LIBC = Native.LINKER.defaultLookup();
    private static final MethodHandle POLL = Native.fn(LIBC, "poll", true, FunctionDescriptor.of(I, P, L, I));
    private static final MethodHandle STRERROR = Native.fn(LIBC, "strerror", false, FunctionDescriptor.of(P, I));

    private static final long FD = Structs.offset(Structs.POLLFD, "fd");
    private static final long EVENTS = Structs.offset(Structs.POLLFD, "events");
    private static final long REVENTS = Structs.offset(Structs.POLLFD, "revents");

    /** {@code POLLIN}. */
    public static final short POLLIN = 1;
    /** {@code POLLERR | POLLHUP | POLLNVAL}. */
    public static final short POLL_FAILED = 0x8 | 0x10 | 0x20;

    /**
     * Waits until {@code fd} is readable.
     *
     * @param pollfd a {@link Structs#POLLFD} segment owned by the caller
     * @param fd the descriptor
     * @param timeoutMillis how long; 0 returns at once
     * @return {@code true} if readable, {@code false} on timeout or EINTR
     */
    public static boolean readable(MemorySegment pollfd, int fd, int timeoutMillis) {
        pollfd.set(C.INT, FD, fd);
        pollfd.set(C.U16, EVENTS, POLLIN);
        pollfd.set(C.U16, REVENTS, (short) 0);
        try {
            int n = (int) POLL.invokeExact(Native.capture(), pollfd, 1L, timeoutMillis);
            if (n < 0) {
                int errno = Native.lastErrno();
                if (errno == Errno.EINTR) {
                    return false;
                }
                throw Native.failure("poll", errno, "waiting for an event");
            }
            return n > 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * @param errno an errno value
     * @return the C library's text for it
     */
    public static String strerror(int errno) {
        try {
            String s = Native.string((MemorySegment) STRERROR.invokeExact(errno));
            return s == null ? "unknown error" : s;
        } catch (Throwable t) {
            return "unknown error";
        }
    }
}
