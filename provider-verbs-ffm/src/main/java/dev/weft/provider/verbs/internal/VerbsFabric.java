package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.RDMA_CM_ID;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.Domain;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.RdmaCm;
import dev.weft.spi.ChildResources;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A verbs fabric: one RDMA device port and, for listening, one local address. Opened from
 * {@code verbs://ADDRESS:PORT} (the device is the one rdma_cm binds that address to) or
 * {@code verbs://DEVICE[:PORT]} (the address is the first IP in the port's GID table, the
 * listening port ephemeral). Owns the connection manager's event channel and its thread.
 * Thread-safe; closing closes every domain.
 */
public final class VerbsFabric implements Fabric {
    private final FabricUri uri;
    private final VerbsConfig config;
    private final Device device;
    private final InetAddress address;
    private final int listenPort;
    private final ProviderInfo info;
    private final CmChannel cm;
    private final EndpointTable endpoints = new EndpointTable();
    private final ChildResources children = new ChildResources();
    // Every remote key this fabric has handed out: a device may give a new region the key of a closed one (siw draws
    // random 24-bit STag indices), and Weft never lets a key of a closed region open another (VerbsDomain.register).
    private final Set<Integer> issuedKeys = ConcurrentHashMap.newKeySet();
    // librdmacm's device list, held while the fabric is open (see holdDevices).
    private final MemorySegment heldDevices;
    private volatile boolean open = true;

    private VerbsFabric(FabricUri uri, VerbsConfig config, Device device, InetAddress address, int listenPort, ProviderInfo base,
                        CmChannel cm) {
        this.uri = uri;
        this.config = config;
        this.device = device;
        this.address = address;
        this.listenPort = listenPort;
        this.cm = cm;
        this.info = base.forDevice(device.capabilities(), device.limits(config.peerFailureTimeout()), EnumSet.of(device.transport()));
        try {
            this.heldDevices = holdDevices();
        } catch (RuntimeException e) {
            cm.close();
            throw e;
        }
    }

    /**
     * Takes a reference on librdmacm's device contexts for the fabric's lifetime. The fabric's
     * protection domains, queues and regions live on librdmacm's context of the device, but only
     * rdma_cm ids and device lists count as its users: once a removed device has no counted user,
     * librdmacm closes its context, which would pull it from under a fabric that has no endpoint
     * left but still has queues and regions to destroy.
     */
    private static MemorySegment holdDevices() {
        try (Arena arena = Arena.ofConfined()) {
            return RdmaCm.getDevices(arena.allocate(C.INT));
        }
    }

    /**
     * Gives the reference of {@link #holdDevices()} back, last of all. After a device removal,
     * librdmacm closes the removed device's context (which the kernel waits for before the removal
     * completes) only when it has compared its device list with libibverbs' and the last user is
     * gone; so the fabric asks for the devices first, which makes librdmacm compare. It does so on
     * every close, because a fabric without rdma_cm ids (queues and regions only) is never told
     * about a removal. A fabric that was told keeps asking, for up to two seconds, until librdmacm
     * no longer lists the device: the kernel takes the device out of libibverbs' list only after
     * the last rdma_cm id on it is destroyed, in a thread of its own. librdmacm skips the
     * comparison when no device is left: then its context of the removed device stays open until
     * the process exits. Once the device is gone, the fabric also ends the context's
     * asynchronous-event reader ({@link AsyncEvents#stop}), so that no thread uses a context
     * librdmacm is about to close.
     */
    private void releaseDevices() {
        long patience = cm.sawDeviceRemoval() ? TimeUnit.SECONDS.toNanos(2) : 0;
        if (!stillListedAfter(() -> librdmacmStillLists(device.context()), patience)) {
            AsyncEvents.stop(device.context());
        }
        RdmaCm.freeDevices(heldDevices);
    }

    /**
     * Asks {@code stillListed} once, and again every 20 ms while it answers {@code true}, until
     * {@code patienceNanos} have passed. An interrupt ends the waiting early (the thread stays
     * interrupted). Runs on the closing thread.
     *
     * @param stillListed whether the device is still listed; asked at least once
     * @param patienceNanos how long to keep asking; 0 asks once
     * @return the last answer
     */
    static boolean stillListedAfter(BooleanSupplier stillListed, long patienceNanos) {
        long deadline = System.nanoTime() + patienceNanos;
        boolean listed;
        while ((listed = stillListed.getAsBoolean()) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return listed;
    }

    /**
     * @return whether librdmacm, asked again (which makes it drop removed devices), still lists
     *         {@code context}; {@code true} if it fails to answer, since the device may still be there
     */
    private static boolean librdmacmStillLists(MemorySegment context) {
        try {
            return Device.anyListed(c -> c.address() == context.address());
        } catch (FabricException cannotList) {
            return true;
        }
    }

    /**
     * @param uri {@code verbs://ADDRESS:PORT} or {@code verbs://DEVICE[:PORT]}
     * @param base the provider's generic description
     * @return the open fabric
     */
    public static VerbsFabric open(FabricUri uri, ProviderInfo base) {
        uri.requireNoRegion("verbs://192.0.2.1:7471 (a region belongs in the peer URI given to connect)");
        VerbsConfig config = VerbsConfig.from(uri);
        if (!uri.isAddressLiteral()) {
            int port = uri.hasPort() ? uri.port() : 1;
            Device device = Device.named(uri.host(), port);
            if (config.gid() >= 0) {
                InetAddress a = device.gidAddress(config.gid());
                if (a == null) {
                    throw new FabricException(ErrorCode.INVALID_URI, "GID " + config.gid() + " of " + device.name() + " port " + port
                            + " holds no IP address" + (device.transport() == dev.weft.Transport.IWARP
                            ? " (an iWARP device's GIDs never do: drop gid=, the fabric uses the address of the device's interface)" : "")
                            + "; addresses of this port: " + device.addresses());
                }
                CmChannel cm = new CmChannel("weft-verbs-" + device.name());
                return new VerbsFabric(uri, config, device, a, 0, base, cm);
            }
            if (device.addresses().isEmpty()) {
                throw new FabricException(ErrorCode.NOT_SUPPORTED, device.noAddressAdvice());
            }
            CmChannel cm = new CmChannel("weft-verbs-" + device.name());
            return new VerbsFabric(uri, config, device, device.addresses().get(0), 0, base, cm);
        }
        uri.requirePort(VerbsConfig.EXAMPLE);
        if (config.gid() >= 0) {
            throw new FabricException(ErrorCode.INVALID_URI, "gid applies to verbs://DEVICE URIs; with an address rdma_cm picks the GID,"
                    + " e.g. verbs://rxe0?gid=1 or verbs://192.0.2.1:7471");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(uri.host());
        } catch (UnknownHostException e) {
            throw new FabricException(ErrorCode.INVALID_URI, "bad address \"" + uri.host() + "\"; e.g. " + VerbsConfig.EXAMPLE, e);
        }
        CmChannel cm = new CmChannel("weft-verbs-" + uri.host());
        try {
            Device device = deviceOf(cm, address);
            return new VerbsFabric(uri, config, device, address, uri.port(), base, cm);
        } catch (RuntimeException e) {
            cm.close();
            throw e;
        }
    }

    /** Binds a scratch id to the address to learn which device rdma_cm uses for it. */
    private static Device deviceOf(CmChannel cm, InetAddress address) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment id = cm.createId(arena.allocate(C.PTR), "opening a fabric at " + address.getHostAddress());
            try {
                try {
                    RdmaCm.bindAddr(id, Sockaddr.of(arena, address, 0), "binding to " + address.getHostAddress());
                } catch (FabricException e) {
                    throw new FabricException(ErrorCode.INVALID_URI, address.getHostAddress() + " is not an address of this host that rdma_cm"
                            + " can bind (" + e.getMessage() + "); use the IP address of an RDMA-capable interface, e.g. "
                            + VerbsConfig.EXAMPLE, e);
                }
                MemorySegment verbs = id.get(C.PTR, offset(RDMA_CM_ID, "verbs"));
                if (verbs.address() == 0) {
                    throw new FabricException(ErrorCode.INVALID_URI, address.getHostAddress() + " is not on an RDMA device (devices here: "
                            + Device.names() + "); use the address of an interface with an RDMA device (rdma link show)");
                }
                int port = RdmaCm.portNum(id); // set by the bind; 0 would mean librdmacm did not say, and port 1 is then the one
                return Device.byContext(verbs, port == 0 ? 1 : port);
            } finally {
                cm.destroyId(id);
            }
        }
    }

    Device device() {
        return device;
    }

    VerbsConfig config() {
        return config;
    }

    InetAddress address() {
        return address;
    }

    int listenPort() {
        return listenPort;
    }

    CmChannel cm() {
        return cm;
    }

    EndpointTable endpoints() {
        return endpoints;
    }

    ChildResources children() {
        return children;
    }

    void checkOpen() {
        if (!open) {
            throw FabricException.closed("fabric " + uri.safeText());
        }
    }

    @Override
    public FabricUri uri() {
        return uri;
    }

    @Override
    public ProviderInfo info() {
        return info;
    }

    @Override
    public Domain openDomain() {
        checkOpen();
        VerbsDomain d = new VerbsDomain(this);
        try {
            children.add(d, "fabric " + uri.safeText());
        } catch (FabricException e) {
            d.close();
            throw e;
        }
        return d;
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
        RuntimeException failure = null;
        try {
            children.closeAll("fabric " + uri.safeText());
        } catch (RuntimeException e) {
            failure = e;
        }
        cm.close();
        releaseDevices();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "VerbsFabric[" + uri.safeText() + " on " + device + "]";
    }

    /**
     * @param rkey a remote key the device just gave a new region
     * @return {@code true} if this fabric never handed it out before (it is now taken)
     */
    boolean claimKey(int rkey) {
        return issuedKeys.add(rkey);
    }
}
