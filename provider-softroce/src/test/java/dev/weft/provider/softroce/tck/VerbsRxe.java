package dev.weft.provider.softroce.tck;

import dev.weft.provider.softroce.testbed.Testbed;
import dev.weft.tck.TckProvider;

/** The verbs provider on the testbed's rxe device, as the TCK sees it. */
public final class VerbsRxe implements TckProvider {
    /** The one instance. */
    public static final VerbsRxe INSTANCE = new VerbsRxe();

    private VerbsRxe() {
    }

    @Override
    public String label() {
        return "verbs(rxe)";
    }

    @Override
    public String fabricUri() {
        // ack_timeout 12 (~17 ms) x retry 3: a killed peer is noticed within about a second
        return "verbs://" + Testbed.address() + ":0?ack_timeout=12&retry=3";
    }
}
