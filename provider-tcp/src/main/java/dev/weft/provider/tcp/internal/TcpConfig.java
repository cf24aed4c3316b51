package dev.weft.provider.tcp.internal;

import dev.weft.FabricUri;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The runtime parameters of a TCP fabric, read from its URI; only {@code secret} may also come from a system
 * property ({@code weft.tcp.secret}), so that it need not stand in a URI. Immutable.
 *
 * @param progress {@code auto} (provider threads serve I/O) or {@code manual} (completion-queue polling does)
 * @param secret shared secret for authentication, or {@code null}
 * @param peerTimeout silence after which a peer is declared dead; also the longest output may wait for room without
 *                    the peer taking any of it before the peer is declared failed
 * @param rnrRetries how often a send that found no receive is retried
 * @param rnrDelay pause between RNR retries
 * @param maxConnections most connections per fabric
 * @param maxMessage largest payload of one request
 * @param virtualThreads whether per-connection readers are virtual threads
 * @param maxHandshakes most handshakes one listener runs at once; a connection beyond them is closed unanswered
 * @param helloTimeout how long an accepted client may take to send its HELLO (and, with a secret, its proof)
 */
public record TcpConfig(String progress, String secret, Duration peerTimeout, int rnrRetries, Duration rnrDelay,
                        int maxConnections, int maxMessage, boolean virtualThreads, int maxHandshakes, Duration helloTimeout) {
    /** Example shown in error messages. */
    public static final String EXAMPLE = "tcp://127.0.0.1:7471?progress=auto&timeout=3000";

    /** Parameter names and descriptions, in display order. */
    public static final Map<String, String> PARAMETERS;

    static {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("progress", "auto (default: provider threads serve the target side and completions) or manual (polling a completion queue drives all I/O)");
        p.put("secret", "shared secret; both sides must prove knowledge of it (HMAC-SHA256 challenge-response) before anything is disclosed");
        p.put("timeout", "peer failure timeout in ms (default 3000): silence, or output the peer takes none of, after which outstanding work completes with RETRY_EXCEEDED");
        p.put("rnr_retry", "retries of a send that found no posted receive (default 7) before RNR_RETRY_EXCEEDED");
        p.put("rnr_delay", "ms between RNR retries (default 10)");
        p.put("max_connections", "most connections per fabric (default 4096); more are refused cleanly");
        p.put("max_message", "largest payload of one request in bytes (default 16 MiB, at most 1 GiB)");
        p.put("threads", "platform (default) or virtual: the kind of per-connection reader thread in auto progress");
        p.put("max_handshakes", "most handshakes a listener runs at once (default 64, 1..65536); a connection beyond them is closed"
                + " unanswered (CONNECTION_LOST at that client): raise it where more clients connect at the same moment");
        p.put("hello_timeout", "ms an accepted client has to send its HELLO and, with a secret, its proof (default 2000, 100..60000);"
                + " a client that does not is closed");
        PARAMETERS = java.util.Collections.unmodifiableMap(p);
    }

    /** Most scatter-gather entries per request. */
    public static final int MAX_SGE = 16;

    /**
     * The deepest send or receive queue an endpoint may have ({@code Limits.maxQueueDepth()}, which connect and listen
     * enforce); so also the most requests a peer can have outstanding, which bounds the answers an endpoint keeps.
     */
    public static final int MAX_QUEUE_DEPTH = 16384;

    /** Default of {@code max_handshakes}. */
    public static final int DEFAULT_MAX_HANDSHAKES = 64;

    /** Default of {@code hello_timeout}: a client sends its HELLO, and its proof, at once. */
    public static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofMillis(2000);

    /** Default largest message. */
    public static final int DEFAULT_MAX_MESSAGE = 16 << 20;

    /**
     * Parses the parameters of a fabric URI.
     *
     * @param uri the URI
     * @return the configuration
     */
    public static TcpConfig from(FabricUri uri) {
        uri.checkParameters(Set.copyOf(PARAMETERS.keySet()), EXAMPLE);
        String secret = uri.parameter("secret");
        if (secret == null) {
            secret = System.getProperty("weft.tcp.secret");
        }
        if (secret != null && secret.isEmpty()) {
            throw new dev.weft.FabricException(dev.weft.ErrorCode.INVALID_URI, "parameter secret of \"" + uri.safeText()
                    + "\" is empty; give a non-empty shared secret or drop the parameter");
        }
        return new TcpConfig(
                uri.choiceParameter("progress", "auto", Set.of("auto", "manual")),
                secret,
                uri.millisParameter("timeout", Duration.ofMillis(3000), Duration.ofMillis(100), Duration.ofHours(1)),
                uri.intParameter("rnr_retry", 7, 0, 1000),
                uri.millisParameter("rnr_delay", Duration.ofMillis(10), Duration.ZERO, Duration.ofSeconds(10)),
                uri.intParameter("max_connections", 4096, 1, 1 << 20),
                uri.intParameter("max_message", DEFAULT_MAX_MESSAGE, 1, 1 << 30),
                "virtual".equals(uri.choiceParameter("threads", "platform", Set.of("platform", "virtual"))),
                uri.intParameter("max_handshakes", DEFAULT_MAX_HANDSHAKES, 1, 1 << 16),
                uri.millisParameter("hello_timeout", DEFAULT_HELLO_TIMEOUT, Duration.ofMillis(100), Duration.ofMinutes(1)));
    }

    /** @return {@code true} in manual progress mode */
    public boolean manualProgress() {
        return "manual".equals(progress);
    }
}
