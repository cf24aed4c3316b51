package dev.weft;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A device a provider can open, as {@code weft info} and {@code ibv_devinfo} show it.
 * Immutable.
 *
 * @param name device name, for example {@code mlx5_0} or {@code rxe0}
 * @param uri a URI that opens it
 * @param transport its transport
 * @param capabilities what the provider supports on it
 * @param limits its limits
 * @param attributes further facts in display order (GUID, node type, ports, MTU, GIDs, ...)
 */
public record DeviceInfo(String name, String uri, Transport transport, Set<Capability> capabilities, Limits limits,
                         Map<String, String> attributes) {
    /**
     * Validates and copies the components.
     *
     * @param name name
     * @param uri URI
     * @param transport transport
     * @param capabilities capabilities
     * @param limits limits
     * @param attributes attributes
     */
    public DeviceInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(limits, "limits");
        capabilities = Set.copyOf(capabilities);
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }
}
