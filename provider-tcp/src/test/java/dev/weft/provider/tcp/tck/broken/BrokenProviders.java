package dev.weft.provider.tcp.tck.broken;

import dev.weft.tck.AtomicsTck;
import dev.weft.tck.ErrorsTck;
import dev.weft.tck.RegistrationTck;
import dev.weft.tck.SecurityTck;
import dev.weft.tck.TckProvider;

/** TCK area classes bound to the broken providers; run only through the launcher by {@link TckCatchesBrokenProvidersTest}. */
final class BrokenProviders {
    private BrokenProviders() {
    }

    record Hook(String label) implements TckProvider {
        @Override
        public String fabricUri() {
            return label + "://127.0.0.1:0?timeout=1000";
        }

        @Override
        public boolean canRunInChildProcess() {
            return false;
        }
    }

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

    /** Atomics rules against the provider without bounds checks (its last-word-and-beyond rule). */
    public static class BoundsAtomics extends AtomicsTck {
        @Override
        public TckProvider provider() {
            return new Hook("broken-bounds");
        }
    }
}
