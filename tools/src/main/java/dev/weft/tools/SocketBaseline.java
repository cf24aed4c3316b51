package dev.weft.tools;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The physical limit the TCP provider is measured against: a plain blocking Java socket
 * ping-pong (latency: half the round trip of {@code size} bytes, as {@code weft perf} counts
 * write latency) and a plain socket stream (bandwidth), between two processes. Output has the
 * same columns and JSON keys as {@code weft perf client}, with provider {@code java-socket}.
 *
 * <p>The protocol, per size: the client sends mode, size and count; the server answers {@link #ACCEPTED}, or
 * {@link #REFUSED} and its reason (a size its heap cannot hold), before any data moves. {@link #BYE} ends a session.
 */
final class SocketBaseline {
    static final String USAGE = """
            usage: weft perf socket-server --port N [--host ADDRESS] [--once]
                   weft perf socket-client --port N [--host ADDRESS] [--size N[,N...]] [--iterations N]
                                           [--warmup N] [--bandwidth] [--json]

            The baseline for the TCP provider: a plain blocking Java socket (TCP_NODELAY) ping-pong,
            or with --bandwidth a one-way stream, between two processes. The columns and JSON keys of perf
            client, with op ping-pong or stream, and in JSON also rtt_p50_us (the whole round trip). A stream
            has no per-message completion: with --bandwidth p50, p99 and avg are "-" (null in JSON).
            The server serves one client at a time and refuses a size its heap cannot hold; a side that
            hears nothing from its peer for 30 s ends the session. --once exits after the first client,
            with 1 if that session failed.""";

    private static final int PING = 1;
    private static final int STREAM = 2;
    private static final int BYE = 3;
    private static final int ACCEPTED = 0;
    private static final int REFUSED = -1;
    /** The largest message a client may ask for: {@code weft perf}'s own limit for {@code --size} (1 GiB). */
    private static final int MAX_SIZE = 1 << 30;
    /** How long either side waits for its peer's next bytes before it gives up on the session. */
    static final int PEER_TIMEOUT_MILLIS = 30_000;

    private SocketBaseline() {
    }

    static int server(List<String> argv, PrintStream out, PrintStream err) {
        return server(argv, out, err, PEER_TIMEOUT_MILLIS);
    }

    /** @param peerTimeoutMillis how long a session waits for the client's next bytes */
    static int server(List<String> argv, PrintStream out, PrintStream err, int peerTimeoutMillis) {
        Args args = Args.parse(argv, Set.of("port", "host"), Set.of("once"));
        int port = (int) args.longOption("port", 0, 0, 65535);
        String host = args.option("host", "127.0.0.1");
        boolean failed = false;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            out.println("weft perf socket-server listening on " + host + ":" + server.getLocalPort());
            out.flush();
            do {
                failed = false;
                try (Socket socket = server.accept()) {
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(peerTimeoutMillis);
                    serve(socket, err);
                } catch (SocketTimeoutException e) {
                    failed = true;
                    err.println("weft perf socket-server: client session ended: the client sent nothing for " + seconds(peerTimeoutMillis)
                            + "; a client that stops in the middle of a request is given up");
                } catch (IOException e) {
                    failed = true;
                    err.println("weft perf socket-server: client session ended: "
                            + why(e, "the client closed the connection without saying goodbye"));
                }
                err.flush();
            } while (!args.flag("once"));
        } catch (IOException e) {
            throw new UncheckedIOException("socket-server on " + host + ":" + port + " failed: " + why(e, "end of stream")
                    + "; choose a free port (or 0 for any) on an address of this host", e);
        }
        return failed ? 1 : 0; // with --once, the exit code says how the one session went
    }

    private static void serve(Socket socket, PrintStream err) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 1 << 16));
        OutputStream rawOut = socket.getOutputStream();
        DataOutputStream out = new DataOutputStream(rawOut);
        byte[] buffer = new byte[1];
        while (true) {
            int mode = in.readInt();
            if (mode == BYE) {
                return;
            }
            int size = in.readInt();
            long total = in.readLong();
            if ((mode != PING && mode != STREAM) || size < 1 || size > MAX_SIZE || total < 0) {
                throw new IOException("malformed request (mode " + mode + ", size " + size + ", count " + total + "); expected mode "
                        + PING + " or " + STREAM + ", a size of 1.." + MAX_SIZE + " bytes and a count of at least 0");
            }
            if (buffer.length < size) {
                buffer = new byte[1]; // the old buffer is garbage either way
                String refusal = allocationRefusal(size);
                if (refusal == null) {
                    try {
                        buffer = new byte[size];
                    } catch (OutOfMemoryError e) {
                        refusal = "the server's heap could not hold a buffer of " + size + " bytes ("
                                + e.getMessage() + "); measure smaller sizes, or start the server with more heap (WEFT_JAVA_OPTS=-Xmx4g)";
                    }
                }
                if (refusal != null) {
                    err.println("weft perf socket-server: refused size " + size + ": " + refusal);
                    out.writeInt(REFUSED);
                    out.writeUTF(refusal);
                    out.flush();
                    continue; // the client sent no data for it; its next word is a request or BYE
                }
            }
            out.writeInt(ACCEPTED);
            out.flush();
            if (mode == PING) {
                for (long i = 0; i < total; i++) {
                    in.readFully(buffer, 0, size);
                    rawOut.write(buffer, 0, size);
                }
            } else {
                long remaining = (long) size * total;
                while (remaining > 0) {
                    int n = in.read(buffer, 0, (int) Math.min(buffer.length, remaining));
                    if (n < 0) {
                        throw new IOException("stream ended early");
                    }
                    remaining -= n;
                }
                out.writeInt(0);
                out.flush();
            }
        }
    }

    /** @return why a buffer of {@code size} bytes does not fit this JVM's heap, or {@code null} if it does */
    private static String allocationRefusal(int size) {
        Runtime rt = Runtime.getRuntime();
        long spare = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (size > spare / 4 * 3) {
            System.gc(); // garbage counts as used until it is collected; ask once before refusing
            spare = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        if (size <= spare / 4 * 3) {
            return null;
        }
        return "a buffer of " + size + " bytes does not fit the server's heap (about " + (spare >> 20) + " MiB to spare of "
                + (rt.maxMemory() >> 20) + " MiB); measure smaller sizes, or start the server with more heap"
                + " (WEFT_JAVA_OPTS=-Xmx4g)";
    }

    static int client(List<String> argv, PrintStream out) {
        return client(argv, out, PEER_TIMEOUT_MILLIS);
    }

    /** @param peerTimeoutMillis how long the client waits for the server's next bytes */
    static int client(List<String> argv, PrintStream out, int peerTimeoutMillis) {
        Args args = Args.parse(argv, Set.of("port", "host", "size", "iterations", "warmup"), Set.of("bandwidth", "json"));
        args.required("port"); // the server's port: there is no default to guess
        int port = (int) args.longOption("port", 0, 1, 65535);
        String host = args.option("host", "127.0.0.1");
        long iterations = args.longOption("iterations", 1000, 1, 100_000_000);
        long warmup = args.longOption("warmup", 100, 0, 100_000_000);
        boolean bandwidth = args.flag("bandwidth");
        boolean json = args.flag("json");
        List<Integer> sizes = new java.util.ArrayList<>(); // checked before connecting: a bad size is a usage error
        String largest = null;
        int largestBytes = 0;
        for (String s : args.option("size", "8").split(",")) {
            int parsed = (int) Args.parseSize("size", s.trim(), 1, MAX_SIZE);
            if (parsed > largestBytes) {
                largest = s.trim();
                largestBytes = parsed;
            }
            sizes.add(parsed);
        }
        requireHeapFor(largest, largestBytes, iterations);
        boolean connected = false;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), 10_000);
            connected = true;
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(peerTimeoutMillis);
            DataOutputStream dout = new DataOutputStream(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            DataInputStream din = new DataInputStream(in);
            if (!json) {
                out.printf("weft perf: java-socket %s against %s:%d%n", bandwidth ? "stream bandwidth" : "ping-pong latency", host, port);
                out.printf("%10s %12s %10s %10s %10s %12s %12s%n", "#bytes", "#iterations", "p50[us]", "p99[us]", "avg[us]", "MB/s", "ops/s");
            }
            for (int size : sizes) {
                long total = iterations + warmup;
                dout.writeInt(bandwidth ? STREAM : PING);
                dout.writeInt(size);
                dout.writeLong(total);
                dout.flush();
                if (din.readInt() != ACCEPTED) {
                    String reason = din.readUTF();
                    dout.writeInt(BYE); // a clean end: the server does not count the session as failed
                    dout.flush();
                    throw new IOException("the server refused size " + size + ": " + reason);
                }
                byte[] buffer = new byte[size];
                LatencyStats stats = new LatencyStats((int) iterations);
                long start = System.nanoTime();
                long end;
                if (bandwidth) {
                    for (long i = 0; i < total; i++) {
                        if (i == warmup) {
                            start = System.nanoTime();
                        }
                        dout.write(buffer, 0, size);
                    }
                    dout.flush();
                    din.readInt();
                    end = System.nanoTime();
                } else {
                    long previous = start; // one clock read per iteration, as weft perf client
                    for (long i = 0; i < total; i++) {
                        if (i == warmup) {
                            start = previous;
                        }
                        dout.write(buffer, 0, size);
                        din.readFully(buffer, 0, size);
                        long now = System.nanoTime();
                        if (i >= warmup) {
                            stats.record(now - previous);
                        }
                        previous = now;
                    }
                    end = System.nanoTime();
                }
                stats.finish();
                double seconds = (end - start) / 1e9;
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("provider", "java-socket");
                r.put("op", bandwidth ? "stream" : "ping-pong");
                r.put("size", size);
                r.put("iterations", iterations);
                // a stream has no per-message completion to time: no percentiles and no average (not 1 / throughput,
                // which perf client's avg_us is not either); null in JSON, "-" in the table
                r.put("p50_us", bandwidth ? Double.NaN : stats.percentileMicros(0.5) / 2);
                r.put("p99_us", bandwidth ? Double.NaN : stats.percentileMicros(0.99) / 2);
                r.put("avg_us", bandwidth ? Double.NaN : stats.averageMicros() / 2);
                r.put("mb_per_s", iterations * (double) size / 1e6 / seconds);
                r.put("ops_per_s", iterations / seconds);
                r.put("rtt_p50_us", bandwidth ? Double.NaN : stats.percentileMicros(0.5));
                if (json) {
                    out.println(Json.write(r));
                } else {
                    out.printf(java.util.Locale.ROOT, "%10d %12d %10s %10s %10s %12.2f %12.0f%n", size, iterations,
                            micros(r.get("p50_us")), micros(r.get("p99_us")), micros(r.get("avg_us")), r.get("mb_per_s"), r.get("ops_per_s"));
                }
            }
            dout.writeInt(BYE);
            dout.flush();
        } catch (SocketTimeoutException e) {
            throw new UncheckedIOException("socket-client to " + host + ":" + port + " failed: " + (connected
                    ? "the server sent nothing for " + seconds(peerTimeoutMillis) + "; is it a weft perf socket-server, and not busy with"
                    + " another client (it serves one at a time)?"
                    : "no answer to the connection request within 10 s; is a weft perf socket-server listening there?"), e);
        } catch (IOException e) {
            throw new UncheckedIOException("socket-client to " + host + ":" + port + " failed: " + why(e, "the server closed the connection"), e);
        }
        return 0;
    }

    /** Refuses sizes whose buffer (and iterations whose time stamps) would not fit this JVM's heap, before connecting. */
    private static void requireHeapFor(String largestText, int largest, long iterations) {
        long needed = largest + 8 * iterations;
        long budget = Runtime.getRuntime().maxMemory() * 3 / 4;
        if (needed > budget) {
            throw new UsageException("--size " + PerfCommand.sizeText(largestText, largest) + " with --iterations " + iterations
                    + " needs about " + (needed >> 20) + " MiB of heap, more than this JVM can spare (" + (budget >> 20) + " MiB of "
                    + (Runtime.getRuntime().maxMemory() >> 20) + " MiB); measure smaller sizes or fewer iterations, or give the JVM"
                    + " more heap (WEFT_JAVA_OPTS=-Xmx4g ./weft perf ...)");
        }
    }

    /** @return a time in microseconds for the table, or "-" where none was measured */
    private static String micros(Object value) {
        double v = (Double) value;
        return Double.isNaN(v) ? "-" : String.format(java.util.Locale.ROOT, "%.2f", v);
    }

    private static String seconds(int millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    /** @return the failure's message, or {@code atEnd} for an end of stream (which has none) */
    private static String why(IOException e, String atEnd) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e instanceof java.io.EOFException ? atEnd : e.toString();
    }
}
