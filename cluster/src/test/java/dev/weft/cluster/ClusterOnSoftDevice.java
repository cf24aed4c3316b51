package dev.weft.cluster;

import java.time.Duration;

/**
 * The cluster scenarios on the verbs provider over one of the testbed's soft devices, where the
 * guest's CPU is emulated: heartbeats every 400 ms and 4 s of slack on timings. Subclasses name
 * the device's address and carry the {@code @OnSoftRoce} annotation that brings it up.
 *
 * <p>The heartbeat interval is set by what the emulated guest does to one thread: during the rxe
 * failover test a heartbeat thread was measured without CPU for up to 1.8 s while the other node's
 * thread went on checking (with the host busy as well; 0.6 s without). Six missed checks of 400 ms
 * (2.4 s) leave room for that; 200 ms (1.2 s) did not. See docs/cluster.md.
 */
abstract class ClusterOnSoftDevice extends ClusterScenarios {
    /** @return the device's IP address in the guest */
    abstract String address();

    @Override
    String uri(int port) {
        return "verbs://" + address() + ":" + port;
    }

    @Override
    long timingSlackMillis() {
        return 4000;
    }

    @Override
    Duration heartbeatInterval() {
        return Duration.ofMillis(400);
    }
}
