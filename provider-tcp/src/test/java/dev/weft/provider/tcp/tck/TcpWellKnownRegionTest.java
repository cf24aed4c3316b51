package dev.weft.provider.tcp.tck;

import dev.weft.tck.WellKnownRegionTck;
import dev.weft.tck.TckProvider;

/** The TCK's WellKnownRegion area on the TCP provider. */
class TcpWellKnownRegionTest extends WellKnownRegionTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
