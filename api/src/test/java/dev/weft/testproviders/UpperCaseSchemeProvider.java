package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.FabricProvider;

/** A discovery fixture that breaks the SPI: its scheme is not in lower case, so no URI could name it. */
public final class UpperCaseSchemeProvider implements FabricProvider {
    @Override
    public String scheme() {
        return "UPPER";
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
        throw new AssertionError("Fabrics must not open a broken or unavailable provider");
    }
}
