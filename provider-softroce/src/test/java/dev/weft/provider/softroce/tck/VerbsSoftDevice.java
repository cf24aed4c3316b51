package dev.weft.provider.softroce.tck;

import dev.weft.provider.softroce.testbed.Testbed;
import dev.weft.tck.TckProvider;

/**
 * The verbs provider on one of the testbed's soft devices, as the TCK sees it: rxe0 (Soft-RoCE,
 * the default) or siw0 (Soft-iWARP), chosen by {@code -Dweft.tck.device=rxe|siw} in the guest.
 */
public final class VerbsSoftDevice implements TckProvider {
    /** The device this JVM's TCK run targets. */
    public static final VerbsSoftDevice INSTANCE = new VerbsSoftDevice(System.getProperty("weft.tck.device", "rxe"));

    private final String device;

    private VerbsSoftDevice(String device) {
        if (!device.equals("rxe") && !device.equals("siw")) {
            throw new IllegalArgumentException("weft.tck.device must be rxe or siw, not " + device);
        }
        this.device = device;
    }

    @Override
    public String label() {
        return "verbs(" + device + ")";
    }

    @Override
    public String fabricUri() {
        // ack_timeout 12 (~17 ms) x retry 3: a killed peer is noticed within about a second
        String address = device.equals("siw") ? Testbed.siwAddress() : Testbed.address();
        return "verbs://" + address + ":0?ack_timeout=12&retry=3";
    }
}
