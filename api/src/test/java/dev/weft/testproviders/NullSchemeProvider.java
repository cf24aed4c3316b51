package dev.weft.testproviders;

import dev.weft.Availability;

/** A discovery fixture that breaks the SPI: its scheme() returns null. */
public final class NullSchemeProvider extends FixtureProvider {
    public NullSchemeProvider() {
        super(null, Availability.ofAvailable(), false);
    }
}
