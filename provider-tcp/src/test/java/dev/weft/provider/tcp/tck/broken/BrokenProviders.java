package dev.weft.provider.tcp.tck.broken;

import dev.weft.tck.AtomicsTck;
import dev.weft.tck.ErrorsTck;
import dev.weft.tck.RegistrationTck;
import dev.weft.tck.RmaTck;
import dev.weft.tck.SecurityTck;
import dev.weft.tck.TckProvider;
import java.util.Map;

/** TCK area classes bound to the broken providers; run only through the launcher by {@link TckCatchesBrokenProvidersTest}. */
final class BrokenProviders {
    private BrokenProviders() {
    }

    record Hook(String label, Map<String, String> knownDefects) implements TckProvider {
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
    static final Map<String, String> LISTED = Map.of("sec_readWriteOnlyRegion", "ignores access flags (listed on purpose)",
            "sec_writeReadOnlyRegion", "ignores access flags (listed on purpose)", "sec_randomKey", "listed although it works");

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
}
