package dev.weft.testproviders;

import dev.weft.Availability;
import dev.weft.Capability;
import dev.weft.Domain;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Limits;
import dev.weft.ProviderInfo;
import dev.weft.Transport;
import dev.weft.spi.FabricProvider;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/** A discovery fixture: available, opens a fabric object that records its URI. */
public final class GoodProvider implements FabricProvider {
    static final Limits LIMITS = new Limits(1 << 20, 1, 0, 16, 16, 1, 1 << 20, Duration.ofSeconds(1), false, false);

    @Override
    public String scheme() {
        return "good";
    }

    @Override
    public ProviderInfo info() {
        return new ProviderInfo("Good", "good", "1", "fixture", EnumSet.of(Transport.TCP), EnumSet.of(Capability.RMA_WRITE), LIMITS,
                Map.of("x", "a parameter"));
    }

    @Override
    public Availability availability() {
        return Availability.ofAvailable();
    }

    @Override
    public Fabric open(FabricUri uri) {
        uri.checkParameters(Set.of("x"), "good://host?x=1");
        return new Fabric() {
            private boolean open = true;

            @Override
            public FabricUri uri() {
                return uri;
            }

            @Override
            public ProviderInfo info() {
                return GoodProvider.this.info();
            }

            @Override
            public Domain openDomain() {
                throw new FabricException(ErrorCode.NOT_SUPPORTED, "the discovery fixture has no domains");
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }
}
