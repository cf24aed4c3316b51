package dev.weft.testproviders;

/** A discovery fixture that breaks the SPI: its availability() returns null. */
public final class NullAvailabilityProvider extends FixtureProvider {
    public NullAvailabilityProvider() {
        super("nullavail", null, false);
    }
}
