package dev.weft.provider.tcp.internal;

/**
 * Constants and header codec of the TCP provider's wire protocol, version 1. The protocol is
 * specified in {@code docs/wire-tcp.md}; keep the two in step. All integers are big-endian.
 *
 * <pre>
 * frame header, {@value #HEADER_SIZE} bytes
 *  0 u16 magic 0x5754 "WT"      2 u8 version        3 u8 opcode
 *  4 u16 header size (56)       6 u16 status        8 u32 payload length
 * 12 u32 immediate data        16 u64 sequence number
 * 24 u64 remote address        32 u64 remote key
 * 40 u64 operand 1             48 u64 operand 2
 * </pre>
 */
final class Wire {
    static final short MAGIC = 0x5754;
    static final byte VERSION = 1;
    static final int HEADER_SIZE = 56;

    // Requests (initiator to target)
    static final byte OP_WRITE = 1;
    static final byte OP_WRITE_IMM = 2;
    static final byte OP_READ = 3;
    static final byte OP_SEND = 4;
    static final byte OP_FETCH_ADD = 5;
    static final byte OP_CMP_SWAP = 6;
    // Responses (target to initiator)
    static final byte OP_ACK = 16;
    static final byte OP_READ_DATA = 17;
    static final byte OP_ATOMIC_RESULT = 18;
    // Link
    static final byte OP_KEEPALIVE = 32;
    static final byte OP_DISCONNECT = 33;

    // Response status
    static final int ST_OK = 0;
    static final int ST_RNR = 1;
    static final int ST_REMOTE_ACCESS = 2;
    static final int ST_REMOTE_INVALID = 3;
    static final int ST_REMOTE_OPERATION = 4;

    /**
     * Why a target refused a request, carried in operand 1 of its error ACK so that the initiator can say which check
     * failed (code 0, as older peers send, says nothing). The code decides the ACK's status.
     */
    enum Refusal {
        UNKNOWN_KEY(1, ST_REMOTE_ACCESS, "no region of the target's domain has the request's remote key"
                + " (not registered there, or closed)"),
        REGION_CLOSED(2, ST_REMOTE_ACCESS, "the target's region was closed while the request was served"),
        RIGHT_NOT_GRANTED(3, ST_REMOTE_ACCESS, "the target's region does not grant the remote right the request needs"),
        OUT_OF_BOUNDS(4, ST_REMOTE_ACCESS, "the request reaches outside the target's region"),
        MISALIGNED(5, ST_REMOTE_INVALID, "the atomic's remote address is not 8-byte aligned"),
        READ_LENGTH(6, ST_REMOTE_INVALID, "the read's length is negative or above the negotiated largest payload"),
        SEND_TOO_LONG(7, ST_REMOTE_INVALID, "the message is longer than the receive posted at the target"),
        RECEIVE_CLOSED(8, ST_REMOTE_OPERATION, "a region of the receive posted at the target was closed");

        final int code;
        final int status;
        final String text;

        Refusal(int code, int status, String text) {
            this.code = code;
            this.status = status;
            this.text = text;
        }

        /**
         * @param wireOp the refused request's opcode
         * @return what this refusal means for that request; for a right not granted, which right and how to grant it
         */
        String text(int wireOp) {
            if (this != RIGHT_NOT_GRANTED) {
                return text;
            }
            String right = switch (wireOp) {
                case OP_WRITE, OP_WRITE_IMM -> "REMOTE_WRITE";
                case OP_READ -> "REMOTE_READ";
                case OP_FETCH_ADD, OP_CMP_SWAP -> "REMOTE_ATOMIC";
                default -> null;
            };
            return right == null ? text : text + ", " + right + "; the target grants it where it registers the region (Access."
                    + right + ")";
        }

        /**
         * @param code the refusal code of an error ACK
         * @param wireOp the refused request's opcode
         * @return ": " and what refusal {@code code} means, "" for 0 (not said), or the unknown code itself
         */
        static String explain(long code, int wireOp) {
            if (code == 0) {
                return "";
            }
            for (Refusal r : values()) {
                if (r.code == code) {
                    return ": " + r.text(wireOp);
                }
            }
            return " (refusal code " + code + ")";
        }
    }

    private Wire() {
    }

    static boolean isRequest(int opcode) {
        return opcode >= OP_WRITE && opcode <= OP_CMP_SWAP;
    }

    /** @return whether a request of {@code opcode} is an atomic, which ATOMIC_RESULT answers */
    static boolean isAtomic(int opcode) {
        return opcode == OP_FETCH_ADD || opcode == OP_CMP_SWAP;
    }

    static boolean isKnown(int opcode) {
        return isRequest(opcode) || opcode == OP_ACK || opcode == OP_READ_DATA || opcode == OP_ATOMIC_RESULT
                || opcode == OP_KEEPALIVE || opcode == OP_DISCONNECT;
    }

    static String opcodeName(int opcode) {
        return switch (opcode) {
            case OP_WRITE -> "WRITE";
            case OP_WRITE_IMM -> "WRITE_IMM";
            case OP_READ -> "READ";
            case OP_SEND -> "SEND";
            case OP_FETCH_ADD -> "FETCH_ADD";
            case OP_CMP_SWAP -> "CMP_SWAP";
            case OP_ACK -> "ACK";
            case OP_READ_DATA -> "READ_DATA";
            case OP_ATOMIC_RESULT -> "ATOMIC_RESULT";
            case OP_KEEPALIVE -> "KEEPALIVE";
            case OP_DISCONNECT -> "DISCONNECT";
            default -> "opcode " + opcode;
        };
    }

    static dev.weft.Status toStatus(int wireStatus) {
        return switch (wireStatus) {
            case ST_OK -> dev.weft.Status.SUCCESS;
            case ST_RNR -> dev.weft.Status.RNR_RETRY_EXCEEDED;
            case ST_REMOTE_ACCESS -> dev.weft.Status.REMOTE_ACCESS_ERROR;
            case ST_REMOTE_INVALID -> dev.weft.Status.REMOTE_INVALID_REQUEST;
            default -> dev.weft.Status.REMOTE_OPERATION_ERROR;
        };
    }

    static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putLong(byte[] b, int off, long v) {
        putInt(b, off, (int) (v >>> 32));
        putInt(b, off + 4, (int) v);
    }

    static int getShort(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    static int getInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    static long getLong(byte[] b, int off) {
        return ((long) getInt(b, off) << 32) | (getInt(b, off + 4) & 0xffffffffL);
    }

    /** Writes a frame header into {@code b} at {@code off}. Never allocates. */
    static void header(byte[] b, int off, byte opcode, int status, int payloadLength, int immediate, long seq,
                       long address, long key, long operand1, long operand2) {
        putShort(b, off, MAGIC);
        b[off + 2] = VERSION;
        b[off + 3] = opcode;
        putShort(b, off + 4, HEADER_SIZE);
        putShort(b, off + 6, status);
        putInt(b, off + 8, payloadLength);
        putInt(b, off + 12, immediate);
        putLong(b, off + 16, seq);
        putLong(b, off + 24, address);
        putLong(b, off + 32, key);
        putLong(b, off + 40, operand1);
        putLong(b, off + 48, operand2);
    }

    /**
     * Checks the fixed part of a received header, in the documented order: magic, version,
     * known opcode, header size, payload length against the negotiated maximum.
     *
     * @return {@code null} if acceptable, else what is wrong (the connection is then dropped)
     */
    static String checkHeader(byte[] b, int off, long maxMessage) {
        int magic = getShort(b, off);
        if (magic != (MAGIC & 0xffff)) {
            return String.format("bad magic 0x%04x", magic);
        }
        if (b[off + 2] != VERSION) {
            return "unsupported frame version " + b[off + 2];
        }
        int opcode = b[off + 3];
        if (!isKnown(opcode)) {
            return "unknown opcode " + opcode;
        }
        int headerSize = getShort(b, off + 4);
        if (headerSize != HEADER_SIZE) {
            return "header size " + headerSize + ", expected " + HEADER_SIZE;
        }
        long payload = getInt(b, off + 8) & 0xffffffffL;
        if (payload > maxMessage) {
            return "payload length " + payload + " exceeds the negotiated maximum " + maxMessage;
        }
        if (payload != 0 && opcode != OP_WRITE && opcode != OP_WRITE_IMM && opcode != OP_SEND && opcode != OP_READ_DATA) {
            return Wire.opcodeName(opcode) + " carries no payload, got " + payload + " bytes";
        }
        return null;
    }

    /**
     * The overflow-safe bounds check of the target: may {@code length} bytes at {@code address}
     * be accessed in a region starting at {@code base} of {@code regionLength} bytes? Never
     * computes {@code address + length}.
     */
    static boolean inBounds(long base, long regionLength, long address, long length) {
        long offset = address - base;
        if (length < 0 || Long.compareUnsigned(offset, regionLength) > 0) {
            return false;
        }
        return length <= regionLength - offset;
    }
}
