package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Transport;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding an InfiniBand port's IPoIB interfaces in a directory tree shaped like sysfs
 * ({@code class/infiniband/DEV/device/net/IF/{type,dev_port,dev_id}}), and what a port without
 * an IP address tells the user.
 */
class IpoibInterfacesTest {
    @TempDir
    Path sys;

    private void netdev(String device, String name, int type, int devPort, String devId) throws IOException {
        Path dir = Files.createDirectories(sys.resolve("class/infiniband").resolve(device).resolve("device/net").resolve(name));
        Files.writeString(dir.resolve("type"), type + "\n");
        Files.writeString(dir.resolve("dev_port"), devPort + "\n");
        Files.writeString(dir.resolve("dev_id"), devId + "\n");
    }

    @Test
    void eachPortHasTheInterfaceWhoseDevPortIsItsZeroBasedNumber() throws IOException {
        netdev("mlx4_0", "ib0", 32, 0, "0x0");
        netdev("mlx4_0", "ib1", 32, 1, "0x0");
        netdev("mlx4_0", "eth2", 1, 1, "0x0"); // the Ethernet port of a VPI adapter is not IPoIB
        assertEquals(List.of("ib0"), Device.ipoibInterfaces(sys, "mlx4_0", 1));
        assertEquals(List.of("ib1"), Device.ipoibInterfaces(sys, "mlx4_0", 2));
        assertEquals(List.of(), Device.ipoibInterfaces(sys, "mlx4_0", 3));
    }

    @Test
    void olderKernelsNumberThePortInDevId() throws IOException {
        netdev("mlx4_0", "ib0", 32, 0, "0x0");
        netdev("mlx4_0", "ib1", 32, 0, "0x1");
        assertEquals(List.of("ib0"), Device.ipoibInterfaces(sys, "mlx4_0", 1));
        assertEquals(List.of("ib1"), Device.ipoibInterfaces(sys, "mlx4_0", 2));
    }

    @Test
    void aDeviceWithoutInterfacesHasNone() throws IOException {
        assertEquals(List.of(), Device.ipoibInterfaces(sys, "mlx5_0", 1), "no such directory");
        Files.createDirectories(sys.resolve("class/infiniband/rxe0/device/net"));
        assertEquals(List.of(), Device.ipoibInterfaces(sys, "rxe0", 1));
    }

    private static Device device(Transport transport, List<InetAddress> addresses) {
        return new Device(MemorySegment.NULL, "mlx5_0", 1L, transport, 1, 4, 4096, 1024, 4, 4096, Long.MAX_VALUE, 16, 16, true, "",
                addresses, 0x02c9, Integer.MAX_VALUE, "");
    }

    @Test
    void anInfiniBandPortWithoutAnAddressSaysItNeedsIpoib() throws IOException {
        Device d = device(Transport.INFINIBAND, List.of());
        String advice = d.noAddressAdvice();
        assertTrue(advice.contains("mlx5_0 port 1") && advice.contains("IPoIB") && advice.contains("verbs://ADDRESS:PORT"), advice);
        var info = d.info(java.time.Duration.ofSeconds(2));
        assertEquals("-", info.uri(), "verbs://mlx5_0 cannot be opened without an address");
        assertTrue(info.attributes().get("addresses").contains("IPoIB"), info.attributes().toString());
        Device withAddress = device(Transport.INFINIBAND, List.of(InetAddress.getByName("192.0.2.1")));
        assertEquals("verbs://mlx5_0", withAddress.info(java.time.Duration.ofSeconds(2)).uri());
        assertTrue(device(Transport.ROCE_V2, List.of()).noAddressAdvice().contains("GID table"));
    }
}
