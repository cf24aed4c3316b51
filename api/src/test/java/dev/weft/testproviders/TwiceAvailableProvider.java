package dev.weft.testproviders;

import dev.weft.Availability;

/** A discovery fixture: the second of two providers of one scheme, available; opens as {@link GoodProvider} does. */
public final class TwiceAvailableProvider extends FixtureProvider {
    public TwiceAvailableProvider() {
        super("twice", Availability.ofAvailable(), true);
    }
}
