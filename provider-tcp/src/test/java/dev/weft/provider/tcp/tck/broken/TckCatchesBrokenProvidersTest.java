package dev.weft.provider.tcp.tck.broken;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.weft.tck.TckReport;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.engine.DiscoverySelector;
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
        return run(label(areas[0]), java.util.Arrays.stream(areas).map(a -> (DiscoverySelector) selectClass(a)).toArray(DiscoverySelector[]::new));
    }

    /** Runs the selected areas or cases through the launcher; returns the outcomes recorded for {@code label}. */
    private static Map<String, String> run(String label, DiscoverySelector... selectors) {
        LauncherDiscoveryRequestBuilder request = LauncherDiscoveryRequestBuilder.request().selectors(selectors);
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
        return TckReport.outcomes(label);
    }

    private static String label(Class<?> area) {
        String n = area.getSimpleName();
        return n.startsWith("Bounds") ? "broken-bounds" : n.startsWith("Keys") ? "broken-keys" : n.startsWith("Close") ? "broken-close"
                : n.startsWith("Listed") ? "broken-access-listed" : n.startsWith("Silent") ? "broken-silent"
                : n.startsWith("Allocating") ? "broken-allocate" : "broken-access";
    }

    /** The given cases of an area: method names, with the parameter types of a parameterised rule ({@code rma_read_size(int)}). */
    private static DiscoverySelector[] cases(Class<?> area, String... methods) {
        return java.util.Arrays.stream(methods).map(m -> (DiscoverySelector) selectMethod(area.getName() + "#" + m))
                .toArray(DiscoverySelector[]::new);
    }

    private static DiscoverySelector[] concat(DiscoverySelector[]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(DiscoverySelector[]::new);
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
        assertEquals("failed", r.get("sec_atomicWithoutRight"), "listed with another failure than the one it shows: " + r);
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

    /**
     * A duplicate completion that stands in for a lost one keeps the count right; the ids show it: in the error flush,
     * the close flushes, and the flushed request behind every rejection at the target.
     */
    @Test
    void aDuplicateInPlaceOfALostCompletionIsCaught() {
        Map<String, String> r = run("broken-dupflush", concat(cases(BrokenProviders.DupFlushErrors.class, "err_errorFlushesOutstandingAndLater",
                "err_closeFlushesPostedReceives", "err_peerSeesTheClose", "err_closeFlushesSendsAwaitingAReceive"),
                cases(BrokenProviders.DupFlushSecurity.class, "sec_randomKey", "sec_onePastTheEnd", "sec_writeReadOnlyRegion", "sec_exactFitAccepted")));
        assertEquals("failed", r.get("err_errorFlushesOutstandingAndLater"), r::toString);
        assertEquals("failed", r.get("err_closeFlushesPostedReceives"), r::toString);
        assertEquals("failed", r.get("err_peerSeesTheClose"), r::toString);
        assertEquals("failed", r.get("err_closeFlushesSendsAwaitingAReceive"), r::toString);
        assertEquals("failed", r.get("sec_randomKey"), r::toString);
        assertEquals("failed", r.get("sec_onePastTheEnd"), r::toString);
        assertEquals("failed", r.get("sec_writeReadOnlyRegion"), r::toString);
        assertEquals("passed", r.get("sec_exactFitAccepted"), "nothing is flushed there: " + r);
    }

    /** A completion delivered again 100 ms after the case took it is caught by the check after every case. */
    @Test
    void aLateDuplicateIsCaught() {
        Map<String, String> r = run("broken-latedup", concat(cases(BrokenProviders.LateDupSecurity.class, "sec_exactFitAccepted", "sec_randomKey"),
                cases(BrokenProviders.LateDupAtomics.class, "at_fetchAdd_result", "at_cmpSwap_match", "at_misalignedRejected")));
        assertEquals("failed", r.get("sec_exactFitAccepted"), r::toString);
        assertEquals("failed", r.get("at_fetchAdd_result"), r::toString);
        assertEquals("failed", r.get("at_cmpSwap_match"), r::toString);
        assertEquals("passed", r.get("sec_randomKey"), "no request succeeds there, so nothing is repeated: " + r);
        assertEquals("passed", r.get("at_misalignedRejected"), "no request succeeds there, so nothing is repeated: " + r);
    }

    /** Every post the provider declares, on a closed endpoint, must answer CLOSED. */
    @Test
    void postsAcceptedOnAClosedEndpointAreCaught() {
        Map<String, String> r = run("broken-closedpost", cases(BrokenProviders.ClosedPostErrors.class, "err_useAfterClose",
                "err_closeEndpointWith1000InFlight"));
        assertEquals("failed", r.get("err_useAfterClose"), r::toString);
        assertEquals("passed", r.get("err_closeEndpointWith1000InFlight"), "writes after a close still answer CLOSED: " + r);
    }

    /** A read, an atomic or a write-with-immediate's receive must report its bytes (Completion.byteCount); a write need not. */
    @Test
    void aWrongByteCountIsCaught() {
        Map<String, String> r = run("broken-bytes", concat(cases(BrokenProviders.BytesRma.class, "rma_read_size(int)", "rma_read_exactFit",
                "rma_writeWithImmediate", "rma_write_size(int)"), cases(BrokenProviders.BytesAtomics.class, "at_fetchAdd_result", "at_cmpSwap_mismatch")));
        assertEquals("failed", r.get("rma_read_size[8]"), r::toString);
        assertEquals("failed", r.get("rma_read_exactFit"), r::toString);
        assertEquals("failed", r.get("rma_writeWithImmediate"), "its receive must report the bytes written: " + r);
        assertEquals("failed", r.get("at_fetchAdd_result"), r::toString);
        assertEquals("failed", r.get("at_cmpSwap_mismatch"), r::toString);
        assertEquals("passed", r.get("rma_write_size[8]"), "the API promises no byte count for a write: " + r);
    }

    /**
     * Known defects apply to parameterised rules too: one case listed by its rule id is a known defect while the
     * other sizes fail, and a rule listed by its method name that passes fails in every case.
     */
    @Test
    void knownDefectsOfParameterisedRulesAreReported() {
        Map<String, String> r = run("broken-bytes-listed", cases(BrokenProviders.ListedBytesRma.class, "rma_read_size(int)", "rma_write_size(int)"));
        assertEquals("known-defect", r.get("rma_read_size[8]"), r::toString);
        assertEquals("failed", r.get("rma_read_size[7]"), "not listed: " + r);
        assertEquals("failed", r.get("rma_write_size[8]"), "listed but passing: " + r);
        assertEquals("failed", r.get("rma_write_size[1]"), "listed but passing: " + r);
    }

    /**
     * A target that serves reads whatever key they name and up to 4 KiB outside the region fails the read cases of the
     * key, bounds, wrap and deregistered-key rules; the write cases, the other domain's key (its own shadow is in that
     * domain) and the far-beyond read (outside every shadow) still pass.
     */
    @Test
    void readsServedWithoutKeyOrBoundsChecksAreCaught() {
        Map<String, String> r = run("broken-readany", cases(BrokenProviders.ReadAnySecurity.class, "sec_read_randomKey", "sec_read_keyPlusOne",
                "sec_read_belowBase", "sec_read_onePastTheEnd", "sec_read_wrapsTwoToThe64", "sec_read_deregisteredKeyIsDead",
                "sec_read_otherDomainKey", "sec_read_farBeyond", "sec_randomKey", "sec_onePastTheEnd", "sec_exactFitAccepted"));
        for (String rule : new String[] {"sec_read_randomKey", "sec_read_keyPlusOne", "sec_read_belowBase", "sec_read_onePastTheEnd",
                "sec_read_wrapsTwoToThe64", "sec_read_deregisteredKeyIsDead"}) {
            assertEquals("failed", r.get(rule), rule + ": " + r);
        }
        for (String rule : new String[] {"sec_read_otherDomainKey", "sec_read_farBeyond", "sec_randomKey", "sec_onePastTheEnd", "sec_exactFitAccepted"}) {
            assertEquals("passed", r.get(rule), rule + " is not broken by the defect: " + r);
        }
    }

    /** Completions that name another endpoint than the one the request was posted on (Completion.endpointId). */
    @Test
    void aWrongEndpointIdIsCaught() {
        Map<String, String> r = run("broken-epid", concat(cases(BrokenProviders.EpIdSecurity.class, "sec_randomKey", "sec_read_belowBase"),
                cases(BrokenProviders.EpIdRma.class, "rma_write_size(int)", "rma_read_exactFit"),
                cases(BrokenProviders.EpIdConcurrency.class, "conc_endpointIdsAreUniqueAndNamed", "conc_manyThreadsOneQueue")));
        assertEquals("failed", r.get("sec_randomKey"), r::toString);
        assertEquals("failed", r.get("sec_read_belowBase"), r::toString);
        assertEquals("failed", r.get("rma_write_size[8]"), r::toString);
        assertEquals("failed", r.get("conc_endpointIdsAreUniqueAndNamed"), r::toString);
        assertEquals("failed", r.get("conc_manyThreadsOneQueue"), r::toString);
        assertEquals("passed", r.get("rma_read_exactFit"), "no rule there looks at the endpoint id: " + r);
    }

    /**
     * A provider that declares transmit completion and no RMA_READ cannot fence its writes with a read; the write rules
     * still run, strict or not, and poll the target: writes that lose their last byte fail, the ones it leaves whole pass.
     */
    @Test
    void lostBytesWithoutAReadToFenceWithAreCaught() {
        Map<String, String> r = run("broken-txnoread", cases(BrokenProviders.TxNoReadRma.class, "rma_write_size(int)", "rma_write_largest",
                "rma_read_size(int)"));
        assertEquals("passed", r.get("rma_write_size[4096]"), r::toString);
        assertEquals("failed", r.get("rma_write_size[65537]"), r::toString);
        assertEquals("failed", r.get("rma_write_size[1048576]"), r::toString);
        assertEquals("failed", r.get("rma_write_largest"), r::toString);
        assertEquals("skipped", r.get("rma_read_size[8]"), "RMA_READ is not declared: " + r);
    }

    /** Descriptors and virtual threads that grow with the work are leaks, told from one-time ones by a second round. */
    @Test
    void leakedDescriptorsAndVirtualThreadsAreCaught() {
        Map<String, String> fd = run("broken-fdleak", cases(BrokenProviders.FdLeakResources.class, "res_openRegisterCloseCycles"));
        assertEquals("failed", fd.get("res_openRegisterCloseCycles"), fd::toString);
        Map<String, String> vt = run("broken-vtleak", cases(BrokenProviders.VtLeakResources.class, "res_openRegisterCloseCycles"));
        assertEquals("failed", vt.get("res_openRegisterCloseCycles"), vt::toString);
    }

    /**
     * An honest provider without RMA_READ, or without SEND_RECV, is not failed by the rules that use them: those that
     * need them skip with the reason, those that can do without run without them.
     */
    @Test
    void undeclaredCapabilitiesAreNotRequired() {
        Map<String, String> r = run("broken-noread", concat(cases(BrokenProviders.NoReadErrors.class, "err_useAfterClose"),
                cases(BrokenProviders.NoReadResources.class, "res_queueFullIsAgain", "res_listenerCloseKeepsAcceptedConnections"),
                cases(BrokenProviders.NoReadConcurrency.class, "conc_manyThreadsOneQueue"),
                cases(BrokenProviders.NoReadWellKnownRegion.class, "wk_readAsFirstOperation"),
                cases(BrokenProviders.NoReadRma.class, "rma_read_scatterGather")));
        assertEquals("passed", r.get("err_useAfterClose"), r::toString);
        assertEquals("passed", r.get("res_queueFullIsAgain"), r::toString);
        assertEquals("passed", r.get("res_listenerCloseKeepsAcceptedConnections"), r::toString);
        assertEquals("passed", r.get("conc_manyThreadsOneQueue"), r::toString);
        assertEquals("skipped", r.get("wk_readAsFirstOperation"), r::toString);
        assertEquals("skipped", r.get("rma_read_scatterGather"), r::toString);
        Map<String, String> s = run("broken-nosr", concat(cases(BrokenProviders.NoSrErrors.class, "err_closeFlushesPostedReceives",
                "err_peerSeesTheClose", "err_receivePostedBehindAnError", "err_useAfterClose"),
                cases(BrokenProviders.NoSrResources.class, "res_overflowingReceiveQueueLosesNothing",
                        "res_closingOneQueueKeepsTheOthersCompletions", "res_listenerCloseKeepsAcceptedConnections")));
        assertEquals("skipped", s.get("err_closeFlushesPostedReceives"), s::toString);
        assertEquals("skipped", s.get("err_peerSeesTheClose"), s::toString);
        assertEquals("skipped", s.get("err_receivePostedBehindAnError"), s::toString);
        assertEquals("skipped", s.get("res_overflowingReceiveQueueLosesNothing"), s::toString);
        assertEquals("skipped", s.get("res_closingOneQueueKeepsTheOthersCompletions"), s::toString);
        assertEquals("passed", s.get("err_useAfterClose"), s::toString);
        assertEquals("passed", s.get("res_listenerCloseKeepsAcceptedConnections"), s::toString);
    }
}
