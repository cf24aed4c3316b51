package dev.weft.provider.tcp.tck;

import dev.weft.tck.SendReceiveTck;
import dev.weft.tck.TckProvider;

/** The TCK's SendReceive area on the TCP provider. */
class TcpSendReceiveTest extends SendReceiveTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
