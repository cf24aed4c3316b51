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
import dev.weft.ProviderInfo;
import dev.weft.ProviderStatus;
import dev.weft.Capability;
import dev.weft.EndpointConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    /**
     * Info and limits are consistent data: the fabric's {@code info()} is the provider's narrowed to its device
     * ({@code ProviderInfo.forDevice}: same name, scheme, version, description and URI parameters; capabilities and
     * transports a subset of the provider's), {@code INLINE} is declared exactly where {@code maxInlineData} is above 0,
     * {@code SCATTER_GATHER} exactly where {@code maxScatterGather} is above 1, and the mandatory capabilities are
     * declared. If this fails, check ProviderInfo and Limits of the provider and of its fabrics.
     */
    @Test
    void disc_infoIsConsistent() {
        ProviderStatus status = Fabrics.providers().stream().filter(s -> s.scheme().equals(scheme())).findFirst()
                .orElseThrow(() -> new AssertionError("no provider with scheme " + scheme() + " is listed"));
        ProviderInfo general = status.info();
        try (Fabric f = Fabrics.open(provider().fabricUri())) {
            ProviderInfo info = f.info();
            assertEquals(scheme(), info.scheme());
            assertEquals(general.name(), info.name(), "Fabric.info() names the provider as FabricProvider.info() does");
            assertEquals(general.version(), info.version(), "Fabric.info() and FabricProvider.info() give one version");
            assertEquals(general.description(), info.description(), "Fabric.info() and FabricProvider.info() give one description");
            assertEquals(general.uriParameters(), info.uriParameters(), "a fabric understands the provider's URI parameters");
            assertTrue(general.capabilities().containsAll(info.capabilities()), () -> "a fabric declares " + info.capabilities()
                    + ", more than its provider's " + general.capabilities() + " (a fabric narrows the provider's declaration to its device)");
            assertTrue(general.transports().containsAll(info.transports()), () -> "a fabric's transports " + info.transports()
                    + " are among its provider's " + general.transports());
            Limits l = info.limits();
            assertTrue(l.maxMessageSize() >= 1 && l.maxScatterGather() >= 1 && l.maxQueueDepth() >= 1);
            assertTrue(!info.transports().isEmpty(), "a provider names its transports");
            assertEquals(l.maxInlineData() > 0, info.supports(Capability.INLINE), () -> "INLINE is declared exactly where maxInlineData"
                    + " is above 0; maxInlineData " + l.maxInlineData() + ", capabilities " + info.capabilities());
            assertEquals(l.maxScatterGather() > 1, info.supports(Capability.SCATTER_GATHER), () -> "SCATTER_GATHER is declared exactly"
                    + " where maxScatterGather is above 1; maxScatterGather " + l.maxScatterGather() + ", capabilities " + info.capabilities());
            assertTrue(info.capabilities().containsAll(MANDATORY), () -> "the mandatory capabilities " + MANDATORY + " are declared: "
                    + info.capabilities());
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

    /**
     * URIs that the api's grammar ({@code FabricUri.parse}) accepts but the provider's refuses are rejected by the provider
     * with INVALID_URI and a message that shows a valid example: as a peer given to {@code Domain.connect}, one without a
     * port and one with port 0 (the cases {@code Domain.connect} names); as a local access point given to
     * {@code Fabrics.open}, each URI of {@link TckProvider#malformedUris()}. If this fails, check the provider's URI
     * checks in open and connect.
     */
    @Test
    void disc_malformedUriRejected() {
        connect();
        FabricUri at = listener.uri();
        String host = at.host().contains(":") ? "[" + at.host() + "]" : at.host();
        Map<String, java.util.function.Consumer<FabricUri>> cases = new LinkedHashMap<>(); // "connect"/"open" + ' ' + URI
        for (String peer : List.of(at.scheme() + "://" + host + "/" + REGION_NAME, at.withPort(0).withRegion(REGION_NAME).toString())) {
            cases.put("connect " + peer, uri -> clientDomain.connect(uri, EndpointConfig.of(queue)).close());
        }
        for (String local : provider().malformedUris()) {
            cases.put("open " + local, uri -> Fabrics.open(uri).close());
        }
        cases.forEach((what, action) -> {
            String text = what.substring(what.indexOf(' ') + 1);
            FabricUri uri = FabricUri.parse(text); // the api's grammar takes it: the provider is the one to refuse it
            assertTrue(uri.scheme().equals(scheme()), () -> what + ": a URI of another scheme than the provider's " + scheme());
            FabricException e = assertThrows(FabricException.class, () -> action.accept(uri), what);
            assertEquals(ErrorCode.INVALID_URI, e.code(), () -> what + ": " + e);
            assertTrue(e.getMessage().contains("for example") || e.getMessage().contains("e.g."),
                    () -> what + ": the message shows a valid example: " + e.getMessage());
        });
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
