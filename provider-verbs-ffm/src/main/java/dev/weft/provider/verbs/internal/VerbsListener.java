package dev.weft.provider.verbs.internal;

import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.RemoteRegion;
import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.RdmaCm;
import dev.weft.provider.verbs.internal.nat.Structs;
import dev.weft.spi.PublishChecks;
import dev.weft.spi.Waits;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Listens with rdma_cm at the fabric's address and port. Connection requests are answered on
 * the connection manager's thread, without the application: the requested well-known region is
 * looked up, a queue pair is created with the listener's {@link EndpointConfig} and the request
 * is accepted with the region's descriptor as private data (or rejected with a Weft reason if the
 * name is unknown). Established endpoints belong to the domain and wait in a queue for
 * {@link #accept(Duration)}. Thread-safe. Closing stops listening and leaves every connection it
 * accepted open, handed out or not, as {@link Listener} promises: a peer's one-sided operations go
 * on being served until the endpoint's domain closes. A connection still being set up when the
 * listener closes is completed and kept the same way. One answered but not established within the
 * connect timeout of the listener's configuration is given up.
 */
final class VerbsListener implements Listener {
    private final VerbsDomain domain;
    private final EndpointConfig config;
    private final MemorySegment id;
    private final FabricUri uri;
    private final Map<String, MemoryRegion> published = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<VerbsEndpoint> accepted = new LinkedBlockingQueue<>();
    private final Set<VerbsEndpoint> pending = ConcurrentHashMap.newKeySet();
    private volatile boolean open = true;

    VerbsListener(VerbsDomain domain, EndpointConfig config) {
        this.domain = domain;
        this.config = config;
        VerbsFabric fabric = domain.verbsFabric();
        VerbsEndpoint.checkConfig(domain, config, "the listener's");
        String host = fabric.address().getHostAddress();
        String what = "listening at " + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + fabric.listenPort();
        try (Arena scratch = Arena.ofConfined()) {
            id = fabric.cm().createId(scratch.allocate(C.PTR), what);
            try {
                RdmaCm.bindAddr(id, Sockaddr.of(scratch, fabric.address(), fabric.listenPort()), what);
                RdmaCm.listen(id, 128, what);
            } catch (RuntimeException e) {
                fabric.cm().destroyId(id);
                throw e;
            }
        }
        int port = RdmaCm.srcPort(id);
        uri = FabricUri.parse("verbs://" + VerbsEndpoint.uriHost(fabric.address()) + ":" + port);
        fabric.cm().register(id.address(), this::onRequest);
    }

    /**
     * An event of the listening id, on the connection manager's thread: a connect request (whose
     * event carries the new id), or an event about the listening id itself (device removal,
     * address change), which carries no new id and must not be answered as a request: rejecting
     * and destroying "its" id would destroy the listening id, which {@link #close()} destroys
     * again.
     */
    private void onRequest(CmEvent event) {
        if (event.type() != RdmaCm.EVENT_CONNECT_REQUEST) {
            return; // a removal is recorded by the fabric's channel (see accept)
        }
        MemorySegment newId = MemorySegment.ofAddress(event.id()).reinterpret(Structs.RDMA_CM_ID.byteSize());
        String name = PrivateData.requestedRegion(event.privateData());
        RemoteRegion region = null;
        if (name == null) {
            reject(newId, PrivateData.REJECT_BAD_REQUEST, "not a Weft connect request");
            return;
        }
        if (!name.isEmpty()) {
            MemoryRegion r = published.get(name);
            if (r == null || !r.isOpen()) {
                reject(newId, PrivateData.REJECT_NO_SUCH_REGION, r == null
                        ? "no region named \"" + name + "\" is published here; published: " + new TreeSet<>(published())
                        : "the region published under that name was closed; its owner must publish an open one again");
                return;
            }
            region = r.toRemote();
        }
        // Under the listener's lock, which close takes to turn it off: an endpoint is either made and in pending before
        // close looks there, or not made at all, so a closing listener (or domain) never misses one that still uses
        // the domain's queues, and close never frees one that rdma_accept is about to use.
        synchronized (this) {
            if (!open || !domain.isOpen()) {
                reject(newId, PrivateData.REJECT_RESOURCES, "the listener is closing");
                return;
            }
            VerbsEndpoint endpoint;
            try {
                endpoint = VerbsEndpoint.accepting(domain, newId, config);
            } catch (RuntimeException | Error e) { // also out of memory: the request is refused, not left unanswered
                reject(newId, PrivateData.REJECT_RESOURCES, "cannot create an endpoint: " + (e instanceof FabricException ? e.getMessage() : e));
                return;
            }
            pending.add(endpoint);
            endpoint.whenEstablished(this::established);
            endpoint.whenSetupFails(this::setupFailed);
            // a client that vanishes between our answer and its confirmation without its connection manager telling ours
            // (seen on rxe) would hold this queue pair until ours gives up resending the answer, about a minute: the
            // listener gives up after the connect timeout of its configuration, as a TCP listener drops a SYN-RECV entry
            CompletableFuture.delayedExecutor(config.connectTimeout().toNanos(), TimeUnit.NANOSECONDS).execute(() -> expire(endpoint));
            int rc;
            try (Arena scratch = Arena.ofConfined()) {
                rc = RdmaCm.accept(newId, endpoint.connParam(scratch, PrivateData.accept(region), event));
            }
            if (rc != 0) {
                pending.remove(endpoint);
                endpoint.close();
            }
        }
    }

    /**
     * A pending endpoint's connection ended before it was established, on the connection manager's thread: nothing will
     * accept it, so its queue pair and id go now (before, it stayed pending until the listener closed).
     */
    private synchronized void setupFailed(VerbsEndpoint endpoint) {
        if (pending.remove(endpoint)) {
            endpoint.close();
        }
    }

    /** A pending endpoint still not established after the connect timeout: released (outside the lock: close may wait for the CM thread). */
    private void expire(VerbsEndpoint endpoint) {
        synchronized (this) {
            if (!pending.remove(endpoint)) {
                return; // established, failed or refused meanwhile
            }
        }
        endpoint.close();
    }

    /**
     * A pending endpoint's connection is up, on the connection manager's thread: it waits for {@link #accept}, or, if the
     * listener closed meanwhile (which gave it to the domain already), serves its peer until the domain closes.
     */
    private synchronized void established(VerbsEndpoint endpoint) {
        if (!pending.remove(endpoint) || !open) {
            return;
        }
        try {
            domain.adopt(endpoint);
        } catch (FabricException e) {
            return; // the domain is closing: adopt closed the endpoint
        }
        accepted.add(endpoint);
    }

    private void reject(MemorySegment newId, int reason, String message) {
        byte[] data = PrivateData.reject(reason, message);
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment d = scratch.allocate(data.length);
            MemorySegment.copy(MemorySegment.ofArray(data), 0, d, 0, data.length);
            RdmaCm.reject(newId, d, data.length);
        }
        domain.verbsFabric().cm().destroyId(newId);
    }

    @Override
    public FabricUri uri() {
        return uri;
    }

    @Override
    public void publish(String name, MemoryRegion region) {
        if (!open) {
            throw FabricException.closed("listener");
        }
        PublishChecks.require(name, region, region instanceof VerbsMemoryRegion r && r.verbsDomain() == domain);
        published.put(name, region);
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
            throw FabricException.closed("listener");
        }
        Waits.nanos(timeout, "the accept timeout"); // a null timeout is refused whether or not an endpoint is waiting
        try {
            VerbsEndpoint next = accepted.poll();
            if (next == null && domain.verbsFabric().cm().sawDeviceRemoval()) {
                throw new FabricException(ErrorCode.CLOSED, "the listener at " + uri + " accepts no more connections: its RDMA device"
                        + " was removed. Close the listener and its fabric (the removal waits for that), then listen on a fabric"
                        + " of another device");
            }
            if (next != null) {
                return next;
            }
            return Waits.accept(accepted, timeout, () -> open, "listener " + uri);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        List<VerbsEndpoint> settingUp;
        synchronized (this) { // see onRequest: after this no endpoint enters pending or accepted
            if (!open) {
                return;
            }
            open = false;
            settingUp = List.copyOf(pending);
        }
        // Connections still being set up become the domain's now, as established ones are: each then ends as its
        // connection does (setupFailed, expire, or kept: established does nothing more once the listener is closed) or
        // with the domain. A closing domain refuses them and adopt closes the endpoint: outside the listener's lock, which
        // the connection manager's thread takes for every event of a pending endpoint, so that it never waits on native
        // teardown.
        for (VerbsEndpoint e : settingUp) {
            try {
                domain.adopt(e);
            } catch (FabricException closing) {
                pending.remove(e);
            }
        }
        VerbsFabric fabric = domain.verbsFabric();
        fabric.cm().unregister(id.address());
        fabric.cm().destroyId(id); // the connections it accepted have ids of their own, which stay
        accepted.clear(); // taken by nobody now; each stays open as a child of the domain
        domain.forget(this);
    }
}
