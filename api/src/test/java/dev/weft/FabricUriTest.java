package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FabricUriTest {

    @Test
    void parsesTcpWithRegionAndParameters() {
        FabricUri uri = FabricUri.parse("tcp://127.0.0.1:7471/config?progress=manual&secret=a%2Fb");
        assertEquals("tcp", uri.scheme());
        assertEquals("127.0.0.1", uri.host());
        assertEquals(7471, uri.port());
        assertEquals("config", uri.region());
        assertEquals(Map.of("progress", "manual", "secret", "a/b"), uri.parameters());
        assertTrue(uri.isAddressLiteral());
        assertEquals("tcp://127.0.0.1:7471/config?progress=manual&secret=a%2Fb", uri.toString());
        assertEquals("tcp://127.0.0.1:7471/config?progress=...&secret=...", uri.safeText());
    }

    @Test
    void parsesVerbsDeviceAndSoftRoce() {
        FabricUri device = FabricUri.parse("verbs://mlx5_0:1?gid=3");
        assertEquals("mlx5_0", device.host());
        assertEquals(1, device.port());
        assertFalse(device.isAddressLiteral());
        assertEquals(3, device.intParameter("gid", 0, 0, 255));

        FabricUri soft = FabricUri.parse("softroce://dummy0");
        assertEquals("softroce", soft.scheme());
        assertEquals("dummy0", soft.host());
        assertFalse(soft.hasPort());
        assertNull(soft.region());
    }

    @Test
    void parsesIpv6AndNormalisesScheme() {
        FabricUri uri = FabricUri.parse("TCP://[::1]:0/cfg");
        assertEquals("tcp", uri.scheme());
        assertEquals("::1", uri.host());
        assertTrue(uri.isIpv6());
        assertEquals(0, uri.port());
        assertEquals("tcp://[::1]:0/cfg", uri.toString());
        assertEquals("fe80::1:2", FabricUri.parse("verbs://[fe80::1:2]:4791").host());
        assertEquals("::ffff:192.0.2.1", FabricUri.parse("tcp://[::ffff:192.0.2.1]:1").host());
        assertEquals("1::", FabricUri.parse("tcp://[1::]:1").host());
        assertEquals("::", FabricUri.parse("tcp://[::]:1").host());
        assertEquals("1:2:3:4:5:6:7::", FabricUri.parse("tcp://[1:2:3:4:5:6:7::]:1").host());
    }

    @Test
    void roundTripsAndEquality() {
        FabricUri a = FabricUri.parse("tcp://h:1/r?k=v%20w");
        assertEquals(a, FabricUri.parse(a.toString()));
        assertEquals("v w", a.parameter("k"));
        assertEquals(a.hashCode(), FabricUri.parse(a.toString()).hashCode());
        assertEquals("tcp://h:1/other?k=v%20w", a.withRegion("other").toString());
        assertEquals("tcp://h:2/r", a.withPort(2).withoutParameters().toString());
        assertNull(a.withRegion(null).region());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "127.0.0.1:7471                     | scheme separator",
            "://host:1                          | scheme",
            "1tcp://host:1                      | scheme",
            "tc_p://host:1                      | scheme",
            "tcp://                             | missing",
            "tcp://:7471                        | missing",
            "tcp://host:                        | port after ':' is empty",
            "tcp://host:65536                   | out of range",
            "tcp://host:123456                  | 6 digits; a port is at most 5",
            "tcp://host:000001                  | 6 digits; a port is at most 5",
            "tcp://host:0000000000000000000001x | not a number",
            "tcp://host:-1                      | not a number",
            "tcp://host:12a                     | not a number",
            "tcp://ho st:1                      | contains ' '",
            "tcp://host%:1                      | contains '%'",
            "tcp://user@host:1                  | user information",
            "tcp://host:1#frag                  | fragment",
            "tcp://::1:7471                     | more than one ':'",
            "tcp://[::1:7471                    | closing ']'",
            "tcp://[zz::1]:7471                 | not an IPv6 address",
            "tcp://[1:2:3:4:5:6:7:8:9]:1        | not an IPv6 address",
            "tcp://[1::2::3]:1                  | not an IPv6 address",
            "tcp://[1::2:]:1                    | not an IPv6 address",
            "tcp://[:1::2]:1                    | not an IPv6 address",
            "tcp://[1:2:3:4:5:6:7:8:]:1         | not an IPv6 address",
            "tcp://[:::1]:1                     | not an IPv6 address",
            "tcp://[::1]x                       | unexpected",
            "tcp://host:1/                      | region name after '/' is empty",
            "tcp://host:1/a/b                   | contains '/'",
            "tcp://host:1/a$b                   | contains '$'",
            "tcp://host:1?                      | no parameters",
            "tcp://host:1?a                     | has no value",
            "tcp://host:1?a=1&&b=2              | empty parameter",
            "tcp://host:1?=1                    | parameter name",
            "tcp://host:1?1a=1                  | parameter name",
            "tcp://host:1?a=1&a=2               | given twice",
            "tcp://host:1?a=x%zz                | percent escape",
            "tcp://host:1?a=x%2                 | percent escape",
            "tcp://host:1?a=b/c                 | percent-encode",
            "tcp://host:1?a=%FF                 | not UTF-8",
            "tcp://host:1?a=%\u0663\u0663       | percent escape",
            "tcp://host:1?a=%\uFF21\uFF21       | percent escape",
            "tcp://user@host:1/r?a=1            | user information",
    })
    void rejectsMalformedUris(String text, String expectedFragment) {
        FabricException e = assertThrows(FabricException.class, () -> FabricUri.parse(text));
        assertEquals(ErrorCode.INVALID_URI, e.code());
        assertTrue(e.getMessage().contains(expectedFragment), () -> "message lacks '" + expectedFragment + "': " + e.getMessage());
        assertTrue(e.getMessage().contains("for example"), () -> "message shows no example: " + e.getMessage());
    }

    @Test
    void namesAnUnfitCharacterWholeAndNeverEchoesAControlCharacter() {
        FabricException emoji = assertThrows(FabricException.class, () -> FabricUri.parse("tcp://h\uD83D\uDE00st:1"));
        assertTrue(emoji.getMessage().contains("contains '\uD83D\uDE00' (U+1F600)"), emoji.getMessage());
        FabricException accent = assertThrows(FabricException.class, () -> FabricUri.parse("tcp://h:1/caf\u00e9"));
        assertTrue(accent.getMessage().contains("contains '\u00e9' (U+00E9)"), accent.getMessage());
        FabricException tab = assertThrows(FabricException.class, () -> FabricUri.parse("tcp://h\tx\n:1"));
        assertTrue(tab.getMessage().contains("contains the control character U+0009"), tab.getMessage());
        assertTrue(tab.getMessage().contains("h\\u0009x\\u000A"), tab.getMessage());
        assertTrue(tab.getMessage().chars().noneMatch(Character::isISOControl), tab.getMessage());
    }

    @Test
    void rejectsNullOverlongAndOverlongRegion() {
        assertEquals(ErrorCode.INVALID_URI, assertThrows(FabricException.class, () -> FabricUri.parse(null)).code());
        String longUri = "tcp://h:1?a=" + "x".repeat(FabricUri.MAX_LENGTH);
        assertTrue(assertThrows(FabricException.class, () -> FabricUri.parse(longUri)).getMessage().contains("limit"));
        String longRegion = "tcp://h:1/" + "r".repeat(FabricUri.MAX_REGION_NAME + 1);
        assertTrue(assertThrows(FabricException.class, () -> FabricUri.parse(longRegion)).getMessage().contains("limit is 50"));
        FabricUri.parse("tcp://h:1/" + "r".repeat(FabricUri.MAX_REGION_NAME));
    }

    @Test
    void errorMessagesDoNotLeakSecrets() {
        FabricException e = assertThrows(FabricException.class, () -> FabricUri.parse("tcp://h:1?secret=hunter2&x"));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        for (String leaky : new String[] {"tcp://user:hunter2@h:1", "tcp://h:1#hunter2", "tcp://h:1#x?secret=hunter2",
                "tcp://u:hunter2@h:1/r?secret=hunter2", "tcp://h:1?secret=hunter2/"}) {
            FabricException l = assertThrows(FabricException.class, () -> FabricUri.parse(leaky));
            assertFalse(l.getMessage().contains("hunter2"), l.getMessage());
        }
        FabricException utf = assertThrows(FabricException.class, () -> FabricUri.parse("tcp://h:1?secret=ab%C3"));
        assertTrue(utf.getMessage().contains("not UTF-8"), utf.getMessage());
        assertEquals("\u00e9", FabricUri.parse("tcp://h:1?secret=%C3%A9").parameter("secret"));
        FabricUri uri = FabricUri.parse("tcp://h:1?secret=hunter2&rate=x");
        FabricException p = assertThrows(FabricException.class, () -> uri.longParameter("rate", 1, 0, 10));
        assertFalse(p.getMessage().contains("hunter2"), p.getMessage());
    }

    /**
     * User information never reaches a message, wherever a '?', '#' or '/' in the password puts the '@', and however
     * long the URI is; the message says that user information is not supported and what to do instead.
     */
    @Test
    void userInformationIsNeverEchoed() {
        String overlong = "tcp://admin:hunter2IsAVeryLongSecretPassword@h:1?x=" + "x".repeat(FabricUri.MAX_LENGTH);
        for (String leaky : new String[] {"tcp://admin:hunter2@h:1", "tcp://admin:hun/ter2@h:1", "tcp://admin:hunter2/x@h:1",
                "tcp://admin:hun?ter2@h:1", "tcp://admin:hunter2?x@h:1", "tcp://admin:hunter2#x@h:1", "tcp://admin:hunter2/r#x@h:1",
                "admin:hunter2@tcp://h:1", overlong}) {
            FabricException e = assertThrows(FabricException.class, () -> FabricUri.parse(leaky));
            assertEquals(ErrorCode.INVALID_URI, e.code());
            for (String secret : new String[] {"hunter2", "hun", "ter2", "admin"}) {
                assertFalse(e.getMessage().contains(secret), () -> leaky + " -> " + e.getMessage());
            }
            if (leaky != overlong) {
                assertTrue(e.getMessage().contains("user information (a name or password before \"@\") is not supported")
                        && e.getMessage().contains("?secret="), e.getMessage());
            }
        }
        FabricException l = assertThrows(FabricException.class, () -> FabricUri.parse(overlong));
        assertTrue(l.getMessage().contains("the limit is " + FabricUri.MAX_LENGTH), l.getMessage());
        FabricException host = assertThrows(FabricException.class, () -> FabricUri.parse("tcp://" + "h".repeat(FabricUri.MAX_LENGTH)));
        assertTrue(host.getMessage().length() < 500, "an overlong URI is shown cut: " + host.getMessage().length() + " characters");
        FabricException value = assertThrows(FabricException.class, () -> FabricUri.parse("tcp://h:1?secret=hunter2@x"));
        assertTrue(value.getMessage().contains("%40"), value.getMessage());
        assertFalse(value.getMessage().contains("hunter2"), value.getMessage());
    }

    /** withRegion takes region names only: one with '?', '#', '/' or ':' would change the URI's parameters, path or port. */
    @Test
    void withRegionTakesOnlyRegionNames() {
        FabricUri base = FabricUri.parse("tcp://127.0.0.1:7471?progress=auto");
        for (FabricUri uri : new FabricUri[] {base, base.withoutParameters()}) {
            for (String notAName : new String[] {"x?secret=evil", "a#b", "a:1", "a/b", "", "r".repeat(FabricUri.MAX_REGION_NAME + 1)}) {
                FabricException e = assertThrows(FabricException.class, () -> uri.withRegion(notAName), notAName);
                assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
            }
        }
        FabricUri config = base.withRegion("config");
        assertEquals("config", config.region());
        assertEquals(Map.of("progress", "auto"), config.parameters());
        assertEquals("tcp://127.0.0.1:7471/config?progress=auto", config.toString());
        assertNull(config.withRegion(null).region());
        String filler = "tcp://127.0.0.1:7471?pad=";
        FabricUri full = FabricUri.parse(filler + "p".repeat(FabricUri.MAX_LENGTH - filler.length()));
        FabricException tooLong = assertThrows(FabricException.class, () -> full.withRegion("config"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, tooLong.code(), tooLong.getMessage());
        assertTrue(tooLong.getMessage().contains("longer than " + FabricUri.MAX_LENGTH), tooLong.getMessage());
    }

    /** A typed parameter that refuses a value shows it without control characters and cut; numbers are ASCII only. */
    @Test
    void typedParametersShowValuesSafelyAndTakeAsciiIntegersOnly() {
        FabricUri uri = FabricUri.parse("tcp://h:1?timeout=%0Aevil&arabic=%D9%A3&plus=%2B5&neg=-5&huge=99999999999999999999&long="
                + "7".repeat(300) + "x");
        for (FabricException e : new FabricException[] {
                assertThrows(FabricException.class, () -> uri.longParameter("timeout", 1, 0, 10)),
                assertThrows(FabricException.class, () -> uri.choiceParameter("timeout", "a", Set.of("a")))}) {
            assertEquals(ErrorCode.INVALID_URI, e.code());
            assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
            assertTrue(e.getMessage().contains("timeout=\\u000Aevil"), e.getMessage());
        }
        FabricException arabic = assertThrows(FabricException.class, () -> uri.longParameter("arabic", 1, 0, 10));
        assertTrue(arabic.getMessage().contains("not an integer"), arabic.getMessage());
        FabricException plus = assertThrows(FabricException.class, () -> uri.intParameter("plus", 1, 0, 10));
        assertTrue(plus.getMessage().contains("not an integer"), plus.getMessage());
        assertEquals(-5, uri.intParameter("neg", 0, -10, 10));
        FabricException huge = assertThrows(FabricException.class, () -> uri.longParameter("huge", 1, 0, Long.MAX_VALUE));
        assertTrue(huge.getMessage().contains("out of range"), huge.getMessage());
        FabricException tooLong = assertThrows(FabricException.class, () -> uri.longParameter("long", 1, 0, 10));
        assertFalse(tooLong.getMessage().contains("7".repeat(300)), "a long value is shown cut: " + tooLong.getMessage());
        FabricException bigDefault = assertThrows(FabricException.class,
                () -> uri.millisParameter("t", Duration.ofDays(365L * 1_000_000_000L), Duration.ZERO, Duration.ofDays(1)));
        assertEquals(ErrorCode.INVALID_ARGUMENT, bigDefault.code());
        assertTrue(bigDefault.getMessage().contains("default") && bigDefault.getMessage().contains("milliseconds"), bigDefault.getMessage());
    }

    @Test
    void providerChecksNameTheProblemAndAnExample() {
        FabricUri noPort = FabricUri.parse("tcp://127.0.0.1");
        FabricException e = assertThrows(FabricException.class, () -> noPort.requirePort("tcp://127.0.0.1:7471"));
        assertTrue(e.getMessage().contains("no port") && e.getMessage().contains("tcp://127.0.0.1:7471"), e.getMessage());

        FabricUri region = FabricUri.parse("softroce://eth0/config");
        assertTrue(assertThrows(FabricException.class, () -> region.requireNoRegion("softroce://eth0"))
                .getMessage().contains("/config"));

        FabricUri params = FabricUri.parse("tcp://h:1?progres=auto");
        FabricException unknown = assertThrows(FabricException.class, () -> params.checkParameters(Set.of("progress", "secret"), "tcp://h:1?progress=auto"));
        assertTrue(unknown.getMessage().contains("progres") && unknown.getMessage().contains("[progress, secret]"), unknown.getMessage());
    }

    @Test
    void typedParameters() {
        FabricUri uri = FabricUri.parse("tcp://h:1?n=42&t=250&b=true&m=manual&bad=x");
        assertEquals(42, uri.intParameter("n", 0, 0, 100));
        assertEquals(7, uri.intParameter("absent", 7, 0, 100));
        assertEquals(Duration.ofMillis(250), uri.millisParameter("t", Duration.ofSeconds(1), Duration.ZERO, Duration.ofMinutes(1)));
        assertTrue(uri.booleanParameter("b", false));
        assertEquals("manual", uri.choiceParameter("m", "auto", Set.of("auto", "manual")));
        assertThrows(FabricException.class, () -> uri.intParameter("n", 0, 0, 10));
        assertThrows(FabricException.class, () -> uri.intParameter("bad", 0, 0, 10));
        assertThrows(FabricException.class, () -> uri.booleanParameter("m", false));
        assertThrows(FabricException.class, () -> uri.choiceParameter("bad", "auto", Set.of("auto", "manual")));
        assertThrows(FabricException.class, () -> uri.withPort(70000));
    }
}
