package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.spi.FabricProvider;

/** A discovery fixture whose info() throws. */
public final class BadInfoProvider implements FabricProvider {
    @Override
    public String scheme() {
        return "badinfo";
    }

    @Override
    public ProviderInfo info() {
        throw new UnsupportedOperationException("info not implemented");
    }

    @Override
    public Availability availability() {
        return Availability.ofAvailable();
    }

    @Override
    public Fabric open(FabricUri uri) {
        throw new AssertionError();
    }
}
