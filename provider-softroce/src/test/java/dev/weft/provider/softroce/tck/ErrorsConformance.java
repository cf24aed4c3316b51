package dev.weft.provider.softroce.tck;

import dev.weft.tck.ErrorsTck;
import dev.weft.tck.TckProvider;

/** The TCK's Errors area on the verbs provider over rxe; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class ErrorsConformance extends ErrorsTck {
    @Override
    public TckProvider provider() {
        return VerbsRxe.INSTANCE;
    }
}
