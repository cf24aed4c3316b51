package dev.weft.provider.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Completion;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A peer that disappears: closed, or silent behind a black-holing proxy (half-open). */
@Timeout(60)
class TcpFailureTest {

    /** Forwards bytes both ways until told to black-hole: then it swallows everything and closes nothing. */
    static final class BlackHoleProxy implements AutoCloseable {
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicBoolean blackHole = new AtomicBoolean();
        private final int targetPort;

        BlackHoleProxy(int targetPort) throws IOException {
            this.targetPort = targetPort;
            Thread.ofPlatform().daemon().start(this::acceptLoop);
        }

        private void acceptLoop() {
            try {
                while (true) {
                    Socket client = server.accept();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    pump(client.getInputStream(), upstream.getOutputStream());
                    pump(upstream.getInputStream(), client.getOutputStream());
                }
            } catch (IOException closed) {
                // proxy closed
            }
        }

        private void pump(InputStream in, OutputStream out) {
            Thread.ofPlatform().daemon().start(() -> {
                byte[] b = new byte[65536];
                try {
                    int n;
                    while ((n = in.read(b)) >= 0) {
                        if (!blackHole.get()) {
                            out.write(b, 0, n);
                        }
                    }
                } catch (IOException ignored) {
                    // one side went away
                }
            });
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /** A listener that accepts the TCP connection and never answers the handshake is a TIMEOUT after the connect timeout. */
    @Test
    void aSilentListenerIsATimeout() throws Exception {
        try (Pair p = new Pair(); ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            long start = System.nanoTime();
            dev.weft.FabricException e = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class,
                    () -> p.clientDomain.connect("tcp://127.0.0.1:" + silent.getLocalPort() + "/target",
                            EndpointConfig.of(p.queue).withConnectTimeout(java.time.Duration.ofMillis(500))));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals(dev.weft.ErrorCode.TIMEOUT, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("did not complete the handshake within 500 ms"), e.getMessage());
            assertTrue(millis >= 400 && millis < 5000, "gave up after " + millis + " ms");
        }
    }

    /** A peer host name that does not resolve is named as such, not as an unresolved socket address nor a refusal. */
    @Test
    void anUnresolvableHostIsNamed() {
        try (Pair p = new Pair()) {
            dev.weft.FabricException e = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class,
                    () -> p.clientDomain.connect("tcp://no-such-host.invalid:7471/target", EndpointConfig.of(p.queue)));
            assertEquals(dev.weft.ErrorCode.INVALID_URI, e.code());
            assertTrue(e.getMessage().contains("the host name \"no-such-host.invalid\" does not resolve"), e.getMessage());
            var ok = p.clientDomain.connect(p.listener.uri().withRegion("target"), EndpointConfig.of(p.queue));
            assertEquals(EndpointState.CONNECTED, ok.state(), "the refused attempt released its connection slot and socket");
        }
        dev.weft.FabricException listen = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class, () -> {
            try (dev.weft.Fabric f = dev.weft.Fabrics.open("tcp://no-such-host.invalid:0")) {
                dev.weft.Domain d = f.openDomain();
                d.listen(EndpointConfig.of(d.openCompletionQueue(8))).close();
            }
        });
        assertTrue(listen.getMessage().contains("no-such-host.invalid"), listen.getMessage());
        assertTrue(listen.getMessage().contains("does not resolve"), listen.getMessage());
    }

    @Test
    void halfOpenPeerIsDetectedWithinTheTimeout() throws Exception {
        try (Pair p = new Pair("?timeout=400", "?timeout=400"); BlackHoleProxy proxy = new BlackHoleProxy(p.listener.uri().port())) {
            var viaProxy = p.clientDomain.connect("tcp://127.0.0.1:" + proxy.server.getLocalPort() + "/target", EndpointConfig.of(p.queue));
            var remote = viaProxy.wellKnownRegion().orElseThrow();
            assertEquals(PostStatus.OK, viaProxy.write(1, p.local, 0, 8, remote, 0));
            assertEquals(Status.SUCCESS, p.await(1).get(0).status());
            proxy.blackHole.set(true);
            long t0 = System.nanoTime();
            assertEquals(PostStatus.OK, viaProxy.read(2, p.local, 0, 8, remote, 0));
            assertEquals(PostStatus.OK, viaProxy.write(3, p.local, 0, 8, remote, 0));
            List<Completion> c = p.await(2);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(Status.RETRY_EXCEEDED, c.get(0).status());
            assertEquals(Status.FLUSHED, c.get(1).status());
            assertTrue(millis <= p.clientFabric.info().limits().peerFailureTimeout().toMillis() + 500,
                    "detected after " + millis + " ms");
            assertEquals(EndpointState.ERROR, viaProxy.state());
            // the direct endpoint is unaffected
            assertEquals(PostStatus.OK, p.endpoint.write(4, p.local, 0, 8, p.remote, 0));
            assertEquals(Status.SUCCESS, p.await(1).get(0).status());
        }
    }

    @Test
    void idleConnectionsSurviveOnKeepalives() throws Exception {
        try (Pair p = new Pair("?timeout=300", "?timeout=300")) {
            Thread.sleep(1200);
            assertEquals(EndpointState.CONNECTED, p.endpoint.state());
            assertEquals(PostStatus.OK, p.endpoint.write(1, p.local, 0, 8, p.remote, 0));
            assertEquals(Status.SUCCESS, p.await(1).get(0).status());
        }
    }

    @Test
    void peerFabricClosedMidTransferFailsOutstandingWork() {
        try (Pair p = new Pair()) {
            int posted = 0;
            for (int i = 0; i < 200; i++) {
                if (p.endpoint.write(i, p.local, 0, 60_000, p.remote, 0) == PostStatus.OK) {
                    posted++;
                }
            }
            p.serverFabric.close();
            List<Completion> c = p.await(posted);
            assertTrue(c.stream().anyMatch(x -> !x.status().isSuccess()) || c.size() == posted);
            assertTrue(c.stream().allMatch(x -> x.status() == Status.SUCCESS || x.status() == Status.FLUSHED
                    || x.status() == Status.RETRY_EXCEEDED), c::toString);
            assertEquals(EndpointState.ERROR, p.endpoint.state());
        }
    }
}
