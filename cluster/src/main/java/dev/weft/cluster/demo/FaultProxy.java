package dev.weft.cluster.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback that cuts an interconnect for real: it forwards bytes both ways until
 * told to {@link Mode#BLACK_HOLE} (swallow everything, keep the sockets open: a half-open link),
 * {@link Mode#DROP} (reset every connection and refuse new ones) or delay traffic. For the demo
 * and the tests. Thread-safe; {@link #close()} ends every thread it started.
 */
public final class FaultProxy implements AutoCloseable {
    /** What the proxy does with traffic. */
    public enum Mode {
        /** Forward bytes both ways. */
        FORWARD,
        /** Swallow all bytes; connections stay open (half-open). */
        BLACK_HOLE,
        /** Close every connection and refuse new ones. */
        DROP
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile Mode mode = Mode.FORWARD;
    private volatile long delayMillis;
    private volatile boolean open = true;

    /**
     * Starts forwarding.
     *
     * @param listenAddress a loopback address to listen on
     * @param target where to forward
     * @throws IOException if the proxy cannot listen
     */
    public FaultProxy(InetAddress listenAddress, InetSocketAddress target) throws IOException {
        this.server = new ServerSocket(0, 50, listenAddress);
        this.target = target;
        Thread.ofPlatform().daemon().name("weft-fault-proxy").start(this::acceptLoop);
    }

    /** @return the port the proxy listens on */
    public int port() {
        return server.getLocalPort();
    }

    /**
     * Changes what happens to traffic from now on.
     *
     * @param next the mode
     */
    public void mode(Mode next) {
        mode = next;
        if (next == Mode.DROP) {
            closeSockets();
        }
    }

    /** @param millis delay added to every forwarded chunk */
    public void delay(long millis) {
        delayMillis = millis;
    }

    private void acceptLoop() {
        while (open) {
            try {
                Socket client = server.accept();
                if (mode == Mode.DROP) {
                    client.close();
                    continue;
                }
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 2000);
                } catch (IOException refused) {
                    client.close(); // as the real peer would: nobody listens there
                    upstream.close();
                    continue;
                }
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (!open) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread.ofPlatform().daemon().name("weft-fault-proxy-pump").start(() -> {
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (delayMillis > 0) {
                        Thread.sleep(delayMillis);
                    }
                    if (mode == Mode.FORWARD) {
                        out.write(buffer, 0, n);
                    }
                }
            } catch (IOException | InterruptedException e) {
                // a side closed or the proxy is closing
            } finally {
                if (mode != Mode.BLACK_HOLE) {
                    try {
                        to.close();
                    } catch (IOException ignored) {
                        // already closed
                    }
                }
            }
        });
    }

    private void closeSockets() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already closed
            }
        }
        sockets.clear();
    }

    /** Stops the proxy and closes every connection. */
    @Override
    public void close() {
        open = false;
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        closeSockets();
    }
}
