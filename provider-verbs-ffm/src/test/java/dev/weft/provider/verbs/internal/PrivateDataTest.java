package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.FabricException;
import dev.weft.RemoteRegion;
import java.util.Arrays;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/** The connect private data: round trips, limits and garbage. */
class PrivateDataTest {
    @Test
    void requestCarriesTheRegionNameAndSurvivesPadding() {
        byte[] r = PrivateData.request("config");
        assertTrue(r.length <= 56, "fits a connect request");
        assertEquals("config", PrivateData.requestedRegion(Arrays.copyOf(r, 56)), "rdma_cm may pad with zeros");
        assertEquals("", PrivateData.requestedRegion(PrivateData.request(null)));
        String longest = "x".repeat(dev.weft.FabricUri.MAX_REGION_NAME); // every name the API takes fits InfiniBand's 56 bytes
        byte[] full = PrivateData.request(longest);
        assertTrue(full.length <= 56, "the longest name the API takes fits a connect request: " + full.length + " bytes");
        assertEquals(longest, PrivateData.requestedRegion(full));
    }

    @Test
    void longNamesAreRefusedWithTheLimit() {
        FabricException e = assertThrows(FabricException.class, () -> PrivateData.request("y".repeat(51)));
        assertTrue(e.getMessage().contains("50"), e.getMessage());
    }

    @Test
    void foreignDataIsNotMistakenForARequest() {
        assertNull(PrivateData.requestedRegion(new byte[0]));
        assertNull(PrivateData.requestedRegion(new byte[56]));
        byte[] lying = PrivateData.request("abc");
        lying[5] = 100; // name length beyond the data
        assertNull(PrivateData.requestedRegion(lying));
    }

    @Test
    void acceptCarriesTheRegion() {
        RemoteRegion region = new RemoteRegion(0x7f00_1234_5000L, 4096, 0x1234, EnumSet.of(Access.REMOTE_READ, Access.REMOTE_WRITE));
        byte[] a = PrivateData.accept(region);
        assertTrue(a.length <= 196, "fits an accept");
        assertEquals(region, PrivateData.acceptedRegion(a));
        assertNull(PrivateData.acceptedRegion(PrivateData.accept(null)));
        assertThrows(FabricException.class, () -> PrivateData.acceptedRegion(new byte[8]));
    }

    @Test
    void rejectCarriesAMessage() {
        byte[] r = PrivateData.reject(PrivateData.REJECT_NO_SUCH_REGION, "no region named \"x\"");
        assertEquals("no region named \"x\"", PrivateData.rejectMessage(Arrays.copyOf(r, 148)));
        assertNull(PrivateData.rejectMessage(new byte[20]));
        assertEquals(PrivateData.REJECT_NO_SUCH_REGION, PrivateData.rejectReason(Arrays.copyOf(r, 148)));
        assertEquals(-1, PrivateData.rejectReason(new byte[20]), "not a Weft reject");
    }
}
