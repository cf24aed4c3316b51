package dev.weft.provider.tcp.tck.broken;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.weft.tck.TckReport;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Proves the TCK: each deliberately broken provider must fail the rules that target its defect
 * (and the same rules pass on the real TCP provider, in the TCK run of this module).
 */
@Timeout(300)
class TckCatchesBrokenProvidersTest {
    private static Map<String, String> run(Class<?>... areas) {
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request();
        for (Class<?> area : areas) {
            request.selectors(selectClass(area));
        }
        // A broken provider loses completions on purpose; do not wait the full 45 s for each.
        String before = System.setProperty("weft.tck.completionWaitSeconds", "3");
        try {
            Launcher launcher = LauncherFactory.create();
            launcher.execute(request.build());
        } finally {
            if (before == null) {
                System.clearProperty("weft.tck.completionWaitSeconds");
            } else {
                System.setProperty("weft.tck.completionWaitSeconds", before);
            }
        }
        return TckReport.outcomes(label(areas[0]));
    }

    private static String label(Class<?> area) {
        String n = area.getSimpleName();
        return n.startsWith("Bounds") ? "broken-bounds" : n.startsWith("Keys") ? "broken-keys" : n.startsWith("Close") ? "broken-close"
                : n.startsWith("Listed") ? "broken-access-listed" : n.startsWith("Silent") ? "broken-silent"
                : n.startsWith("Allocating") ? "broken-allocate" : "broken-access";
    }

    @Test
    void skippedBoundsChecksAreCaught() {
        Map<String, String> r = run(BrokenProviders.BoundsSecurity.class, BrokenProviders.BoundsAtomics.class);
        assertEquals("failed", r.get("sec_belowBase"), r::toString);
        assertEquals("failed", r.get("sec_onePastTheEnd"), r::toString);
        assertEquals("failed", r.get("sec_wrapsTwoToThe64"), r::toString);
        assertEquals("failed", r.get("at_lastWordAndBeyond"), r::toString);
        assertEquals("passed", r.get("sec_exactFitAccepted"), "the in-bounds edge still works");
    }

    @Test
    void reusedKeysAreCaught() {
        Map<String, String> r = run(BrokenProviders.KeysSecurity.class);
        assertEquals("failed", r.get("sec_keysAreUnique"), r::toString);
        assertEquals("failed", r.get("sec_deregisteredKeyIsDead"), r::toString);
    }

    @Test
    void aLostCompletionIsCaught() {
        Map<String, String> r = run(BrokenProviders.CloseErrors.class);
        assertEquals("failed", r.get("err_errorFlushesOutstandingAndLater"), r::toString);
        assertEquals("failed", r.get("err_closeEndpointWith1000InFlight"), r::toString);
        assertEquals("failed", r.get("err_closeEndpointWith1000ReadsInFlight"), r::toString);
        assertEquals("failed", r.get("err_closeFlushesPostedReceives"), r::toString);
        assertEquals("failed", r.get("err_peerSeesTheClose"), r::toString);
        assertEquals("failed", r.get("err_peerClosesWithReadsInFlight"), r::toString);
        assertEquals("failed", r.get("err_closeFlushesSendsAwaitingAReceive"), r::toString);
        assertEquals("failed", r.get("err_receivePostedBehindAnError"), r::toString);
    }

    @Test
    void ignoredAccessFlagsAreCaught() {
        Map<String, String> r = run(BrokenProviders.AccessSecurity.class, BrokenProviders.AccessRegistration.class);
        assertEquals("failed", r.get("sec_writeReadOnlyRegion"), r::toString);
        assertEquals("failed", r.get("sec_readWriteOnlyRegion"), r::toString);
        assertEquals("failed", r.get("sec_atomicWithoutRight"), r::toString);
        assertEquals("failed", r.get("reg_remoteWriteNeedsLocalWrite"), r::toString);
        assertEquals("failed", r.get("reg_remoteAtomicNeedsLocalWrite"), r::toString);
        assertEquals("passed", r.get("sec_randomKey"), "rules unrelated to the defect still pass");
    }

    /** A listed known defect is reported as such; a listed rule that passes fails, so a stale entry is noticed. */
    @Test
    void knownDefectsAreReportedAndStaleOnesFail() {
        Map<String, String> r = run(BrokenProviders.ListedAccessSecurity.class);
        assertEquals("known-defect", r.get("sec_readWriteOnlyRegion"), r::toString);
        assertEquals("known-defect", r.get("sec_writeReadOnlyRegion"), r::toString);
        assertEquals("failed", r.get("sec_randomKey"), "listed but passing: " + r);
        assertEquals("passed", r.get("sec_keyPlusOne"), r::toString);
    }

    /**
     * Declaring transmit completion excuses a SUCCESS on the rejected write, not a connection that
     * carries on: a provider that hides the rejection fails.
     */
    @Test
    void aRejectionHiddenBehindTransmitCompletionIsCaught() {
        Map<String, String> r = run(BrokenProviders.SilentSecurity.class, BrokenProviders.SilentErrors.class);
        assertEquals("failed", r.get("sec_randomKey"), r::toString);
        assertEquals("failed", r.get("sec_onePastTheEnd"), r::toString);
        assertEquals("failed", r.get("err_errorFlushesOutstandingAndLater"), r::toString);
        assertEquals("passed", r.get("sec_exactFitAccepted"), r::toString);
    }

    /**
     * A provider that allocates on every post fails the allocation rule, and the same wrapper around TCP without
     * that defect passes it: the rule sees the allocation, not the wrapper.
     */
    @Test
    void allocationOnThePostPathIsCaught() {
        Map<String, String> r = run(BrokenProviders.AllocatingRma.class);
        assertEquals("failed", r.get("rma_steadyStateAllocatesNothing"), r::toString);
        assertEquals("passed", r.get("rma_write_oddOffsets"), "rules unrelated to the defect still pass: " + r);
        Map<String, String> control = run(BrokenProviders.KeysRma.class);
        assertEquals("passed", control.get("rma_steadyStateAllocatesNothing"), "without the defect: " + control);
    }
}
