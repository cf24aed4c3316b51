package dev.weft.provider.softroce.tck;

import dev.weft.tck.AtomicsTck;
import dev.weft.tck.TckProvider;

/** The TCK's Atomics area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class AtomicsConformance extends AtomicsTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
