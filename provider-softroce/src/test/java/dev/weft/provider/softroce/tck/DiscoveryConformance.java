package dev.weft.provider.softroce.tck;

import dev.weft.tck.DiscoveryTck;
import dev.weft.tck.TckProvider;

/** The TCK's Discovery area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class DiscoveryConformance extends DiscoveryTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
