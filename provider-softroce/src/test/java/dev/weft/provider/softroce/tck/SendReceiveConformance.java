package dev.weft.provider.softroce.tck;

import dev.weft.tck.SendReceiveTck;
import dev.weft.tck.TckProvider;

/** The TCK's SendReceive area on the verbs provider over rxe or siw; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class SendReceiveConformance extends SendReceiveTck {
    @Override
    public TckProvider provider() {
        return VerbsSoftDevice.INSTANCE;
    }
}
