package dev.weft.provider.tcp.internal;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.RemoteRegion;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The connection handshake of the wire protocol (see {@code docs/wire-tcp.md}): version
 * negotiation, optional mutual HMAC-SHA256 challenge-response authentication, then the
 * well-known region the client named. Nothing about the server's regions is disclosed before
 * authentication succeeded. Blocking; runs before the connection enters framed mode.
 */
final class Handshake {
    static final short MAGIC = 0x5748; // "WH"
    static final int HELLO_SIZE = 96;
    static final int WELCOME_SIZE = 32;
    static final int PROOF_SIZE = 32;
    static final int REGION_SIZE = 36;
    /** The longest region name a HELLO can carry. */
    static final int MAX_NAME = 64;

    static final int ST_OK = 0;
    static final int ST_VERSION = 1;
    static final int ST_AUTH_MISMATCH = 2;
    static final int ST_BUSY = 3;
    static final int ST_AUTH_FAILED = 4;
    /** The listener is closing, or can make no endpoint (its endpoint configuration's completion queue was closed). */
    static final int ST_NOT_ACCEPTING = 5;
    /** The client's HELLO has a field out of its range (region name length above 64, largest payload below 1). */
    static final int ST_MALFORMED = 6;
    static final int REGION_NONE = 0;
    static final int REGION_FOUND = 1;
    static final int REGION_UNKNOWN = 2;
    static final int REGION_CLOSED = 3;

    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the handshake established. */
    record Result(int maxMessage, RemoteRegion region) {
    }

    /** What the server side needs to answer. */
    interface RegionLookup {
        /**
         * @return the published region's descriptor; {@code null} if no such name is published, or {@link #CLOSED} if the
         *         region published under it was closed
         */
        RemoteRegion find(String name);

        /** What {@link #find} answers for a name whose region was closed after it was published. */
        RemoteRegion CLOSED = new RemoteRegion(0, 0, 0, java.util.Set.of());
    }

    private Handshake() {
    }

    static Result client(Socket socket, TcpConfig config, FabricUri peer, long deadlineNanos) throws IOException {
        OutputStream out = socket.getOutputStream();
        byte[] nonceC = nonce();
        byte[] hello = new byte[HELLO_SIZE];
        Wire.putShort(hello, 0, MAGIC);
        hello[2] = Wire.VERSION;
        hello[3] = Wire.VERSION;
        hello[4] = (byte) (config.secret() != null ? 1 : 0);
        byte[] name = peer.region() == null ? new byte[0] : peer.region().getBytes(StandardCharsets.US_ASCII);
        hello[5] = (byte) name.length;
        Wire.putInt(hello, 8, config.maxMessage());
        System.arraycopy(nonceC, 0, hello, 16, 16);
        System.arraycopy(name, 0, hello, 32, name.length);
        out.write(hello);
        out.flush();

        byte[] welcome = readFully(socket, WELCOME_SIZE, peer, deadlineNanos);
        if (Wire.getShort(welcome, 0) != (MAGIC & 0xffff)) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, peer.withoutParameters() + " is not a Weft tcp listener (bad handshake magic)");
        }
        int status = welcome[3];
        if (status != ST_OK) {
            throw refused(status, peer);
        }
        boolean serverAuth = (welcome[4] & 1) != 0;
        int maxMessage = Wire.getInt(welcome, 8);
        if (maxMessage < 1 || maxMessage > config.maxMessage()) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, peer.withoutParameters() + " answered a max_message of " + maxMessage
                    + " bytes; the handshake takes the smaller of both sides' limits, so it must be 1.." + config.maxMessage());
        }
        byte[] nonceS = java.util.Arrays.copyOfRange(welcome, 16, 32);
        if (serverAuth) {
            if (config.secret() == null) {
                throw new FabricException(ErrorCode.AUTHENTICATION_FAILED, peer.withoutParameters()
                        + " requires authentication; add secret=... (the peer's shared secret) to this fabric's URI");
            }
            out.write(proof(config.secret(), "weft-tcp-client", nonceS, nonceC));
            out.flush();
            byte[] result = readFully(socket, 1 + PROOF_SIZE, peer, deadlineNanos);
            if (result[0] == ST_BUSY || result[0] == ST_NOT_ACCEPTING) {
                throw refused(result[0], peer); // the server reserves a connection only once we proved the secret
            }
            if (result[0] != ST_OK) {
                throw new FabricException(ErrorCode.AUTHENTICATION_FAILED, peer.withoutParameters()
                        + " rejected our proof: the shared secrets differ");
            }
            byte[] expected = proof(config.secret(), "weft-tcp-server", nonceC, nonceS);
            if (!MessageDigest.isEqual(expected, java.util.Arrays.copyOfRange(result, 1, 1 + PROOF_SIZE))) {
                throw new FabricException(ErrorCode.AUTHENTICATION_FAILED, peer.withoutParameters()
                        + " could not prove knowledge of the shared secret; it is not the peer you configured");
            }
        }
        byte[] region = readFully(socket, REGION_SIZE, peer, deadlineNanos);
        return switch (region[0]) {
            case REGION_NONE -> new Result(maxMessage, null);
            case REGION_FOUND -> new Result(maxMessage, RemoteRegion.decode(java.util.Arrays.copyOfRange(region, 4, 36)));
            case REGION_UNKNOWN -> throw new FabricException(ErrorCode.INVALID_ARGUMENT, peer.withoutParameters()
                    + " publishes no region named \"" + peer.region() + "\"; check the name its listener publishes");
            case REGION_CLOSED -> throw new FabricException(ErrorCode.INVALID_ARGUMENT, peer.withoutParameters()
                    + " published a region named \"" + peer.region() + "\" but closed it; its owner must publish an open region"
                    + " under that name again");
            default -> throw new FabricException(ErrorCode.PROTOCOL_ERROR, "bad region status " + region[0]);
        };
    }

    /** The exception for a server's refusal {@code status} (not {@link #ST_OK}), in the WELCOME or after the proof. */
    private static FabricException refused(int status, FabricUri peer) {
        return switch (status) {
            case ST_VERSION -> new FabricException(ErrorCode.PROTOCOL_ERROR, peer.withoutParameters()
                    + " speaks no wire version this library speaks (we speak " + Wire.VERSION + ")");
            case ST_AUTH_MISMATCH -> new FabricException(ErrorCode.AUTHENTICATION_FAILED, peer.withoutParameters()
                    + " has no shared secret configured, but this side has one; configure the same secret on both sides");
            case ST_BUSY -> new FabricException(ErrorCode.RESOURCE_EXHAUSTED, peer.withoutParameters()
                    + " refused the connection: it has reached its max_connections");
            case ST_NOT_ACCEPTING -> new FabricException(ErrorCode.CONNECTION_REFUSED, peer.withoutParameters()
                    + " refused the connection: its listener is closing, or can make no endpoint because the completion queue"
                    + " of its endpoint configuration was closed");
            case ST_MALFORMED -> new FabricException(ErrorCode.PROTOCOL_ERROR, peer.withoutParameters()
                    + " refused our handshake as malformed (a region name longer than " + MAX_NAME
                    + " bytes, or a largest payload below 1): a defect of this client's implementation of docs/wire-tcp.md");
            default -> new FabricException(ErrorCode.PROTOCOL_ERROR, peer.withoutParameters() + " answered handshake status " + status);
        };
    }

    /**
     * Decides whether the listener takes a client, and reserves its connection slot. The server asks only once the
     * client has sent a well-formed HELLO and, when a secret is set, proved it: a client that sends nothing, or does
     * not know the secret, holds no slot.
     */
    interface Admission {
        /**
         * Reserves a connection for this client.
         *
         * @return {@link #ST_OK} (reserved: the caller releases it if the handshake fails later), {@link #ST_BUSY} or
         *         {@link #ST_NOT_ACCEPTING} (nothing reserved)
         */
        int admit();

        /** @return what {@link #admit} would answer now, reserving nothing (for the WELCOME before authentication) */
        int preview();
    }

    /** A fixed answer, reserving nothing: for test peers. */
    static Admission fixed(int status) {
        return new Admission() {
            @Override
            public int admit() {
                return status;
            }

            @Override
            public int preview() {
                return status;
            }
        };
    }

    /** {@link #server(Socket, TcpConfig, Admission, RegionLookup, long, long)} with a fixed answer and one deadline. */
    static int server(Socket socket, TcpConfig config, int refusal, RegionLookup lookup, long deadlineNanos) throws IOException {
        return server(socket, config, fixed(refusal), lookup, deadlineNanos, deadlineNanos);
    }

    /**
     * The server side. Returns the negotiated maximum message size, or throws after telling the
     * client why (version, authentication, capacity, a listener not accepting, unknown region).
     *
     * @param admission asked after the HELLO (no secret) or after the client's proof (a secret): see {@link Admission}
     * @param helloDeadlineNanos {@link System#nanoTime()} by which the client must have identified itself: its HELLO and,
     *                           where a secret is set, its proof (a client sends each at once; this is shorter than the
     *                           whole handshake's, so that clients that identify themselves slowly cannot hold every
     *                           pending handshake)
     * @param deadlineNanos {@link System#nanoTime()} by which the whole handshake must be done
     * @throws SocketTimeoutException if it is not
     */
    static int server(Socket socket, TcpConfig config, Admission admission, RegionLookup lookup, long helloDeadlineNanos,
                      long deadlineNanos) throws IOException {
        OutputStream out = socket.getOutputStream();
        FabricUri who = FabricUri.parse("tcp://" + hostOf(socket) + ":" + socket.getPort());
        long helloBy = helloDeadlineNanos - deadlineNanos < 0 ? helloDeadlineNanos : deadlineNanos; // the earlier of the two
        byte[] hello = readFully(socket, HELLO_SIZE, who, helloBy);
        byte[] welcome = new byte[WELCOME_SIZE];
        Wire.putShort(welcome, 0, MAGIC);
        if (Wire.getShort(hello, 0) != (MAGIC & 0xffff)) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, who + " sent no Weft handshake");
        }
        int maxVersion = hello[2];
        int minVersion = hello[3];
        int status = ST_OK;
        if (Wire.VERSION < minVersion || Wire.VERSION > maxVersion) {
            status = ST_VERSION;
        } else if ((hello[4] & 1) != 0 && config.secret() == null) {
            status = ST_AUTH_MISMATCH;
        } else if (config.secret() != null) {
            status = admission.preview(); // reserved only once the client has proved the secret
        } else {
            status = admission.admit();
        }
        int nameLength = hello[5] & 0xff;
        int clientMax = Wire.getInt(hello, 8);
        // the fields' ranges are those of version 1: a client without a common version is told that, not judged by them
        String malformed = status == ST_VERSION ? null
                : nameLength > MAX_NAME ? "a region name length of " + nameLength + " (at most " + MAX_NAME + ")"
                : clientMax < 1 ? "a largest payload of " + clientMax + " (at least 1)" : null;
        if (malformed != null) {
            status = ST_MALFORMED;
        }
        int maxMessage = clientMax < 1 ? config.maxMessage() : Math.min(clientMax, config.maxMessage());
        byte[] nonceC = java.util.Arrays.copyOfRange(hello, 16, 32);
        byte[] nonceS = nonce();
        welcome[2] = Wire.VERSION;
        welcome[3] = (byte) status;
        welcome[4] = (byte) (config.secret() != null ? 1 : 0);
        Wire.putInt(welcome, 8, maxMessage);
        System.arraycopy(nonceS, 0, welcome, 16, 16);
        out.write(welcome);
        out.flush();
        if (malformed != null) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, who + " sent a malformed handshake: " + malformed);
        }
        if (status != ST_OK) {
            throw new FabricException(ErrorCode.CONNECTION_REFUSED, "refused " + who + ": handshake status " + status);
        }
        if (config.secret() != null) {
            byte[] proof = readFully(socket, PROOF_SIZE, who, helloBy);
            boolean good = MessageDigest.isEqual(proof, proof(config.secret(), "weft-tcp-client", nonceS, nonceC));
            int admitted = good ? admission.admit() : ST_AUTH_FAILED;
            byte[] result = new byte[1 + PROOF_SIZE];
            result[0] = (byte) admitted;
            if (admitted == ST_OK) {
                System.arraycopy(proof(config.secret(), "weft-tcp-server", nonceC, nonceS), 0, result, 1, PROOF_SIZE);
            }
            out.write(result);
            out.flush();
            if (!good) {
                throw new FabricException(ErrorCode.AUTHENTICATION_FAILED, who + " failed authentication");
            }
            if (admitted != ST_OK) {
                throw new FabricException(ErrorCode.CONNECTION_REFUSED, "refused " + who + " after authentication: status " + admitted);
            }
        }
        byte[] region = new byte[REGION_SIZE];
        if (nameLength > 0) {
            String name = new String(hello, 32, nameLength, StandardCharsets.US_ASCII);
            RemoteRegion found = lookup.find(name);
            if (found == null) {
                region[0] = REGION_UNKNOWN;
            } else if (found == RegionLookup.CLOSED) {
                region[0] = REGION_CLOSED;
            } else {
                region[0] = REGION_FOUND;
                System.arraycopy(found.encode(), 0, region, 4, RemoteRegion.ENCODED_SIZE);
            }
        }
        out.write(region);
        out.flush();
        if (region[0] == REGION_UNKNOWN || region[0] == REGION_CLOSED) {
            throw new FabricException(ErrorCode.INVALID_ARGUMENT, who + " asked for an unpublished or closed region");
        }
        return maxMessage;
    }

    private static String hostOf(Socket socket) {
        String h = socket.getInetAddress().getHostAddress();
        return h.indexOf(':') >= 0 ? "[" + h.replaceAll("%.*$", "") + "]" : h;
    }

    private static byte[] nonce() {
        byte[] n = new byte[16];
        RANDOM.nextBytes(n);
        return n;
    }

    static byte[] proof(String secret, String label, byte[] first, byte[] second) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(label.getBytes(StandardCharsets.US_ASCII));
            mac.update(first);
            mac.update(second);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    /**
     * Reads exactly {@code n} bytes by the handshake's deadline. The deadline bounds the whole handshake, not each read
     * (a socket timeout alone restarts with every byte, and a peer sending one byte at a time would hold the connection,
     * and a listener's connection slot, for as long as it liked).
     */
    private static byte[] readFully(Socket socket, int n, FabricUri peer, long deadlineNanos) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            long left = deadlineNanos - System.nanoTime();
            if (left <= 0) {
                throw new SocketTimeoutException(peer.withoutParameters() + " did not complete the handshake in time");
            }
            socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(left))));
            int r = in.read(b, off, n - off);
            if (r < 0) {
                throw new EOFException(peer.withoutParameters() + " closed the connection during the handshake");
            }
            off += r;
        }
        return b;
    }
}
