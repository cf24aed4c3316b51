package dev.weft.provider.tcp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Domain;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.Fabrics;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Error messages built from socket exceptions that carry no message of their own. */
@Timeout(60)
class IoTextTest {

    @Test
    void aMessageIsKept() {
        assertEquals("Connection refused", IoText.of(new IOException("Connection refused")));
    }

    @Test
    void exceptionsWithoutAMessageAreNamedByWhatHappened() {
        assertTrue(IoText.of(new ClosedByInterruptException()).contains("interrupted"));
        assertTrue(IoText.of(new AsynchronousCloseException()).contains("another thread"));
        assertTrue(IoText.of(new ClosedChannelException()).contains("already closed"));
        assertEquals("the peer closed the connection", IoText.of(new EOFException()));
        assertEquals("IOException without a message", IoText.of(new IOException()));
        assertEquals("IOException without a message", IoText.of(new IOException(" ")));
    }

    /**
     * A connecting thread interrupted in the handshake (a peer that accepts the TCP connection and never answers) gets
     * a message that says so; before, it ended in "broke during the handshake: null".
     */
    @Test
    void anInterruptedHandshakeSaysSo() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
             Fabric fabric = Fabrics.open("tcp://127.0.0.1:0?timeout=30000")) {
            Domain domain = fabric.openDomain();
            var queue = domain.openCompletionQueue(8);
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread connecting = Thread.ofPlatform().start(() -> {
                try {
                    domain.connect(fabric.uri().withPort(silent.getLocalPort()), EndpointConfig.of(queue)).close();
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(t);
                }
            });
            try (Socket accepted = silent.accept()) {
                assertTrue(accepted.isConnected());
                Thread.sleep(200); // the client has sent its hello and waits for the answer
                connecting.interrupt();
                Throwable t = outcome.get(20, TimeUnit.SECONDS);
                FabricException e = assertInstanceOf(FabricException.class, t, "connect ends with a FabricException");
                assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage()); // as on every provider (Domain.connect)
                assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
                assertFalse(e.getMessage().contains("null"), e.getMessage());
            }
            connecting.join(5000);
        }
    }
}
