package dev.weft.provider.softroce.tck;

import dev.weft.tck.RegistrationTck;
import dev.weft.tck.TckProvider;

/** The TCK's Registration area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class RegistrationConformance extends RegistrationTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
