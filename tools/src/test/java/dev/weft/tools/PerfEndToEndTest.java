package dev.weft.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code weft perf} against the TCP provider: every operation, data verified, JSON as documented. */
class PerfEndToEndTest {
    private static final Pattern JSON_LINE = Pattern.compile(
            "\\{\"provider\":\"tcp\",\"op\":\"([a-z-]+)\",\"size\":(\\d+),\"iterations\":(\\d+),\"p50_us\":([0-9.]+),"
                    + "\"p99_us\":([0-9.]+),\"avg_us\":([0-9.]+),\"mb_per_s\":([0-9.]+),\"ops_per_s\":([0-9.]+),\"bandwidth\":(true|false)}");

    private static final Pattern LISTENING = Pattern.compile("weft perf server listening on (\\S+)");

    /** A port with nothing listening on it, for a client that must find no server. */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * A {@code --once} perf server on a thread, listening on a port the system chose (port 0):
     * {@link #address} is the address it printed, {@link #uri} that with {@code parameters}. A port picked in advance
     * (bind to 0, close, pass it on) can be taken by another socket before the server binds it.
     */
    private record Server(Thread thread, String address, String uri, CompletableFuture<Integer> exit, ByteArrayOutputStream err) {
        static Server start(String parameters, String... extra) throws Exception {
            CompletableFuture<String> listening = new CompletableFuture<>();
            OutputStream lines = new OutputStream() {
                private final ByteArrayOutputStream line = new ByteArrayOutputStream();

                @Override
                public synchronized void write(int b) {
                    if (b != '\n') {
                        line.write(b);
                        return;
                    }
                    Matcher m = LISTENING.matcher(line.toString(StandardCharsets.UTF_8));
                    if (m.find()) {
                        listening.complete(m.group(1));
                    }
                    line.reset();
                }
            };
            List<String> argv = new ArrayList<>(List.of("perf", "server", "--uri", "tcp://127.0.0.1:0" + parameters, "--once"));
            argv.addAll(List.of(extra));
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread thread = new Thread(() -> {
                int code = Weft.run(argv, new PrintStream(lines, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
                exit.complete(code);
                listening.completeExceptionally(new AssertionError("the perf server ended with exit code " + code + " before it listened"));
            });
            thread.start();
            String address = listening.get(20, TimeUnit.SECONDS);
            return new Server(thread, address, address + parameters, exit, err);
        }

        void await() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(20));
        }

        /** @return the --once server's exit code, after it ended (bounded wait) */
        int exitCode() throws Exception {
            return exit.get(20, TimeUnit.SECONDS);
        }

        String said() {
            synchronized (err) {
                return err.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private static List<String[]> runClient(String uri, String... extra) {
        List<String> argv = new ArrayList<>(List.of("perf", "client", "--uri", uri, "--json", "--iterations", "300", "--warmup", "50"));
        argv.addAll(List.of(extra));
        CliTest.Result r = CliTest.weft(argv.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        List<String[]> rows = new ArrayList<>();
        for (String line : r.out().split("\n")) {
            Matcher m = JSON_LINE.matcher(line.trim());
            assertTrue(m.matches(), () -> "not a documented perf JSON line: " + line);
            String[] g = new String[m.groupCount()];
            for (int i = 0; i < g.length; i++) {
                g[i] = m.group(i + 1);
            }
            rows.add(g);
        }
        return rows;
    }

    /** Every operation in the default automatic progress and in manual progress, where only polling serves the target side. */
    @ParameterizedTest
    @CsvSource({"write,", "read,", "send,", "fetch-add,", "cmp-swap,", "write,?progress=manual", "read,?progress=manual",
            "send,?progress=manual", "fetch-add,?progress=manual"})
    @Timeout(60)
    void everyOperationRunsAndVerifies(String op, String parameters) throws Exception {
        Server server = Server.start(parameters == null ? "" : parameters, "--buffer", "1M");
        try {
            String sizes = op.contains("-") ? "8" : "1,8,4096,65536";
            List<String[]> rows = runClient(server.uri(), "--op", op, "--size", sizes);
            assertEquals(sizes.split(",").length, rows.size());
            for (String[] row : rows) {
                assertEquals(op, row[0]);
                assertEquals("300", row[2]);
                assertTrue(Double.parseDouble(row[3]) > 0 && Double.parseDouble(row[4]) >= Double.parseDouble(row[3]));
                assertTrue(Double.parseDouble(row[7]) > 0, "ops/s");
            }
        } finally {
            server.await();
        }
    }

    @Test
    @Timeout(60)
    void bandwidthModeAndTwoProcesses() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process server = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Weft.class.getName(), "perf", "server", "--uri", "tcp://127.0.0.1:0", "--once", "--buffer", "1M", "--wait", "block").redirectErrorStream(true)
                .start();
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            String first = reader.readLine();
            Matcher listening = LISTENING.matcher(first == null ? "" : first);
            assertTrue(listening.find() && listening.group(1).startsWith("tcp://127.0.0.1:"), first);
            String uri = listening.group(1);
            // both sides block in await where they only wait (tcp's default automatic progress serves the target)
            List<String[]> rows = runClient(uri, "--op", "write", "--size", "65536,1M", "--bandwidth", "--window", "16", "--wait", "block");
            assertEquals(2, rows.size());
            assertEquals("true", rows.get(0)[8]);
            assertTrue(Double.parseDouble(rows.get(1)[6]) > 1, "MB/s of 1 MiB writes");
            assertTrue(server.waitFor(20, TimeUnit.SECONDS), "the --once server exits after its client");
            String rest = new String(server.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, server.exitValue(), () -> "the --once server's one session went well; it said: " + rest);
        } finally {
            server.destroyForcibly();
        }
    }

    /**
     * A server that outlives a {@code perf scale} run (whose endpoints only write one-sided and never ask for a run)
     * serves the next client at once: each scale connection is either the one it was waiting on when the peer left
     * (one line) or closed unserved and counted, never a "session ended" error per endpoint.
     */
    @Test
    @Timeout(120)
    void aServerAfterAScaleRunServesTheNextClient() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Path log = Files.createTempFile("weft-perf-server", ".log");
        Process server = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Weft.class.getName(), "perf", "server", "--uri", "tcp://127.0.0.1:0", "--buffer", "1M").redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            String uri = null;
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20); uri == null && System.nanoTime() < end; Thread.sleep(50)) {
                Matcher listening = LISTENING.matcher(Files.readString(log));
                uri = listening.find() ? listening.group(1) : null;
            }
            assertTrue(uri != null, () -> "the server did not say where it listens");
            int endpoints = 50;
            CliTest.Result scale = CliTest.weft("perf", "scale", "--uri", uri, "--endpoints", Integer.toString(endpoints), "--seconds", "1");
            assertEquals(0, scale.code(), scale.err());
            List<String[]> rows = runClient(uri, "--op", "write", "--size", "8");
            assertEquals(1, rows.size());
            String said = Files.readString(log);
            assertFalse(said.contains("client session ended"), said);
            int left = said.split("a peer left without asking for a run", -1).length - 1;
            Matcher closed = Pattern.compile("closed (\\d+) connection\\(s\\) whose peers had left").matcher(said);
            int closedCount = 0;
            while (closed.find()) {
                closedCount += Integer.parseInt(closed.group(1));
            }
            // the first endpoint says HELLO and BYE: its session ends well; the others are closed unserved or leave
            assertEquals(endpoints - 1, left + closedCount, said);
            assertTrue(left <= 3, () -> "most scale connections were gone before the server reached them: " + said);
        } finally {
            server.destroyForcibly().waitFor();
            Files.deleteIfExists(log);
        }
    }

    @Test
    @Timeout(30)
    void clientAgainstNoServerFailsClearly() throws Exception {
        CliTest.Result r = CliTest.weft("perf", "client", "--uri", "tcp://127.0.0.1:" + freePort());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("127.0.0.1"), r.err());
    }

    /**
     * Starts a {@code --once} perf server with {@code buffer} bytes and runs {@code weft perf scale} against it; the
     * server must end with exit code 0 (scale's first endpoint says BYE, also after a refusal).
     */
    private static CliTest.Result scaleAgainstServer(String buffer, String... args) throws Exception {
        return scaleAgainstServerWith("", buffer, args);
    }

    /** @param parameters the server's URI parameters (the scale client connects to its address without them) */
    private static CliTest.Result scaleAgainstServerWith(String parameters, String buffer, String... args) throws Exception {
        Server server = Server.start(parameters, "--buffer", buffer);
        CliTest.Result r;
        try {
            List<String> argv = new ArrayList<>(List.of("perf", "scale", "--uri", server.address()));
            argv.addAll(List.of(args));
            r = CliTest.weft(argv.toArray(String[]::new));
        } finally {
            server.await();
        }
        assertEquals(0, server.exitCode(), "a --once server whose one peer was a scale run that ended well exits 0: " + server.said());
        return r;
    }

    /** {@code weft perf scale}: many endpoints of one fabric keep writes in flight; no errors, every slot read back. */
    @Test
    @Timeout(120)
    void scaleModeRunsManyEndpointsWithoutErrors() throws Exception {
        CliTest.Result r = scaleAgainstServer("1M", "--local", "tcp://127.0.0.1:0?threads=virtual",
                "--endpoints", "200", "--window", "2", "--seconds", "2", "--json");
        assertEquals(0, r.code(), r.err() + r.out());
        Matcher m = Pattern.compile("\\{\"provider\":\"tcp\",.*\"endpoints\":200,\"size\":8,\"window\":2,.*\"writes\":(\\d+),"
                + "\"errors\":0,\"ops_per_s\":\\d+,.*\"heap_bytes_per_endpoint\":\\d+,\"rss_bytes_per_endpoint\":-?\\d+,"
                + "\"threads_per_endpoint\":[0-9.]+,\"rss_mb_at_end\":\\d+}").matcher(r.out().trim());
        assertTrue(m.matches(), r.out());
        assertTrue(Long.parseLong(m.group(1)) >= 400, "every endpoint completed writes: " + r.out());
        Matcher uri = Pattern.compile("\"uri\":\"tcp://127\\.0\\.0\\.1:(\\d+)\"").matcher(r.out());
        assertTrue(uri.find() && !uri.group(1).equals("0"), "uri names the server measured against, not the client's port 0: " + r.out());
    }

    @Test
    @Timeout(60)
    void scaleModeRefusesATooSmallServerBuffer() throws Exception {
        CliTest.Result r = scaleAgainstServer("64", "--endpoints", "100", "--seconds", "1");
        assertEquals(2, r.code(), r.err());
        // the server's region is twice its --buffer: 800 bytes need --buffer 400
        assertTrue(r.err().contains("100 endpoints x 8 bytes need 800 bytes of the server's region, which holds 128 (twice its"
                + " --buffer); start it with --buffer 400 or more"), r.err());
    }

    /** A scale --size above the server's largest message is refused before any write, naming the limit (it said RESOURCE_EXHAUSTED). */
    @Test
    @Timeout(60)
    void scaleModeRefusesASizeTheConnectionDoesNotTake() throws Exception {
        CliTest.Result r = scaleAgainstServerWith("?max_message=1024", "1M", "--endpoints", "10", "--size", "4K", "--seconds", "1");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--size 4K (4096 bytes) exceeds the largest request this connection allows, 1024 bytes"), r.err());
    }

    /**
     * Every size is checked against the connection's largest message (the smaller of both sides') right after
     * connecting: no row runs, and the client says BYE, so the --once server ends well. It ran the 8-byte row and then
     * failed with "posting a request was refused: INVALID".
     */
    @Test
    @Timeout(60)
    void aSizeAboveTheServersLargestMessageFailsBeforeAnyRow() throws Exception {
        Server server = Server.start("?max_message=1024", "--buffer", "1M");
        CliTest.Result r;
        try {
            r = CliTest.weft("perf", "client", "--uri", server.address(), "--size", "8,4K", "--iterations", "100", "--json");
        } finally {
            server.await();
        }
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("--size 4K (4096 bytes) exceeds the largest request this connection allows, 1024 bytes"), r.err());
        assertEquals("", r.out().trim(), "no row ran");
        assertEquals(0, server.exitCode(), "the client said BYE: " + server.said());
    }

    /** Every size is checked against the server's buffer right after connecting (the 8-byte row ran first). */
    @Test
    @Timeout(60)
    void aSizeAboveTheServersBufferFailsBeforeAnyRow() throws Exception {
        Server server = Server.start("", "--buffer", "1K");
        CliTest.Result r;
        try {
            r = CliTest.weft("perf", "client", "--uri", server.uri(), "--size", "8,4K", "--iterations", "100", "--json");
        } finally {
            server.await();
        }
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("--size 4K (4096 bytes) does not fit the server's buffer of 1024 bytes; start the server with"
                + " --buffer 4096 or more"), r.err());
        assertEquals("", r.out().trim(), "no row ran");
        assertEquals(0, server.exitCode(), "the client said BYE, so the --once server ends well: " + server.said());
    }

    /** A second client while the server serves another is told that the server serves one at a time. */
    @Test
    @Timeout(60)
    void aSecondClientWhileTheServerIsBusyIsToldSo() throws Exception {
        Server server = Server.start("", "--buffer", "1M");
        try (dev.weft.Fabric fabric = dev.weft.Fabrics.open("tcp://127.0.0.1:0")) {
            dev.weft.Domain domain = fabric.openDomain();
            // the first peer connects and asks for nothing: the server serves it, and only it, until it leaves
            dev.weft.Endpoint first = domain.connect(dev.weft.FabricUri.parse(server.address()).withRegion(PerfCommand.REGION),
                    dev.weft.EndpointConfig.of(domain.openCompletionQueue(16)));
            CliTest.Result second = CliTest.weft("perf", "client", "--uri", server.address(), "--iterations", "10");
            assertEquals(1, second.code(), second.err());
            assertTrue(second.err().contains("RNR_RETRY_EXCEEDED") && second.err().contains("serves one client (or perf scale run) at a time"),
                    second.err());
            first.close();
        } finally {
            server.await();
        }
    }
}
