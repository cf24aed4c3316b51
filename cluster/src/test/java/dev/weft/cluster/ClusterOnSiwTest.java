package dev.weft.cluster;

import dev.weft.provider.softroce.testbed.OnSoftRoce;
import dev.weft.provider.softroce.testbed.Testbed;
import org.junit.jupiter.api.Timeout;

/**
 * The cluster scenarios unchanged on the verbs provider over Soft-iWARP (the testbed's siw0 on
 * siwnet): each scenario runs in its own VM. iWARP runs over TCP, so a dead peer is noticed by the
 * connection's TCP, not by ACK timeouts; the record reads land in a sink registered for remote
 * write, as iWARP requires.
 */
@OnSoftRoce(devices = Testbed.Device.SIW, timeoutSeconds = 240)
@Timeout(300)
class ClusterOnSiwTest extends ClusterOnSoftDevice {
    @Override
    String address() {
        return Testbed.siwAddress();
    }

    @Override
    String params() {
        return "";
    }
}
