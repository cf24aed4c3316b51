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
 * The libc functions the provider needs: {@code poll} (to wait on event fds), {@code fcntl} (to
 * make an event fd non-blocking), {@code eventfd}, {@code write} and {@code close} (to wake a
 * thread blocked in {@code poll} when its owner closes) and {@code strerror}.
 */
public final class Libc {
    private Libc() {
    }

    private static final SymbolLookup LIBC = Native.LINKER.defaultLookup();
    private static final MethodHandle POLL = Native.fn(LIBC, "poll", true, FunctionDescriptor.of(I, P, L, I));
    private static final MethodHandle EVENTFD = Native.fn(LIBC, "eventfd", true, FunctionDescriptor.of(I, I, I));
    private static final MethodHandle WRITE = Native.fn(LIBC, "write", true, FunctionDescriptor.of(L, I, P, L));
    private static final MethodHandle CLOSE = Native.fn(LIBC, "close", true, FunctionDescriptor.of(I, I));
    private static final MethodHandle STRERROR = Native.fn(LIBC, "strerror", false, FunctionDescriptor.of(P, I));
    // int fcntl(int fd, int cmd, ...): variadic from the third argument
    private static final MethodHandle FCNTL = Native.LINKER.downcallHandle(LIBC.find("fcntl").orElseThrow(),
            FunctionDescriptor.of(I, I, I, I), Linker.Option.firstVariadicArg(2), Linker.Option.captureCallState("errno"));

    /** {@code AF_INET}, the {@code sa_family} of a {@code struct sockaddr_in}. */
    public static final short AF_INET = 2;
    /** {@code AF_INET6}, the {@code sa_family} of a {@code struct sockaddr_in6}. */
    public static final short AF_INET6 = 10;
    /** {@code F_GETFL} ({@code fcntl.h}). */
    public static final int F_GETFL = 3;
    /** {@code F_SETFL}. */
    public static final int F_SETFL = 4;
    /** {@code O_NONBLOCK}. */
    public static final int O_NONBLOCK = 0x800;

    /** {@code EFD_CLOEXEC} ({@code sys/eventfd.h}). */
    public static final int EFD_CLOEXEC = 0x80000;
    /** {@code EFD_NONBLOCK}. */
    public static final int EFD_NONBLOCK = 0x800;

    private static final long FD = Structs.offset(Structs.POLLFD, "fd");
    private static final long EVENTS = Structs.offset(Structs.POLLFD, "events");
    private static final long REVENTS = Structs.offset(Structs.POLLFD, "revents");

    /** {@code POLLIN}. */
    public static final short POLLIN = 1;
    /** {@code POLLERR | POLLHUP | POLLNVAL}. */
    public static final short POLL_FAILED = 0x8 | 0x10 | 0x20;

    /**
     * Sets entry {@code index} of a {@link Structs#POLLFD} array to wait for {@code fd} to be readable.
     *
     * @param pollfds the array, owned by the caller
     * @param index the entry
     * @param fd the descriptor
     */
    public static void watch(MemorySegment pollfds, int index, int fd) {
        long base = index * Structs.POLLFD.byteSize();
        pollfds.set(C.INT, base + FD, fd);
        pollfds.set(C.U16, base + EVENTS, POLLIN);
        pollfds.set(C.U16, base + REVENTS, (short) 0);
    }

    /**
     * @param pollfds an array that {@link #poll} filled in
     * @param index the entry
     * @return whether that entry's descriptor is readable or failed (poll's {@code revents})
     */
    public static boolean ready(MemorySegment pollfds, int index) {
        return pollfds.get(C.U16, index * Structs.POLLFD.byteSize() + REVENTS) != 0;
    }

    /**
     * @param pollfds an array that {@link #poll} filled in
     * @param index the entry
     * @return whether poll reported that entry's descriptor closed or broken ({@link #POLL_FAILED})
     */
    public static boolean failed(MemorySegment pollfds, int index) {
        return (pollfds.get(C.U16, index * Structs.POLLFD.byteSize() + REVENTS) & POLL_FAILED) != 0;
    }

    /**
     * Waits until one of the first {@code count} entries of {@code pollfds} (set with {@link #watch}) is ready.
     *
     * @param timeoutMillis how long; 0 returns at once, -1 waits without limit
     * @return how many entries are ready; 0 on timeout or EINTR
     * @throws dev.weft.FabricException naming the errno if poll fails otherwise
     */
    public static int poll(MemorySegment pollfds, int count, int timeoutMillis) {
        try {
            int n = (int) POLL.invokeExact(Native.capture(), pollfds, (long) count, timeoutMillis);
            if (n < 0) {
                int errno = Native.lastErrno();
                if (errno == Errno.EINTR) {
                    return 0;
                }
                throw Native.failure("poll", errno, "waiting for an event");
            }
            return n;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Creates a non-blocking, close-on-exec {@code eventfd} with the count 0.
     *
     * @param what for the message
     * @return the descriptor; the caller closes it with {@link #close}
     * @throws dev.weft.FabricException naming the errno (EMFILE: the process is out of descriptors)
     */
    public static int eventFd(String what) {
        try {
            int fd = (int) EVENTFD.invokeExact(Native.capture(), 0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (fd < 0) {
                throw Native.failure("eventfd", Native.lastErrno(), what);
            }
            return fd;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Adds {@code increment}'s value to an {@code eventfd}'s count, which makes it readable. Never
     * blocks: a count already near its limit answers EAGAIN, and the fd is readable then anyway.
     *
     * @param fd a descriptor from {@link #eventFd}
     * @param increment the caller's 8-byte native segment holding a positive count (1 to wake a
     *        waiter), kept by the caller so that a signal allocates nothing
     */
    public static void signal(int fd, MemorySegment increment) {
        try {
            long ignored = (long) WRITE.invokeExact(Native.capture(), fd, increment, 8L);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** @param fd a descriptor this process opened and no longer uses */
    public static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(Native.capture(), fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
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
        } catch (Throwable t) {
            throw Native.rethrow(t);
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
