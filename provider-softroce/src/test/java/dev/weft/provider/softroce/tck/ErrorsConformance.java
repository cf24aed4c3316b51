package dev.weft.provider.softroce.tck;

import dev.weft.tck.ErrorsTck;
import dev.weft.tck.TckProvider;

/** The TCK's Errors area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class ErrorsConformance extends ErrorsTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
