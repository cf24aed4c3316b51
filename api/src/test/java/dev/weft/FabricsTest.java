package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FabricsTest {

    private static Map<String, ProviderStatus> byScheme() {
        return Fabrics.providers().stream().collect(Collectors.toMap(ProviderStatus::scheme, s -> s, (first, second) -> first));
    }

    @Test
    void listsEveryInstalledProviderWithAvailability() {
        List<ProviderStatus> all = Fabrics.providers();
        assertEquals(9, all.size(), all::toString);
        Map<String, ProviderStatus> s = byScheme();
        assertTrue(s.get("good").isAvailable());
        assertEquals("Good", s.get("good").info().name());

        ProviderStatus gone = s.get("gone");
        assertFalse(gone.isAvailable());
        assertEquals("libgone.so.1 not found", gone.availability().cause());
        assertEquals("apt-get install libgone1", gone.availability().hint());
    }

    @Test
    void aMissingSchemeIsNamedAsMissing() {
        FabricException none = assertThrows(FabricException.class, () -> Fabrics.provider(null));
        assertEquals(ErrorCode.UNKNOWN_SCHEME, none.code());
        assertFalse(none.getMessage().contains("\"null\""), none.getMessage());
        assertTrue(none.getMessage().contains("a scheme is required"), none.getMessage());
        assertEquals(ErrorCode.INVALID_URI, assertThrows(FabricException.class, () -> Fabrics.open((URI) null)).code());
        assertEquals(ErrorCode.INVALID_URI, assertThrows(FabricException.class, () -> Fabrics.open((FabricUri) null)).code());
        assertEquals(ErrorCode.INVALID_URI, assertThrows(FabricException.class, () -> FabricUri.of(null)).code());
    }

    @Test
    void aProviderWhoseConstructorFailsIsListedNotFatal() {
        ProviderStatus boom = byScheme().get("dev.weft.testproviders.ExplodingProvider");
        assertFalse(boom.isAvailable());
        assertNull(boom.provider());
        assertTrue(boom.availability().cause().contains("boom: native library failed to initialise"), boom.availability().cause());

        ProviderStatus badInfo = byScheme().get("badinfo");
        assertFalse(badInfo.isAvailable());
        assertTrue(badInfo.availability().cause().contains("info not implemented"));
    }

    /**
     * A provider that breaks the SPI in how it describes itself (scheme null or not in lower case, availability null,
     * info throwing) is listed as broken with what it did, under its scheme where it has one, and neither the listing
     * nor the opening of the other providers suffers: a scheme it serves answers PROVIDER_UNAVAILABLE with the reason.
     */
    @Test
    void aBadlyBehavedProviderIsListedAsBrokenAndBreaksNoOther() {
        Map<String, ProviderStatus> s = byScheme();
        ProviderStatus nullScheme = s.get("dev.weft.testproviders.NullSchemeProvider");
        assertFalse(nullScheme.isAvailable());
        assertTrue(nullScheme.availability().cause().contains("scheme() returned null"), nullScheme.availability().cause());
        ProviderStatus upper = s.get("UPPER");
        assertFalse(upper.isAvailable());
        assertTrue(upper.availability().cause().contains("lower case"), upper.availability().cause());
        assertFalse(s.get("nullavail").isAvailable());
        assertTrue(s.get("nullavail").availability().cause().contains("availability() returned null"));

        FabricException unknown = assertThrows(FabricException.class, () -> Fabrics.open("nope://h"));
        assertEquals(ErrorCode.UNKNOWN_SCHEME, unknown.code(), unknown.getMessage());
        assertTrue(unknown.getMessage().contains("nullavail (unavailable: provider dev.weft.testproviders.NullAvailabilityProvider"
                + " is broken: its availability() returned null"), unknown.getMessage());
        for (String uri : new String[] {"nullavail://h", "upper://h", "badinfo://h"}) {
            FabricException e = assertThrows(FabricException.class, () -> Fabrics.open(uri));
            assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("is broken"), e.getMessage());
        }
        assertTrue(assertThrows(FabricException.class, () -> Fabrics.open("badinfo://h")).getMessage()
                .contains("info not implemented"));
        try (Fabric good = Fabrics.open("good://h")) {
            assertTrue(good.isOpen());
        }
        assertEquals("good", Fabrics.provider("GOOD").scheme(), "a scheme is found in any case");
    }

    /** A provider's Limits and ProviderInfo refuse a bad component with INVALID_ARGUMENT naming it, never a bare NPE. */
    @Test
    void limitsAndProviderInfoNameTheComponentOutOfRange() {
        java.time.Duration second = java.time.Duration.ofSeconds(1);
        Map<String, org.junit.jupiter.api.function.Executable> bad = new java.util.LinkedHashMap<>();
        bad.put("Limits.maxEndpoints must be positive, got 0", () -> new Limits(1, 1, 0, 1, 1, 0, 1, second, false, false));
        bad.put("Limits.maxScatterGather must be positive, got -1", () -> new Limits(1, -1, 0, 1, 1, 1, 1, second, false, false));
        bad.put("Limits.maxInlineData must be 0", () -> new Limits(1, 1, -1, 1, 1, 1, 1, second, false, false));
        bad.put("Limits.peerFailureTimeout must be a positive duration", () -> new Limits(1, 1, 0, 1, 1, 1, 1,
                java.time.Duration.ofSeconds(-5), false, false));
        bad.put("Limits.peerFailureTimeout must be a positive duration (", () -> new Limits(1, 1, 0, 1, 1, 1, 1, null, false, false));
        Limits limits = new Limits(1, 1, 0, 1, 1, 1, 1, second, false, false);
        bad.put("ProviderInfo.transports (an empty set if none) is null", () -> new ProviderInfo("n", "s", "v", "d", null,
                java.util.Set.of(), limits, Map.of()));
        bad.put("ProviderInfo.limits is null", () -> new ProviderInfo("n", "s", "v", "d", java.util.Set.of(), java.util.Set.of(), null,
                Map.of()));
        bad.put("ProviderInfo.capabilities holds a null", () -> new ProviderInfo("n", "s", "v", "d", java.util.Set.of(),
                new java.util.HashSet<>(java.util.Arrays.asList(Capability.RMA_READ, null)), limits, Map.of()));
        bad.forEach((message, construct) -> {
            FabricException e = assertThrows(FabricException.class, construct, message);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains(message), e.getMessage());
        });
    }

    /** Of two providers of one scheme, the available one opens it, whatever their discovery order. */
    @Test
    void anAvailableProviderIsPreferredToAnUnavailableOneOfTheSameScheme() {
        List<ProviderStatus> twice = Fabrics.providers().stream().filter(p -> p.scheme().equals("twice")).toList();
        assertEquals(2, twice.size(), twice::toString);
        assertFalse(twice.get(0).isAvailable(), "the first listed is the unavailable one");
        try (Fabric fabric = Fabrics.open("twice://h")) {
            assertEquals("twice", fabric.uri().scheme());
        }
    }

    @Test
    void opensByUriThroughTheMatchingProvider() {
        try (Fabric fabric = Fabrics.open("good://somewhere?x=1")) {
            assertEquals("somewhere", fabric.uri().host());
            assertEquals("good", fabric.info().scheme());
        }
        try (Fabric fabric = Fabrics.open(URI.create("GOOD://h"))) {
            assertTrue(fabric.isOpen());
        }
    }

    @Test
    void unknownSchemeListsInstalledSchemes() {
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open("nope://h:1"));
        assertEquals(ErrorCode.UNKNOWN_SCHEME, e.code());
        assertTrue(e.getMessage().contains("\"nope\""), e.getMessage());
        assertTrue(e.getMessage().contains("good (available)"), e.getMessage());
        assertTrue(e.getMessage().contains("gone (unavailable: libgone.so.1 not found)"), e.getMessage());
    }

    /**
     * A provider jar on the class path without its services entry is not found ({@code provides} in module-info is
     * read only on the module path); the message says where a provider is looked for, so its author can tell.
     */
    @Test
    void unknownSchemeSaysWhereProvidersAreFound() {
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open("nope://h:1"));
        assertTrue(e.getMessage().contains("META-INF/services/dev.weft.spi.FabricProvider"), e.getMessage());
        assertTrue(e.getMessage().contains("provides dev.weft.spi.FabricProvider"), e.getMessage());
    }

    @Test
    void unavailableProviderGivesCauseAndHint() {
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open("gone://h"));
        assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("libgone.so.1 not found") && e.getMessage().contains("apt-get install libgone1"), e.getMessage());
    }

    @Test
    void badUriIsRejectedBeforeAnyProviderIsAsked() {
        assertEquals(ErrorCode.INVALID_URI, assertThrows(FabricException.class, () -> Fabrics.open("good:/h")).code());
        FabricException p = assertThrows(FabricException.class, () -> Fabrics.open("good://h?y=2"));
        assertEquals(ErrorCode.INVALID_URI, p.code());
        assertTrue(p.getMessage().contains("unknown parameter \"y\""), p.getMessage());
    }
}
