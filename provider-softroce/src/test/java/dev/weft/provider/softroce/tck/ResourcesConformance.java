package dev.weft.provider.softroce.tck;

import dev.weft.tck.ResourcesTck;
import dev.weft.tck.TckProvider;

/** The TCK's Resources area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class ResourcesConformance extends ResourcesTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
