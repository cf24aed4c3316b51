package dev.weft.provider.tcp.tck;

import dev.weft.tck.AtomicsTck;
import dev.weft.tck.TckProvider;

/** The TCK's Atomics area on the TCP provider. */
class TcpAtomicsTest extends AtomicsTck {
    @Override
    public TckProvider provider() {
        return TcpTck.INSTANCE;
    }
}
