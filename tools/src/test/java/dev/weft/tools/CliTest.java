package dev.weft.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    record Result(int code, String out, String err) {
    }

    static Result weft(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Weft.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void noArgumentsOrUnknownCommandIsAUsageError() {
        Result none = weft();
        assertEquals(2, none.code());
        assertTrue(none.err().contains("usage: weft <command>"));
        Result bogus = weft("bogus");
        assertEquals(2, bogus.code());
        assertTrue(bogus.err().contains("unknown command 'bogus'"), bogus.err());
    }

    @Test
    void everyCommandHasHelp() {
        for (String command : List.of("info", "perf", "demo", "testbed")) {
            Result r = weft("help", command);
            assertEquals(0, r.code(), command);
            assertTrue(r.out().startsWith("usage: weft " + command), r.out());
        }
        assertEquals(0, weft("help").code());
        assertEquals(2, weft("help", "nope").code());
    }

    @Test
    void wrongPerfArgumentsGiveShortUsageAndCode2() {
        Result noMode = weft("perf");
        assertEquals(2, noMode.code());
        assertTrue(noMode.err().contains("say which perf mode: server, client, scale, socket-server or socket-client"), noMode.err());
        Result noUri = weft("perf", "client");
        assertEquals(2, noUri.code());
        assertTrue(noUri.err().contains("option --uri is required") && noUri.err().contains("usage: weft perf"), noUri.err());
        assertEquals(2, weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--op", "teleport").code());
        assertEquals(2, weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--op", "fetch-add", "--size", "16").code());
        assertEquals(2, weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--size", "abc").code());
        Result tooLarge = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--size", "8,32M");
        assertEquals(2, tooLarge.code(), tooLarge.err());
        assertTrue(tooLarge.err().contains("--size 32M (33554432 bytes) exceeds") && tooLarge.err().contains("maxMessageSize 16777216")
                        && tooLarge.err().contains("measure sizes up to 16M"),
                "a size above the provider's limit (tcp: 16 MiB by default) is refused before connecting: " + tooLarge.err());
        assertEquals(2, weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--iterations", "0").code());
        assertEquals(2, weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--op", "send", "--bandwidth").code());
        Result wait = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--wait", "sometimes");
        assertEquals(2, wait.code());
        assertTrue(wait.err().contains("--wait must be spin or block"), wait.err());
        assertEquals(2, weft("perf", "client", "--uri").code());
        assertEquals(2, weft("info", "--bogus").code());
        assertEquals(2, weft("info", "extra").code());
    }

    /**
     * Words no command takes are refused, not ignored: a positional word (socket-server ran with one), words after
     * {@code --} (a client with {@code -- --op read garbage} ran a write test), an option given twice ({@code --op read
     * --op write} ran write), an option whose value is missing because the next word is another option.
     */
    @Test
    void wordsACommandDoesNotTakeAreUsageErrors() {
        // --port 99999 would be refused too, but only after the word the server ignored
        Result server = weft("perf", "socket-server", "--port", "99999", "extra", "--once");
        assertEquals(2, server.code(), server.err());
        assertTrue(server.err().contains("unexpected argument 'extra'"), server.err());
        Result client = weft("perf", "socket-client", "--port", "99999", "extra");
        assertEquals(2, client.code(), client.err());
        assertTrue(client.err().contains("unexpected argument 'extra'"), client.err());
        Result afterDashes = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--iterations", "0", "--", "--op", "read", "garbage");
        assertEquals(2, afterDashes.code(), afterDashes.err());
        assertTrue(afterDashes.err().contains("unexpected '--op' after --"), afterDashes.err());
        Result info = weft("info", "--", "junk");
        assertEquals(2, info.code(), info.err());
        assertTrue(info.err().contains("unexpected 'junk' after --"), info.err());
        Result twice = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--op", "read", "--op", "write");
        assertEquals(2, twice.code(), twice.err());
        assertTrue(twice.err().contains("option --op is given twice ('read' and 'write'); give it once"), twice.err());
        Result flagTwice = weft("info", "--json", "--json");
        assertEquals(2, flagTwice.code(), flagTwice.err());
        assertTrue(flagTwice.err().contains("option --json is given twice"), flagTwice.err());
        Result noValue = weft("perf", "client", "--uri", "--json");
        assertEquals(2, noValue.code(), noValue.err());
        assertTrue(noValue.err().contains("option --uri needs a value"), noValue.err());
    }

    /**
     * Options weft perf used to ignore are usage errors: --window without --bandwidth, a region in --uri (weft perf
     * uses /perf and replaced any other without a word).
     */
    @Test
    void perfOptionsThatWereIgnoredAreUsageErrors() {
        Result window = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--window", "8");
        assertEquals(2, window.code(), window.err());
        assertTrue(window.err().contains("--window sets how many requests a --bandwidth run keeps in flight"), window.err());
        Result client = weft("perf", "client", "--uri", "tcp://127.0.0.1:1/other");
        assertEquals(2, client.code(), client.err());
        assertTrue(client.err().contains("--uri tcp://127.0.0.1:1/other names region /other")
                && client.err().contains("drop the path: --uri tcp://127.0.0.1:1"), client.err());
        // --buffer 1 is out of range too, but the server used to take the region without a word before it checked that
        Result server = weft("perf", "server", "--uri", "tcp://127.0.0.1:0/myregion", "--buffer", "1");
        assertEquals(2, server.code(), server.err());
        assertTrue(server.err().contains("names region /myregion, but a weft perf server publishes its buffer as region /perf"), server.err());
        Result scale = weft("perf", "scale", "--uri", "tcp://127.0.0.1:1/other");
        assertEquals(2, scale.code(), scale.err());
        assertTrue(scale.err().contains("names region /other"), scale.err());
        Result perf = weft("perf", "client", "--uri", "tcp://127.0.0.1:1/perf");
        assertEquals(1, perf.code(), "/perf is the region weft perf uses anyway; nothing listens on port 1: " + perf.err());
    }

    /** A number too large for a long is out of range, said with the range, not "not a number"; garbage is not a number. */
    @Test
    void numbersBeyondALongAreOutOfRange() {
        Result iterations = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--iterations", "99999999999999999999");
        assertEquals(2, iterations.code(), iterations.err());
        assertTrue(iterations.err().contains("--iterations 99999999999999999999 is out of range 1..100000000"), iterations.err());
        Result size = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--size", "8,99999999999999999999K");
        assertEquals(2, size.code(), size.err());
        assertTrue(size.err().contains("--size 99999999999999999999K is out of range 1..1G"), size.err());
        Result scale = weft("perf", "scale", "--uri", "tcp://127.0.0.1:1", "--size", "2M");
        assertTrue(scale.err().contains("--size 2M is out of range 8..1M"), scale.err());
        Result garbage = weft("perf", "client", "--uri", "tcp://127.0.0.1:1", "--iterations", "1e6");
        assertEquals(2, garbage.code(), garbage.err());
        assertTrue(garbage.err().contains("--iterations 1e6 is not a number"), garbage.err());
    }

    /** {@code --help} or {@code -h} anywhere before {@code --} shows the command's usage on stdout and succeeds. */
    @Test
    void helpAfterASubcommandShowsTheCommandsUsage() {
        for (List<String> argv : List.of(List.of("perf", "client", "--help"), List.of("perf", "scale", "--uri", "x", "-h"),
                List.of("info", "--help"), List.of("testbed", "exec", "--help"), List.of("testbed", "info", "--help"),
                List.of("demo", "--help"))) {
            Result r = weft(argv.toArray(String[]::new));
            assertEquals(0, r.code(), argv + ": " + r.err());
            assertTrue(r.out().startsWith("usage: weft " + argv.get(0)), argv + ": " + r.out());
        }
    }

    /**
     * Inputs that used to end in a stack trace or in a run that failed after connecting are usage errors before
     * anything is opened: socket-client without --port, a scale --size that an int cast wrapped (4G read as 0), a run
     * whose time stamps would not fit the heap, a testbed timeout beyond a day.
     */
    @Test
    void inputsThatCrashedAreUsageErrors() {
        Result noPort = weft("perf", "socket-client", "--size", "8");
        assertEquals(2, noPort.code(), noPort.err());
        assertTrue(noPort.err().contains("--port is required"), noPort.err());
        Result wrapped = weft("perf", "scale", "--uri", "tcp://127.0.0.1:1", "--size", "4G");
        assertEquals(2, wrapped.code(), wrapped.err());
        assertTrue(wrapped.err().contains("--size 4G is out of range"), wrapped.err());
        long tooMany = Runtime.getRuntime().maxMemory() / 8; // 8 bytes per iteration: the whole heap
        UsageException heap = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> PerfCommand.requireHeapFor(tooMany, 0, false));
        assertTrue(heap.getMessage().contains("MiB of heap"), heap.getMessage());
        PerfCommand.requireHeapFor(100_000, 100, true); // a usual run fits
        Result longTimeout = weft("testbed", "exec", "--timeout", "10000000000", "--", "true");
        assertEquals(2, longTimeout.code(), longTimeout.err());
        assertTrue(longTimeout.err().contains("1 to 86400 seconds"), longTimeout.err());
    }

    /**
     * perf scale refuses, before it allocates or connects, what its fabric or the machine cannot hold: buffers of
     * endpoints x size x (window + 1) bytes (an OutOfMemoryError "please report it"), a completion queue of
     * endpoints x window x 2 ("completion queue depth 12800000 is out of range" after opening), more endpoints than
     * the fabric takes.
     */
    @Test
    void scaleRefusesWhatItCannotHoldBeforeItStarts() {
        long machine = 8L << 30;
        UsageException memory = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> ScaleBenchmark.requireMemoryFor(100_000, 1 << 20, "1M", 1, machine));
        assertTrue(memory.getMessage().contains("--endpoints 100000 x --size 1M x (--window 1 + 1) needs 200000 MiB of buffers")
                && memory.getMessage().contains("more than half of this machine's memory (8192 MiB)"), memory.getMessage());
        ScaleBenchmark.requireMemoryFor(1000, 8, "8", 64, machine); // a usual run fits
        Result huge = weft("perf", "scale", "--uri", "tcp://127.0.0.1:1", "--endpoints", "100000", "--size", "1M", "--window", "1");
        assertEquals(2, huge.code(), huge.err());
        assertTrue(huge.err().contains("needs 200000 MiB of buffers"), huge.err());
        Result queue = weft("perf", "scale", "--uri", "tcp://127.0.0.1:1", "--endpoints", "100000", "--window", "64");
        assertEquals(2, queue.code(), queue.err());
        assertTrue(queue.err().contains("--endpoints 100000 x --window 64 needs a completion queue of 12800000 entries")
                && queue.err().contains("maxCompletionQueueDepth 1048576") && queue.err().contains("at or below 524288"), queue.err());
        Result many = weft("perf", "scale", "--uri", "tcp://127.0.0.1:1", "--endpoints", "5000");
        assertEquals(2, many.code(), many.err());
        assertTrue(many.err().contains("--endpoints 5000 is more than tcp allows on one fabric here (maxEndpoints 4096"), many.err());
        Result size = weft("perf", "scale", "--uri", "tcp://127.0.0.1:1", "--local", "tcp://127.0.0.1:0?max_message=512", "--size", "1K");
        assertEquals(2, size.code(), size.err());
        assertTrue(size.err().contains("--size 1K (1024 bytes) exceeds the largest request tcp declares here (maxMessageSize 512"), size.err());
    }

    @Test
    void testbedShareMustBeADirectory(@TempDir Path tmp) throws IOException {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Result onFile = weft("testbed", "exec", "--share", file.toString(), "--", "true");
        assertEquals(2, onFile.code());
        assertTrue(onFile.err().contains("--share needs a directory") && onFile.err().contains("is a file"), onFile.err());
        Result noValue = weft("testbed", "exec", "--share", "--", "true");
        assertEquals(2, noValue.code());
        assertTrue(noValue.err().contains("option --share needs a value"), noValue.err());
        Result comma = weft("testbed", "exec", "--share", tmp.resolve("a,b").toString(), "--", "true");
        assertEquals(2, comma.code());
        assertTrue(comma.err().contains("cannot be given to the testbed VM"), comma.err());
        assertFalse(Files.exists(tmp.resolve("a,b")), "a refused share is not created");
        Result system = weft("testbed", "exec", "--share", "/usr/local/weft-share-test", "--", "true");
        assertEquals(2, system.code(), system.err());
        assertTrue(system.err().contains("system directory"), system.err());
        assertFalse(Files.exists(Path.of("/usr/local/weft-share-test")), "a refused share is not created");
        Path fresh = tmp.resolve("results/run1");
        assertEquals(fresh, TestbedCommand.shareDirectory(fresh.toString()));
        assertTrue(Files.isDirectory(fresh), "created");
        Result under = weft("testbed", "exec", "--share", file.resolve("sub").toString(), "--", "true");
        assertEquals(2, under.code());
        assertTrue(under.err().contains("cannot create the directory (" + file.resolve("sub") + ": Not a directory)"), under.err());
    }

    /**
     * testbed and demo read their options as every other command does: {@code --opt=value} is accepted, a missing value
     * is named as such (it was "unexpected --device; put the command after --"), an empty device list is a usage
     * error (it was exit 1), and nothing is made on disk for a run that has no command.
     */
    @Test
    void testbedAndDemoOptionsAreCheckedAsEverywhere(@TempDir Path tmp) {
        Result comma = weft("testbed", "info", "--device", ",");
        assertEquals(2, comma.code(), comma.err());
        assertTrue(comma.err().contains("--device needs device names separated by commas"), comma.err());
        Result infoEquals = weft("testbed", "info", "--device=bogus");
        assertEquals(2, infoEquals.code(), infoEquals.err());
        assertTrue(infoEquals.err().contains("unknown device \"bogus\""), infoEquals.err());
        for (String option : List.of("--device", "--timeout", "--share")) {
            Result atEnd = weft("testbed", "exec", option);
            assertEquals(2, atEnd.code(), atEnd.err());
            assertTrue(atEnd.err().contains("option " + option + " needs a value"), atEnd.err());
            Result beforeDashes = weft("testbed", "exec", option, "--", "true");
            assertEquals(2, beforeDashes.code(), beforeDashes.err());
            assertTrue(beforeDashes.err().contains("option " + option + " needs a value"), beforeDashes.err());
        }
        Result execEquals = weft("testbed", "exec", "--device=siw", "--timeout=0", "--", "true");
        assertEquals(2, execEquals.code(), execEquals.err());
        assertTrue(execEquals.err().contains("--timeout must be 1 to 86400 seconds"), execEquals.err());
        Path share = tmp.resolve("not-yet");
        Result noCommand = weft("testbed", "exec", "--share", share.toString());
        assertEquals(2, noCommand.code(), noCommand.err());
        assertTrue(noCommand.err().contains("no command"), noCommand.err());
        assertTrue(!Files.exists(share), "a run refused for its arguments makes no directory");
        Result positional = weft("testbed", "exec", "--share", share.toString(), "ibv_devinfo");
        assertEquals(2, positional.code(), positional.err());
        assertTrue(positional.err().contains("unexpected argument 'ibv_devinfo'; put the command after --"), positional.err());
        assertTrue(!Files.exists(share), "a run refused for its arguments makes no directory");
        Result demo = weft("demo", "--fail=bogus");
        assertEquals(2, demo.code(), demo.err());
        assertTrue(demo.err().contains("--fail must be interconnect or partner, not bogus"), demo.err());
        assertEquals(2, weft("demo", "--fail").code());
        assertEquals(2, weft("demo", "extra").code());
    }

    @Test
    void fileProblemsSayWhatWentWrongWhereTheJdkGivesOnlyThePath() {
        assertEquals("/x: permission denied", TestbedCommand.fileProblem(new java.nio.file.AccessDeniedException("/x")));
        assertEquals("/x: no such file or directory", TestbedCommand.fileProblem(new java.nio.file.NoSuchFileException("/x")));
        assertEquals("/x: a file of that name is in the way", TestbedCommand.fileProblem(new java.nio.file.FileAlreadyExistsException("/x")));
        assertEquals("/x: Read-only file system", TestbedCommand.fileProblem(new java.nio.file.FileSystemException("/x", null, "Read-only file system")));
        assertEquals("disk on fire", TestbedCommand.fileProblem(new IOException("disk on fire")));
    }

    @Test
    void badUriIsAFailureWithTheParsersMessage() {
        Result r = weft("perf", "client", "--uri", "tcp://host:99999");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("port 99999 is out of range") && r.err().contains("INVALID_URI"), r.err());
        Result unknown = weft("perf", "server", "--uri", "nope://h:1");
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("no provider serves scheme \"nope\""), unknown.err());
        Result derived = weft("perf", "client", "--uri", "tcp://127.0.0.1:7471?timeout=abc");
        assertEquals(1, derived.code());
        assertTrue(derived.err().contains("cannot open the client's own fabric tcp://127.0.0.1:0?timeout=abc, which is --uri with port 0")
                && derived.err().contains("timeout=abc") && derived.err().contains("--local URI"), derived.err());
    }

    @Test
    void sizesAcceptSuffixes() {
        assertEquals(64 * 1024, Args.parseSize("size", "64K"));
        assertEquals(1 << 20, Args.parseSize("size", "1m"));
        assertEquals(8, Args.parseSize("size", "8"));
    }

    @Test
    void jsonWriterEscapes() {
        java.util.Map<String, Object> map = new java.util.LinkedHashMap<>();
        map.put("a", "x\"y\n");
        map.put("b", java.util.Arrays.asList(1, true, null));
        map.put("c", 1.5);
        assertEquals("{\"a\":\"x\\\"y\\n\",\"b\":[1,true,null],\"c\":1.500}", Json.write(map));
    }

    @Test
    void latencyPercentilesUseNearestRank() {
        LatencyStats stats = new LatencyStats(100);
        for (int i = 100; i >= 1; i--) {
            stats.record(i * 1000L);
        }
        stats.finish();
        assertEquals(50.0, stats.percentileMicros(0.50));
        assertEquals(99.0, stats.percentileMicros(0.99));
        assertEquals(50.5, stats.averageMicros());
    }
}
