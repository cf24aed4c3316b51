package dev.weft.tck;

/**
 * A rule that fails because of a defect below the provider — in a device, its driver or its kernel — that the provider
 * cannot mend, and how it fails. Listed by {@link TckProvider#knownDefects()}.
 *
 * <p>The listed rule still runs. When it fails with a failure whose message contains {@link #failure()}, it is reported
 * {@code known-defect}; when it fails in any other way, it fails (the listed defect does not excuse another one, for
 * example a lost completion in the same rule); when it passes, it fails too ("listed as a known defect but passed"), so
 * that a fixed platform is noticed and the entry removed.
 *
 * @param cause where the defect lies and how it was shown without the provider (a driver's source line, a reproducer)
 * @param failure text the rule's failure message must contain, as the report shows it: the assertion's own words, e.g.
 *        {@code expected: <REMOTE_ACCESS_ERROR> but was: <SUCCESS>}; matched case-sensitively
 */
public record KnownDefect(String cause, String failure) {
    /**
     * Validates the components.
     *
     * @param cause not blank
     * @param failure not blank
     * @throws IllegalArgumentException if either is null or blank
     */
    public KnownDefect {
        if (cause == null || cause.isBlank()) {
            throw new IllegalArgumentException("a known defect names its cause: where it lies and how it was shown");
        }
        if (failure == null || failure.isBlank()) {
            throw new IllegalArgumentException("a known defect states the failure it causes (text of the failure message, e.g."
                    + " \"expected: <REMOTE_ACCESS_ERROR> but was: <SUCCESS>\"), so that no other failure of the rule is excused");
        }
    }

    /**
     * @param observed what the rule threw
     * @return {@code true} if its message (or, without one, its {@code toString()}) contains {@link #failure()}
     */
    public boolean matches(Throwable observed) {
        String message = observed.getMessage() != null ? observed.getMessage() : observed.toString();
        return message.contains(failure);
    }
}
