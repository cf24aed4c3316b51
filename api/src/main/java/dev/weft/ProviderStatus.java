package dev.weft;

import dev.weft.spi.FabricProvider;

/**
 * One installed provider as {@link Fabrics#providers()} reports it: available or not, with
 * the cause and a hint when not. A provider whose class could not even be instantiated is
 * listed too, with {@code provider} and {@code info} {@code null}, and so is one that describes
 * itself badly (its scheme, info or availability null, invalid or throwing): unavailable, with
 * what it did as the cause. Immutable.
 *
 * @param scheme the URI scheme as the provider gave it (not in lower case only for a provider listed as broken for
 *        that), or the class name if the provider could not be instantiated or gave no scheme
 * @param className the provider's class name
 * @param info the provider's description, or {@code null} if it could not be obtained
 * @param availability whether it can run here; never {@code null} in the statuses {@link Fabrics} lists
 * @param provider the instance, or {@code null} if it could not be instantiated
 */
public record ProviderStatus(String scheme, String className, ProviderInfo info, Availability availability,
                             FabricProvider provider) {
    /** @return {@code true} if the provider can open fabrics here */
    public boolean isAvailable() {
        return availability.available();
    }
}
