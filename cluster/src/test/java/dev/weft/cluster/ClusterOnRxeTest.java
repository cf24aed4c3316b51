package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.weft.provider.softroce.testbed.OnSoftRoce;
import dev.weft.provider.softroce.testbed.Testbed;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster scenarios unchanged on the verbs provider over the testbed's rxe device: each
 * scenario runs in its own Soft-RoCE VM. A short ACK timeout keeps dead-peer detection near a
 * second, as the TCP scenarios' {@code timeout=600}.
 */
@OnSoftRoce(timeoutSeconds = 240)
@Timeout(300)
class ClusterOnRxeTest extends ClusterOnSoftDevice {
    @Override
    String address() {
        return Testbed.address();
    }

    @Override
    String params() {
        return "?ack_timeout=12&retry=3";
    }

    private static void sh(String command) throws Exception {
        assertEquals(0, new ProcessBuilder("sh", "-c", command).inheritIO().start().waitFor(), command);
    }

    /**
     * Two interconnects on two rxe devices (rxe0 on dummy0, rxe1 on dummy1). Taking dummy0 down
     * is a real cut: the device reports a port error, its endpoints fail, the clients move to
     * interconnect 1 without losing or duplicating a mirrored record, and the partner is never
     * declared failed.
     */
    @Test
    void clientsFailOverWhenALinkGoesDown() throws Exception {
        sh("ip link add dummy1 type dummy && ip link set dummy1 up && ip addr add 198.51.100.1/24 dev dummy1"
                + " && rdma link add rxe1 type rxe netdev dummy1");
        String second = "verbs://198.51.100.1:";
        int a0 = port();
        int b0 = port();
        int a1 = port();
        int b1 = port();
        try (Node a = new Node(1, List.of(new ClusterNode.Interconnect(uri(a0) + params(), uri(b0)),
                new ClusterNode.Interconnect(second + a1 + params(), second + b1)), Duration.ofSeconds(3));
             Node b = new Node(2, List.of(new ClusterNode.Interconnect(uri(b0) + params(), uri(a0)),
                     new ClusterNode.Interconnect(second + b1 + params(), second + a1)), Duration.ofSeconds(3))) {
            waitFor(() -> a.node.managers().stream().allMatch(m -> m.state() == SlamState.CONNECTED)
                    && b.node.managers().stream().allMatch(m -> m.state() == SlamState.CONNECTED) && linked(a), 30_000, "both interconnects");
            waitFor(() -> b.heartbeat.state() == PartnerState.ALIVE, 10_000, "heartbeats");
            List<byte[]> written = new ArrayList<>();
            appendRecords(a, written, 1, 20);
            sh("ip link set dummy0 down");
            appendRecords(a, written, 21, 60);
            assertMirrored(b, written);
            waitFor(() -> a.node.managers().get(0).state() != SlamState.CONNECTED, 10_000, "interconnect 0 is declared down");
            assertEquals(SlamState.CONNECTED, a.node.managers().get(1).state(), "interconnect 1 carries on");
            assertFalse(a.states.contains(PartnerState.FAILED), "a cut interconnect is not a failed partner: " + a.verdicts);
            assertFalse(b.states.contains(PartnerState.FAILED), "a cut interconnect is not a failed partner: " + b.verdicts);
            // No rejoin is asserted here: on this kernel rxe0 itself never answers an rdma_cm request
            // again after its port flapped with traffic in flight, even between fresh processes
            // (scripts/rxe-port-flap.sh shows it with rping alone). Rejoining is tested on TCP
            // (ClusterOnTcpTest); see docs/cluster.md. Restore the link for the VM's other users.
            sh("ip link set dummy0 up");
        }
    }
}
