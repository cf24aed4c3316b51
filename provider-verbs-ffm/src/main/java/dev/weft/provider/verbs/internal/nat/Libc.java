package dev.weft.provider.verbs.internal.nat;

import static dev.weft.provider.verbs.internal.nat.Native.I;
import static dev.weft.provider.verbs.internal.nat.Native.L;
import static dev.weft.provider.verbs.internal.nat.Native.P;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * The libc functions the provider needs: {@code poll} (to wait on event fds with a timeout),
 * {@code fcntl} (to make an event fd non-blocking) and {@code strerror}.
 */
public final class Libc {
    private Libc() {
    }

    private static final SymbolLookup LIBC = Native.LINKER.defaultLookup();
    private static final MethodHandle POLL = Native.fn(LIBC, "poll", true, FunctionDescriptor.of(I, P, L, I));
    private static final MethodHandle STRERROR = Native.fn(LIBC, "strerror", false, FunctionDescriptor.of(P, I));
    // int fcntl(int fd, int cmd, ...): variadic from the third argument
    private static final MethodHandle FCNTL = Native.LINKER.downcallHandle(LIBC.find("fcntl").orElseThrow(),
            FunctionDescriptor.of(I, I, I, I), Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));

    /** {@code F_GETFL} ({@code fcntl.h}). */
    public static final int F_GETFL = 3;
    /** {@code F_SETFL}. */
    public static final int F_SETFL = 4;
    /** {@code O_NONBLOCK}. */
    public static final int O_NONBLOCK = 0x800;

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
     * Sets {@code O_NONBLOCK} on {@code fd}, so that a read finding nothing answers {@code EAGAIN}.
     *
     * @param fd the descriptor
     * @param what for the message
     * @throws dev.weft.FabricException naming the errno if fcntl fails
     */
    public static void setNonBlocking(int fd, String what) {
        try {
            int flags = (int) FCNTL.invokeExact(Native.capture(), fd, F_GETFL, 0);
            if (flags < 0 || (int) FCNTL.invokeExact(Native.capture(), fd, F_SETFL, flags | O_NONBLOCK) < 0) {
                throw Native.failure("fcntl", Native.lastErrno(), what);
            }
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
