package dev.weft.provider.tcp.tck;

import dev.weft.tck.ResourcesTck;
import dev.weft.tck.TckProvider;

/** The TCK's Resources area on the TCP provider. */
class TcpResourcesTest extends ResourcesTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
