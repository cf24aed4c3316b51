package dev.weft.testproviders;

import dev.weft.Availability;

/** A discovery fixture that breaks the SPI: its scheme is not in lower case, so no URI could name it. */
public final class UpperCaseSchemeProvider extends FixtureProvider {
    public UpperCaseSchemeProvider() {
        super("UPPER", Availability.ofAvailable(), false);
    }
}
