package dev.weft.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code weft perf socket-server} and {@code socket-client}, the TCP provider's baseline, on loopback. */
@Timeout(60)
class SocketBaselineTest {
    private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

    /** What a {@code --once} server returned and printed. */
    private record Served(int code, String out, String err) {
    }

    /** Runs a {@code --once} server, lets {@code client} talk to it, and returns how it ended. */
    private static Served serveOnce(Consumer<Integer> client) throws Exception {
        return serveOnce(SocketBaseline.PEER_TIMEOUT_MILLIS, client);
    }

    private static Served serveOnce(int peerTimeoutMillis, Consumer<Integer> client) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(
                () -> SocketBaseline.server(List.of("--port", "0", "--once"), out, err, peerTimeoutMillis));
        int port = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (port < 0 && System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(bytes.toString(StandardCharsets.UTF_8));
            if (m.find()) {
                port = Integer.parseInt(m.group(1));
            } else {
                Thread.sleep(10);
            }
        }
        assertTrue(port > 0, "the server announced its port: " + bytes);
        client.accept(port);
        int exit = code.get(20, TimeUnit.SECONDS); // the server ends after its one session
        return new Served(exit, bytes.toString(StandardCharsets.UTF_8), errBytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aClientMeasuresAgainstTheServer() throws Exception {
        ByteArrayOutputStream clientOut = new ByteArrayOutputStream();
        Served server = serveOnce(port -> assertEquals(0, SocketBaseline.client(List.of("--port", port.toString(), "--size", "8,4096",
                "--iterations", "200", "--warmup", "20", "--json"), new PrintStream(clientOut, true, StandardCharsets.UTF_8))));
        String json = clientOut.toString(StandardCharsets.UTF_8);
        assertTrue(json.contains("\"provider\":\"java-socket\"") || json.contains("java-socket"), json);
        assertEquals(2, json.lines().filter(l -> l.contains("\"bytes\"") || l.contains("\"size\"")).count(), json);
        assertEquals(0, server.code(), server.err());
        assertFalse(server.err().contains("session ended"), "a client that says goodbye ends its session quietly: " + server.err());
    }

    /**
     * A stream has no per-message completion: its latency columns are "-" in the table and null in JSON (the table
     * printed NaN for the percentiles, and avg_us was the inverse of the throughput, unlike perf client's).
     */
    @Test
    void aStreamReportsNoLatency() throws Exception {
        ByteArrayOutputStream table = new ByteArrayOutputStream();
        serveOnce(port -> assertEquals(0, SocketBaseline.client(List.of("--port", port.toString(), "--size", "4096",
                "--iterations", "200", "--warmup", "20", "--bandwidth"), new PrintStream(table, true, StandardCharsets.UTF_8))));
        String text = table.toString(StandardCharsets.UTF_8);
        assertFalse(text.contains("NaN"), text);
        assertTrue(Pattern.compile("(?m)^\\s+4096\\s+200\\s+-\\s+-\\s+-\\s+[0-9.]+\\s+[0-9]+$").matcher(text).find(), text);
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        serveOnce(port -> assertEquals(0, SocketBaseline.client(List.of("--port", port.toString(), "--size", "4096",
                "--iterations", "200", "--warmup", "20", "--bandwidth", "--json"), new PrintStream(json, true, StandardCharsets.UTF_8))));
        String line = json.toString(StandardCharsets.UTF_8);
        assertTrue(line.contains("\"p50_us\":null,\"p99_us\":null,\"avg_us\":null,\"mb_per_s\":"), line);
    }

    @Test
    void aMalformedRequestIsNamedAndNothingIsAllocatedForIt() throws Exception {
        Served server = serveOnce(port -> {
            try (Socket s = new Socket("127.0.0.1", port); DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
                s.setSoTimeout(20_000);
                out.writeInt(1);
                out.writeInt(Integer.MAX_VALUE); // 2 GiB per message: above the 1 GiB limit
                out.writeLong(10);
                out.flush();
                assertEquals(-1, s.getInputStream().read(), "the server closes the connection");
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals(1, server.code(), "a --once server whose session failed exits 1: " + server.err());
        assertTrue(server.err().contains("malformed request (mode 1, size 2147483647, count 10)"), server.err());
        assertTrue(server.err().contains("a size of 1..1073741824 bytes"), server.err());
    }

    @Test
    void aClientThatLeavesWithoutGoodbyeIsReportedAsSuch() throws Exception {
        Served server = serveOnce(port -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(new byte[] {0, 0});  // half a request, then the connection closes
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals(1, server.code(), "a --once server whose session failed exits 1: " + server.err());
        assertTrue(server.err().contains("client session ended: the client closed the connection without saying goodbye"), server.err());
        assertFalse(server.err().contains("null"), server.err());
        assertFalse(server.out().contains("session ended"), "session errors go to stderr: " + server.out());
    }

    /** A client that connects and says nothing is given up after the peer timeout (it held the server forever). */
    @Test
    void aSilentClientIsGivenUp() throws Exception {
        Served server = serveOnce(300, port -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(20_000);
                assertEquals(-1, s.getInputStream().read(), "the server closes the connection of a client that says nothing");
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        assertEquals(1, server.code(), server.err());
        assertTrue(server.err().contains("client session ended: the client sent nothing for 300 ms"), server.err());
    }

    /** A client against a listener that never answers gives up after the peer timeout, saying why (it hung forever). */
    @Test
    void aClientAgainstASilentServerGivesUp() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> SocketBaseline.client(
                    List.of("--port", Integer.toString(silent.getLocalPort())), new PrintStream(new ByteArrayOutputStream()), 300));
            assertTrue(e.getMessage().contains("the server sent nothing for 300 ms") && e.getMessage().contains("one at a time"),
                    e.getMessage());
        }
    }

    /**
     * A size the server's heap cannot hold is refused with an answer to the client, and the server goes on serving
     * (an OutOfMemoryError ended a long-running server). The server runs with a 32 MiB heap and is asked for 64 MiB.
     */
    @Test
    void aSizeTheServerCannotHoldIsRefusedAndTheServerGoesOn() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path log = Files.createTempFile("weft-socket-server", ".log");
        Process server = new ProcessBuilder(java, "-Xmx32m", "-cp", System.getProperty("java.class.path"), Weft.class.getName(),
                "perf", "socket-server", "--port", "0").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            int port = -1;
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); port < 0 && System.nanoTime() < end; Thread.sleep(50)) {
                Matcher m = LISTENING.matcher(Files.readString(log));
                port = m.find() ? Integer.parseInt(m.group(1)) : -1;
            }
            assertTrue(port > 0, () -> "the server did not say where it listens");
            CliTest.Result big = CliTest.weft("perf", "socket-client", "--port", Integer.toString(port), "--size", "64M",
                    "--iterations", "2", "--warmup", "0");
            assertEquals(1, big.code(), big.err());
            assertTrue(big.err().contains("the server refused size 67108864: a buffer of 67108864 bytes does not fit the server's heap"),
                    big.err());
            CliTest.Result small = CliTest.weft("perf", "socket-client", "--port", Integer.toString(port), "--size", "8",
                    "--iterations", "20", "--warmup", "0", "--json");
            assertEquals(0, small.code(), small.err() + Files.readString(log));
            assertTrue(server.isAlive(), Files.readString(log));
            String said = Files.readString(log);
            assertTrue(said.contains("refused size 67108864"), said);
            assertFalse(said.contains("OutOfMemoryError") || said.contains("session ended"), said);
        } finally {
            server.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            Files.deleteIfExists(log);
        }
    }

    @Test
    void anOversizedClientSizeIsAUsageError() {
        UsageException e = assertThrows(UsageException.class,
                () -> SocketBaseline.client(List.of("--port", "9", "--size", "2G"), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("--size 2G is out of range 1..1G"), e.getMessage());
    }

    @Test
    void aPortInUseIsNamedWithTheCause() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> SocketBaseline.server(List.of("--port", Integer.toString(taken.getLocalPort()), "--once"),
                            new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream())));
            assertTrue(e.getMessage().contains("socket-server on 127.0.0.1:" + taken.getLocalPort() + " failed: "), e.getMessage());
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertTrue(e.getMessage().contains("choose a free port"), e.getMessage());
        }
    }
}
