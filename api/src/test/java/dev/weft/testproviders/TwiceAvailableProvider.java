package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.FabricProvider;

/** A discovery fixture: the second of two providers of one scheme, available; opens as {@link GoodProvider} does. */
public final class TwiceAvailableProvider implements FabricProvider {
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
        return Availability.ofAvailable();
    }

    @Override
    public Fabric open(FabricUri uri) {
        return new GoodProvider().open(uri);
    }
}
