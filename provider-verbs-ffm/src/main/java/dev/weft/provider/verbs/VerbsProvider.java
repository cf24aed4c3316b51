package dev.weft.provider.verbs;

import dev.weft.Availability;
import dev.weft.Capability;
import dev.weft.DeviceInfo;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Limits;
import dev.weft.ProviderInfo;
import dev.weft.Transport;
import dev.weft.provider.verbs.internal.Device;
import dev.weft.provider.verbs.internal.Remedy;
import dev.weft.provider.verbs.internal.VerbsConfig;
import dev.weft.provider.verbs.internal.VerbsFabric;
import dev.weft.spi.FabricProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * The verbs provider, scheme {@code verbs}: InfiniBand, RoCE and iWARP devices through
 * libibverbs and librdmacm, bound with the Foreign Function &amp; Memory API (no JNI, no C code
 * shipped). Memory regions register the application's native segments in place (zero copy);
 * posting and polling call the driver directly and allocate nothing.
 *
 * <p>URI: {@code verbs://ADDRESS:PORT[?k=v...]} (the device that address belongs to) or
 * {@code verbs://DEVICE[:PORT]} (a device by name, e.g. {@code rxe0}); peers are
 * {@code verbs://ADDRESS:PORT[/REGION]}. See {@code docs/provider-verbs.md}.
 *
 * <p>The constructor does nothing; {@link #availability()} and {@link #devices()} load the
 * system libraries. Thread-safe.
 */
public final class VerbsProvider implements FabricProvider {
    /** The version of this provider. */
    public static final String VERSION = "0.1.0";

    private static final Duration DEFAULT_PEER_FAILURE = new VerbsConfig(3, 7, 14, Duration.ofSeconds(2), -1).peerFailureTimeout();

    /** Creates the provider; does no work. */
    public VerbsProvider() {
    }

    @Override
    public String scheme() {
        return "verbs";
    }

    @Override
    public ProviderInfo info() {
        Limits limits = new Limits(Integer.MAX_VALUE, 16, Device.INLINE_REQUEST, 16384, 65536, 65536, Long.MAX_VALUE, DEFAULT_PEER_FAILURE, false, false);
        return new ProviderInfo("Weft verbs (FFM)", "verbs", VERSION,
                "libibverbs + librdmacm through the Foreign Function & Memory API; capabilities and limits per device",
                EnumSet.of(Transport.INFINIBAND, Transport.ROCE_V1, Transport.ROCE_V2, Transport.IWARP),
                EnumSet.of(Capability.RMA_READ, Capability.RMA_WRITE, Capability.WRITE_IMM, Capability.SEND_RECV,
                        Capability.ATOMIC_FETCH_ADD, Capability.ATOMIC_CMP_SWAP, Capability.WELL_KNOWN_REGION, Capability.SCATTER_GATHER,
                        Capability.BLOCKING_WAIT, Capability.INLINE),
                limits, VerbsConfig.PARAMETERS);
    }

    /**
     * Available when librdmacm lists at least one device. Only the list is asked for: a device
     * that cannot be described (say {@code ibv_query_port} fails with {@code EIO}) is shown by
     * {@link #devices()} with its failure and does not keep the others from being opened.
     */
    @Override
    public Availability availability() {
        try {
            if (Device.names().isEmpty()) {
                return Availability.unavailable("no RDMA devices found (libibverbs lists none on this host)",
                        "open softroce://NETDEV instead (for example softroce://eth0): it adds a Soft-RoCE device on that network"
                                + " interface where the kernel has rdma_rxe; or use an InfiniBand/RoCE/iWARP adapter; or run inside"
                                + " the testbed: weft testbed exec -- ...");
            }
            return Availability.ofAvailable();
        } catch (FabricException | UnsatisfiedLinkError | IllegalStateException e) {
            return Availability.unavailable(e.getMessage(), Remedy.of(e));
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return Availability.unavailable(String.valueOf(cause.getMessage()), Remedy.of(cause));
        }
    }

    /**
     * Every port of every device librdmacm lists; a device or port that cannot be described is
     * listed too, with transport {@code UNKNOWN}, no capabilities, the native failure
     * (attribute {@code unusable}) and what to do about it ({@code hint}).
     */
    @Override
    public List<DeviceInfo> devices() {
        if (!availability().available()) {
            return List.of();
        }
        Device.Survey<Device> survey = Device.survey();
        List<DeviceInfo> out = new ArrayList<>();
        survey.ports().forEach(d -> out.add(d.info(DEFAULT_PEER_FAILURE)));
        Limits generic = info().limits();
        survey.unusable().forEach(u -> out.add(u.info(generic)));
        return out;
    }

    @Override
    public Fabric open(FabricUri uri) {
        if (!"verbs".equals(uri.scheme())) {
            throw FabricException.invalid("the verbs provider cannot open \"" + uri.safeText() + "\"");
        }
        Availability a = availability();
        if (!a.available()) {
            throw new FabricException(dev.weft.ErrorCode.PROVIDER_UNAVAILABLE, "the verbs provider is unavailable: " + a);
        }
        return VerbsFabric.open(uri, info());
    }
}
