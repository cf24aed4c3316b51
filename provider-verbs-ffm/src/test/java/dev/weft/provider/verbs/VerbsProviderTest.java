package dev.weft.provider.verbs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Availability;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.provider.verbs.internal.VerbsConfig;
import dev.weft.provider.verbs.internal.nat.Errno;
import dev.weft.provider.verbs.internal.nat.Native;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** What the verbs provider does on a host without RDMA devices, and its parameter checks. */
class VerbsProviderTest {
    @Test
    void isListedAndHonestAboutAvailability() {
        Availability a = Fabrics.providers().stream().filter(p -> p.info().scheme().equals("verbs")).findFirst().orElseThrow().availability();
        if (!a.available()) {
            assertTrue(a.cause() != null && !a.cause().isBlank(), a.toString());
            assertTrue(a.hint() != null && !a.hint().isBlank(), a.toString());
            if (a.cause().contains("cannot be loaded")) {
                assertTrue(a.hint().contains("apt-get"), "a missing library is a package to install: " + a);
            }
            if (a.cause().startsWith("no RDMA devices")) { // libibverbs is installed, the host has no device
                assertTrue(a.cause().startsWith("no RDMA devices found"), a.toString());
                assertTrue(a.hint().contains("softroce://"), "the remedy points to softroce://: " + a);
            }
        }
    }

    @Test
    void openingWithoutADeviceSaysWhy() {
        Assumptions.assumeFalse(new VerbsProvider().availability().available(), "this host has an RDMA device");
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open("verbs://192.0.2.1:7471"));
        assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("unavailable"), e.getMessage());
        assertTrue(new VerbsProvider().devices().isEmpty());
    }

    @Test
    void parametersAreValidatedWithTheRange() {
        FabricException e = assertThrows(FabricException.class, () -> VerbsConfig.from(FabricUri.parse("verbs://192.0.2.1:1?rnr_retry=7")));
        assertTrue(e.getMessage().contains("rnr_retry"), e.getMessage());
        e = assertThrows(FabricException.class, () -> VerbsConfig.from(FabricUri.parse("verbs://192.0.2.1:1?speed=fast")));
        assertTrue(e.getMessage().contains("speed"), e.getMessage());
        VerbsConfig c = VerbsConfig.from(FabricUri.parse("verbs://192.0.2.1:1?ack_timeout=12&retry=3&gid=1"));
        assertEquals(12, c.ackTimeout());
        assertEquals(1, c.gid());
        // 4 x (3 + 1) x 4.096 us x 2^12
        assertEquals(Duration.ofNanos(4 * 4 * 4096L * 4096L), c.peerFailureTimeout());
    }

    @Test
    void nativeFailuresNameFunctionErrnoAndText() {
        FabricException e = Native.failure("ibv_reg_mr", Errno.ENOMEM, "registering 4096 bytes");
        assertEquals(ErrorCode.RESOURCE_EXHAUSTED, e.code());
        assertEquals(Errno.ENOMEM, e.errno());
        assertTrue(e.getMessage().contains("ibv_reg_mr") && e.getMessage().contains("ENOMEM")
                && e.getMessage().contains("Cannot allocate memory"), e.getMessage());
        assertEquals(ErrorCode.CONNECTION_REFUSED, Native.failure("rdma_connect", Errno.ECONNREFUSED, "x").code());
        assertFalse(Errno.name(12345).isEmpty());
    }

    @Test
    void theGenericMessageLimitIsTheLargestIntLength() {
        assertEquals(Integer.MAX_VALUE, new VerbsProvider().info().limits().maxMessageSize(),
                "a request's length is an int: 2^31 - 1, as every device declares at most");
    }

    @Test
    void constructorLoadsNothing() {
        VerbsProvider p = new VerbsProvider();
        assertEquals("verbs", p.scheme());
        assertTrue(p.info().uriParameters().containsKey("rnr_retry"));
    }
}
