package dev.weft;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A parsed, validated fabric URI: it names a local access point ({@link Fabrics#open(String)})
 * or a peer ({@link Domain#connect(String, EndpointConfig)}).
 *
 * <h2>Grammar</h2>
 * <pre>
 * fabric-uri = scheme "://" authority [ "/" region ] [ "?" parameter *( "&amp;" parameter ) ]
 * scheme     = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )          ; case-insensitive, kept in lower case
 * authority  = name [ ":" port ] / "[" ipv6-address "]" [ ":" port ]
 * name       = 1*( ALPHA / DIGIT / "." / "_" / "-" )              ; host name, IPv4 address, device or netdev name
 * port       = 1*5DIGIT                                            ; 0 to 65535
 * region     = 1*50( ALPHA / DIGIT / "." / "_" / "-" )            ; a well-known region published by a listener
 * parameter  = key "=" value
 * key        = ALPHA *( ALPHA / DIGIT / "." / "_" / "-" )          ; unique within the URI
 * value      = *( unreserved / pct-encoded )                        ; percent-decoded
 * </pre>
 *
 * <p>Examples per provider:
 * <pre>
 * tcp://127.0.0.1:7471                 tcp://[::1]:7471/config?secret=s3cret
 * verbs://mlx5_0:1?gid=3               verbs://192.0.2.1:7471/config
 * softroce://dummy0
 * </pre>
 *
 * <p>This class checks the shape common to all schemes; a provider then checks what it needs
 * (for example that a port is present) with {@link #requirePort(String)},
 * {@link #requireNoRegion(String)} and {@link #checkParameters(Set, String)}. Every rejection
 * is a {@link FabricException} with {@link ErrorCode#INVALID_URI} that names the bad part and
 * shows a valid example.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class FabricUri {
    /** Port value of a URI without a port. */
    public static final int NO_PORT = -1;
    /**
     * Longest region name, in characters, on every provider: a connect carries the name to the listener, and the
     * smallest place it travels in is an InfiniBand connect request's 56 bytes of private data, of which Weft's
     * header takes 6.
     */
    public static final int MAX_REGION_NAME = 50;
    /** Longest accepted URI, in characters. */
    public static final int MAX_LENGTH = 2048;

    private static final String GENERIC_EXAMPLE =
            "tcp://127.0.0.1:7471/config, verbs://mlx5_0:1?gid=3 or softroce://dummy0";

    private final String scheme;
    private final String host;
    private final boolean ipv6;
    private final int port;
    private final String region;
    private final Map<String, String> parameters;

    private FabricUri(String scheme, String host, boolean ipv6, int port, String region, Map<String, String> parameters) {
        this.scheme = scheme;
        this.host = host;
        this.ipv6 = ipv6;
        this.port = port;
        this.region = region;
        this.parameters = parameters;
    }

    /**
     * Parses and validates a fabric URI.
     *
     * @param text the URI, for example {@code tcp://127.0.0.1:7471/config}
     * @return the parsed URI
     * @throws FabricException with {@link ErrorCode#INVALID_URI} naming the bad part
     */
    public static FabricUri parse(String text) {
        if (text == null) {
            throw new FabricException(ErrorCode.INVALID_URI, "fabric URI is null; expected for example " + GENERIC_EXAMPLE);
        }
        if (text.length() > MAX_LENGTH) {
            throw bad(text, "it is " + text.length() + " characters long, the limit is " + MAX_LENGTH);
        }
        int at = text.indexOf('@');
        if (at >= 0) {
            // no part of the grammar holds an '@': refuse it before any other check could echo a name or password
            int query = firstOf(text, 0, text.length(), '?');
            throw bad(text, at < firstOf(text, 0, query, '#') ? USER_INFORMATION
                    : "it holds an '@' after '?' or '#'; " + USER_INFORMATION + ", and an '@' in a parameter value is written %40");
        }
        int sep = text.indexOf("://");
        if (sep < 0) {
            throw bad(text, "the scheme separator \"://\" is missing");
        }
        String scheme = text.substring(0, sep).toLowerCase(java.util.Locale.ROOT);
        if (!isScheme(scheme)) {
            throw bad(text, "scheme \"" + text.substring(0, sep) + "\" must start with a letter and contain only letters, digits, '+', '-' or '.'");
        }
        int pos = sep + 3;
        int end = text.length();
        int hash = text.indexOf('#', pos);
        if (hash >= 0) {
            throw bad(text, "a fragment (\"#\" and what follows) is not allowed");
        }
        int query = text.indexOf('?', pos);
        int authorityEnd = firstOf(text, pos, query < 0 ? end : query, '/');
        String authority = text.substring(pos, authorityEnd);
        if (authority.isEmpty()) {
            throw bad(text, "the host, address or device name after \"://\" is missing");
        }
        String host;
        boolean ipv6 = false;
        String portText = null;
        if (authority.charAt(0) == '[') {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw bad(text, "IPv6 address \"" + authority + "\" lacks its closing ']'");
            }
            host = authority.substring(1, close);
            if (!isIpv6(host)) {
                throw bad(text, "\"" + host + "\" is not an IPv6 address");
            }
            ipv6 = true;
            String rest = authority.substring(close + 1);
            if (!rest.isEmpty()) {
                if (rest.charAt(0) != ':') {
                    throw bad(text, "unexpected \"" + rest + "\" after the IPv6 address; expected \":PORT\"");
                }
                portText = rest.substring(1);
            }
        } else {
            int colon = authority.indexOf(':');
            host = colon < 0 ? authority : authority.substring(0, colon);
            if (colon >= 0) {
                portText = authority.substring(colon + 1);
                if (portText.indexOf(':') >= 0) {
                    throw bad(text, "\"" + authority + "\" has more than one ':'; write IPv6 addresses in brackets, as in tcp://[::1]:7471");
                }
            }
            if (host.isEmpty()) {
                throw bad(text, "the host, address or device name before \":\" is missing");
            }
            for (int i = 0; i < host.length(); i++) {
                if (!isNameChar(host.charAt(i))) {
                    throw bad(text, "host or device name \"" + host + "\" contains " + character(host, i)
                            + "; allowed are letters, digits, '.', '_' and '-'");
                }
            }
        }
        int port = NO_PORT;
        if (portText != null) {
            port = parsePort(text, portText);
        }
        String region = null;
        int regionEnd = query < 0 ? end : query;
        if (authorityEnd < regionEnd) {
            region = text.substring(authorityEnd + 1, regionEnd);
            if (region.isEmpty()) {
                throw bad(text, "the region name after '/' is empty; drop the '/' or name a region, as in /config");
            }
            String problem = regionNameProblem(region);
            if (problem != null) {
                throw bad(text, problem);
            }
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        if (query >= 0) {
            String q = text.substring(query + 1);
            if (q.isEmpty()) {
                throw bad(text, "'?' is followed by no parameters; drop it or add key=value");
            }
            for (String pair : q.split("&", -1)) {
                if (pair.isEmpty()) {
                    throw bad(text, "empty parameter between '&' separators");
                }
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    throw bad(text, "parameter \"" + pair + "\" has no value; write " + pair + "=VALUE");
                }
                String key = pair.substring(0, eq);
                if (!isKey(key)) {
                    throw bad(text, "parameter name \"" + key + "\" must start with a letter and contain only letters, digits, '.', '_' or '-'");
                }
                String value = decode(text, pair.substring(eq + 1));
                if (parameters.putIfAbsent(key, value) != null) {
                    throw bad(text, "parameter \"" + key + "\" is given twice");
                }
            }
        }
        return new FabricUri(scheme, host, ipv6, port, region, Collections.unmodifiableMap(parameters));
    }

    /**
     * Parses a {@link java.net.URI}.
     *
     * @param uri the URI
     * @return the parsed fabric URI
     * @throws FabricException with {@link ErrorCode#INVALID_URI} naming the bad part
     */
    public static FabricUri of(java.net.URI uri) {
        return parse(uri == null ? null : uri.toString()); // parse names a null URI as such (INVALID_URI)
    }

    /** @return the scheme in lower case, which selects the provider */
    public String scheme() {
        return scheme;
    }

    /** @return the host name, IP address (IPv6 without brackets) or device / netdev name; never empty */
    public String host() {
        return host;
    }

    /** @return {@code true} if the host was written as a bracketed IPv6 address */
    public boolean isIpv6() {
        return ipv6;
    }

    /** @return {@code true} if the host is an IPv4 or IPv6 literal rather than a name */
    public boolean isAddressLiteral() {
        return ipv6 || isIpv4(host);
    }

    /** @return the port, or {@link #NO_PORT} */
    public int port() {
        return port;
    }

    /** @return {@code true} if a port was given */
    public boolean hasPort() {
        return port != NO_PORT;
    }

    /** @return the well-known region name, or {@code null} if the URI has no path */
    public String region() {
        return region;
    }

    /** @return the parameters in the order given, percent-decoded; unmodifiable */
    public Map<String, String> parameters() {
        return parameters;
    }

    /**
     * @param key a parameter name
     * @return the decoded value, or {@code null} if absent
     */
    public String parameter(String key) {
        return parameters.get(key);
    }

    /**
     * Checks a well-known region's name as {@link Listener#publish} and the URI's path take it: 1 to
     * {@value #MAX_REGION_NAME} letters, digits, '.', '_' or '-'. Providers call it so that every fabric takes the
     * same names.
     *
     * @param name the name
     * @return {@code name}
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT}, naming what is wrong, if the name is not valid
     */
    public static String requireRegionName(String name) {
        String problem = name == null ? "a region name is required, e.g. \"config\"" : regionNameProblem(name);
        if (problem != null) {
            throw FabricException.invalid(printable(problem));
        }
        return name;
    }

    /** @return what is wrong with a region name, or {@code null} if it is valid */
    private static String regionNameProblem(String region) {
        if (region.isEmpty()) {
            return "the region name is empty; name a region of 1 to " + MAX_REGION_NAME + " characters, e.g. \"config\"";
        }
        if (region.length() > MAX_REGION_NAME) {
            return "region name \"" + region.substring(0, 20) + "...\" is " + region.length() + " characters, the limit is "
                    + MAX_REGION_NAME + " (a connect carries it to the listener; InfiniBand's connect request has room for "
                    + MAX_REGION_NAME + ")";
        }
        for (int i = 0; i < region.length(); i++) {
            char c = region.charAt(i);
            if (c == '/') {
                return "region \"" + region + "\" contains '/'; a region is a single name such as /config";
            }
            if (!isNameChar(c)) {
                return "region name \"" + region + "\" contains " + character(region, i) + "; allowed are letters, digits, '.', '_' and '-'";
            }
        }
        return null;
    }

    /**
     * Returns this URI with another region name (or none).
     *
     * @param newRegion a region name as {@link #requireRegionName} takes it, or {@code null} for none
     * @return a new URI
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a name that is not a region name (one with
     *         '?', '#', '/' or ':' would otherwise change the URI's parameters, fragment, path or port)
     */
    public FabricUri withRegion(String newRegion) {
        if (newRegion != null) {
            requireRegionName(newRegion);
        }
        FabricUri result = new FabricUri(scheme, host, ipv6, port, newRegion, parameters);
        if (result.toString().length() > MAX_LENGTH) {
            throw new FabricException(ErrorCode.INVALID_ARGUMENT, "region \"" + newRegion + "\" would make " + safeText() + " longer than "
                    + MAX_LENGTH + " characters, which parse refuses; shorten the region name or the parameters");
        }
        return result;
    }

    /**
     * Returns this URI with another port.
     *
     * @param newPort 0 to 65535, or {@link #NO_PORT}
     * @return a new URI
     */
    public FabricUri withPort(int newPort) {
        if (newPort != NO_PORT && (newPort < 0 || newPort > 65535)) {
            throw FabricException.invalid("port " + newPort + " is out of range 0..65535");
        }
        return new FabricUri(scheme, host, ipv6, newPort, region, parameters);
    }

    /**
     * Returns this URI without parameters (for display, where parameters may hold a secret).
     *
     * @return a new URI
     */
    public FabricUri withoutParameters() {
        return new FabricUri(scheme, host, ipv6, port, region, Map.of());
    }

    /**
     * Fails unless the URI has a port.
     *
     * @param example a valid URI of the provider, shown in the message
     * @throws FabricException with {@link ErrorCode#INVALID_URI}
     */
    public void requirePort(String example) {
        if (!hasPort()) {
            throw new FabricException(ErrorCode.INVALID_URI, "fabric URI \"" + safeText()
                    + "\" has no port; " + scheme + " needs one, for example " + example);
        }
    }

    /**
     * Fails if the URI names a region.
     *
     * @param example a valid URI of the provider, shown in the message
     * @throws FabricException with {@link ErrorCode#INVALID_URI}
     */
    public void requireNoRegion(String example) {
        if (region != null) {
            throw new FabricException(ErrorCode.INVALID_URI, "fabric URI \"" + safeText() + "\" names region \"/"
                    + region + "\", which is not allowed here; for example " + example);
        }
    }

    /**
     * Fails if the URI carries a parameter not in {@code known}.
     *
     * @param known the parameter names the provider understands
     * @param example a valid URI of the provider, shown in the message
     * @throws FabricException with {@link ErrorCode#INVALID_URI} naming the unknown parameter and the known ones
     */
    public void checkParameters(Set<String> known, String example) {
        for (String key : parameters.keySet()) {
            if (!known.contains(key)) {
                throw new FabricException(ErrorCode.INVALID_URI, "fabric URI \"" + safeText() + "\" has unknown parameter \""
                        + key + "\"; " + scheme + " understands " + (known.isEmpty() ? "no parameters" : new TreeSet<>(known))
                        + ", for example " + example);
            }
        }
    }

    /**
     * Reads an integer parameter.
     *
     * @param key the parameter name
     * @param defaultValue the value when absent
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     * @throws FabricException with {@link ErrorCode#INVALID_URI} if it is not an integer in range: ASCII digits, with
     *         '-' before a negative one (no '+', no other script's digits)
     */
    public long longParameter(String key, long defaultValue, long min, long max) {
        String value = parameters.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!isInteger(value)) {
            throw new FabricException(ErrorCode.INVALID_URI, "parameter " + key + "=" + shownValue(value) + " of \"" + safeText()
                    + "\" is not an integer; expected " + min + ".." + max + " in ASCII digits, with '-' before a negative one");
        }
        long parsed;
        boolean fits = true;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) { // ASCII digits, but more than a long holds
            parsed = 0;
            fits = false;
        }
        if (!fits || parsed < min || parsed > max) {
            throw new FabricException(ErrorCode.INVALID_URI, "parameter " + key + "=" + shownValue(value) + " of \"" + safeText()
                    + "\" is out of range; expected " + min + ".." + max);
        }
        return parsed;
    }

    /**
     * Reads an {@code int} parameter.
     *
     * @param key the parameter name
     * @param defaultValue the value when absent
     * @param min the smallest allowed value
     * @param max the largest allowed value
     * @return the value
     * @throws FabricException with {@link ErrorCode#INVALID_URI} if it is not an integer in range
     */
    public int intParameter(String key, int defaultValue, int min, int max) {
        return (int) longParameter(key, defaultValue, min, max);
    }

    /**
     * Reads a duration parameter given in milliseconds.
     *
     * @param key the parameter name
     * @param defaultValue the value when absent
     * @param min the shortest allowed duration
     * @param max the longest allowed duration
     * @return the duration
     * @throws FabricException with {@link ErrorCode#INVALID_URI} if it is not a millisecond count in range, as
     *         {@link #longParameter}; with {@link ErrorCode#INVALID_ARGUMENT} if {@code defaultValue}, {@code min} or
     *         {@code max} is null or too long to count in milliseconds (a {@code long})
     */
    public Duration millisParameter(String key, Duration defaultValue, Duration min, Duration max) {
        return Duration.ofMillis(longParameter(key, millis(key, "default", defaultValue), millis(key, "least", min),
                millis(key, "greatest", max)));
    }

    /** @return {@code d} in milliseconds, for {@link #millisParameter}'s bounds */
    private static long millis(String key, String which, Duration d) {
        if (d == null) {
            throw FabricException.invalid("the " + which + " duration of parameter " + key + " is null; pass a Duration");
        }
        try {
            return d.toMillis();
        } catch (ArithmeticException e) {
            throw FabricException.invalid("the " + which + " duration of parameter " + key + ", " + d + ", is too long to count"
                    + " in milliseconds; pass at most " + Duration.ofMillis(Long.MAX_VALUE));
        }
    }

    /**
     * Reads a parameter that must be one of a fixed set of words.
     *
     * @param key the parameter name
     * @param defaultValue the value when absent
     * @param allowed the allowed values
     * @return the value
     * @throws FabricException with {@link ErrorCode#INVALID_URI} if the value is not allowed
     */
    public String choiceParameter(String key, String defaultValue, Set<String> allowed) {
        String value = parameters.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!allowed.contains(value)) {
            throw new FabricException(ErrorCode.INVALID_URI, "parameter " + key + "=" + shownValue(value) + " of \"" + safeText()
                    + "\" is not allowed; expected one of " + new TreeSet<>(allowed));
        }
        return value;
    }

    /**
     * Reads a boolean parameter ({@code true} or {@code false}).
     *
     * @param key the parameter name
     * @param defaultValue the value when absent
     * @return the value
     * @throws FabricException with {@link ErrorCode#INVALID_URI} for any other value
     */
    public boolean booleanParameter(String key, boolean defaultValue) {
        return Boolean.parseBoolean(choiceParameter(key, Boolean.toString(defaultValue), Set.of("true", "false")));
    }

    /** @return the URI text without parameter values (which may hold a secret), for messages */
    public String safeText() {
        StringBuilder b = new StringBuilder();
        appendBase(b);
        if (!parameters.isEmpty()) {
            b.append('?');
            boolean first = true;
            for (String key : parameters.keySet()) {
                if (!first) {
                    b.append('&');
                }
                first = false;
                b.append(key).append("=...");
            }
        }
        return b.toString();
    }

    private void appendBase(StringBuilder b) {
        b.append(scheme).append("://");
        if (ipv6) {
            b.append('[').append(host).append(']');
        } else {
            b.append(host);
        }
        if (port != NO_PORT) {
            b.append(':').append(port);
        }
        if (region != null) {
            b.append('/').append(region);
        }
    }

    /** @return the canonical text of this URI, parameters percent-encoded where needed */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        appendBase(b);
        char sep = '?';
        for (Map.Entry<String, String> e : parameters.entrySet()) {
            b.append(sep).append(e.getKey()).append('=').append(encode(e.getValue()));
            sep = '&';
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FabricUri u && u.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    private static FabricException bad(String text, String what) {
        return new FabricException(ErrorCode.INVALID_URI, "invalid fabric URI \"" + printable(shortened(redact(text))) + "\": " + printable(what)
                + ". Expected SCHEME://HOST[:PORT][/REGION][?KEY=VALUE&...], for example " + GENERIC_EXAMPLE);
    }

    /** @return {@code text} with each control character (a line break, a tab, an escape) written as {@code \\uXXXX} */
    private static String printable(String text) {
        if (text.chars().noneMatch(Character::isISOControl)) {
            return text;
        }
        StringBuilder b = new StringBuilder(text.length() + 16);
        text.chars().forEach(c -> b.append(Character.isISOControl(c) ? String.format("\\u%04X", c) : String.valueOf((char) c)));
        return b.toString();
    }

    /**
     * @return a parameter value fit for the message of a typed parameter that refuses it (such values name a number or
     *         a choice, never a secret): at most {@link #SHOWN} characters, control characters as {@code \\uXXXX}
     */
    private static String shownValue(String value) {
        return printable(shortened(value));
    }

    /** @return {@code true} for {@code -?[0-9]+} in ASCII */
    private static boolean isInteger(String s) {
        int start = s.startsWith("-") ? 1 : 0;
        if (s.length() == start) {
            return false;
        }
        for (int i = start; i < s.length(); i++) {
            if (!isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** @return the value of an ASCII hex digit, or -1 (Character.digit would take other scripts' digits) */
    private static int hexDigit(char c) {
        if (isDigit(c)) {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** @return {@code text} cut to {@link #SHOWN} characters (never inside a surrogate pair), with "..." if cut */
    private static String shortened(String text) {
        if (text.length() <= SHOWN) {
            return text;
        }
        int cut = Character.isHighSurrogate(text.charAt(SHOWN - 1)) ? SHOWN - 1 : SHOWN;
        return text.substring(0, cut) + "...";
    }

    /**
     * @return the text fit to show in a message: parameters and a fragment replaced by "...", and user information
     *         (which may hold a password) by "...@"; where an '@' follows a '?' or '#' (a password may hold either), or
     *         comes before "://", everything after the scheme, since which part is secret cannot be told
     */
    private static String redact(String text) {
        int sep = text.indexOf("://");
        int from = sep < 0 ? 0 : sep + 3;
        int cut = firstOf(text, from, text.length(), '?');
        cut = firstOf(text, from, cut, '#');
        int at = text.lastIndexOf('@');
        if (at >= cut || (at >= 0 && at < from)) {
            return (at >= from ? text.substring(0, from) : "") + "...";
        }
        String head = at >= from ? text.substring(0, from) + "...@" + text.substring(at + 1, cut) : text.substring(0, cut);
        return cut < text.length() ? head + text.charAt(cut) + "..." : head;
    }

    private static int firstOf(String s, int from, int to, char c) {
        int i = s.indexOf(c, from);
        return i < 0 || i > to ? to : i;
    }

    private static int parsePort(String text, String portText) {
        if (portText.isEmpty()) {
            throw bad(text, "the port after ':' is empty");
        }
        for (int i = 0; i < portText.length(); i++) {
            if (portText.charAt(i) < '0' || portText.charAt(i) > '9') {
                throw bad(text, "port \"" + portText + "\" is not a number 0..65535");
            }
        }
        if (portText.length() > 5) {
            throw bad(text, "port \"" + portText + "\" has " + portText.length() + " digits; a port is at most 5 digits, 0..65535");
        }
        int port = Integer.parseInt(portText);
        if (port > 65535) {
            throw bad(text, "port " + port + " is out of range 0..65535");
        }
        return port;
    }

    /** @return {@code true} if {@code s} is a scheme as the grammar has it (in either case) */
    static boolean isScheme(String s) {
        if (s.isEmpty() || !isAlpha(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!isAlpha(c) && !isDigit(c) && c != '+' && c != '-' && c != '.') {
                return false;
            }
        }
        return true;
    }

    private static boolean isKey(String s) {
        if (s.isEmpty() || !isAlpha(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            if (!isNameChar(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAlpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isNameChar(char c) {
        return isAlpha(c) || isDigit(c) || c == '.' || c == '_' || c == '-';
    }

    private static boolean isUnreserved(char c) {
        return isNameChar(c) || c == '~';
    }

    static boolean isIpv4(String s) {
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3) {
                return false;
            }
            for (int i = 0; i < p.length(); i++) {
                if (!isDigit(p.charAt(i))) {
                    return false;
                }
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    /**
     * @return the character at {@code i} for a message: quoted, whole even outside the BMP, followed by its code point
     *         when it is not plain ASCII; a control character by its code point only
     */
    private static String character(String s, int i) {
        int cp = s.codePointAt(i);
        String code = String.format("U+%04X", cp);
        if (Character.isISOControl(cp)) {
            return "the control character " + code;
        }
        String quoted = "'" + new String(Character.toChars(cp)) + "'";
        return cp > 0x20 && cp < 0x7f ? quoted : quoted + " (" + code + ")";
    }

    static boolean isIpv6(String s) {
        if (s.isEmpty() || s.length() > 45) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean hex = isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!hex && c != ':' && c != '.') {
                return false;
            }
        }
        int doubleColon = s.indexOf("::");
        if (doubleColon >= 0 && s.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        // A colon at either end must belong to "::" (":1::2" and "1::2:" are not addresses); then every empty group is the "::"
        if ((s.startsWith(":") && !s.startsWith("::")) || (s.endsWith(":") && !s.endsWith("::"))) {
            return false;
        }
        String[] groups = s.split(":", -1);
        int count = 0;
        for (int i = 0; i < groups.length; i++) {
            String g = groups[i];
            if (g.isEmpty()) {
                continue;
            }
            if (g.indexOf('.') >= 0) {
                if (i != groups.length - 1 || !isIpv4(g)) {
                    return false;
                }
                count += 2;
            } else {
                if (g.length() > 4) {
                    return false;
                }
                count++;
            }
        }
        return doubleColon >= 0 ? count < 8 : count == 8;
    }

    private static String decode(String text, String value) {
        if (value.indexOf('%') < 0) {
            for (int i = 0; i < value.length(); i++) {
                if (!isUnreserved(value.charAt(i))) {
                    throw bad(text, UNENCODED);
                }
            }
            return value;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '%') {
                if (i + 2 >= value.length() || hexDigit(value.charAt(i + 1)) < 0 || hexDigit(value.charAt(i + 2)) < 0) {
                    throw bad(text, "parameter value has a malformed percent escape; write '%' followed by two hex digits (0-9, A-F)");
                }
                out.write(hexDigit(value.charAt(i + 1)) * 16 + hexDigit(value.charAt(i + 2)));
                i += 2;
            } else if (isUnreserved(c)) {
                out.write(c);
            } else {
                    throw bad(text, UNENCODED);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(out.toByteArray()))
                    .toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw bad(text, "a parameter value's percent escapes are not UTF-8 (for example %C3 alone); encode the value's UTF-8 bytes");
        }
    }

    /** What a URI with user information is told; the user information itself is never echoed. */
    private static final String USER_INFORMATION = "user information (a name or password before \"@\") is not supported, and what"
            + " was given is not shown; a provider that authenticates takes its secret as a parameter, e.g."
            + " tcp://127.0.0.1:7471?secret=...";

    /** Longest part of a URI or of a parameter value shown in a message. */
    private static final int SHOWN = 100;

    /** The value is not echoed: it may be a secret. */
    private static final String UNENCODED = "a parameter value holds a character other than A-Z a-z 0-9 - . _ ~; percent-encode it"
            + " (for example %2F for '/', %20 for a space)";

    private static String encode(String value) {
        StringBuilder b = new StringBuilder();
        for (byte by : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (by & 0xff);
            if (c < 128 && isUnreserved(c)) {
                b.append(c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit((by >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(by & 0xf, 16)));
            }
        }
        return b.toString();
    }
}
