package dev.weft.provider.tcp.internal;

import dev.weft.Access;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.spi.ChildResources;
import dev.weft.spi.ConfigChecks;
import dev.weft.spi.SegmentChecks;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Set;

/** A protection domain of the TCP provider: its regions (by remote key), queues, listeners and endpoints. Thread-safe. */
final class TcpDomain implements Domain {
    private final TcpFabric fabric;
    // Two sets: what moves data (endpoints, listeners, connects in progress) closes before what it uses (regions, queues),
    // whatever the creation order. An endpoint made before a region may hold that region's fence (a post writing
    // straight from it); closing the region first would wait for the post, which the endpoint's close ends.
    private final ChildResources children = new ChildResources();
    private final RegionTable regions = new RegionTable();
    private volatile boolean open = true;

    TcpDomain(TcpFabric fabric) {
        this.fabric = fabric;
    }

    TcpFabric tcpFabric() {
        return fabric;
    }

    RegionTable regions() {
        return regions;
    }

    String describe() {
        return "tcp domain of " + fabric.uri().withoutParameters();
    }

    void addChild(AutoCloseable child) {
        children.add(child, describe());
    }

    void removeChild(AutoCloseable child) {
        children.remove(child);
    }

    /** A region of this domain has closed: the endpoints drop their cached views of it. */
    void regionClosed() {
        for (AutoCloseable child : children.snapshot()) {
            if (child instanceof TcpEndpoint e) {
                e.forgetClosedRegions();
            }
        }
    }

    /** A region of this domain closes while accesses hold its fence: wakes the endpoints' posters that may hold it while waiting for room. */
    void wakeFenceHolders() {
        for (AutoCloseable child : children.snapshot()) {
            if (child instanceof TcpEndpoint e) {
                e.wakeFenceHolders();
            }
        }
    }

    @Override
    public Fabric fabric() {
        return fabric;
    }

    @Override
    public MemoryRegion register(MemorySegment segment, Set<Access> access) {
        checkOpen();
        SegmentChecks.requireRegistrable(segment, access, fabric.info().limits().maxRegionSize());
        TcpMemoryRegion region = new TcpMemoryRegion(this, segment, access, fabric.newKey());
        regions.add(region);
        try {
            addChild(region);
        } catch (FabricException e) {
            regions.remove(region);
            throw e;
        }
        return region;
    }

    void unregister(TcpMemoryRegion region) {
        regions.remove(region);
        children.remove(region);
    }

    @Override
    public CompletionQueue openCompletionQueue(int depth) {
        checkOpen();
        if (depth < 1 || depth > (1 << 20)) {
            throw FabricException.invalid("completion queue depth " + depth + " is out of range 1.." + (1 << 20));
        }
        TcpCompletionQueue queue = new TcpCompletionQueue(this, depth);
        addChild(queue);
        return queue;
    }

    @Override
    public Listener listen(EndpointConfig config) {
        checkOpen();
        checkConfig(config);
        TcpListener listener = new TcpListener(this, config);
        try {
            addChild(listener);
        } catch (FabricException e) {
            listener.close();
            throw e;
        }
        return listener;
    }

    void checkConfig(EndpointConfig config) {
        ConfigChecks.require(config, q -> q instanceof TcpCompletionQueue t && t.domainOf() == this, fabric.info().limits(),
                "the endpoint's");
    }

    @Override
    public Endpoint connect(FabricUri peer, EndpointConfig config) {
        checkOpen();
        if (peer == null) {
            throw new FabricException(ErrorCode.INVALID_URI, "connect needs the peer's URI, e.g. tcp://127.0.0.1:7471/config; got none");
        }
        if (!"tcp".equals(peer.scheme())) {
            throw new FabricException(ErrorCode.INVALID_URI, "cannot connect a tcp fabric to \"" + peer.safeText()
                    + "\"; the peer URI must use the tcp scheme, for example tcp://127.0.0.1:7471/config");
        }
        peer.requirePort("tcp://127.0.0.1:7471/config");
        if (peer.port() == 0) {
            throw new FabricException(ErrorCode.INVALID_URI, "cannot connect to port 0 of \"" + peer.safeText()
                    + "\"; name the port the peer listens on, for example tcp://127.0.0.1:7471");
        }
        checkConfig(config);
        fabric.reserveConnection();
        Socket socket;
        try {
            socket = java.nio.channels.SocketChannel.open().socket(); // the endpoint writes through the channel
        } catch (IOException e) {
            fabric.releaseConnection();
            throw new FabricException(ErrorCode.IO_ERROR, "cannot open a socket: " + IoText.of(e), e);
        }
        boolean done = false;
        try {
            // A close of this domain (or its fabric) meanwhile closes the socket, which ends the connect at once.
            children.add(socket, describe());
            TcpEndpoint endpoint = connectOn(socket, peer, config);
            done = true;
            return endpoint;
        } catch (FabricException e) {
            if (!open && e.code() != ErrorCode.CLOSED) {
                throw new FabricException(ErrorCode.CLOSED, describe() + " was closed while connecting to " + peer.withoutParameters()
                        + "; no endpoint was made", e);
            }
            throw e;
        } finally {
            children.remove(socket);
            if (!done) {
                fabric.releaseConnection();
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // nothing more to release
                }
            }
        }
    }

    /** Connects {@code socket} to {@code peer}, runs the client's handshake and makes the endpoint; the caller closes the socket on failure. */
    private TcpEndpoint connectOn(Socket socket, FabricUri peer, EndpointConfig config) {
        try {
            socket.setTcpNoDelay(true);
            long deadline = System.nanoTime() + config.connectTimeout().toNanos(); // connect and handshake together
            int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, config.connectTimeout().toMillis()));
            InetSocketAddress address = new InetSocketAddress(peer.host(), peer.port());
            if (address.isUnresolved()) {
                throw new FabricException(ErrorCode.INVALID_URI, "cannot connect to " + peer.withoutParameters() + ": the host name \""
                        + peer.host() + "\" does not resolve to an address; use an IP address or a name this host resolves");
            }
            try {
                socket.connect(address, timeoutMillis);
            } catch (SocketTimeoutException e) {
                throw new FabricException(ErrorCode.TIMEOUT, "no answer from " + peer.withoutParameters() + " within "
                        + config.connectTimeout().toMillis() + " ms; is a tcp listener running there?", e);
            } catch (java.nio.channels.ClosedByInterruptException e) {
                throw interrupted(peer, e);
            } catch (IOException e) {
                throw connectFailure(peer, e);
            }
            Handshake.Result result = Handshake.client(socket, fabric.config(), peer, deadline);
            return new TcpEndpoint(this, socket, config, peer.withoutParameters(), result);
        } catch (SocketTimeoutException e) {
            throw new FabricException(ErrorCode.TIMEOUT, peer.withoutParameters() + " accepted the connection but did not complete the handshake within "
                    + config.connectTimeout().toMillis() + " ms; is it a Weft tcp listener, and is it overloaded?", e);
        } catch (java.nio.channels.ClosedByInterruptException e) {
            throw interrupted(peer, e);
        } catch (IOException e) {
            throw new FabricException(ErrorCode.CONNECTION_LOST, "connection to " + peer.withoutParameters()
                    + " broke during the handshake: " + IoText.of(e), e);
        }
    }

    /** A connect that the caller's interrupt ended: the interrupt closed the socket (the thread stays interrupted). */
    private static FabricException interrupted(FabricUri peer, IOException e) {
        return new FabricException(ErrorCode.TIMEOUT, "connecting to " + peer.withoutParameters() + " was interrupted: the thread's"
                + " interrupt closed the socket, and no endpoint was made", e);
    }

    private void checkOpen() {
        if (!open) {
            throw FabricException.closed(describe());
        }
    }

    /**
     * What a failed {@code socket.connect} means: a refusal (the peer's host answered with a reset: nothing listens
     * there) is {@code CONNECTION_REFUSED}; the kernel giving up on the handshake is {@code TIMEOUT}; anything else —
     * no route, the network or host unreachable ({@code NoRouteToHostException}, "Network is unreachable"), a local
     * firewall — is {@code UNREACHABLE}: nothing answered, and the peer may well be up.
     */
    static FabricException connectFailure(FabricUri peer, IOException e) {
        String text = String.valueOf(e.getMessage());
        if (e instanceof java.net.ConnectException && text.contains("timed out")) {
            return new FabricException(ErrorCode.TIMEOUT, "no answer from " + peer.withoutParameters() + ": " + IoText.of(e)
                    + "; is the host up, and does a firewall drop the connection?", e);
        }
        if (e instanceof java.net.ConnectException) { // ECONNREFUSED (NoRouteToHostException is no ConnectException)
            return new FabricException(ErrorCode.CONNECTION_REFUSED, "cannot connect to " + peer.withoutParameters() + ": "
                    + IoText.of(e) + "; is a tcp listener running there?", e);
        }
        return new FabricException(ErrorCode.UNREACHABLE, "cannot reach " + peer.withoutParameters() + " from this host: "
                + IoText.of(e) + "; check this host's route and interface to that address (ip route get " + peer.host() + ")", e);
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        open = false;
        try {
            // endpoints, listeners and connects first: they release the regions' fences
            children.closeAll(describe(), child -> !(child instanceof TcpMemoryRegion || child instanceof TcpCompletionQueue));
        } finally {
            fabric.removeDomain(this);
        }
    }
}
