package dev.weft;

import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What a provider is and can do: name, version, transports, {@link Capability capabilities}
 * and {@link Limits}. Immutable; shown by {@code weft info}.
 *
 * @param name human-readable provider name, for example "Weft TCP"
 * @param scheme the URI scheme it serves
 * @param version provider version
 * @param description one sentence on what it is for
 * @param transports transports it can run on
 * @param capabilities declared features
 * @param limits numeric limits
 * @param uriParameters URI parameters it understands, name to description, in display order
 */
public record ProviderInfo(String name, String scheme, String version, String description, Set<Transport> transports,
                           Set<Capability> capabilities, Limits limits, Map<String, String> uriParameters) {
    /**
     * Validates and copies the components.
     *
     * @param name provider name
     * @param scheme URI scheme
     * @param version version
     * @param description description
     * @param transports transports
     * @param capabilities capabilities
     * @param limits limits
     * @param uriParameters URI parameters
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} naming the first component that is null (or, in
     *         a set or map, holds a null)
     */
    public ProviderInfo {
        required("name", name);
        required("scheme", scheme);
        required("version", version);
        required("description", description);
        required("transports (an empty set if none)", transports);
        required("capabilities (an empty set if none)", capabilities);
        required("limits", limits);
        required("uriParameters (an empty map if none)", uriParameters);
        boolean nullTransport = transports.stream().anyMatch(Objects::isNull); // contains(null) throws on Set.of
        if (nullTransport || capabilities.stream().anyMatch(Objects::isNull)) {
            throw FabricException.invalid("ProviderInfo." + (nullTransport ? "transports" : "capabilities")
                    + " holds a null; list only Transport and Capability values");
        }
        uriParameters.forEach((key, text) -> {
            if (key == null || text == null) {
                throw FabricException.invalid("ProviderInfo.uriParameters maps " + key + " to " + text
                        + "; give each parameter a name and a description");
            }
        });
        transports = Collections.unmodifiableSet(transports.isEmpty() ? EnumSet.noneOf(Transport.class) : EnumSet.copyOf(transports));
        capabilities = Collections.unmodifiableSet(capabilities.isEmpty() ? EnumSet.noneOf(Capability.class) : EnumSet.copyOf(capabilities));
        uriParameters = Collections.unmodifiableMap(new LinkedHashMap<>(uriParameters));
    }

    private static void required(String component, Object value) {
        if (value == null) {
            throw FabricException.invalid("ProviderInfo." + component + " is null");
        }
    }

    /**
     * @param capability a feature
     * @return {@code true} if declared
     */
    public boolean supports(Capability capability) {
        return capabilities.contains(capability);
    }

    /**
     * Returns a copy with other capabilities and limits, for a provider that narrows its
     * declaration to one device.
     *
     * @param newCapabilities the device's capabilities
     * @param newLimits the device's limits
     * @param newTransports the device's transports
     * @return the copy
     */
    public ProviderInfo forDevice(Set<Capability> newCapabilities, Limits newLimits, Set<Transport> newTransports) {
        return new ProviderInfo(name, scheme, version, description, newTransports, newCapabilities, newLimits, uriParameters);
    }
}
