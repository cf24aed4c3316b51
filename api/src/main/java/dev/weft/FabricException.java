package dev.weft;

/**
 * The one exception of Weft's set-up paths (open, register, listen, connect, close).
 *
 * <p>It carries an {@link ErrorCode}, the native {@code errno} where a native call failed
 * ({@code 0} otherwise), and a message meant for a person: what went wrong and what would be
 * right. The data path never throws it for expected outcomes; see {@link PostStatus} and
 * {@link Status}.
 *
 * <p>Instances are immutable and may be shared between threads.
 */
public class FabricException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final int errno;

    /**
     * Creates an exception without a native error.
     *
     * @param code why it failed
     * @param message what went wrong and what would be right
     */
    public FabricException(ErrorCode code, String message) {
        this(code, message, 0, null);
    }

    /**
     * Creates an exception with a cause and without a native error.
     *
     * @param code why it failed
     * @param message what went wrong and what would be right
     * @param cause the underlying failure, may be {@code null}
     */
    public FabricException(ErrorCode code, String message, Throwable cause) {
        this(code, message, 0, cause);
    }

    /**
     * Creates an exception for a failed native call.
     *
     * @param code why it failed
     * @param message what went wrong, including the native error name and text
     * @param errno the native {@code errno}, or {@code 0}
     * @param cause the underlying failure, may be {@code null}
     */
    public FabricException(ErrorCode code, String message, int errno, Throwable cause) {
        super(message, cause);
        this.code = java.util.Objects.requireNonNull(code, "code");
        this.errno = errno;
    }

    /** @return why the operation failed */
    public ErrorCode code() {
        return code;
    }

    /** @return the native {@code errno} of a failed native call, or {@code 0} */
    public int errno() {
        return errno;
    }

    /**
     * The exception thrown when an object is used after it was closed.
     *
     * @param what a description of the object, for example {@code "memory region 0x7f..."}
     * @return the exception, to be thrown by the caller
     */
    public static FabricException closed(String what) {
        return new FabricException(ErrorCode.CLOSED, what + " is closed; it cannot be used after close()");
    }

    /**
     * The exception for a bad argument.
     *
     * @param message what is wrong and what would be right
     * @return the exception, to be thrown by the caller
     */
    public static FabricException invalid(String message) {
        return new FabricException(ErrorCode.INVALID_ARGUMENT, message);
    }
}
