package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Libc.AF_INET;
import static dev.weft.provider.verbs.internal.nat.Libc.AF_INET6;
import static dev.weft.provider.verbs.internal.nat.Structs.SOCKADDR_IN;
import static dev.weft.provider.verbs.internal.nat.Structs.SOCKADDR_IN6;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.provider.verbs.internal.nat.C;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** {@code struct sockaddr_in}/{@code sockaddr_in6} from and to Java addresses. */
final class Sockaddr {
    private Sockaddr() {
    }

    static MemorySegment of(Arena arena, InetAddress address, int port) {
        if (address instanceof Inet4Address) {
            MemorySegment s = arena.allocate(SOCKADDR_IN);
            s.set(C.U16, offset(SOCKADDR_IN, "sin_family"), AF_INET);
            s.set(C.U16, offset(SOCKADDR_IN, "sin_port"), Short.reverseBytes((short) port));
            MemorySegment.copy(MemorySegment.ofArray(address.getAddress()), 0, s, offset(SOCKADDR_IN, "sin_addr"), 4);
            return s;
        }
        MemorySegment s = arena.allocate(SOCKADDR_IN6);
        s.set(C.U16, offset(SOCKADDR_IN6, "sin6_family"), AF_INET6);
        s.set(C.U16, offset(SOCKADDR_IN6, "sin6_port"), Short.reverseBytes((short) port));
        MemorySegment.copy(MemorySegment.ofArray(address.getAddress()), 0, s, offset(SOCKADDR_IN6, "sin6_addr"), 16);
        if (address instanceof Inet6Address a6) {
            s.set(C.INT, offset(SOCKADDR_IN6, "sin6_scope_id"), a6.getScopeId());
        }
        return s;
    }

    static InetSocketAddress read(MemorySegment sockaddr) {
        MemorySegment s = sockaddr.reinterpret(SOCKADDR_IN6.byteSize());
        short family = s.get(C.U16, 0);
        int port = Short.toUnsignedInt(Short.reverseBytes(s.get(C.U16, offset(SOCKADDR_IN, "sin_port"))));
        try {
            if (family == AF_INET) {
                return new InetSocketAddress(InetAddress.getByAddress(s.asSlice(offset(SOCKADDR_IN, "sin_addr"), 4).toArray(C.U8)), port);
            }
            return new InetSocketAddress(InetAddress.getByAddress(s.asSlice(offset(SOCKADDR_IN6, "sin6_addr"), 16).toArray(C.U8)), port);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
