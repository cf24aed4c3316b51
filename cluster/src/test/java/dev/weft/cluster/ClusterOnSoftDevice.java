package dev.weft.cluster;

import java.time.Duration;

/**
 * The cluster scenarios on the verbs provider over one of the testbed's soft devices, where the
 * guest's CPU is emulated: heartbeats every 200 ms, so that a failover is not mistaken for a dead
 * partner, and 4 s of slack on timings. Subclasses name the device's address and carry the
 * {@code @OnSoftRoce} annotation that brings it up.
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
        return Duration.ofMillis(200);
    }
}
