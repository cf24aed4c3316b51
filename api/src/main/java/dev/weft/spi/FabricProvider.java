package dev.weft.spi;

import dev.weft.Availability;
import dev.weft.DeviceInfo;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import java.util.List;

/**
 * The provider SPI: one implementation per URI scheme, found with
 * {@link java.util.ServiceLoader}. Register it in {@code module-info.java}
 * ({@code provides dev.weft.spi.FabricProvider with ...}) and, for class-path users, in
 * {@code META-INF/services/dev.weft.spi.FabricProvider}.
 *
 * <p><b>Rules.</b> The public no-argument constructor never throws and never loads native
 * code: {@link #availability()} reports whether the provider can run here, and
 * {@link #open(FabricUri)} is the first call that may touch native libraries or the network.
 * Capabilities and limits are data ({@link ProviderInfo}).
 *
 * <p><b>Evolution.</b> This interface grows only by default methods, so that providers written
 * outside the project keep working.
 *
 * <p><b>Threading.</b> Implementations must be thread-safe.
 */
public interface FabricProvider {
    /** @return the URI scheme this provider serves, in lower case, for example {@code "tcp"} */
    String scheme();

    /** @return name, version, transports, capabilities and limits; must not throw */
    ProviderInfo info();

    /** @return whether the provider can run on this host, with a cause and hint if not; must not throw */
    Availability availability();

    /**
     * Opens a fabric. The URI's scheme is this provider's; the provider validates the rest and
     * rejects what it does not understand with a message that names the bad part and shows a
     * valid example.
     *
     * @param uri the parsed URI
     * @return the open fabric
     * @throws FabricException with a clear cause
     */
    Fabric open(FabricUri uri);

    /**
     * Lists the devices this provider can open on this host (empty for providers without
     * devices). May touch native libraries; must not throw for an unavailable provider.
     *
     * @return the devices
     */
    default List<DeviceInfo> devices() {
        return List.of();
    }
}
