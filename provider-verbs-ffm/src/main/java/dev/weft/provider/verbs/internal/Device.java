package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_CONTEXT;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_DEVICE;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_DEVICE_ATTR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_GID_ENTRY;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_PORT_ATTR;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.Capability;
import dev.weft.DeviceInfo;
import dev.weft.FabricException;
import dev.weft.Limits;
import dev.weft.Transport;
import dev.weft.provider.verbs.internal.nat.C;
import dev.weft.provider.verbs.internal.nat.Ibv;
import dev.weft.provider.verbs.internal.nat.RdmaCm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One port of an RDMA device as librdmacm opened it ({@code rdma_get_devices}): its context,
 * identity, transport, the port and the device's limits, read once. The context belongs to librdmacm and lives as long
 * as the process; Weft never closes it. Immutable, thread-safe.
 *
 * @param context {@code struct ibv_context *}
 * @param name kernel device name, e.g. {@code rxe0}
 * @param guid node GUID
 * @param transport InfiniBand, RoCE v1/v2 or iWARP
 * @param port the 1-based port described
 * @param portState {@code ibv_port_attr.state} ({@code IBV_PORT_DOWN}, {@code INIT}, {@code ARMED}, {@code ACTIVE}, {@code ACTIVE_DEFER})
 * @param activeMtu active MTU in bytes
 * @param maxQueueDepth {@code max_qp_wr}
 * @param maxScatterGather {@code max_sge}; on iWARP the smaller of it and {@code max_sge_rd}
 * @param maxCqDepth {@code max_cqe}
 * @param maxRegionSize {@code max_mr_size}
 * @param maxReadAtomic {@code max_qp_rd_atom}
 * @param maxInitReadAtomic {@code max_qp_init_rd_atom}
 * @param atomics whether the device does RDMA atomics ({@code atomic_cap != IBV_ATOMIC_NONE})
 * @param firmware firmware version
 * @param addresses the port's IP addresses: from its GID table (RoCE), of the interface with its MAC (iWARP), of its
 *                  IPoIB interfaces (InfiniBand)
 * @param vendorId {@code vendor_id} of the device attributes (IEEE OUI; Soft-iWARP: {@value #SIW_VENDOR_ID})
 * @param maxMessageSize the port's {@code max_msg_sz}, at most {@link Integer#MAX_VALUE} (a request's length is an
 *                       {@code int}); a port that reports 0 declares no limit and gets {@link Integer#MAX_VALUE}
 * @param roce on RoCE, the GID types the port has and the one rdma_cm uses ({@link #roceText}); empty elsewhere
 */
public record Device(MemorySegment context, String name, long guid, Transport transport, int port, int portState,
                     int activeMtu, int maxQueueDepth, int maxScatterGather, int maxCqDepth, long maxRegionSize, int maxReadAtomic,
                     int maxInitReadAtomic, boolean atomics, String firmware, List<InetAddress> addresses, int vendorId,
                     long maxMessageSize, String roce) {

    /** The vendor id the Linux Soft-iWARP driver ({@code siw}) reports: ASCII "bmt". */
    public static final int SIW_VENDOR_ID = 0x626d74;

    /** Inline data Weft asks for on send queues; the device may grant less. */
    public static final int INLINE_REQUEST = 64;

    /**
     * Lists the ports of the devices librdmacm can use that could be described; see {@link #survey()}
     * for the ones that could not.
     *
     * @return the described ports, possibly none
     * @throws FabricException if librdmacm cannot be loaded or cannot list the devices
     */
    public static List<Device> all() {
        return survey().ports();
    }

    /**
     * Describes every device librdmacm lists, each in its own attempt: a device (or port) whose
     * description fails, say {@code ibv_query_port} with {@code EIO}, is reported in
     * {@link Survey#unusable()} and the others are still described.
     *
     * @return what was described and what could not be
     * @throws FabricException if librdmacm cannot be loaded or cannot list the devices
     */
    public static Survey<Device> survey() {
        List<Device> ports = new ArrayList<>();
        List<Unusable> unusable = new ArrayList<>();
        anyListed(context -> {
            describeInto(context, NATIVE, ports, unusable);
            return false;
        });
        return new Survey<>(List.copyOf(ports), List.copyOf(unusable));
    }

    /**
     * @return the names of the devices librdmacm lists (asks for nothing but the names)
     * @throws FabricException if librdmacm cannot be loaded or cannot list the devices
     */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        anyListed(context -> {
            names.add(NATIVE.name(context));
            return false;
        });
        return names;
    }

    /**
     * What {@link #survey()} found.
     *
     * @param ports the ports described, in librdmacm's device order
     * @param unusable the devices and ports that could not be described
     * @param <T> the description ({@link Device}; another type in tests)
     */
    public record Survey<T>(List<T> ports, List<Unusable> unusable) {
    }

    /**
     * A device librdmacm lists, or one of its ports, that could not be described.
     *
     * @param name the device name
     * @param port the 1-based port, or 0 when the device itself could not be queried
     * @param error the failure, naming the native function and errno
     */
    public record Unusable(String name, int port, FabricException error) {
        /**
         * @param limits the provider's generic limits (a device that cannot be described declares none of its own)
         * @return the device as {@code weft info} shows it: the failure and what to do about it
         */
        public DeviceInfo info(Limits limits) {
            Map<String, String> a = new LinkedHashMap<>();
            a.put("unusable", error.getMessage());
            a.put("hint", Remedy.of(error));
            return new DeviceInfo(name, "verbs://" + name + (port > 1 ? ":" + port : ""), Transport.UNKNOWN, Set.of(), limits, a);
        }

        @Override
        public String toString() {
            return name + (port == 0 ? "" : " port " + port) + ": " + error.getMessage();
        }
    }

    /** The native calls {@link #describeInto} makes, apart so that the isolation of failures can be tested without a device. */
    interface Describer<C, T> {
        /** @return the device's name */
        String name(C context);

        /** @return how many ports it has ({@code phys_port_cnt}); throws {@link FabricException} if the device cannot be queried */
        int ports(C context);

        /** @return the port's description; throws {@link FabricException} if it cannot be described */
        T describe(C context, int port);
    }

    /**
     * Describes every port of one device into {@code ports}; a failure of the device's query or of
     * one port's goes to {@code unusable} instead, and the remaining ports are still described.
     */
    static <C, T> void describeInto(C context, Describer<C, T> describer, List<T> ports, List<Unusable> unusable) {
        String name = describer.name(context);
        int count;
        try {
            count = describer.ports(context);
        } catch (FabricException e) {
            unusable.add(new Unusable(name, 0, e));
            return;
        }
        for (int port = 1; port <= count; port++) {
            try {
                ports.add(describer.describe(context, port));
            } catch (FabricException e) {
                unusable.add(new Unusable(name, port, e));
            }
        }
    }

    private static final Describer<MemorySegment, Device> NATIVE = new Describer<>() {
        @Override
        public String name(MemorySegment context) {
            return Ibv.deviceName(deviceOf(context));
        }

        @Override
        public int ports(MemorySegment context) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = arena.allocate(IBV_DEVICE_ATTR);
                Ibv.queryDevice(context, attr);
                return Byte.toUnsignedInt(attr.get(C.U8, offset(IBV_DEVICE_ATTR, "phys_port_cnt")));
            }
        }

        @Override
        public Device describe(MemorySegment context, int port) {
            return Device.describe(context, port);
        }
    };

    private static MemorySegment deviceOf(MemorySegment context) {
        return context.reinterpret(IBV_CONTEXT.byteSize()).get(C.PTR, offset(IBV_CONTEXT, "device")).reinterpret(IBV_DEVICE.byteSize());
    }

    /**
     * Asks librdmacm for its device contexts (which also makes it compare its list with
     * libibverbs' and drop removed devices) and shows each to {@code visit} while the list holds
     * them, until one answers {@code true}.
     *
     * @param visit sees each context; {@code true} stops
     * @return whether {@code visit} answered {@code true}; {@code false} when there is no device
     * @throws FabricException if librdmacm cannot be loaded or fails otherwise
     */
    static boolean anyListed(Predicate<MemorySegment> visit) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(C.INT);
            MemorySegment list;
            try {
                list = RdmaCm.getDevices(count);
            } catch (FabricException e) {
                if (e.errno() == dev.weft.provider.verbs.internal.nat.Errno.ENODEV
                        || e.errno() == dev.weft.provider.verbs.internal.nat.Errno.ENOENT) {
                    return false;
                }
                throw e;
            }
            try {
                int n = count.get(C.INT, 0);
                MemorySegment contexts = list.reinterpret(C.PTR.byteSize() * n);
                for (int i = 0; i < n; i++) {
                    if (visit.test(contexts.getAtIndex(C.PTR, i).reinterpret(IBV_CONTEXT.byteSize()))) {
                        return true;
                    }
                }
                return false;
            } finally {
                RdmaCm.freeDevices(list);
            }
        }
    }

    /**
     * @param name a device name
     * @param port 1-based port
     * @return the device
     * @throws FabricException naming the devices that exist if there is no such device
     */
    public static Device named(String name, int port) {
        List<String> names = new ArrayList<>();
        Device[] found = new Device[1];
        anyListed(context -> {
            String n = NATIVE.name(context);
            names.add(n);
            if (n.equals(name)) {
                found[0] = describe(context, port); // only this device is queried: another one's failure does not matter here
                return true;
            }
            return false;
        });
        if (found[0] != null) {
            return found[0];
        }
        throw new FabricException(dev.weft.ErrorCode.INVALID_URI, "no RDMA device named \"" + name + "\"; this host has "
                + (names.isEmpty() ? "none (see `weft info`; try the Soft-RoCE testbed: `weft testbed`)"
                        : names + " (or give an IP address literal, e.g. verbs://192.0.2.1:7471)"));
    }

    /**
     * Describes the device and port an rdma_cm id is bound to: for {@code verbs://ADDRESS:PORT},
     * call it with the id's {@code verbs} and {@link dev.weft.provider.verbs.internal.nat.RdmaCm#portNum}.
     * Only this device is queried.
     *
     * @param context {@code rdma_cm_id.verbs}, a context pointer from librdmacm
     * @param port {@code rdma_cm_id.port_num}, 1-based
     * @return the device port behind it
     * @throws FabricException if the device cannot be described
     */
    public static Device byContext(MemorySegment context, int port) {
        return describe(context.reinterpret(IBV_CONTEXT.byteSize()), port);
    }

    private static Device describe(MemorySegment context, int port) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment device = deviceOf(context);
            String name = Ibv.deviceName(device);
            long guid = Ibv.deviceGuid(device);
            int transportType = device.get(C.INT, offset(IBV_DEVICE, "transport_type"));
            MemorySegment attr = arena.allocate(IBV_DEVICE_ATTR);
            Ibv.queryDevice(context, attr);
            int ports = Byte.toUnsignedInt(attr.get(C.U8, offset(IBV_DEVICE_ATTR, "phys_port_cnt")));
            if (port < 1 || port > ports) {
                throw new FabricException(dev.weft.ErrorCode.INVALID_URI, "device " + name + " has port"
                        + (ports == 1 ? " 1" : "s 1.." + ports) + ", not " + port + "; write verbs://" + name + " for port 1 or verbs://"
                        + name + ":N for port N (a device URI's port is the device's port number, not a network port)");
            }
            MemorySegment pa = arena.allocate(IBV_PORT_ATTR);
            Ibv.queryPort(context, port, pa);
            int linkLayer = Byte.toUnsignedInt(pa.get(C.U8, offset(IBV_PORT_ATTR, "link_layer")));
            boolean rocev1 = false;
            boolean rocev2 = false;
            List<InetAddress> addresses = new ArrayList<>();
            for (MemorySegment entry : gidEntries(arena, context, ports, port, pa)) {
                int gidType = entry.get(C.INT, offset(IBV_GID_ENTRY, "gid_type"));
                rocev1 |= gidType == Ibv.GID_TYPE_ROCE_V1;
                rocev2 |= gidType == Ibv.GID_TYPE_ROCE_V2;
                byte[] raw = entry.asSlice(offset(IBV_GID_ENTRY, "gid"), 16).toArray(C.U8);
                if (transportType == Ibv.TRANSPORT_IWARP) {
                    // iWARP GIDs hold the interface's MAC address, not an IP: take the addresses of that interface
                    addresses = iwarpAddresses(java.util.Arrays.copyOf(raw, 6));
                    break;
                }
                InetAddress a = gidAddress(raw);
                if (a != null && !addresses.contains(a)) {
                    addresses.add(a);
                }
            }
            String mode = defaultRoceMode(SYSFS, name, port);
            Transport transport = transportType == Ibv.TRANSPORT_IWARP ? Transport.IWARP
                    : linkLayer == Ibv.LINK_LAYER_ETHERNET ? roceTransport(rocev2, mode)
                    : linkLayer == Ibv.LINK_LAYER_INFINIBAND || linkLayer == 0 ? Transport.INFINIBAND : Transport.UNKNOWN;
            if (transport == Transport.INFINIBAND) {
                // InfiniBand GIDs are fe80::/64 plus the port GUID: the port's IP addresses are those of its IPoIB interfaces
                addresses = ipoibAddresses(SYSFS, name, port);
            }
            byte[] fw = attr.asSlice(offset(IBV_DEVICE_ATTR, "fw_ver"), 64).toArray(C.U8);
            int len = 0;
            while (len < fw.length && fw[len] != 0) {
                len++;
            }
            int mtuCode = pa.get(C.INT, offset(IBV_PORT_ATTR, "active_mtu"));
            int maxSge = attr.get(C.INT, offset(IBV_DEVICE_ATTR, "max_sge"));
            if (transport == Transport.IWARP) {
                // iWARP devices take fewer entries in a read's sink than elsewhere (siw: one); Weft declares one
                // scatter-gather limit for every operation, so it is the smaller of the two
                maxSge = Math.min(maxSge, Math.max(1, attr.get(C.INT, offset(IBV_DEVICE_ATTR, "max_sge_rd"))));
            }
            return new Device(context, name, guid, transport, port, pa.get(C.INT, offset(IBV_PORT_ATTR, "state")),
                    mtuCode >= Ibv.MTU_256 && mtuCode <= Ibv.MTU_4096 ? 128 << mtuCode : 0,
                    attr.get(C.INT, offset(IBV_DEVICE_ATTR, "max_qp_wr")), maxSge,
                    attr.get(C.INT, offset(IBV_DEVICE_ATTR, "max_cqe")), unsignedSize(attr.get(C.U64, offset(IBV_DEVICE_ATTR, "max_mr_size"))),
                    attr.get(C.INT, offset(IBV_DEVICE_ATTR, "max_qp_rd_atom")),
                    attr.get(C.INT, offset(IBV_DEVICE_ATTR, "max_qp_init_rd_atom")),
                    attr.get(C.INT, offset(IBV_DEVICE_ATTR, "atomic_cap")) != Ibv.ATOMIC_NONE,
                    new String(fw, 0, len, java.nio.charset.StandardCharsets.US_ASCII), List.copyOf(addresses),
                    attr.get(C.INT, offset(IBV_DEVICE_ATTR, "vendor_id")),
                    messageLimit(pa.get(C.INT, offset(IBV_PORT_ATTR, "max_msg_sz"))),
                    transport == Transport.ROCE_V1 || transport == Transport.ROCE_V2 ? roceText(rocev1, rocev2, mode) : "");
        }
    }

    /**
     * The system property that, set to {@value #GID_QUERY_EACH}, makes discovery read a port's GID entries one
     * {@code ibv_query_gid_ex} call per index instead of one {@code ibv_query_gid_table} call: the way around a driver or
     * kernel whose table call misbehaves, and how the tests exercise the per-index path on a device whose table call
     * works. Read at each discovery.
     */
    public static final String GID_QUERY_PROPERTY = "weft.verbs.gidQuery";

    /** The value of {@link #GID_QUERY_PROPERTY} that selects the per-index reads. */
    public static final String GID_QUERY_EACH = "each";

    /**
     * The valid GID entries of one port, in index order. The whole table is read in one call: a RoCE port holds
     * two entries per IP address (v1 and v2) and a NIC with many addresses or VLANs fills far more than the first
     * few indexes, so every entry is looked at, not a fixed number of them. With {@link #GID_QUERY_PROPERTY} set to
     * {@value #GID_QUERY_EACH}, or when the table call fails or finds nothing for the port, each index is asked for.
     *
     * @param ports the device's port count
     * @param port the port whose entries are wanted
     * @param portAttr that port's {@code ibv_port_attr}, already queried
     */
    private static List<MemorySegment> gidEntries(Arena arena, MemorySegment context, int ports, int port,
            MemorySegment portAttr) {
        long room = 0; // ibv_query_gid_table fails unless there is room for every port's valid entries
        MemorySegment other = arena.allocate(IBV_PORT_ATTR);
        for (int p = 1; p <= ports; p++) {
            MemorySegment attr = portAttr;
            if (p != port) {
                Ibv.queryPort(context, p, other);
                attr = other;
            }
            room += Math.max(0, attr.get(C.INT, offset(IBV_PORT_ATTR, "gid_tbl_len")));
        }
        if (room == 0) {
            return List.of();
        }
        room = Math.min(room, Integer.MAX_VALUE / IBV_GID_ENTRY.byteSize());
        MemorySegment table = arena.allocate(IBV_GID_ENTRY, room);
        List<MemorySegment> entries = new ArrayList<>();
        String query = System.getProperty(GID_QUERY_PROPERTY);
        if (query != null && !query.equals(GID_QUERY_EACH)) {
            throw FabricException.invalid("-D" + GID_QUERY_PROPERTY + "=" + query + " is not a way to read GID entries; use "
                    + GID_QUERY_EACH + " (one ibv_query_gid_ex per index) or leave it unset (one ibv_query_gid_table call)");
        }
        if (query == null) {
            try {
                int n = Ibv.queryGidTable(context, table, (int) room);
                for (int i = 0; i < n; i++) {
                    MemorySegment entry = table.asSlice(i * IBV_GID_ENTRY.byteSize(), IBV_GID_ENTRY);
                    if (entry.get(C.INT, offset(IBV_GID_ENTRY, "port_num")) == port) {
                        entries.add(entry);
                    }
                }
            } catch (FabricException tableFailed) {
                entries.clear(); // read entry by entry below
            }
        }
        int ownLength = portAttr.get(C.INT, offset(IBV_PORT_ATTR, "gid_tbl_len"));
        if (entries.isEmpty() && ownLength > 0) {
            // the table call failed, or found nothing for a port that has a table: Linux 5.10's first version of it
            // skipped ports that are neither InfiniBand nor RoCE (iWARP); ask for each index instead
            for (int i = 0; i < ownLength; i++) {
                MemorySegment entry = table.asSlice(i * IBV_GID_ENTRY.byteSize(), IBV_GID_ENTRY);
                if (Ibv.queryGid(context, port, i, entry)) {
                    entries.add(entry);
                }
            }
        }
        entries.sort(java.util.Comparator.comparingInt(e -> e.get(C.INT, offset(IBV_GID_ENTRY, "gid_index"))));
        return entries;
    }

    /**
     * @param index a GID table index of this device's port
     * @return the IP address that GID holds, or null
     */
    public InetAddress gidAddress(int index) {
        if (transport == Transport.IWARP) {
            return null; // an iWARP GID is derived from the hardware address and holds no IP address
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment entry = arena.allocate(IBV_GID_ENTRY);
            if (!Ibv.queryGid(context, port, index, entry)) {
                return null;
            }
            return gidAddress(entry.asSlice(offset(IBV_GID_ENTRY, "gid"), 16).toArray(C.U8));
        }
    }

    /**
     * The IP addresses of the network interface behind an iWARP port: the one whose hardware
     * address is {@code mac}, the first six bytes of the port's first GID (iWARP devices derive
     * their GID from the MAC). Link-local IPv6 addresses are left out, as for RoCE GIDs.
     */
    private static List<InetAddress> iwarpAddresses(byte[] mac) {
        List<InetAddress> out = new ArrayList<>();
        try {
            for (java.net.NetworkInterface nif : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (java.util.Arrays.equals(mac, nif.getHardwareAddress())) {
                    for (InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
                        if (!a.isLinkLocalAddress()) {
                            out.add(a);
                        }
                    }
                }
            }
        } catch (java.net.SocketException e) {
            return out; // no interface list: the device is still usable through verbs://ADDRESS:PORT
        }
        return out;
    }

    /**
     * The RoCE version rdma_cm uses on a port: the port's {@code default_roce_mode} where it was set
     * in configfs, else RoCE v2 when the port has v2 GIDs (the kernel's rdma_cm prefers v2), else v1.
     *
     * @param hasV2 whether one of the GIDs read is of type RoCE v2
     * @param defaultMode the configfs {@code default_roce_mode} text ({@code "RoCE v2"}, {@code "IB/RoCE v1"}), or null
     * @return {@link Transport#ROCE_V2} or {@link Transport#ROCE_V1}
     */
    static Transport roceTransport(boolean hasV2, String defaultMode) {
        if (defaultMode != null) {
            return defaultMode.contains("v2") ? Transport.ROCE_V2 : Transport.ROCE_V1;
        }
        return hasV2 ? Transport.ROCE_V2 : Transport.ROCE_V1;
    }

    /**
     * @param hasV1 whether one of the GIDs read is of type RoCE v1
     * @param hasV2 whether one is RoCE v2
     * @param defaultMode as for {@link #roceTransport}
     * @return what {@code weft info} shows: the GID types present and the one rdma_cm uses, with where that comes from
     */
    static String roceText(boolean hasV1, boolean hasV2, String defaultMode) {
        String present = hasV1 && hasV2 ? "v1 and v2 GIDs" : hasV2 ? "v2 GIDs" : hasV1 ? "v1 GIDs" : "no RoCE GID read";
        String used = roceTransport(hasV2, defaultMode) == Transport.ROCE_V2 ? "v2" : "v1";
        return present + "; rdma_cm uses " + used + (defaultMode != null ? " (configfs default_roce_mode)"
                : hasV2 ? " (its default where the port has v2 GIDs)" : "");
    }

    /** The port's {@code default_roce_mode} in rdma_cm's configfs directory, which exists only where someone created it; else null. */
    private static String defaultRoceMode(Path sysfs, String device, int port) {
        try {
            return java.nio.file.Files.readString(sysfs.resolve("kernel/config/rdma_cm").resolve(device)
                    .resolve("ports").resolve(Integer.toString(port)).resolve("default_roce_mode")).trim();
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * @param state {@code ibv_port_attr.state}
     * @return its name as {@code ibv_devinfo} prints it without the {@code PORT_} prefix ({@code DOWN}, {@code INIT},
     *         {@code ARMED}, {@code ACTIVE}, {@code ACTIVE_DEFER}), or {@code STATE n} for another value
     */
    static String portStateName(int state) {
        return switch (state) {
            case Ibv.PORT_DOWN -> "DOWN";
            case Ibv.PORT_INIT -> "INIT";
            case Ibv.PORT_ARMED -> "ARMED";
            case Ibv.PORT_ACTIVE -> "ACTIVE";
            case Ibv.PORT_ACTIVE_DEFER -> "ACTIVE_DEFER";
            default -> "STATE " + state;
        };
    }

    /** @return whether the port is ACTIVE */
    public boolean portActive() {
        return portState == Ibv.PORT_ACTIVE;
    }

    /** Where sysfs is mounted. */
    static final Path SYSFS = Path.of("/sys");

    /** {@code ARPHRD_INFINIBAND}, the {@code type} sysfs shows for an IPoIB interface ({@code linux/if_arp.h}). */
    static final int ARPHRD_INFINIBAND = 32;

    /** The non-link-local IP addresses of the IPoIB interfaces of a port (see {@link #ipoibInterfaces}). */
    private static List<InetAddress> ipoibAddresses(Path sysfs, String device, int port) {
        List<InetAddress> out = new ArrayList<>();
        for (String name : ipoibInterfaces(sysfs, device, port)) {
            try {
                java.net.NetworkInterface nif = java.net.NetworkInterface.getByName(name);
                if (nif != null) {
                    for (InetAddress a : java.util.Collections.list(nif.getInetAddresses())) {
                        if (!a.isLinkLocalAddress() && !out.contains(a)) {
                            out.add(a);
                        }
                    }
                }
            } catch (java.net.SocketException e) {
                // no address from this interface; the port may still be opened through verbs://ADDRESS:PORT
            }
        }
        return out;
    }

    /**
     * The IPoIB network interfaces of an InfiniBand port, as the kernel shows them: the IPoIB
     * driver places a port's interface under the device's parent
     * ({@code SYSFS/class/infiniband/DEVICE/device/net/IF}) and numbers the port from 0 in the
     * interface's {@code dev_port} (older kernels: in {@code dev_id}, hexadecimal, with
     * {@code dev_port} 0 for every interface). Interfaces whose {@code type} is not
     * {@value #ARPHRD_INFINIBAND} (the Ethernet port of a VPI adapter) are left out. P_Key child
     * interfaces ({@code ib0.8001}) are virtual devices, not under the device, and are not found.
     *
     * @param sysfs where sysfs is mounted ({@link #SYSFS}; a directory shaped like it in tests)
     * @param device the RDMA device name, e.g. {@code mlx5_0}
     * @param port the 1-based port
     * @return the interface names, sorted; empty if there are none or sysfs cannot be read
     */
    static List<String> ipoibInterfaces(Path sysfs, String device, int port) {
        Path net = sysfs.resolve("class/infiniband").resolve(device).resolve("device/net");
        List<Path> interfaces;
        try (java.util.stream.Stream<Path> list = java.nio.file.Files.list(net)) {
            interfaces = list.sorted().toList();
        } catch (java.io.IOException | RuntimeException e) {
            return List.of();
        }
        List<Path> ipoib = interfaces.stream().filter(i -> sysfsNumber(i.resolve("type"), 10) == ARPHRD_INFINIBAND).toList();
        boolean byDevPort = ipoib.stream().anyMatch(i -> sysfsNumber(i.resolve("dev_port"), 10) > 0);
        List<String> out = new ArrayList<>();
        for (Path i : ipoib) {
            long index = byDevPort ? sysfsNumber(i.resolve("dev_port"), 10) : sysfsNumber(i.resolve("dev_id"), 16);
            if (index == port - 1) {
                out.add(i.getFileName().toString());
            }
        }
        return out;
    }

    /** A number in a sysfs file ({@code 0x} prefix allowed for base 16), or -1 if it is missing or unreadable. */
    private static long sysfsNumber(Path file, int radix) {
        try {
            String text = java.nio.file.Files.readString(file).trim();
            if (radix == 16 && text.startsWith("0x")) {
                text = text.substring(2);
            }
            return Long.parseLong(text, radix);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Why {@code verbs://DEVICE} cannot be opened on this port when {@link #addresses()} is empty,
     * and what would make it work: rdma_cm listens and connects by IP address.
     *
     * @return one actionable sentence naming the device and port
     */
    public String noAddressAdvice() {
        String where = "device " + name + " port " + port;
        String open = "then open verbs://" + name + (port == 1 ? "" : ":" + port) + " or verbs://ADDRESS:PORT with that address";
        if (transport == Transport.INFINIBAND) {
            return where + " has no IPoIB interface with an IP address (InfiniBand GIDs hold no IP address, and rdma_cm"
                    + " resolves InfiniBand peers through IPoIB; looked in /sys/class/infiniband/" + name + "/device/net for an"
                    + " interface with dev_port " + (port - 1) + "): bring the port's IPoIB interface up with an address"
                    + " (e.g. ip addr add 192.0.2.1/24 dev ib0), " + open;
        }
        return where + " has no IP address " + (transport == Transport.IWARP ? "on the network interface with its MAC address"
                : "in its GID table") + ", so rdma_cm cannot listen or connect on it: assign an address to its network interface, " + open;
    }

    /** @return the largest request length Weft declares for a port reporting {@code maxMsgSz} (an unsigned 32-bit count) */
    static long messageLimit(int maxMsgSz) {
        long limit = Integer.toUnsignedLong(maxMsgSz);
        return limit == 0 ? Integer.MAX_VALUE : Math.min(limit, Integer.MAX_VALUE);
    }

    /** A u64 size as a positive long: values above {@code Long.MAX_VALUE} (rxe reports all ones) are capped. */
    private static long unsignedSize(long size) {
        return size <= 0 ? Long.MAX_VALUE : size;
    }

    /** An IPv4-mapped GID ({@code ::ffff:a.b.c.d}) or a non-link-local IPv6 GID as an address; else null. */
    private static InetAddress gidAddress(byte[] gid) {
        boolean zero = true;
        for (byte b : gid) {
            zero &= b == 0;
        }
        if (zero) {
            return null;
        }
        try {
            boolean mapped = true;
            for (int i = 0; i < 10; i++) {
                mapped &= gid[i] == 0;
            }
            if (mapped && gid[10] == (byte) 0xff && gid[11] == (byte) 0xff) {
                return InetAddress.getByAddress(java.util.Arrays.copyOfRange(gid, 12, 16));
            }
            if (gid[0] == (byte) 0xfe && (gid[1] & 0xc0) == 0x80) {
                return null;
            }
            return InetAddress.getByAddress(gid);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** @return whether this is the Linux kernel's Soft-iWARP device ({@code siw}), whose driver defects the provider works around */
    public boolean isSoftIwarp() {
        return transport == Transport.IWARP && vendorId == SIW_VENDOR_ID;
    }

    /**
     * The capabilities Weft declares for this device. iWARP has no write-with-immediate and no
     * atomics; scatter-gather lists are declared where the device takes more than one entry in
     * every operation (iWARP read sinks often take one).
     *
     * @return the declared capabilities
     */
    public Set<Capability> capabilities() {
        EnumSet<Capability> caps = EnumSet.of(Capability.RMA_READ, Capability.RMA_WRITE, Capability.SEND_RECV,
                Capability.WELL_KNOWN_REGION, Capability.BLOCKING_WAIT, Capability.INLINE);
        if (transport != Transport.IWARP) {
            caps.add(Capability.WRITE_IMM);
        }
        if (maxScatterGather > 1) {
            caps.add(Capability.SCATTER_GATHER);
        }
        if (atomics && transport != Transport.IWARP) {
            caps.add(Capability.ATOMIC_FETCH_ADD);
            caps.add(Capability.ATOMIC_CMP_SWAP);
        }
        return caps;
    }

    /** @return the most gather entries Weft lets a request of this device have: the device's own limit, at most 16 */
    public int scatterGatherLimit() {
        return Math.max(1, Math.min(maxScatterGather, 16));
    }

    /**
     * @param peerFailure how long the provider takes to declare a silent peer failed
     * @return the limits Weft declares for this device
     */
    public Limits limits(Duration peerFailure) {
        return new Limits(maxMessageSize, scatterGatherLimit(), INLINE_REQUEST, Math.max(1, maxQueueDepth),
                Math.max(1, maxCqDepth), 65536, maxRegionSize, peerFailure,
                transport == Transport.IWARP, transport == Transport.IWARP);
    }

    /**
     * @param peerFailure as for {@link #limits}
     * @return the device as {@code weft info} shows it
     */
    public DeviceInfo info(Duration peerFailure) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("guid", String.format("%04x:%04x:%04x:%04x", guid >>> 48, (guid >>> 32) & 0xffff, (guid >>> 16) & 0xffff, guid & 0xffff));
        a.put("port", port + " " + portStateName(portState));
        if (!roce.isEmpty()) {
            a.put("roce", roce);
        }
        a.put("mtu", Integer.toString(activeMtu));
        a.put("firmware", firmware.isEmpty() ? "-" : firmware);
        a.put("addresses", addresses.isEmpty() ? "none: " + noAddressAdvice()
                : String.join(", ", addresses.stream().map(InetAddress::getHostAddress).toList()));
        a.put("atomics", atomics ? "yes" : "no");
        a.put("max_qp_wr", Integer.toString(maxQueueDepth));
        a.put("max_sge", Integer.toString(maxScatterGather));
        a.put("max_cqe", Integer.toString(maxCqDepth));
        a.put("max_qp_rd_atom", Integer.toString(maxReadAtomic));
        a.put("max_msg_sz", Long.toString(maxMessageSize));
        // a port without an IP address cannot be opened by name (rdma_cm works by address): no URI then, the advice instead
        String uri = addresses.isEmpty() ? "-" : "verbs://" + name + (port == 1 ? "" : ":" + port);
        return new DeviceInfo(name, uri, transport, capabilities(), limits(peerFailure), a);
    }

    @Override
    public String toString() {
        return name + (port == 1 ? "" : ":" + port) + " (" + transport + ")";
    }

    static MemorySegment opsPointer(MemorySegment context, String op) {
        return context.reinterpret(IBV_CONTEXT.byteSize()).get(C.PTR, offset(IBV_CONTEXT, "ops." + op));
    }
}
