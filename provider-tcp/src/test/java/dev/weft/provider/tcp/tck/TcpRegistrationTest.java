package dev.weft.provider.tcp.tck;

import dev.weft.tck.RegistrationTck;
import dev.weft.tck.TckProvider;

/** The TCK's Registration area on the TCP provider. */
class TcpRegistrationTest extends RegistrationTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
