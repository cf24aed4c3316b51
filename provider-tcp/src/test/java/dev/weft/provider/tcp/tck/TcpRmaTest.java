package dev.weft.provider.tcp.tck;

import dev.weft.tck.RmaTck;
import dev.weft.tck.TckProvider;

/** The TCK's Rma area on the TCP provider. */
class TcpRmaTest extends RmaTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
