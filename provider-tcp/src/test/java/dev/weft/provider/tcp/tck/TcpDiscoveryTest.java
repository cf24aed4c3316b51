package dev.weft.provider.tcp.tck;

import dev.weft.tck.DiscoveryTck;
import dev.weft.tck.TckProvider;

/** The TCK's Discovery area on the TCP provider. */
class TcpDiscoveryTest extends DiscoveryTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
