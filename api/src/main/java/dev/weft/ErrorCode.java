package dev.weft;

/**
 * Why a set-up operation failed. Carried by every {@link FabricException}.
 *
 * <p>Data-path outcomes are not error codes: posting returns a {@link PostStatus} and the
 * result of an operation arrives as a {@link Completion} with a {@link Status}.
 */
public enum ErrorCode {
    /** An argument is out of range or inconsistent; the message names it and the valid range. */
    INVALID_ARGUMENT,
    /** A fabric URI does not follow the grammar of {@link FabricUri}. */
    INVALID_URI,
    /** No installed provider serves the URI's scheme; the message lists the installed schemes. */
    UNKNOWN_SCHEME,
    /** The provider is installed but cannot run here; the message carries its cause and a hint. */
    PROVIDER_UNAVAILABLE,
    /** The provider or device does not support the requested feature. */
    NOT_SUPPORTED,
    /** The object (or one of its parents) has been closed. */
    CLOSED,
    /** The object is still in use by another open object (for example a queue used by an endpoint). */
    BUSY,
    /** The operation did not finish within its time limit. */
    TIMEOUT,
    /**
     * The peer answered and refused the connection: nothing listens at its address and port (a TCP reset, an
     * rdma_cm reject), or its listener turned this connect down. Something at the peer's address is up.
     */
    CONNECTION_REFUSED,
    /**
     * This host has no way to the peer's address: no route, the network or host unreachable (an interface down, no
     * ARP answer), or the address not reachable over this fabric's device. Nothing answered, so unlike
     * {@link #CONNECTION_REFUSED} it says nothing about the peer, which may be up; the message names the cause.
     */
    UNREACHABLE,
    /** An established connection broke. */
    CONNECTION_LOST,
    /** The peer did not prove knowledge of the shared secret, or rejected ours. */
    AUTHENTICATION_FAILED,
    /** The caller lacks a permission or privilege (memory lock limits, device permissions, ...). */
    ACCESS_DENIED,
    /** A bounded resource is exhausted (queue depth, connections, registrations, memory). */
    RESOURCE_EXHAUSTED,
    /** The peer violated the wire protocol. */
    PROTOCOL_ERROR,
    /** An I/O error of the operating system. */
    IO_ERROR,
    /** A native library call failed; {@link FabricException#errno()} holds the errno. */
    NATIVE_ERROR,
    /** An operation completed with an error status (used by the {@code dev.weft.async} layer). */
    OPERATION_FAILED
}
