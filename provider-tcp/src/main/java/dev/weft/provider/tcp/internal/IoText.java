package dev.weft.provider.tcp.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;

/**
 * Words for an {@link IOException} in an error message. Several of the JDK's socket exceptions
 * carry no message at all (a channel closed by an interrupt or by another thread, an end of
 * stream), and "broke during the handshake: null" tells the reader nothing; these say what
 * happened instead. Stateless; any thread.
 */
final class IoText {
    private IoText() {
    }

    /**
     * @param e the failure
     * @return its message, or for one without a message what its type means for a socket
     */
    static String of(IOException e) {
        String message = e.getMessage();
        if (message != null && !message.isBlank()) {
            return message;
        }
        // most specific first: ClosedByInterruptException extends AsynchronousCloseException extends ClosedChannelException
        if (e instanceof ClosedByInterruptException) {
            return "the socket was closed because the thread using it was interrupted";
        }
        if (e instanceof AsynchronousCloseException) {
            return "the socket was closed by another thread while this one used it (the endpoint or fabric is closing)";
        }
        if (e instanceof ClosedChannelException) {
            return "the socket is already closed";
        }
        if (e instanceof EOFException) {
            return "the peer closed the connection";
        }
        return e.getClass().getSimpleName() + " without a message";
    }
}
