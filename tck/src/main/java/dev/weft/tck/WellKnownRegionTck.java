package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Capability;
import dev.weft.EndpointConfig;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Area 8: well-known regions (the patent's configuration location). */
public abstract class WellKnownRegionTck extends TckBase {
    /** Creates the area. */
    protected WellKnownRegionTck() {
    }

    /** A connect naming a published region can read it as its first operation. If this fails, check publish and connect. */
    @Test
    void wk_readAsFirstOperation() {
        require(Capability.RMA_READ);
        connect();
        pattern(target.segment(), 0, 256, 12);
        var e = clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue));
        RemoteRegion r = e.wellKnownRegion().orElseThrow();
        assertEquals(target.length(), r.length());
        assertEquals(target.remoteKey(), r.key());
        assertEquals(PostStatus.OK, e.read(1, local, 0, 256, r, 0));
        assertEquals(Status.SUCCESS, await(1).get(0).status());
        assertPattern(local.segment(), 0, 256, 12);
    }

    /**
     * Publishing a second region under a name already published replaces the first for later connects
     * ({@code Listener.publish}): a connect naming it then knows the second region (its key and length), and the name is
     * listed once. If this fails, check that publish replaces instead of keeping the first or refusing the second.
     */
    @Test
    void wk_publishReplacesForLaterConnects() {
        connect();
        var second = serverDomain.register(arena.allocate(4096, 4096), dev.weft.Access.LOCAL_WRITE, dev.weft.Access.REMOTE_WRITE,
                dev.weft.Access.REMOTE_READ);
        listener.publish(REGION_NAME, second);
        assertEquals(1, listener.published().stream().filter(REGION_NAME::equals).count(), () -> "published: " + listener.published());
        RemoteRegion r = clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue)).wellKnownRegion()
                .orElseThrow();
        assertEquals(second.remoteKey(), r.key(), () -> "a later connect knows the region published last: " + r);
        assertEquals(second.length(), r.length(), () -> "a later connect knows the region published last: " + r);
    }

    /** A connect naming an unpublished region fails with a clear message. If this fails, check the lookup. */
    @Test
    void wk_unknownNameRejected() {
        connect();
        FabricException e = assertThrows(FabricException.class,
                () -> clientDomain.connect(listener.uri().withRegion("no-such-region"), EndpointConfig.of(queue)));
        assertTrue(e.getMessage().contains("no-such-region"), e.getMessage());
        assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, e.code(), "an unknown name is the caller's argument (Domain.connect): " + e);
    }

    /**
     * A region closed after it was published is no longer listed, and a connect naming it fails with a message that says
     * it was closed (not that the name is unknown); the listener goes on accepting. If this fails, check the lookup of a
     * published region that is no longer open.
     */
    @Test
    void wk_closedRegionRefusedByName() {
        connect();
        var gone = serverDomain.register(arena.allocate(64, 8), dev.weft.Access.REMOTE_READ);
        listener.publish("gone", gone);
        assertTrue(listener.published().contains("gone"));
        gone.close();
        assertFalse(listener.published().contains("gone"), "a closed region is still listed: " + listener.published());
        FabricException e = assertThrows(FabricException.class,
                () -> clientDomain.connect(listener.uri().withRegion("gone"), EndpointConfig.of(queue)));
        assertTrue(e.getMessage().contains("closed"), "the message does not say the region was closed: " + e.getMessage());
        assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, e.code(), e::toString);
        RemoteRegion r = clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue)).wellKnownRegion()
                .orElseThrow();
        assertEquals(target.remoteKey(), r.key(), "the listener still serves its open region");
    }

    /**
     * Every provider takes the same region names: one of exactly {@link FabricUri#MAX_REGION_NAME} characters is
     * published and a connect naming it knows the region; a longer one, an empty one, one with '/' or a character
     * outside letters, digits, '.', '_' and '-', and {@code null} are refused by {@code publish} with
     * {@code INVALID_ARGUMENT} and a message that says what is allowed, and publish nothing. If this fails, check that
     * publish validates names with {@link FabricUri#requireRegionName}.
     */
    @Test
    void wk_regionNameLimits() {
        connect();
        String longest = "L" + "0123456789".repeat(5).substring(0, FabricUri.MAX_REGION_NAME - 1);
        listener.publish(longest, target);
        RemoteRegion r = clientDomain.connect(listener.uri().withRegion(longest), EndpointConfig.of(queue)).wellKnownRegion()
                .orElseThrow(() -> new AssertionError("a connect naming a " + FabricUri.MAX_REGION_NAME + "-character region knows it"));
        assertEquals(target.remoteKey(), r.key());
        Set<String> before = listener.published();
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put(longest + "x", "limit is " + FabricUri.MAX_REGION_NAME);
        refused.put("", "empty");
        refused.put("a/b", "'/'");
        refused.put("caf\u00e9", "allowed are letters, digits");
        refused.put("tab\there", "allowed are letters, digits");
        refused.put(null, "required");
        refused.forEach((name, says) -> {
            FabricException e = assertThrows(FabricException.class, () -> listener.publish(name, target), () -> "publish(\"" + name + "\")");
            assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, e.code(), e::toString);
            assertTrue(e.getMessage().contains(says), () -> "publish(\"" + name + "\") should say \"" + says + "\": " + e.getMessage());
            assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), () -> "the message carries a control character: "
                    + e.getMessage());
        });
        assertEquals(before, listener.published(), "a refused name publishes nothing");
    }

    /**
     * {@code publish} refuses a region it cannot offer, with {@code INVALID_ARGUMENT} and a message that says what is
     * wrong: {@code null}, a region of another domain, a closed region; nothing is published. A closed listener
     * answers {@code CLOSED}. If this fails, check that publish makes the checks of
     * {@link dev.weft.spi.PublishChecks#require}.
     */
    @Test
    void wk_publishRefusesForeignAndClosedRegions() {
        connect();
        var closed = serverDomain.register(arena.allocate(64, 8), dev.weft.Access.REMOTE_READ);
        closed.close();
        Set<String> before = listener.published();
        Map<String, dev.weft.MemoryRegion> refused = new LinkedHashMap<>();
        refused.put("null", null);
        refused.put("another domain", local);
        refused.put("closed", closed);
        refused.forEach((says, region) -> {
            FabricException e = assertThrows(FabricException.class, () -> listener.publish("x", region), () -> "publishing a " + says
                    + " region");
            assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, e.code(), e::toString);
            assertTrue(e.getMessage().contains(says), () -> "the message should say \"" + says + "\": " + e.getMessage());
        });
        assertEquals(before, listener.published(), "a refused region publishes nothing");
        listener.close();
        FabricException e = assertThrows(FabricException.class, () -> listener.publish("x", target), "publish on a closed listener");
        assertEquals(dev.weft.ErrorCode.CLOSED, e.code(), e::toString);
    }

    /** An unpublished name stops resolving; a connect without a name knows no region. If this fails, check unpublish. */
    @Test
    void wk_unpublishAndNoName() {
        connect();
        assertTrue(listener.published().contains(REGION_NAME));
        assertTrue(listener.unpublish(REGION_NAME));
        assertThrows(FabricException.class, () -> clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue)));
        assertTrue(clientDomain.connect(listener.uri(), EndpointConfig.of(queue)).wellKnownRegion().isEmpty());
    }
}
