package dev.weft;

import dev.weft.spi.FabricProvider;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * The entry point: opens fabrics by URI and lists the installed providers.
 *
 * <pre>{@code
 * try (Fabric fabric = Fabrics.open("tcp://127.0.0.1:7471")) {
 *     Domain domain = fabric.openDomain();
 *     ...
 * }
 * }</pre>
 *
 * <p>Providers are found with {@link ServiceLoader} on the module path and the class path. A
 * provider whose constructor fails, or that describes itself badly (a {@code scheme()} that is
 * null, not a URI scheme or not in lower case, an {@code info()} or {@code availability()} that
 * throws or returns null), is listed as unavailable with the reason as its cause, under its
 * scheme where it gave a usable one; it never breaks the listing or the opening of the others.
 * Where several providers serve one scheme, the first available one in discovery order is used.
 *
 * <p>Thread-safe; holds no state.
 */
public final class Fabrics {
    private Fabrics() {
    }

    /**
     * Opens a fabric.
     *
     * @param uri the fabric URI, for example {@code tcp://127.0.0.1:7471}
     * @return the open fabric
     * @throws FabricException {@link ErrorCode#INVALID_URI} for a malformed URI, {@link ErrorCode#UNKNOWN_SCHEME}
     *         listing the installed schemes, {@link ErrorCode#PROVIDER_UNAVAILABLE} with cause and hint, or what the provider throws
     */
    public static Fabric open(String uri) {
        return open(FabricUri.parse(uri));
    }

    /**
     * Opens a fabric.
     *
     * @param uri the fabric URI
     * @return the open fabric
     * @throws FabricException as {@link #open(String)}
     */
    public static Fabric open(URI uri) {
        return open(FabricUri.of(uri));
    }

    /**
     * Opens a fabric.
     *
     * @param uri the parsed fabric URI
     * @return the open fabric
     * @throws FabricException as {@link #open(String)}
     */
    public static Fabric open(FabricUri uri) {
        if (uri == null) {
            throw new FabricException(ErrorCode.INVALID_URI, "fabric URI is null; pass one, e.g. tcp://127.0.0.1:7471");
        }
        return provider(uri.scheme()).open(uri);
    }

    /**
     * Finds the available provider of a scheme: the first available one in discovery order if several serve it.
     *
     * @param scheme a URI scheme such as {@code "tcp"}, in any case (schemes are case-insensitive)
     * @return the provider
     * @throws FabricException {@link ErrorCode#UNKNOWN_SCHEME} if no provider is listed under the scheme, or
     *         {@link ErrorCode#PROVIDER_UNAVAILABLE} with the cause and hint of each one listed under it if none is available
     */
    public static FabricProvider provider(String scheme) {
        if (scheme == null || scheme.isEmpty()) {
            throw new FabricException(ErrorCode.UNKNOWN_SCHEME, "a scheme is required, e.g. \"tcp\" or \"verbs\"; got "
                    + (scheme == null ? "none" : "an empty one"));
        }
        String wanted = scheme.toLowerCase(Locale.ROOT);
        List<ProviderStatus> all = providers();
        List<ProviderStatus> serving = all.stream().filter(s -> s.scheme().toLowerCase(Locale.ROOT).equals(wanted)).toList();
        for (ProviderStatus status : serving) {
            if (status.isAvailable() && status.provider() != null) {
                return status.provider();
            }
        }
        if (!serving.isEmpty()) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "provider \"" + wanted + "\" is installed but unavailable: "
                    + serving.stream().map(s -> (serving.size() > 1 ? s.className() + ": " : "") + s.availability().cause()
                    + (s.availability().hint() == null ? "" : ". " + s.availability().hint())).collect(Collectors.joining("; ")));
        }
        throw new FabricException(ErrorCode.UNKNOWN_SCHEME, "no provider serves scheme \"" + wanted + "\"; installed: "
                + (all.isEmpty() ? "none (put a provider jar such as weft-provider-tcp on the class or module path)" : describe(all))
                + ". A provider is found on the class path through its META-INF/services/dev.weft.spi.FabricProvider entry, on the"
                + " module path through 'provides dev.weft.spi.FabricProvider' in its module-info");
    }

    /**
     * Lists every installed provider, available or not, in discovery order.
     *
     * @return one status per provider class
     */
    public static List<ProviderStatus> providers() {
        return providers(ServiceLoader.load(FabricProvider.class));
    }

    /**
     * Lists the providers visible to a class loader.
     *
     * @param loader where to look
     * @return one status per provider class
     */
    public static List<ProviderStatus> providers(ClassLoader loader) {
        return providers(ServiceLoader.load(FabricProvider.class, loader));
    }

    private static List<ProviderStatus> providers(ServiceLoader<FabricProvider> loader) {
        List<ProviderStatus> result = new ArrayList<>();
        var iterator = loader.stream().iterator();
        while (true) {
            ServiceLoader.Provider<FabricProvider> candidate;
            try {
                if (!iterator.hasNext()) {
                    break;
                }
                candidate = iterator.next();
            } catch (ServiceConfigurationError e) {
                result.add(new ProviderStatus("?", "?", null,
                        Availability.unavailable("provider could not be loaded: " + e.getMessage(), "check the provider jar and its META-INF/services entry"), null));
                continue;
            }
            result.add(inspect(candidate));
        }
        return result;
    }

    private static ProviderStatus inspect(ServiceLoader.Provider<FabricProvider> candidate) {
        String className = candidate.type().getName();
        FabricProvider provider;
        try {
            provider = candidate.get();
        } catch (ServiceConfigurationError | RuntimeException | LinkageError e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            return new ProviderStatus(className, className, null, Availability.unavailable(
                    "constructor of " + className + " failed: " + cause, "a provider constructor must not throw; report this to the provider's author"), null);
        }
        String scheme;
        try {
            scheme = provider.scheme();
        } catch (RuntimeException | LinkageError e) {
            return broken(className, className, null, provider, "its scheme() threw " + e);
        }
        if (scheme == null || scheme.isEmpty()) {
            return broken(className, className, null, provider, "its scheme() returned " + (scheme == null ? "null" : "an empty name")
                    + "; a provider names the URI scheme it serves, in lower case, e.g. \"tcp\"");
        }
        if (!FabricUri.isScheme(scheme) || !scheme.equals(scheme.toLowerCase(Locale.ROOT))) {
            return broken(scheme, className, null, provider, "its scheme() returned \"" + scheme + "\", which is not a URI scheme in"
                    + " lower case (a letter, then letters, digits, '+', '-' or '.'), so no URI could name it; e.g. \""
                    + scheme.toLowerCase(Locale.ROOT) + "\"");
        }
        ProviderInfo info;
        try {
            info = provider.info();
        } catch (RuntimeException | LinkageError e) {
            return broken(scheme, className, null, provider, "its info() threw " + e);
        }
        if (info == null) {
            return broken(scheme, className, null, provider, "its info() returned null");
        }
        Availability availability;
        try {
            availability = provider.availability();
        } catch (RuntimeException | LinkageError e) {
            return broken(scheme, className, info, provider, "its availability() threw " + e);
        }
        if (availability == null) {
            return broken(scheme, className, info, provider, "its availability() returned null; a provider returns"
                    + " Availability.ofAvailable() or Availability.unavailable(cause, hint)");
        }
        return new ProviderStatus(scheme, className, info, availability, provider);
    }

    /** @return the status of a provider that broke the SPI: unavailable, with what it did as the cause */
    private static ProviderStatus broken(String scheme, String className, ProviderInfo info, FabricProvider provider, String what) {
        return new ProviderStatus(scheme, className, info, Availability.unavailable("provider " + className + " is broken: " + what,
                "report this to the provider's author"), provider);
    }

    private static String describe(List<ProviderStatus> all) {
        return all.stream().map(s -> s.scheme() + (s.isAvailable() ? " (available)" : " (unavailable: " + s.availability().cause() + ")"))
                .collect(Collectors.joining(", "));
    }
}
