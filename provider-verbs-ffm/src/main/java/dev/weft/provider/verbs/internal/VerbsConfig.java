package dev.weft.provider.verbs.internal;

import dev.weft.FabricUri;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The verbs provider's URI parameters, validated.
 *
 * @param rnrRetry RNR retries (0..6; 7 would mean "forever" in verbs and is refused)
 * @param retry transport retries (0..7)
 * @param ackTimeout the QP's local ACK timeout exponent: 4.096 µs × 2^n (1..31)
 * @param resolveTimeout address and route resolution timeout
 * @param gid for {@code verbs://DEVICE}: the GID index whose IP address listeners use, or -1 for the first with one
 */
public record VerbsConfig(int rnrRetry, int retry, int ackTimeout, Duration resolveTimeout, int gid) {
    /** A valid example, for messages. */
    public static final String EXAMPLE = "verbs://192.0.2.1:7471?rnr_retry=3 or verbs://rxe0";

    /** Parameter name to description, for {@code weft info}. */
    public static final Map<String, String> PARAMETERS;

    static {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("rnr_retry", "retries of a send that found no posted receive (0..6, default 3) before RNR_RETRY_EXCEEDED");
        p.put("retry", "transport retries before RETRY_EXCEEDED (0..7, default 7)");
        p.put("ack_timeout", "local ACK timeout exponent: 4.096 us x 2^n (1..31, default 14, about 67 ms)");
        p.put("resolve_timeout", "address and route resolution timeout in ms (default 2000)");
        p.put("gid", "verbs://DEVICE only: the GID index whose IP address listeners use (default: the first with an address)");
        PARAMETERS = java.util.Collections.unmodifiableMap(p);
    }

    /**
     * @param uri the fabric URI
     * @return its configuration
     * @throws dev.weft.FabricException naming a bad or unknown parameter
     */
    public static VerbsConfig from(FabricUri uri) {
        uri.checkParameters(Set.copyOf(PARAMETERS.keySet()), EXAMPLE);
        return new VerbsConfig(uri.intParameter("rnr_retry", 3, 0, 6), uri.intParameter("retry", 7, 0, 7),
                uri.intParameter("ack_timeout", 14, 1, 31),
                uri.millisParameter("resolve_timeout", Duration.ofMillis(2000), Duration.ofMillis(10), Duration.ofMinutes(5)),
                uri.intParameter("gid", -1, 0, 255));
    }

    /**
     * How long a silent peer takes to be declared failed: (retry + 1) ACK timeouts, with the
     * factor of four the IB specification allows on top.
     *
     * @return the detection bound
     */
    public Duration peerFailureTimeout() {
        long nanos = (long) (4096.0 * Math.pow(2, ackTimeout)) * (retry + 1) * 4;
        return Duration.ofNanos(nanos);
    }
}
