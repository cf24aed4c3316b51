package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.FabricProvider;

/**
 * A discovery fixture that describes itself as {@link GoodProvider} does, under a given scheme and availability (either
 * may break the SPI), and opens as {@link GoodProvider} does only if it is meant to be opened.
 */
abstract class FixtureProvider implements FabricProvider {
    private final String scheme;
    private final Availability availability;
    private final boolean opens;

    /**
     * @param scheme what {@link #scheme()} answers (null or an upper-case one breaks the SPI)
     * @param availability what {@link #availability()} answers (null breaks the SPI)
     * @param opens whether Fabrics may open it; otherwise {@link #open} fails the test
     */
    FixtureProvider(String scheme, Availability availability, boolean opens) {
        this.scheme = scheme;
        this.availability = availability;
        this.opens = opens;
    }

    @Override
    public final String scheme() {
        return scheme;
    }

    @Override
    public final ProviderInfo info() {
        return new GoodProvider().info();
    }

    @Override
    public final Availability availability() {
        return availability;
    }

    @Override
    public final Fabric open(FabricUri uri) {
        if (!opens) {
            throw new AssertionError("Fabrics must not open a broken or unavailable provider");
        }
        return new GoodProvider().open(uri);
    }
}
