package dev.weft.provider.tcp.tck;

import dev.weft.tck.ErrorsTck;
import dev.weft.tck.TckProvider;

/** The TCK's Errors area on the TCP provider. */
class TcpErrorsTest extends ErrorsTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
