package dev.weft.provider.tcp.tck;

import dev.weft.tck.TckProvider;
import java.util.List;

/** The TCP provider as the TCK sees it: loopback, free ports, a 1 s peer-failure timeout to keep the kill case short. */
final class TcpTck implements TckProvider {
    static final TcpTck INSTANCE = new TcpTck();

    @Override
    public String label() {
        return "tcp";
    }

    @Override
    public String fabricUri() {
        return "tcp://127.0.0.1:0?timeout=1000";
    }

    @Override
    public List<String> malformedUris() {
        // no port; a region, which belongs in a peer's URI, on a local access point
        return List.of("tcp://127.0.0.1", "tcp://127.0.0.1:0/config");
    }
}
