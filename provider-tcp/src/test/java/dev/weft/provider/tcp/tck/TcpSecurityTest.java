package dev.weft.provider.tcp.tck;

import dev.weft.tck.SecurityTck;
import dev.weft.tck.TckProvider;

/** The TCK's Security area on the TCP provider. */
class TcpSecurityTest extends SecurityTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
