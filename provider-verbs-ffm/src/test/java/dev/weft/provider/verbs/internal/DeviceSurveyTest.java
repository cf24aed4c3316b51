package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Capability;
import dev.weft.DeviceInfo;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.Limits;
import dev.weft.Transport;
import dev.weft.provider.verbs.internal.nat.Errno;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The "describe every device, collect the failures" logic of {@link Device#survey()}, through its
 * {@link Device.Describer} seam: devices are names, descriptions strings, failures thrown as the
 * native wrappers throw them. No RDMA device is needed.
 */
class DeviceSurveyTest {
    /** A device per entry: its port count (-1: the device query fails) and the ports whose query fails. */
    private record Fake(String name, int ports, List<Integer> failingPorts) {
    }

    private static final Device.Describer<Fake, String> DESCRIBER = new Device.Describer<>() {
        @Override
        public String name(Fake f) {
            return f.name();
        }

        @Override
        public int ports(Fake f) {
            if (f.ports() < 0) {
                throw new FabricException(ErrorCode.NATIVE_ERROR, "querying the device: ibv_query_device failed with EIO", Errno.EIO, null);
            }
            return f.ports();
        }

        @Override
        public String describe(Fake f, int port) {
            if (f.failingPorts().contains(port)) {
                throw new FabricException(ErrorCode.NATIVE_ERROR, "querying port " + port + ": ibv_query_port failed with EIO", Errno.EIO, null);
            }
            return f.name() + ":" + port;
        }
    };

    private static Device.Survey<String> survey(Fake... devices) {
        List<String> ports = new ArrayList<>();
        List<Device.Unusable> unusable = new ArrayList<>();
        for (Fake f : devices) {
            Device.describeInto(f, DESCRIBER, ports, unusable);
        }
        return new Device.Survey<>(ports, unusable);
    }

    @Test
    void aDeviceThatCannotBeQueriedIsReportedAndTheOthersAreStillDescribed() {
        Device.Survey<String> s = survey(new Fake("mlx5_0", -1, List.of()), new Fake("mlx5_1", 1, List.of()));
        assertEquals(List.of("mlx5_1:1"), s.ports());
        assertEquals(1, s.unusable().size());
        Device.Unusable u = s.unusable().get(0);
        assertEquals("mlx5_0", u.name());
        assertEquals(0, u.port(), "the device itself failed");
        assertEquals(Errno.EIO, u.error().errno());
        assertTrue(u.toString().contains("mlx5_0") && u.toString().contains("ibv_query_device") && u.toString().contains("EIO"), u.toString());
    }

    @Test
    void aPortThatCannotBeQueriedIsReportedAndTheDevicesOtherPortsAreStillDescribed() {
        Device.Survey<String> s = survey(new Fake("mlx4_0", 2, List.of(1)), new Fake("rxe0", 1, List.of()));
        assertEquals(List.of("mlx4_0:2", "rxe0:1"), s.ports());
        assertEquals(1, s.unusable().size());
        assertEquals("mlx4_0", s.unusable().get(0).name());
        assertEquals(1, s.unusable().get(0).port());
    }

    @Test
    void everyPortOfEveryDeviceIsDescribed() {
        Device.Survey<String> s = survey(new Fake("mlx4_0", 2, List.of()), new Fake("rxe0", 1, List.of()));
        assertEquals(List.of("mlx4_0:1", "mlx4_0:2", "rxe0:1"), s.ports());
        assertTrue(s.unusable().isEmpty());
    }

    @Test
    void anUnusableDeviceShowsItsFailureAndAHintInWeftInfo() {
        FabricException eio = new FabricException(ErrorCode.NATIVE_ERROR, "querying port 2: ibv_query_port failed with EIO (Input/output error)",
                Errno.EIO, null);
        Limits limits = new Limits(Integer.MAX_VALUE, 16, 64, 16384, 65536, 65536, Long.MAX_VALUE, Duration.ofSeconds(2), false, false);
        DeviceInfo info = new Device.Unusable("mlx5_0", 2, eio).info(limits);
        assertEquals("mlx5_0", info.name());
        assertEquals("verbs://mlx5_0:2", info.uri());
        assertEquals(Transport.UNKNOWN, info.transport());
        assertTrue(info.capabilities().isEmpty(), "an undescribed device declares no capability");
        Map<String, String> a = info.attributes();
        assertTrue(a.get("unusable").contains("ibv_query_port failed with EIO"), a.toString());
        assertTrue(a.get("hint").contains("ibv_devinfo"), a.toString());
        assertTrue(!info.capabilities().contains(Capability.RMA_WRITE));
    }
}
