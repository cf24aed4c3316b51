package dev.weft.cluster;

import dev.weft.provider.softroce.testbed.OnSoftRoce;
import dev.weft.provider.softroce.testbed.Testbed;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster scenarios unchanged on the verbs provider over the testbed's rxe device: each
 * scenario runs in its own Soft-RoCE VM. A short ACK timeout keeps dead-peer detection near a
 * second, as the TCP scenarios' {@code timeout=600}.
 */
@OnSoftRoce(timeoutSeconds = 240)
@Timeout(300)
class ClusterOnRxeTest extends ClusterScenarios {
    @Override
    String uri(int port) {
        return "verbs://" + Testbed.address() + ":" + port;
    }

    @Override
    String params() {
        return "?ack_timeout=12&retry=3";
    }

    @Override
    long timingSlackMillis() {
        return 4000;
    }
}
