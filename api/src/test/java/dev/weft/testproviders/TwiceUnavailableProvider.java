package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.FabricProvider;

/** A discovery fixture: the first of two providers of one scheme, unavailable. */
public final class TwiceUnavailableProvider implements FabricProvider {
    @Override
    public String scheme() {
        return "twice";
    }

    @Override
    public ProviderInfo info() {
        return new GoodProvider().info();
    }

    @Override
    public Availability availability() {
        return Availability.unavailable("first copy broken", "remove the old jar");
    }

    @Override
    public Fabric open(FabricUri uri) {
        throw new AssertionError("Fabrics must not open a broken or unavailable provider");
    }
}
