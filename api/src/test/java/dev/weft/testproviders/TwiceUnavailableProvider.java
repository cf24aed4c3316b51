package dev.weft.testproviders;

import dev.weft.Availability;

/** A discovery fixture: the first of two providers of one scheme, unavailable. */
public final class TwiceUnavailableProvider extends FixtureProvider {
    public TwiceUnavailableProvider() {
        super("twice", Availability.unavailable("first copy broken", "remove the old jar"), false);
    }
}
