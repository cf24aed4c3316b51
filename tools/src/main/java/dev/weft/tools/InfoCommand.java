package dev.weft.tools;

import dev.weft.Availability;
import dev.weft.Capability;
import dev.weft.DeviceInfo;
import dev.weft.Fabrics;
import dev.weft.Limits;
import dev.weft.ProviderInfo;
import dev.weft.ProviderStatus;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code weft info}: what {@code fi_info} and {@code ibv_devinfo} tell C users. */
final class InfoCommand {
    static final String USAGE = """
            usage: weft info [--json]

            Lists every installed provider, available or not (with the cause and a hint), its
            transports, capabilities, limits, URI parameters, and the devices it can open.
              --json   one JSON document instead of text""";

    private InfoCommand() {
    }

    static int run(List<String> argv, PrintStream out) {
        Args args = Args.parse(argv, Set.of(), Set.of("json"));
        List<Map<String, Object>> providers = new ArrayList<>();
        for (ProviderStatus status : Fabrics.providers()) {
            providers.add(describe(status));
        }
        if (args.flag("json")) {
            out.println(Json.write(Map.of("providers", providers)));
        } else {
            printText(providers, out);
        }
        return 0;
    }

    private static Map<String, Object> describe(ProviderStatus status) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("scheme", status.scheme());
        p.put("class", status.className());
        Availability a = status.availability();
        p.put("available", a.available());
        if (!a.available()) {
            p.put("cause", a.cause());
            p.put("hint", a.hint());
        }
        ProviderInfo info = status.info();
        if (info != null) {
            p.put("name", info.name());
            p.put("version", info.version());
            p.put("description", info.description());
            p.put("transports", info.transports().stream().map(Enum::name).toList());
            p.put("capabilities", info.capabilities().stream().map(Enum::name).toList());
            p.put("limits", limits(info.limits()));
            p.put("uri_parameters", info.uriParameters());
        }
        List<Map<String, Object>> devices = new ArrayList<>();
        if (status.provider() != null) {
            try {
                for (DeviceInfo d : status.provider().devices()) {
                    Map<String, Object> dm = new LinkedHashMap<>();
                    dm.put("name", d.name());
                    dm.put("uri", d.uri());
                    dm.put("transport", d.transport().name());
                    dm.put("capabilities", d.capabilities().stream().map(Enum::name).sorted().toList());
                    dm.put("limits", limits(d.limits()));
                    dm.put("attributes", d.attributes());
                    devices.add(dm);
                }
            } catch (RuntimeException | LinkageError e) {
                p.put("devices_error", e.toString());
            }
        }
        p.put("devices", devices);
        return p;
    }

    private static Map<String, Object> limits(Limits l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("max_message_size", l.maxMessageSize());
        m.put("max_scatter_gather", l.maxScatterGather());
        m.put("max_inline_data", l.maxInlineData());
        m.put("max_queue_depth", l.maxQueueDepth());
        m.put("max_completion_queue_depth", l.maxCompletionQueueDepth());
        m.put("max_endpoints", l.maxEndpoints());
        m.put("max_region_size", l.maxRegionSize());
        m.put("peer_failure_timeout_ms", l.peerFailureTimeout().toMillis());
        m.put("read_sink_needs_remote_write", l.readSinkNeedsRemoteWrite());
        m.put("transmit_completion", l.transmitCompletion());
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void printText(List<Map<String, Object>> providers, PrintStream out) {
        if (providers.isEmpty()) {
            out.println("no providers installed (put weft-provider-tcp or another provider jar on the class path)");
        }
        for (Map<String, Object> p : providers) {
            boolean available = (Boolean) p.get("available");
            out.printf("provider %s  (%s)%n", p.get("scheme"), available ? "available" : "UNAVAILABLE");
            if (p.containsKey("name")) {
                out.printf("  name:          %s %s — %s%n", p.get("name"), p.get("version"), p.get("description"));
            }
            out.printf("  class:         %s%n", p.get("class"));
            if (!available) {
                out.printf("  cause:         %s%n", p.get("cause"));
                if (p.get("hint") != null) {
                    out.printf("  hint:          %s%n", p.get("hint"));
                }
            }
            if (p.containsKey("transports")) {
                out.printf("  transports:    %s%n", String.join(", ", (List<String>) p.get("transports")));
                out.printf("  capabilities:  %s%n", String.join(", ", (List<String>) p.get("capabilities")));
                printLimits((Map<String, Object>) p.get("limits"), "  ", out);
                Map<String, String> params = (Map<String, String>) p.get("uri_parameters");
                if (!params.isEmpty()) {
                    out.println("  URI parameters:");
                    params.forEach((k, v) -> out.printf("    %-14s %s%n", k, v));
                }
            }
            List<Map<String, Object>> devices = (List<Map<String, Object>>) p.get("devices");
            if (p.containsKey("devices_error")) {
                out.printf("  devices:       could not be listed: %s%n", p.get("devices_error"));
            }
            for (Map<String, Object> d : devices) {
                Map<String, String> attributes = (Map<String, String>) d.get("attributes");
                if (attributes.containsKey("unusable")) { // a device the provider lists but could not describe
                    out.printf("  device %s  (cannot be described)%n", d.get("name"));
                    attributes.forEach((k, v) -> out.printf("    %-20s %s%n", k + ":", v));
                    continue;
                }
                out.printf("  device %s  (%s, %s)%n", d.get("name"), d.get("transport"), d.get("uri"));
                out.printf("    capabilities: %s%n", String.join(", ", (List<String>) d.get("capabilities")));
                printLimits((Map<String, Object>) d.get("limits"), "    ", out);
                ((Map<String, String>) d.get("attributes")).forEach((k, v) -> out.printf("    %-20s %s%n", k + ":", v));
            }
            out.println();
        }
    }

    private static void printLimits(Map<String, Object> limits, String indent, PrintStream out) {
        out.printf("%slimits:        message %s B, sge %s, inline %s B, queue %s, cq %s, endpoints %s, region %s B, peer timeout %s ms%s%n",
                indent, limits.get("max_message_size"), limits.get("max_scatter_gather"), limits.get("max_inline_data"),
                limits.get("max_queue_depth"), limits.get("max_completion_queue_depth"), limits.get("max_endpoints"),
                limits.get("max_region_size"), limits.get("peer_failure_timeout_ms"),
                (Boolean.TRUE.equals(limits.get("read_sink_needs_remote_write")) ? ", read sink needs REMOTE_WRITE (iWARP)" : "")
                        + (Boolean.TRUE.equals(limits.get("transmit_completion")) ? ", writes and sends complete on transmit (iWARP)" : ""));
    }

    static boolean supports(ProviderInfo info, Capability c) {
        return info.capabilities().contains(c);
    }
}
