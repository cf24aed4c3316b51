package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.FabricProvider;

/** A discovery fixture that breaks the SPI: its availability() returns null. */
public final class NullAvailabilityProvider implements FabricProvider {
    @Override
    public String scheme() {
        return "nullavail";
    }

    @Override
    public ProviderInfo info() {
        return new GoodProvider().info();
    }

    @Override
    public Availability availability() {
        return null;
    }

    @Override
    public Fabric open(FabricUri uri) {
        throw new AssertionError("Fabrics must not open a broken or unavailable provider");
    }
}
