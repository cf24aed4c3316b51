package dev.weft.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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

    /** Runs a {@code --once} server, lets {@code client} talk to it, and returns what the server printed. */
    private static String serveOnce(Consumer<Integer> client) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        CompletableFuture<Integer> code = CompletableFuture.supplyAsync(
                () -> SocketBaseline.server(List.of("--port", "0", "--once"), out));
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
        assertEquals(0, code.get(20, TimeUnit.SECONDS), "the server ends after its one session");
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aClientMeasuresAgainstTheServer() throws Exception {
        ByteArrayOutputStream clientOut = new ByteArrayOutputStream();
        String server = serveOnce(port -> assertEquals(0, SocketBaseline.client(List.of("--port", port.toString(), "--size", "8,4096",
                "--iterations", "200", "--warmup", "20", "--json"), new PrintStream(clientOut, true, StandardCharsets.UTF_8))));
        String json = clientOut.toString(StandardCharsets.UTF_8);
        assertTrue(json.contains("\"provider\":\"java-socket\"") || json.contains("java-socket"), json);
        assertEquals(2, json.lines().filter(l -> l.contains("\"bytes\"") || l.contains("\"size\"")).count(), json);
        assertFalse(server.contains("session ended"), "a client that says goodbye ends its session quietly: " + server);
    }

    @Test
    void aMalformedRequestIsNamedAndNothingIsAllocatedForIt() throws Exception {
        String server = serveOnce(port -> {
            try (Socket s = new Socket("127.0.0.1", port); DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
                out.writeInt(1);
                out.writeInt(Integer.MAX_VALUE); // 2 GiB per message: above the 1 GiB limit
                out.writeLong(10);
                out.flush();
                assertEquals(-1, s.getInputStream().read(), "the server closes the connection");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(server.contains("malformed request (mode 1, size 2147483647, count 10)"), server);
        assertTrue(server.contains("a size of 1..1073741824 bytes"), server);
    }

    @Test
    void aClientThatLeavesWithoutGoodbyeIsReportedAsSuch() throws Exception {
        String server = serveOnce(port -> {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.getOutputStream().write(new byte[] {0, 0});  // half a request, then the connection closes
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertTrue(server.contains("client session ended: the client closed the connection without saying goodbye"), server);
        assertFalse(server.contains("null"), server);
    }

    @Test
    void anOversizedClientSizeIsAUsageError() {
        UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> SocketBaseline.client(List.of("--port", "9", "--size", "2G"), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(e.getMessage().contains("--size 2G is out of range 1..1G"), e.getMessage());
    }

    @Test
    void aPortInUseIsNamedWithTheCause() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            java.io.UncheckedIOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class,
                    () -> SocketBaseline.server(List.of("--port", Integer.toString(taken.getLocalPort()), "--once"),
                            new PrintStream(new ByteArrayOutputStream())));
            assertTrue(e.getMessage().contains("socket-server on 127.0.0.1:" + taken.getLocalPort() + " failed: "), e.getMessage());
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertTrue(e.getMessage().contains("choose a free port"), e.getMessage());
        }
    }
}
