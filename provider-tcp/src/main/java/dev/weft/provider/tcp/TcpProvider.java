package dev.weft.provider.tcp;

import dev.weft.Availability;
import dev.weft.Capability;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Limits;
import dev.weft.ProviderInfo;
import dev.weft.Transport;
import dev.weft.provider.tcp.internal.TcpConfig;
import dev.weft.provider.tcp.internal.TcpFabric;
import dev.weft.spi.FabricProvider;
import java.time.Duration;
import java.util.EnumSet;

/**
 * The TCP provider, scheme {@code tcp}: RDMA write, write-with-immediate, read, send/receive,
 * atomics, scatter-gather lists and well-known regions over plain TCP, for hosts without RDMA
 * hardware. The target side is served by the provider, without the target application's
 * involvement. Runs everywhere a JDK runs, so it is always available.
 *
 * <p>URI: {@code tcp://HOST:PORT[/REGION][?progress=auto|manual&secret=...&timeout=MS&...]};
 * see {@code docs/provider-tcp.md}. Thread-safe; the constructor does nothing.
 */
public final class TcpProvider implements FabricProvider {
    /** The version of this provider. */
    public static final String VERSION = "0.1.0";

    /** Creates the provider; does no work. */
    public TcpProvider() {
    }

    @Override
    public String scheme() {
        return "tcp";
    }

    @Override
    public ProviderInfo info() {
        return info(TcpConfig.DEFAULT_MAX_MESSAGE, 4096, Duration.ofMillis(3000));
    }

    private static ProviderInfo info(int maxMessage, int maxConnections, Duration peerTimeout) {
        // A dead peer is declared after `timeout` of silence; the check runs every timeout/4.
        Duration detection = peerTimeout.plus(peerTimeout.dividedBy(2));
        Limits limits = new Limits(maxMessage, TcpConfig.MAX_SGE, 0, TcpConfig.MAX_QUEUE_DEPTH, 1 << 20, maxConnections, Long.MAX_VALUE, detection, false, false);
        return new ProviderInfo("Weft TCP", "tcp", VERSION,
                "RDMA semantics emulated over TCP; runs on every host",
                EnumSet.of(Transport.TCP),
                EnumSet.of(Capability.RMA_READ, Capability.RMA_WRITE, Capability.WRITE_IMM, Capability.SEND_RECV,
                        Capability.ATOMIC_FETCH_ADD, Capability.ATOMIC_CMP_SWAP, Capability.WELL_KNOWN_REGION,
                        Capability.SCATTER_GATHER, Capability.BLOCKING_WAIT, Capability.AUTHENTICATION),
                limits, TcpConfig.PARAMETERS);
    }

    @Override
    public Availability availability() {
        return Availability.ofAvailable();
    }

    @Override
    public Fabric open(FabricUri uri) {
        if (!"tcp".equals(uri.scheme())) {
            throw FabricException.invalid("the tcp provider cannot open \"" + uri.safeText() + "\"");
        }
        uri.requirePort(TcpConfig.EXAMPLE);
        uri.requireNoRegion("tcp://127.0.0.1:7471 (a region belongs in the peer URI given to connect)");
        TcpConfig config = TcpConfig.from(uri);
        return new TcpFabric(uri, config, info(config.maxMessage(), config.maxConnections(), config.peerTimeout()));
    }
}
