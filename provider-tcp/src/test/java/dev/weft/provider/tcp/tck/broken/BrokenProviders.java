package dev.weft.provider.tcp.tck.broken;

import dev.weft.tck.AtomicsTck;
import dev.weft.tck.ConcurrencyTck;
import dev.weft.tck.DiscoveryTck;
import dev.weft.tck.KnownDefect;
import dev.weft.tck.ErrorsTck;
import dev.weft.tck.RegistrationTck;
import dev.weft.tck.ResourcesTck;
import dev.weft.tck.RmaTck;
import dev.weft.tck.SecurityTck;
import dev.weft.tck.SendReceiveTck;
import dev.weft.tck.WellKnownRegionTck;
import dev.weft.tck.TckProvider;
import java.util.Map;

/** TCK area classes bound to the broken providers; run only through the launcher by {@link TckCatchesBrokenProvidersTest}. */
final class BrokenProviders {
    private BrokenProviders() {
    }

    record Hook(String label, Map<String, KnownDefect> knownDefects) implements TckProvider {
        Hook(String label) {
            this(label, Map.of());
        }

        @Override
        public String fabricUri() {
            return label.replace("-listed", "") + "://127.0.0.1:0?timeout=1000";
        }

        @Override
        public boolean canRunInChildProcess() {
            return false;
        }
    }

    /** A defect the provider lists as below it: the two access rules it breaks, and one rule it does not break. */
    static final Map<String, KnownDefect> LISTED = Map.of(
            "sec_readWriteOnlyRegion", new KnownDefect("ignores access flags (listed on purpose)", "expected: <REMOTE_ACCESS_ERROR> but was: <SUCCESS>"),
            "sec_writeReadOnlyRegion", new KnownDefect("ignores access flags (listed on purpose)", "REMOTE_ACCESS_ERROR"),
            "sec_randomKey", new KnownDefect("listed although it works", "REMOTE_ACCESS_ERROR"),
            "sec_atomicWithoutRight", new KnownDefect("ignores access flags, but listed with another failure than it causes",
                    "expected exactly 1 completions"));

    /** Security rules against the provider without bounds checks. */
    public static class BoundsSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-bounds");
        }
    }

    /** Security rules against the provider that reuses keys. */
    public static class KeysSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-keys");
        }
    }

    /** Error rules against the provider that loses a completion. */
    public static class CloseErrors extends ErrorsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-close");
        }
    }

    /** Security rules against the provider that ignores access flags. */
    public static class AccessSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-access");
        }
    }

    /** Registration rules against the provider that ignores access flags. */
    public static class AccessRegistration extends RegistrationTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-access");
        }
    }

    /** Security rules against the provider that ignores access flags and lists that as a known defect. */
    public static class ListedAccessSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-access-listed", LISTED);
        }
    }

    /** Security rules against the provider that hides rejections behind transmit completion. */
    public static class SilentSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-silent");
        }
    }

    /** Error rules against the provider that hides rejections behind transmit completion. */
    public static class SilentErrors extends ErrorsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-silent");
        }
    }

    /** Atomics rules against the provider without bounds checks (its last-word-and-beyond rule). */
    public static class BoundsAtomics extends AtomicsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-bounds");
        }
    }

    /** RMA rules against the provider that allocates on every write it posts. */
    public static class AllocatingRma extends RmaTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-allocate");
        }
    }

    /** RMA rules against the provider that reuses keys: the same wrapper without the allocation defect. */
    public static class KeysRma extends RmaTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-keys");
        }
    }

    /** Error rules against the provider that reports a flushed request twice in place of another. */
    public static class DupFlushErrors extends ErrorsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-dupflush");
        }
    }

    /** Security rules against the provider that reports a flushed request twice in place of another. */
    public static class DupFlushSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-dupflush");
        }
    }

    /** Error rules against the provider that accepts posts on a closed endpoint. */
    public static class ClosedPostErrors extends ErrorsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-closedpost");
        }
    }

    /** Resource rules against the provider that leaks a descriptor on every 10th registration. */
    public static class FdLeakResources extends ResourcesTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-fdleak");
        }
    }

    /** Resource rules against the provider that leaks a virtual thread per fabric. */
    public static class VtLeakResources extends ResourcesTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-vtleak");
        }
    }

    /** Security rules against the provider that delivers a completion again 100 ms later. */
    public static class LateDupSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-latedup");
        }
    }

    /** Atomics rules against the provider that delivers a completion again 100 ms later. */
    public static class LateDupAtomics extends AtomicsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-latedup");
        }
    }

    /** RMA rules against the provider that reports no bytes for reads and atomics. */
    public static class BytesRma extends RmaTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-bytes");
        }
    }

    /** Atomics rules against the provider that reports no bytes for reads and atomics. */
    public static class BytesAtomics extends AtomicsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-bytes");
        }
    }

    /**
     * RMA rules against the provider that reports no bytes for reads, listing one case of a parameterised rule by its
     * rule id and a parameterised rule it does not break by its method name.
     */
    public static class ListedBytesRma extends RmaTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-bytes-listed", Map.of(
                    "rma_read_size[8]", new KnownDefect("reports no bytes (listed on purpose, one size)", "reports the bytes requested"),
                    "rma_write_size", new KnownDefect("listed although it works (every size)", "byte")));
        }
    }

    /** Security rules against the provider that serves reads without key or bounds checks. */
    public static class ReadAnySecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-readany");
        }
    }

    /** Security rules against the provider whose completions name another endpoint id. */
    public static class EpIdSecurity extends SecurityTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-epid");
        }
    }

    /** RMA rules against the provider whose completions name another endpoint id. */
    public static class EpIdRma extends RmaTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-epid");
        }
    }

    /** Concurrency rules against the provider whose completions name another endpoint id. */
    public static class EpIdConcurrency extends ConcurrencyTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-epid");
        }
    }

    /** RMA rules against the transmit-completion provider without reads whose long writes lose their last byte. */
    public static class TxNoReadRma extends RmaTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-txnoread");
        }
    }

    /** Error rules against an honest provider without reads. */
    public static class NoReadErrors extends ErrorsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-noread");
        }
    }

    /** Resource rules against an honest provider without reads. */
    public static class NoReadResources extends ResourcesTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-noread");
        }
    }

    /** Concurrency rules against an honest provider without reads. */
    public static class NoReadConcurrency extends ConcurrencyTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-noread");
        }
    }

    /** Well-known-region rules against an honest provider without reads. */
    public static class NoReadWellKnownRegion extends WellKnownRegionTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-noread");
        }
    }

    /** RMA rules against an honest provider without reads. */
    public static class NoReadRma extends RmaTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-noread");
        }
    }

    /** Error rules against an honest provider without send/receive. */
    public static class NoSrErrors extends ErrorsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-nosr");
        }
    }

    /** Resource rules against an honest provider without send/receive. */
    public static class NoSrResources extends ResourcesTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-nosr");
        }
    }
}
