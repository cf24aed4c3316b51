package dev.weft.provider.softroce.tck;

import dev.weft.tck.ConcurrencyTck;
import dev.weft.tck.TckProvider;

/** The TCK's Concurrency area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class ConcurrencyConformance extends ConcurrencyTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
