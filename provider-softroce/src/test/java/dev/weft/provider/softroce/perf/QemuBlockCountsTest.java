package dev.weft.provider.softroce.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QEMU plugin that {@code scripts/perf-softroce-icount.sh} counts guest instructions with
 * ({@code src/test/c/qemu_block_counts.c}), built with gcc and loaded into a real QEMU: it counts the blocks the
 * emulated PC's firmware runs, writes them when asked, only ever more from one snapshot to the next, and refuses
 * to load without the directory it watches. Needs gcc and qemu-system-x86; required where the testbed is
 * ({@code -Dweft.softroce.required=true}, as in CI), skipped elsewhere.
 */
class QemuBlockCountsTest {
    private static final Path SOURCE = Path.of("src/test/c/qemu_block_counts.c");

    @TempDir
    Path dir;

    @Test
    void countsTheBlocksTheFirmwareRunsAndOnlyEverMore() throws Exception {
        Path plugin = build();
        Path share = Files.createDirectories(dir.resolve("share"));
        // SeaBIOS runs on the one CPU from the first instant, then waits for a boot device that never comes.
        Process qemu = start(List.of("-M", "pc", "-plugin", plugin + ",dir=" + share));
        try {
            Map<String, long[]> first = snapshot(share, 0);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int n = 1;
            while (total(first) == 0 && System.nanoTime() < deadline) { // the firmware has not started yet
                Thread.sleep(200);
                first = snapshot(share, n++);
            }
            assertTrue(total(first) > 0, "no guest code counted on CPU 0 in 20 s");
            assertTrue(first.size() > 100, "the firmware runs more than 100 distinct blocks, counted " + first.size());
            Map<String, long[]> second = snapshot(share, n);
            for (Map.Entry<String, long[]> e : first.entrySet()) {
                long[] later = second.get(e.getKey());
                assertTrue(later != null && later[0] >= e.getValue()[0] && later[1] >= e.getValue()[1],
                        "block " + e.getKey() + " counted fewer runs in a later snapshot");
            }
            assertEquals(0, second.values().stream().mapToLong(r -> r[1]).sum(), "a one-CPU guest ran code on CPU 1");
            assertTrue(qemu.isAlive(), "QEMU exited while counting");
        } finally {
            qemu.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void refusesToLoadWithoutTheDirectoryItWatches() throws Exception {
        Path plugin = build();
        Process qemu = start(List.of("-M", "none", "-plugin", plugin.toString()));
        try {
            assertTrue(qemu.waitFor(30, TimeUnit.SECONDS), "QEMU started with the plugin lacking dir=");
            String out = new String(qemu.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertNotEquals(0, qemu.exitValue(), out);
            assertTrue(out.contains("give the plugin dir=DIR"), out);
        } finally {
            qemu.destroyForcibly();
        }
    }

    /** Asks the plugin for snapshot {@code n} and parses it: "pc instructions" to runs on CPU 0 and CPU 1. */
    private static Map<String, long[]> snapshot(Path share, int n) throws Exception {
        Path trigger = share.resolve("snapshot");
        Files.createFile(trigger);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(trigger)) {
            if (System.nanoTime() > deadline) {
                fail("the plugin took no snapshot within 10 s");
            }
            Thread.sleep(10);
        }
        Map<String, long[]> rows = new HashMap<>();
        for (String line : Files.readAllLines(share.resolve("counts." + n))) {
            String[] f = line.split(" ");
            assertEquals(4, f.length, "a line is: pc instructions runs-on-cpu0 runs-on-cpu1; got " + line);
            Long.parseUnsignedLong(f[0], 16);
            assertTrue(Integer.parseInt(f[1]) > 0, "a block has at least one instruction: " + line);
            long[] runs = rows.computeIfAbsent(f[0] + " " + f[1], k -> new long[2]);
            runs[0] += Long.parseLong(f[2]);
            runs[1] += Long.parseLong(f[3]);
            assertTrue(Long.parseLong(f[2]) + Long.parseLong(f[3]) > 0, "only blocks that ran are written: " + line);
        }
        assertFalse(Files.exists(share.resolve("counts." + n + ".part")), "a partial file was left behind");
        return rows;
    }

    private static long total(Map<String, long[]> rows) {
        return rows.values().stream().mapToLong(r -> r[0]).sum();
    }

    private Process start(List<String> machine) throws IOException {
        List<String> command = new ArrayList<>(List.of("qemu-system-x86_64", "-accel", "tcg", "-display", "none",
                "-monitor", "none", "-serial", "none", "-nodefaults", "-no-reboot"));
        command.addAll(machine);
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            missing("qemu-system-x86_64 is missing: apt-get install qemu-system-x86");
            throw e;
        }
    }

    private Path build() throws Exception {
        Path lib = dir.resolve("libqemu-block-counts.so");
        Process cc;
        try {
            cc = new ProcessBuilder("gcc", "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden", "-o", lib.toString(),
                    SOURCE.toAbsolutePath().toString(), "-lpthread").redirectErrorStream(true).start();
        } catch (IOException e) {
            missing("gcc is missing: apt-get install gcc libc6-dev");
            throw e;
        }
        String out = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS), "gcc did not finish");
        assertEquals(0, cc.exitValue(), "gcc failed:\n" + out);
        return lib;
    }

    private static void missing(String what) {
        if (Boolean.getBoolean("weft.softroce.required")) {
            fail(what);
        }
        Assumptions.abort(what);
    }
}
