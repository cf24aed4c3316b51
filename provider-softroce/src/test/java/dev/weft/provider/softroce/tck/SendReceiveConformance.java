package dev.weft.provider.softroce.tck;

import dev.weft.tck.SendReceiveTck;
import dev.weft.tck.TckProvider;

/** The TCK's SendReceive area on the verbs provider over rxe; runs inside the testbed (see {@link SoftRoceTckTest}). */
public class SendReceiveConformance extends SendReceiveTck {
    @Override
    public TckProvider provider() {
        return VerbsRxe.INSTANCE;
    }
}
