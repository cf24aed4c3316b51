package dev.weft.provider.verbs.internal;

import dev.weft.FabricException;
import dev.weft.RemoteRegion;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The connection private data of Weft's verbs endpoints (documented in
 * {@code docs/provider-verbs.md}). All fields big-endian.
 *
 * <pre>
 * request (connect):  "WFT1" | version u8 = 1 | name length u8 | region name (UTF-8, 0..50 bytes)
 * accept:             "WFT1" | version u8 = 1 | has region u8 | reserved u16 | RemoteRegion (32 bytes, if present)
 * reject:             "WFT1" | version u8 = 1 | reason u8 | message (UTF-8, up to 100 bytes)
 * </pre>
 *
 * <p>The request fits the 56 bytes a reliable-connected rdma_cm request carries on every
 * transport; the accept fits 196.
 */
final class PrivateData {
    private PrivateData() {
    }

    static final int MAGIC = 0x57465431; // "WFT1"
    static final int VERSION = 1;
    /** Longest region name a connect request carries: what InfiniBand's 56 bytes of private data leave after the 6-byte header. */
    static final int MAX_NAME = 50;
    /** Reject reason: the request names no region the listener publishes. */
    static final int REJECT_NO_SUCH_REGION = 1;
    /** Reject reason: the request is not a Weft request. */
    static final int REJECT_BAD_REQUEST = 2;
    /** Reject reason: the listener cannot take more endpoints. */
    static final int REJECT_RESOURCES = 3;

    static byte[] request(String region) {
        byte[] name = region == null ? new byte[0] : region.getBytes(StandardCharsets.UTF_8);
        if (name.length > MAX_NAME) {
            throw FabricException.invalid("the verbs provider carries well-known region names of at most " + MAX_NAME
                    + " bytes in the connect request; \"" + region + "\" has " + name.length);
        }
        return ByteBuffer.allocate(6 + name.length).putInt(MAGIC).put((byte) VERSION).put((byte) name.length).put(name).array();
    }

    /**
     * @param data a connect request's private data (rdma_cm may pad it with zeros)
     * @return the region name, "" for none, or {@code null} if this is not a Weft request
     */
    static String requestedRegion(byte[] data) {
        if (data.length < 6) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(data);
        if (b.getInt() != MAGIC || b.get() != VERSION) {
            return null;
        }
        int len = Byte.toUnsignedInt(b.get());
        if (len > MAX_NAME || len > b.remaining()) {
            return null;
        }
        byte[] name = new byte[len];
        b.get(name);
        return new String(name, StandardCharsets.UTF_8);
    }

    static byte[] accept(RemoteRegion region) {
        ByteBuffer b = ByteBuffer.allocate(8 + RemoteRegion.ENCODED_SIZE).putInt(MAGIC).put((byte) VERSION)
                .put((byte) (region == null ? 0 : 1)).putShort((short) 0);
        if (region != null) {
            b.put(region.encode());
        }
        return b.array();
    }

    /**
     * @param data an accept's private data
     * @return the region it carries, or {@code null}
     * @throws FabricException if the data is not a Weft accept
     */
    static RemoteRegion acceptedRegion(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        if (data.length < 8 || b.getInt() != MAGIC || b.get() != VERSION) {
            throw new FabricException(dev.weft.ErrorCode.PROTOCOL_ERROR,
                    "the peer accepted the connection without Weft's private data; is it a Weft verbs listener?");
        }
        boolean has = b.get() != 0;
        b.getShort();
        if (!has) {
            return null;
        }
        if (b.remaining() < RemoteRegion.ENCODED_SIZE) {
            throw new FabricException(dev.weft.ErrorCode.PROTOCOL_ERROR, "the peer's accept carries a truncated region descriptor");
        }
        byte[] enc = new byte[RemoteRegion.ENCODED_SIZE];
        b.get(enc);
        return RemoteRegion.decode(enc);
    }

    static byte[] reject(int reason, String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        int len = Math.min(m.length, 100);
        return ByteBuffer.allocate(6 + len).putInt(MAGIC).put((byte) VERSION).put((byte) reason).put(m, 0, len).array();
    }

    /**
     * @param data a reject's private data
     * @return the Weft reason ({@link #REJECT_NO_SUCH_REGION} ...), or -1 if the reject is not Weft's
     */
    static int rejectReason(byte[] data) {
        return isWeftReject(data) ? data[5] & 0xff : -1;
    }

    /** @return whether {@code data} starts as a Weft reject does: magic and version, then the reason */
    private static boolean isWeftReject(byte[] data) {
        ByteBuffer b = ByteBuffer.wrap(data);
        return data.length >= 6 && b.getInt() == MAGIC && b.get() == VERSION;
    }

    /**
     * @param data a reject's private data
     * @return the Weft reason and message, or {@code null} if the reject is not Weft's
     */
    static String rejectMessage(byte[] data) {
        if (!isWeftReject(data)) {
            return null;
        }
        byte[] m = java.util.Arrays.copyOfRange(data, 6, data.length);
        int end = m.length;
        while (end > 0 && m[end - 1] == 0) {
            end--;
        }
        return new String(m, 0, end, StandardCharsets.UTF_8);
    }
}
