package dev.weft.provider.tcp.tck;

import dev.weft.tck.ConcurrencyTck;
import dev.weft.tck.TckProvider;

/** The TCK's Concurrency area on the TCP provider. */
class TcpConcurrencyTest extends ConcurrencyTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
