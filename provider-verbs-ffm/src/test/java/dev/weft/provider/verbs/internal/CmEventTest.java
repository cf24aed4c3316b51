package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.verbs.internal.nat.Errno;
import dev.weft.provider.verbs.internal.nat.RdmaCm;
import org.junit.jupiter.api.Test;

/** How a connection-manager event's status reads in messages and maps to an error code, and the depths an answer takes. */
class CmEventTest {
    private static CmEvent event(int type, int status) {
        return new CmEvent(type, status, 1, 0, new byte[0], 0, 0);
    }

    @Test
    void anErrorEventNamesItsErrnoAndStrerrorText() {
        CmEvent e = event(RdmaCm.EVENT_ADDR_ERROR, -Errno.EHOSTUNREACH);
        assertEquals(RdmaCm.eventString(RdmaCm.EVENT_ADDR_ERROR) + " (EHOSTUNREACH: No route to host)", e.toString());
        assertEquals(Errno.EHOSTUNREACH, e.errno());
        FabricException f = e.connectFailure("connecting to verbs://192.0.2.9:7471: ", "; is a listener running there?");
        assertEquals(ErrorCode.UNREACHABLE, f.code(), "no route is not a refusal: nothing answered");
        assertEquals("connecting to verbs://192.0.2.9:7471: " + e + "; is a listener running there?", f.getMessage());
        assertEquals(Errno.EHOSTUNREACH, f.errno());
    }

    @Test
    void aTimedOutResolutionOrConnectionIsATimeout() {
        for (int type : new int[] {RdmaCm.EVENT_ADDR_ERROR, RdmaCm.EVENT_UNREACHABLE, RdmaCm.EVENT_CONNECT_ERROR}) {
            CmEvent e = event(type, -Errno.ETIMEDOUT);
            assertEquals(ErrorCode.TIMEOUT, e.connectFailure("", "").code(), e.toString());
            assertEquals(Errno.ETIMEDOUT, e.connectFailure("", "").errno());
        }
    }

    @Test
    void aRejectCarriesAReasonNotAnErrno() {
        CmEvent e = event(RdmaCm.EVENT_REJECTED, 28);
        assertEquals(RdmaCm.eventString(RdmaCm.EVENT_REJECTED) + " (reject reason 28)", e.toString());
        assertEquals(0, e.errno());
        assertEquals(ErrorCode.CONNECTION_REFUSED, e.connectFailure("", "").code());
        assertEquals(RdmaCm.eventString(RdmaCm.EVENT_REJECTED), event(RdmaCm.EVENT_REJECTED, 0).toString());
    }

    @Test
    void anAnswerTakesNoMoreReadsThanTheRequestReported() {
        assertEquals(4, VerbsEndpoint.agreedDepth(16, 4), "a requester that serves 4 reads gets at most 4");
        assertEquals(16, VerbsEndpoint.agreedDepth(16, 128), "never more than this side's own");
        assertEquals(16, VerbsEndpoint.agreedDepth(16, 0), "a request that reported none leaves this side's");
    }

    /** Only an answer from the peer's side is a refusal; what this host could not reach says nothing about the peer. */
    @Test
    void onlyAnAnswerIsARefusal() {
        assertEquals(ErrorCode.CONNECTION_REFUSED, event(RdmaCm.EVENT_CONNECT_ERROR, -Errno.ECONNREFUSED).connectFailure("", "").code());
        assertEquals(ErrorCode.CONNECTION_REFUSED, event(RdmaCm.EVENT_REJECTED, 8).connectFailure("", "").code());
        for (int errno : new int[] {Errno.ENETUNREACH, Errno.EHOSTUNREACH, Errno.ENODEV, Errno.EADDRNOTAVAIL}) {
            assertEquals(ErrorCode.UNREACHABLE, event(RdmaCm.EVENT_ADDR_ERROR, -errno).connectFailure("", "").code(), Errno.name(errno));
            assertEquals(ErrorCode.UNREACHABLE, event(RdmaCm.EVENT_ROUTE_ERROR, -errno).connectFailure("", "").code(), Errno.name(errno));
        }
        assertEquals(ErrorCode.UNREACHABLE, event(RdmaCm.EVENT_UNREACHABLE, -Errno.EINVAL).connectFailure("", "").code());
    }
}
