package dev.weft.provider.softroce.tck;

import dev.weft.tck.WellKnownRegionTck;
import dev.weft.tck.TckProvider;

/** The TCK's WellKnownRegion area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class WellKnownRegionConformance extends WellKnownRegionTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
