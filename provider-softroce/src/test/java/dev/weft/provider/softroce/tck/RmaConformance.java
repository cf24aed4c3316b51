package dev.weft.provider.softroce.tck;

import dev.weft.tck.RmaTck;
import dev.weft.tck.TckProvider;

/** The TCK's Rma area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class RmaConformance extends RmaTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
