package dev.weft.provider.softroce.tck;

import dev.weft.provider.softroce.testbed.Testbed;
import dev.weft.tck.KnownDefect;
import dev.weft.tck.TckProvider;
import java.util.Map;

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

    /**
     * Local access points the verbs grammar refuses, whatever the device: an address without a port, a region (which
     * belongs in a peer's URI), {@code gid=} with an address (rdma_cm picks the GID there).
     */
    @Override
    public java.util.List<String> malformedUris() {
        String address = device.equals("siw") ? Testbed.siwAddress() : Testbed.address();
        return java.util.List.of("verbs://" + address, "verbs://" + address + ":0/config", "verbs://" + address + ":0?gid=1");
    }

    /**
     * siw (Linux 6.1) serves remote reads of regions registered without {@code REMOTE_READ}: the
     * target resolves a read response's source with no permission to check
     * ({@code siw_check_sgl_tx(qp->pd, wqe, 0)} in {@code siw_qp_sq_proc_tx},
     * drivers/infiniband/sw/siw/siw_qp_tx.c), and the read request's path in siw_qp_rx.c checks
     * none either. The provider registers exactly {@code LOCAL_WRITE | REMOTE_WRITE}; the
     * enforcement is the target device's, so nothing above it can add it. The rule fails on its first check: the read
     * completes {@code SUCCESS} (docs/tck.md records the failure); any other failure of it is not excused.
     */
    @Override
    public Map<String, KnownDefect> knownDefects() {
        return knownDefectsOf(device);
    }

    /**
     * @param device rxe or siw
     * @return the known defects of that device's kernel driver, as {@link #knownDefects()}
     */
    static Map<String, KnownDefect> knownDefectsOf(String device) {
        return device.equals("siw") ? Map.of("sec_readWriteOnlyRegion", new KnownDefect("siw (Linux 6.1) does not check REMOTE_READ at the"
                + " target: siw_qp_sq_proc_tx resolves a read response's source with siw_check_sgl_tx(qp->pd, wqe, 0) (siw_qp_tx.c)",
                "expected: <REMOTE_ACCESS_ERROR> but was: <SUCCESS>")) : Map.of();
    }
}
