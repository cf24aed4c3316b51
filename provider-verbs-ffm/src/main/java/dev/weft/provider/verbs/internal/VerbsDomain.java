package dev.weft.provider.verbs.internal;

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
import dev.weft.provider.verbs.internal.nat.Ibv;
import dev.weft.spi.ChildResources;
import dev.weft.spi.SegmentChecks;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A verbs domain: one protection domain ({@code ibv_alloc_pd}) on the fabric's device. Regions,
 * queues, listeners and endpoints of a domain share it. Thread-safe; closing closes every child
 * (endpoints, listeners and connects in progress first, then regions and queues), then deallocates the PD. A
 * {@link #connect} running on another thread when the domain closes ends with {@code CLOSED}; the close waits
 * for it to release its queue pair.
 */
final class VerbsDomain implements Domain {
    private final VerbsFabric fabric;
    private final MemorySegment pd;
    private final ChildResources children = new ChildResources();
    private volatile boolean open = true;

    VerbsDomain(VerbsFabric fabric) {
        this.fabric = fabric;
        this.pd = Ibv.allocPd(fabric.device().context());
    }

    MemorySegment pd() {
        return pd;
    }

    VerbsFabric verbsFabric() {
        return fabric;
    }

    void checkOpen() {
        if (!open) {
            throw FabricException.closed("domain");
        }
    }

    <T extends AutoCloseable> T adopt(T child) {
        try {
            children.add(child, "domain");
        } catch (FabricException e) {
            try {
                child.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return child;
    }

    /**
     * Registers a connect in progress, before it makes anything native: closing the domain closes the attempt (which ends
     * the connect) and waits for it before destroying queues and the protection domain. The connecting thread
     * {@link #forget forgets} it when it returns.
     *
     * @throws FabricException CLOSED if the domain is closing
     */
    void beginConnect(ConnectAttempt attempt) {
        children.add(attempt, "domain");
    }

    void forget(AutoCloseable child) {
        children.remove(child);
    }

    @Override
    public Fabric fabric() {
        return fabric;
    }

    @Override
    public MemoryRegion register(MemorySegment segment, Set<Access> access) {
        checkOpen();
        SegmentChecks.requireRegistrable(segment, access, fabric.device().maxRegionSize());
        // A key of a closed region must never open another: register again while the device repeats a key this fabric
        // has handed out (siw draws STag indices at random), then release the duplicates. Only keys that grant remote
        // rights count (rxe gives every local-only region the key 0).
        boolean remote = access.contains(Access.REMOTE_READ) || access.contains(Access.REMOTE_WRITE) || access.contains(Access.REMOTE_ATOMIC);
        VerbsMemoryRegion region = new VerbsMemoryRegion(this, segment, access);
        List<VerbsMemoryRegion> repeated = new ArrayList<>();
        try {
            while (remote && !fabric.claimKey((int) region.remoteKey())) {
                repeated.add(region);
                if (repeated.size() == 64) {
                    throw new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "the device handed out 64 remote keys in a row that this fabric had "
                            + "already used; open a new fabric");
                }
                region = new VerbsMemoryRegion(this, segment, access);
            }
        } catch (RuntimeException e) {
            region.close();
            repeated.forEach(VerbsMemoryRegion::close);
            throw e;
        }
        repeated.forEach(VerbsMemoryRegion::close);
        return adopt(region);
    }

    @Override
    public CompletionQueue openCompletionQueue(int depth) {
        checkOpen();
        int max = fabric.device().maxCqDepth();
        if (depth < 1 || depth > max) {
            throw FabricException.invalid("completion queue depth " + depth + " is out of range 1.." + max + " for " + fabric.device().name());
        }
        return adopt(new VerbsCompletionQueue(this, depth));
    }

    @Override
    public Listener listen(EndpointConfig config) {
        checkOpen();
        return adopt(new VerbsListener(this, config));
    }

    @Override
    public Endpoint connect(FabricUri peer, EndpointConfig config) {
        checkOpen();
        if (peer == null) {
            throw new FabricException(ErrorCode.INVALID_URI, "connect needs the peer's URI, e.g. verbs://192.0.2.1:7471/config; got none");
        }
        if (!"verbs".equals(peer.scheme())) {
            throw new FabricException(ErrorCode.INVALID_URI, "a verbs domain connects to verbs:// peers, not \"" + peer.safeText()
                    + "\"; e.g. verbs://192.0.2.1:7471/config");
        }
        VerbsEndpoint.checkConfig(this, config, "the endpoint's"); // before any native work; the endpoint checks again
        return VerbsEndpoint.connect(this, peer, config);
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
        FabricException failure = null;
        try {
            // endpoints, listeners and connects in progress first: a completion queue refuses to close under an open
            // endpoint, and the protection domain under a queue pair
            children.closeAll("domain",
                    child -> child instanceof VerbsEndpoint || child instanceof VerbsListener || child instanceof ConnectAttempt);
        } catch (FabricException e) {
            failure = e;
        }
        fabric.children().remove(this);
        try {
            Ibv.deallocPd(pd);
        } catch (FabricException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
