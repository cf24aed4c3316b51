package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Limits;
import dev.weft.ProviderStatus;
import org.junit.jupiter.api.Test;

/** Area 1: discovery and URIs. */
public abstract class DiscoveryTck extends TckBase {
    /** Creates the area. */
    protected DiscoveryTck() {
    }

    private String scheme() {
        return FabricUri.parse(provider().fabricUri()).scheme();
    }

    /** The provider is listed by {@code Fabrics.providers()} and available. If this fails, check META-INF/services and module-info. */
    @Test
    void disc_providerListedAndAvailable() {
        ProviderStatus status = Fabrics.providers().stream().filter(s -> s.scheme().equals(scheme())).findFirst()
                .orElseThrow(() -> new AssertionError("no provider with scheme " + scheme() + " is listed"));
        assertTrue(status.isAvailable(), () -> "listed but unavailable: " + status.availability());
        assertEquals(scheme(), status.info().scheme());
    }

    /** Info and limits are consistent data. If this fails, check ProviderInfo and Limits of the provider. */
    @Test
    void disc_infoIsConsistent() {
        try (Fabric f = Fabrics.open(provider().fabricUri())) {
            assertEquals(scheme(), f.info().scheme());
            Limits l = f.info().limits();
            assertTrue(l.maxMessageSize() >= 1 && l.maxScatterGather() >= 1 && l.maxQueueDepth() >= 1);
            assertTrue(!f.info().transports().isEmpty(), "a provider names its transports");
        }
    }

    /** An unknown URI parameter is rejected with INVALID_URI naming it. If this fails, check FabricUri.checkParameters use. */
    @Test
    void disc_unknownParameterRejected() {
        String uri = provider().fabricUri();
        String bad = uri + (uri.contains("?") ? "&" : "?") + "tck_no_such_parameter=1";
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open(bad).close());
        assertEquals(ErrorCode.INVALID_URI, e.code());
        assertTrue(e.getMessage().contains("tck_no_such_parameter"), e.getMessage());
    }

    /** A malformed URI of the scheme is rejected before the provider opens anything. If this fails, check URI validation. */
    @Test
    void disc_malformedUriRejected() {
        for (String bad : new String[] {scheme() + "://", scheme() + "://host:99999", scheme() + "://a b", scheme() + ":/host"}) {
            FabricException e = assertThrows(FabricException.class, () -> Fabrics.open(bad).close(), bad);
            assertEquals(ErrorCode.INVALID_URI, e.code(), bad);
            assertTrue(e.getMessage().contains("for example"), () -> "no example in: " + e.getMessage());
        }
    }

    /** An unknown scheme lists the installed ones, including this provider. If this fails, check provider registration. */
    @Test
    void disc_unknownSchemeListsInstalled() {
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open("tcknosuchscheme://h:1"));
        assertEquals(ErrorCode.UNKNOWN_SCHEME, e.code());
        assertTrue(e.getMessage().contains(scheme()), e.getMessage());
    }

    /** A closed fabric refuses new domains with CLOSED. If this fails, check Fabric.close and use-after-close checks. */
    @Test
    void disc_useAfterCloseFails() {
        Fabric f = Fabrics.open(provider().fabricUri());
        f.close();
        f.close();
        assertEquals(ErrorCode.CLOSED, assertThrows(FabricException.class, f::openDomain).code());
    }
}
