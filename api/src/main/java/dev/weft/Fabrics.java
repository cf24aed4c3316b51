package dev.weft;

import dev.weft.spi.FabricProvider;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
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
 * provider whose constructor fails is listed as unavailable with the failure as its cause; it
 * never breaks the listing of the others.
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
     * Finds the available provider of a scheme.
     *
     * @param scheme a URI scheme such as {@code "tcp"}
     * @return the provider
     * @throws FabricException {@link ErrorCode#UNKNOWN_SCHEME} or {@link ErrorCode#PROVIDER_UNAVAILABLE}
     */
    public static FabricProvider provider(String scheme) {
        if (scheme == null || scheme.isEmpty()) {
            throw new FabricException(ErrorCode.UNKNOWN_SCHEME, "a scheme is required, e.g. \"tcp\" or \"verbs\"; got "
                    + (scheme == null ? "none" : "an empty one"));
        }
        List<ProviderStatus> all = providers();
        for (ProviderStatus status : all) {
            if (status.provider() != null && status.scheme().equals(scheme)) {
                if (!status.isAvailable()) {
                    Availability a = status.availability();
                    throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "provider \"" + scheme + "\" is installed but unavailable: "
                            + a.cause() + (a.hint() == null ? "" : ". " + a.hint()));
                }
                return status.provider();
            }
        }
        throw new FabricException(ErrorCode.UNKNOWN_SCHEME, "no provider serves scheme \"" + scheme + "\"; installed: "
                + (all.isEmpty() ? "none (put a provider jar such as weft-provider-tcp on the class or module path)" : describe(all)));
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
        ProviderInfo info;
        Availability availability;
        try {
            scheme = provider.scheme();
            info = provider.info();
            availability = provider.availability();
        } catch (RuntimeException | LinkageError e) {
            return new ProviderStatus(className, className, null, Availability.unavailable(
                    "provider " + className + " failed to describe itself: " + e, "report this to the provider's author"), null);
        }
        return new ProviderStatus(scheme, className, info, availability, provider);
    }

    private static String describe(List<ProviderStatus> all) {
        return all.stream().map(s -> s.scheme() + (s.isAvailable() ? " (available)" : " (unavailable: " + s.availability().cause() + ")"))
                .collect(Collectors.joining(", "));
    }
}
