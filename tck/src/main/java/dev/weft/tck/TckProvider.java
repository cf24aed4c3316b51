package dev.weft.tck;

import java.util.List;
import java.util.Map;

/**
 * The one hook a provider author supplies: how to open the provider's fabrics. Every TCK area
 * class asks its subclass for one of these.
 *
 * <p>The TCK opens two fabrics with {@link #fabricUri()} — one listens, one connects to the
 * listener's {@code uri()} — so the URI must name a local access point able to listen on a
 * free port (for example {@code tcp://127.0.0.1:0}, or {@code verbs://192.0.2.1:0} on an RDMA
 * device with that address).
 */
public interface TckProvider {
    /** @return the label of reports, e.g. {@code tcp} or {@code verbs(rxe)}; letters, digits, '(', ')', '-', '_' */
    String label();

    /** @return a fabric URI the TCK can open any number of times, each able to listen on a fresh port */
    String fabricUri();

    /**
     * @return {@code true} if a second JVM started by the TCK (same java, same class path) can open
     *         {@link #fabricUri()} and be reached from this one; cross-process cases are skipped otherwise
     */
    default boolean canRunInChildProcess() {
        return true;
    }

    /**
     * The JVM options of the second JVM that the cross-process cases start (the command is {@code java <options> -cp
     * <this JVM's module path and class path> dev.weft.tck.ChildPeer <fabricUri>}). By default {@code inherited}: the options this JVM
     * was started with, less those that would clash with it (a debugger agent's port, remote JMX, a flight recording)
     * or do not fit a class-path launch (module-path options), with {@code --enable-native-access=ALL-UNNAMED} added if
     * absent; so a {@code -Djava.library.path}, system properties and {@code --add-opens} given to the test JVM reach
     * the child. Override to add or drop options.
     *
     * @param inherited the options the TCK would pass
     * @return the options to pass, in order
     */
    default List<String> childJvmOptions(List<String> inherited) {
        return inherited;
    }

    /**
     * Local access points in the provider's grammar that it must refuse: each parses as a {@code FabricUri} of
     * {@link #fabricUri()}'s scheme, and {@code Fabrics.open} must fail with {@code INVALID_URI} and a message that shows
     * a valid example ({@code disc_malformedUriRejected}); for example {@code tcp://127.0.0.1} (no port) for tcp. Empty
     * by default: the rule then checks only the peer URIs that {@code Domain.connect} refuses on every provider.
     *
     * @return URIs the provider's {@code open} refuses
     */
    default List<String> malformedUris() {
        return List.of();
    }

    /**
     * Rules that fail because of a defect below the provider — in a device, its driver or its
     * kernel — that the provider cannot mend, each with where the defect lies, how it was
     * reproduced without Weft, and the failure it causes ({@link KnownDefect}). A listed rule still
     * runs: when it fails with that failure, it is reported {@code known-defect} with the cause and
     * the failure it produced; when it fails otherwise, or passes, it fails ("listed as a known
     * defect but passed"), so that another defect is not excused and a fixed platform is noticed and
     * the entry removed. Never a place for the provider's own bugs.
     *
     * @return rule id to defect: the case's id as the report names it ({@code sec_readWriteOnlyRegion},
     *         {@code rma_read_size[8]} for one case of a parameterised rule), or a parameterised rule's method name
     *         ({@code rma_read_size}) for all its cases
     */
    default Map<String, KnownDefect> knownDefects() {
        return Map.of();
    }
}
