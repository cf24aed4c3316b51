package dev.weft.provider.tcp.internal;

import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.RemoteRegion;
import dev.weft.spi.PublishChecks;
import dev.weft.spi.Waits;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Listens at the fabric's address. A platform thread accepts sockets; each handshake (version,
 * authentication, well-known region) runs on its own virtual thread, so a slow or hostile client
 * cannot stall others. What a client that has not yet identified itself can hold is bounded: at
 * most {@code max_handshakes} ({@link TcpConfig#maxHandshakes()}, default 64) handshakes are in progress at once (a
 * connection beyond them is closed at once); the client's HELLO, and with a secret its proof, must arrive within
 * {@code hello_timeout} ({@link TcpConfig#helloTimeout()}, default 2 s)
 * and the whole handshake within the connect timeout of the listener's configuration (default
 * 10 s); a connection slot ({@code max_connections}) is reserved only after the HELLO and, when a
 * secret is set, the client's proof. Accepted endpoints start serving one-sided operations at
 * once and wait in a queue for {@link #accept(Duration)}. Thread-safe.
 */
final class TcpListener implements Listener {
    /** How long the accept thread waits after a failed accept of an open listener before it tries again. */
    private static final long ACCEPT_BACKOFF_MILLIS = 100;

    private final TcpDomain domain;
    private final TcpFabric fabric;
    private final EndpointConfig config;
    private final ServerSocket server;
    private final FabricUri uri;
    private final Map<String, TcpMemoryRegion> published = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<TcpEndpoint> accepted = new LinkedBlockingQueue<>();
    private final Thread acceptThread;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean open = true;

    TcpListener(TcpDomain domain, EndpointConfig config) {
        this.domain = domain;
        this.fabric = domain.tcpFabric();
        this.config = config;
        FabricUri local = fabric.uri();
        InetSocketAddress address = new InetSocketAddress(local.host(), local.port());
        if (address.isUnresolved()) {
            throw new FabricException(ErrorCode.INVALID_URI, "cannot listen on " + local.withoutParameters() + ": the host name \""
                    + local.host() + "\" does not resolve to an address; use an address of this host, e.g. tcp://127.0.0.1:7471");
        }
        try {
            server = java.nio.channels.ServerSocketChannel.open().socket(); // accepted sockets have channels: endpoints write through them
            server.setReuseAddress(true);
            server.bind(address, 1024);
        } catch (IOException e) {
            boolean inUse = e instanceof java.net.BindException && String.valueOf(e.getMessage()).contains("in use");
            throw new FabricException(inUse ? ErrorCode.BUSY : ErrorCode.IO_ERROR, "cannot listen on " + local.withoutParameters()
                    + ": " + IoText.of(e) + "; choose a free port (or port 0 for any) on an address of this host", e);
        }
        uri = local.withoutParameters().withPort(server.getLocalPort());
        acceptThread = Thread.ofPlatform().daemon().name(fabric.name() + "-accept-" + uri.port()).start(this::acceptLoop);
    }

    private void acceptLoop() {
        while (open) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!open || server.isClosed()) {
                    return; // closed
                }
                // a passing failure (no file descriptors left, a connection reset before it was taken) must not end
                // accepting for good while the listener stays open: wait a little and take the next one
                try {
                    Thread.sleep(ACCEPT_BACKOFF_MILLIS);
                } catch (InterruptedException stop) {
                    return;
                }
                continue;
            }
            if (pending.incrementAndGet() > fabric.config().maxHandshakes()) {
                pending.decrementAndGet();
                try {
                    socket.close(); // a flood of connections that do not identify themselves holds no thread and no descriptor
                } catch (IOException ignored) {
                    // nothing more to release
                }
                continue;
            }
            try {
                Thread.ofVirtual().name(fabric.name() + "-handshake").start(() -> {
                    try {
                        handshake(socket);
                    } finally {
                        pending.decrementAndGet();
                    }
                });
            } catch (RuntimeException | OutOfMemoryError e) {
                pending.decrementAndGet();
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing more to release
                }
            }
        }
    }

    /** @return the handshakes in progress (for tests) */
    int pendingHandshakes() {
        return pending.get();
    }

    /** Reserves the client's connection slot when the handshake asks (after its HELLO, and its proof if a secret is set). */
    private final class Admission implements Handshake.Admission {
        boolean reserved;

        @Override
        public int admit() {
            int status = preview();
            if (status != Handshake.ST_OK) {
                return status;
            }
            try {
                fabric.reserveConnection();
            } catch (FabricException full) {
                return Handshake.ST_BUSY;
            }
            reserved = true;
            return Handshake.ST_OK;
        }

        @Override
        public int preview() {
            if (!open || !config.sendQueue().isOpen() || !config.receiveQueue().isOpen()) {
                return Handshake.ST_NOT_ACCEPTING;
            }
            return fabric.connectionCount() >= fabric.config().maxConnections() ? Handshake.ST_BUSY : Handshake.ST_OK;
        }
    }

    private void handshake(Socket socket) {
        Admission admission = new Admission();
        boolean done = false;
        try {
            socket.setTcpNoDelay(true);
            long now = System.nanoTime();
            long deadline = now + config.connectTimeout().toNanos(); // at most a day (EndpointConfig.MAX_CONNECT_TIMEOUT)
            long helloDeadline = now + fabric.config().helloTimeout().toNanos();
            int maxMessage = Handshake.server(socket, fabric.config(), admission, this::lookup, helloDeadline, deadline);
            FabricUri peer = FabricUri.parse("tcp://" + hostText(socket) + ":" + socket.getPort());
            TcpEndpoint endpoint = new TcpEndpoint(domain, socket, config, peer, new Handshake.Result(maxMessage, null));
            done = true;
            accepted.add(endpoint);
        } catch (IOException | RuntimeException e) {
            // the client was told why where possible; nothing of this connection stays behind
        } finally {
            if (!done) {
                if (admission.reserved) {
                    fabric.releaseConnection();
                }
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing more to release
                }
            }
        }
    }

    private static String hostText(Socket socket) {
        String h = socket.getInetAddress().getHostAddress().replaceAll("%.*$", "");
        return h.indexOf(':') >= 0 ? "[" + h + "]" : h;
    }

    private RemoteRegion lookup(String name) {
        TcpMemoryRegion region = published.get(name);
        if (region == null) {
            return null;
        }
        return region.isOpen() ? region.toRemote() : Handshake.RegionLookup.CLOSED;
    }

    @Override
    public FabricUri uri() {
        return uri;
    }

    @Override
    public void publish(String name, MemoryRegion region) {
        if (!open) {
            throw FabricException.closed("tcp listener " + uri);
        }
        PublishChecks.require(name, region, region instanceof TcpMemoryRegion r && r.tcpDomain() == domain);
        published.put(name, (TcpMemoryRegion) region);
    }

    @Override
    public boolean unpublish(String name) {
        return name != null && published.remove(name) != null; // null was never published
    }

    @Override
    public Set<String> published() {
        return Waits.openNames(published);
    }

    @Override
    public Endpoint accept(Duration timeout) {
        if (!open) {
            throw FabricException.closed("tcp listener " + uri);
        }
        try {
            return Waits.accept(accepted, timeout, () -> open, "tcp listener " + uri);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        try {
            server.close();
        } catch (IOException ignored) {
            // already closed
        }
        try {
            acceptThread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        published.clear();
        domain.removeChild(this);
    }

    @Override
    public String toString() {
        return "tcp listener " + uri;
    }
}
