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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The physical limit the TCP provider is measured against: a plain blocking Java socket
 * ping-pong (latency: half the round trip of {@code size} bytes, as {@code weft perf} counts
 * write latency) and a plain socket stream (bandwidth), between two processes. Output has the
 * same columns and JSON keys as {@code weft perf client}, with provider {@code java-socket}.
 */
final class SocketBaseline {
    static final String USAGE = """
            usage: weft perf socket-server --port N [--host ADDRESS] [--once]
                   weft perf socket-client --port N [--host ADDRESS] [--size N[,N...]] [--iterations N]
                                           [--warmup N] [--bandwidth] [--json]

            The baseline for the TCP provider: a plain blocking Java socket (TCP_NODELAY) ping-pong,
            or with --bandwidth a one-way stream, between two processes. The columns and JSON keys of perf
            client, with op ping-pong or stream, and in JSON also rtt_p50_us (the whole round trip).""";

    private static final int PING = 1;
    private static final int STREAM = 2;
    private static final int BYE = 3;
    /** The largest message a client may ask for: {@code weft perf}'s own limit for {@code --size} (1 GiB). */
    private static final int MAX_SIZE = 1 << 30;

    private SocketBaseline() {
    }

    static int server(List<String> argv, PrintStream out) {
        Args args = Args.parse(argv, Set.of("port", "host"), Set.of("once"));
        int port = (int) args.longOption("port", 0, 0, 65535);
        String host = args.option("host", "127.0.0.1");
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            out.println("weft perf socket-server listening on " + host + ":" + server.getLocalPort());
            out.flush();
            do {
                try (Socket socket = server.accept()) {
                    socket.setTcpNoDelay(true);
                    serve(socket);
                } catch (IOException e) {
                    out.println("socket-server: client session ended: " + why(e, "the client closed the connection without saying goodbye"));
                }
            } while (!args.flag("once"));
        } catch (IOException e) {
            throw new UncheckedIOException("socket-server on " + host + ":" + port + " failed: " + why(e, "end of stream")
                    + "; choose a free port (or 0 for any) on an address of this host", e);
        }
        return 0;
    }

    private static void serve(Socket socket) throws IOException {
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
                buffer = new byte[size];
            }
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

    static int client(List<String> argv, PrintStream out) {
        Args args = Args.parse(argv, Set.of("port", "host", "size", "iterations", "warmup"), Set.of("bandwidth", "json"));
        args.required("port"); // the server's port: there is no default to guess
        int port = (int) args.longOption("port", 0, 1, 65535);
        String host = args.option("host", "127.0.0.1");
        long iterations = args.longOption("iterations", 1000, 1, 100_000_000);
        long warmup = args.longOption("warmup", 100, 0, 100_000_000);
        boolean bandwidth = args.flag("bandwidth");
        boolean json = args.flag("json");
        List<Integer> sizes = new java.util.ArrayList<>(); // checked before connecting: a bad size is a usage error
        for (String s : args.option("size", "8").split(",")) {
            long parsed = Args.parseSize("size", s.trim(), 1, MAX_SIZE);
            sizes.add((int) parsed);
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getByName(host), port), 10_000);
            socket.setTcpNoDelay(true);
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
                r.put("p50_us", bandwidth ? Double.NaN : stats.percentileMicros(0.5) / 2);
                r.put("p99_us", bandwidth ? Double.NaN : stats.percentileMicros(0.99) / 2);
                r.put("avg_us", bandwidth ? seconds * 1e6 / iterations : stats.averageMicros() / 2);
                r.put("mb_per_s", iterations * (double) size / 1e6 / seconds);
                r.put("ops_per_s", iterations / seconds);
                r.put("rtt_p50_us", bandwidth ? Double.NaN : stats.percentileMicros(0.5));
                if (json) {
                    out.println(Json.write(r));
                } else {
                    out.printf(java.util.Locale.ROOT, "%10d %12d %10.2f %10.2f %10.2f %12.2f %12.0f%n", size, iterations,
                            r.get("p50_us"), r.get("p99_us"), r.get("avg_us"), r.get("mb_per_s"), r.get("ops_per_s"));
                }
            }
            dout.writeInt(BYE);
            dout.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("socket-client to " + host + ":" + port + " failed: " + why(e, "the server closed the connection"), e);
        }
        return 0;
    }

    /** @return the failure's message, or {@code atEnd} for an end of stream (which has none) */
    private static String why(IOException e, String atEnd) {
        if (e.getMessage() != null) {
            return e.getMessage();
        }
        return e instanceof java.io.EOFException ? atEnd : e.toString();
    }
}
