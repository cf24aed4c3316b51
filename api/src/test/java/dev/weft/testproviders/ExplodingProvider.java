package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.FabricProvider;

/** A discovery fixture that breaks the SPI rule: its constructor throws. */
public final class ExplodingProvider implements FabricProvider {
    /** Always throws, as a broken provider might. */
    public ExplodingProvider() {
        throw new IllegalStateException("boom: native library failed to initialise");
    }

    @Override
    public String scheme() {
        return "boom";
    }

    @Override
    public ProviderInfo info() {
        throw new AssertionError();
    }

    @Override
    public Availability availability() {
        throw new AssertionError();
    }

    @Override
    public Fabric open(FabricUri uri) {
        throw new AssertionError();
    }
}
