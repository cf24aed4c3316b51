package dev.weft.provider.verbs.internal.nat;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * Shared machinery of the bindings: the linker, loading a system library by soname, downcall
 * handles with optional {@code errno} capture, and turning a failed call into a
 * {@link FabricException} that carries the native function name, the errno name and
 * {@code strerror} text. Nothing here runs before a provider first opens a fabric or lists
 * devices. Thread-safe.
 */
public final class Native {
    private Native() {
    }

    /** The platform linker. */
    static final Linker LINKER = Linker.nativeLinker();

    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final ThreadLocal<MemorySegment> CAPTURE_SEGMENT = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    /**
     * Loads a system library by soname ({@code libibverbs.so.1}) with the dynamic loader's search.
     *
     * @param soname the library
     * @param hint what to install if it is missing
     * @return its symbols
     * @throws FabricException PROVIDER_UNAVAILABLE if it cannot be loaded
     */
    static SymbolLookup library(String soname, String hint) {
        try {
            return SymbolLookup.libraryLookup(soname, Arena.global());
        } catch (IllegalArgumentException e) {
            for (String dir : new String[] {"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"}) {
                Path p = Path.of(dir, soname);
                if (java.nio.file.Files.exists(p)) {
                    return SymbolLookup.libraryLookup(p, Arena.global());
                }
            }
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, soname + " cannot be loaded; " + hint, e);
        }
    }

    /**
     * @param lib where the symbol lives
     * @param name the C function
     * @param errno whether to capture errno (the handle then takes a capture segment first)
     * @param fd its signature
     * @return the downcall handle
     */
    static MethodHandle fn(SymbolLookup lib, String name, boolean errno, FunctionDescriptor fd) {
        MemorySegment address = lib.find(name)
                .orElseThrow(() -> new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "symbol " + name + " not found; rdma-core is too old"));
        return errno ? LINKER.downcallHandle(address, fd, Linker.Option.captureCallState("errno")) : LINKER.downcallHandle(address, fd);
    }

    /**
     * A handle that takes the function pointer as its first argument: for the verbs that
     * {@code verbs.h} implements inline through {@code context->ops}. Made once; callable for
     * every context.
     *
     * @param fd the signature
     * @param critical whether the call may use {@link Linker.Option#critical} (short, never blocks, no upcalls)
     * @return the handle
     */
    static MethodHandle pointer(FunctionDescriptor fd, boolean critical) {
        return critical ? LINKER.downcallHandle(fd, Linker.Option.critical(false)) : LINKER.downcallHandle(fd);
    }

    /**
     * For the wrappers around {@code invokeExact}: runtime exceptions and errors pass through,
     * anything else (a downcall declares {@code Throwable}) is wrapped.
     *
     * @param t what the downcall threw
     * @return the exception to throw
     */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** @return this thread's errno capture segment, for a handle made with {@code errno = true} */
    static MemorySegment capture() {
        return CAPTURE_SEGMENT.get();
    }

    /** @return errno as captured by the last call that used {@link #capture()} on this thread */
    public static int lastErrno() {
        return (int) ERRNO.get(capture(), 0L);
    }

    /**
     * @param function the native function that failed
     * @param errno its errno (or the error it returned)
     * @param what what Weft was doing, for the message
     * @return an exception naming both, with the errno name and strerror text
     */
    public static FabricException failure(String function, int errno, String what) {
        ErrorCode code = switch (errno) {
            case Errno.ENOMEM, Errno.ENOSPC, Errno.EMFILE, Errno.ENFILE -> ErrorCode.RESOURCE_EXHAUSTED;
            case Errno.EINVAL, Errno.EFAULT -> ErrorCode.INVALID_ARGUMENT;
            case Errno.EACCES, Errno.EPERM -> ErrorCode.ACCESS_DENIED;
            case Errno.ECONNREFUSED -> ErrorCode.CONNECTION_REFUSED;
            case Errno.ENETUNREACH, Errno.EHOSTUNREACH -> ErrorCode.UNREACHABLE;
            case Errno.ETIMEDOUT -> ErrorCode.TIMEOUT;
            case Errno.EADDRINUSE, Errno.EBUSY -> ErrorCode.BUSY;
            case Errno.EOPNOTSUPP, Errno.ENOSYS -> ErrorCode.NOT_SUPPORTED;
            default -> ErrorCode.NATIVE_ERROR;
        };
        return new FabricException(code, what + ": " + function + " failed with " + Errno.name(errno) + " (" + Libc.strerror(errno) + ")",
                errno, null);
    }

    /**
     * @param p a NUL-terminated C string, possibly NULL
     * @return the Java string, or {@code null}
     */
    public static String string(MemorySegment p) {
        if (p == null || p.address() == 0) {
            return null;
        }
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** {@code int}, for descriptors. */
    static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    /** {@code uint64_t}, for descriptors. */
    static final ValueLayout.OfLong L = ValueLayout.JAVA_LONG;
    /** Pointers, for descriptors. */
    static final ValueLayout P = ValueLayout.ADDRESS;
    /** {@code uint8_t}, for descriptors. */
    static final ValueLayout.OfByte B = ValueLayout.JAVA_BYTE;
    /** {@code uint16_t}, for descriptors. */
    static final ValueLayout.OfShort S = ValueLayout.JAVA_SHORT;
}
