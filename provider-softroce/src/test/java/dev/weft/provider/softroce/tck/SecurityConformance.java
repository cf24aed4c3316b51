package dev.weft.provider.softroce.tck;

import dev.weft.tck.SecurityTck;
import dev.weft.tck.TckProvider;

/** The TCK's Security area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class SecurityConformance extends SecurityTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
