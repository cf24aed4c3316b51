package dev.weft;

import java.util.Objects;

/**
 * Whether a provider can run on this host and, if not, why and what to do about it
 * (Netty's {@code Epoll.isAvailable()/unavailabilityCause()} is the model). Immutable.
 *
 * @param available {@code true} if the provider can open fabrics here
 * @param cause why it cannot, or {@code null} if available
 * @param hint what would make it available (a package to install, a URI to try), or {@code null}
 */
public record Availability(boolean available, String cause, String hint) {
    private static final Availability AVAILABLE = new Availability(true, null, null);

    /**
     * Checks consistency.
     *
     * @param available whether available
     * @param cause the cause, required when unavailable
     * @param hint the hint
     */
    public Availability {
        if (!available) {
            Objects.requireNonNull(cause, "an unavailable provider needs a cause");
        }
    }

    /** @return the shared "available" value */
    public static Availability ofAvailable() {
        return AVAILABLE;
    }

    /**
     * @param cause why the provider cannot run here
     * @param hint what would fix it
     * @return an "unavailable" value
     */
    public static Availability unavailable(String cause, String hint) {
        return new Availability(false, cause, hint);
    }

    @Override
    public String toString() {
        return available ? "available" : "unavailable: " + cause + (hint == null ? "" : " (" + hint + ")");
    }
}
