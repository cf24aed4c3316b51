package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Fabric;
import dev.weft.FabricUri;
import dev.weft.ProviderInfo;
import dev.weft.Transport;
import dev.weft.spi.FabricProvider;
import java.util.Map;
import java.util.Set;

/** A discovery fixture: installed, but its native library is "missing". */
public final class UnavailableProvider implements FabricProvider {
    @Override
    public String scheme() {
        return "gone";
    }

    @Override
    public ProviderInfo info() {
        return new ProviderInfo("Gone", "gone", "1", "fixture", Set.of(Transport.INFINIBAND), Set.of(), GoodProvider.LIMITS, Map.of());
    }

    @Override
    public Availability availability() {
        return Availability.unavailable("libgone.so.1 not found", "apt-get install libgone1");
    }

    @Override
    public Fabric open(FabricUri uri) {
        throw new AssertionError("Fabrics must not open an unavailable provider");
    }
}
