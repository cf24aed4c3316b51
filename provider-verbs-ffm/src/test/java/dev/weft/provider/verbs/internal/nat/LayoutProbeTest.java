package dev.weft.provider.verbs.internal.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.MemoryLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles {@code src/test/c/layout_probe.c} with gcc against the installed rdma-core headers,
 * runs it, and checks every struct size and every member offset and size it prints against the
 * Java layouts in {@link Structs}. Skipped only where gcc or the headers are missing; CI installs
 * both ({@code .ci/run}), and with {@code -Dweft.verbs.probe.required=true} a missing tool fails.
 */
class LayoutProbeTest {
    @TempDir
    Path dir;

    @Test
    void everyLayoutMatchesTheInstalledHeaders() throws Exception {
        List<String> lines = probe();
        Map<String, MemoryLayout> byName = Structs.ALL.stream()
                .collect(Collectors.toMap(l -> l.name().orElseThrow(), Function.identity()));
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (String line : lines) {
            if (line.startsWith("const ")) {
                continue; // everyConstantMatchesTheInstalledHeaders
            }
            String[] f = line.trim().split("\\s+");
            if (f.length != 3) {
                fail("unexpected probe output: " + line);
            }
            if (f[1].equals("sizeof")) {
                MemoryLayout l = byName.get(f[0]);
                if (l == null) {
                    mismatches.add(f[0] + ": no Java layout");
                } else if (l.byteSize() != Long.parseLong(f[2])) {
                    mismatches.add(f[0] + ": sizeof C " + f[2] + ", Java " + l.byteSize());
                }
            } else {
                String struct = f[0].substring(0, f[0].indexOf('.'));
                String member = f[0].substring(f[0].indexOf('.') + 1);
                MemoryLayout l = byName.get(struct);
                if (l == null) {
                    mismatches.add(struct + ": no Java layout");
                    continue;
                }
                try {
                    long offset = Structs.offset(l, member);
                    long size = Structs.member(l, member).byteSize();
                    if (offset != Long.parseLong(f[1]) || size != Long.parseLong(f[2])) {
                        mismatches.add(f[0] + ": C offset " + f[1] + " size " + f[2] + ", Java offset " + offset + " size " + size);
                    }
                } catch (IllegalArgumentException e) {
                    mismatches.add(f[0] + ": " + e.getMessage());
                }
            }
            checked++;
        }
        assertTrue(mismatches.isEmpty(), "layouts differ from the installed headers:\n" + String.join("\n", mismatches));
        assertTrue(checked > 150, "the probe printed only " + checked + " lines");
        for (MemoryLayout l : Structs.ALL) {
            assertTrue(lines.stream().anyMatch(s -> s.startsWith(l.name().orElseThrow() + " sizeof")),
                    "the probe does not check " + l.name().orElseThrow());
        }
    }

    /**
     * Every {@code int} and {@code short} constant of the bindings ({@link Ibv}, {@link RdmaCm},
     * {@link Errno}, {@link Libc}) has the value the installed headers give its C name, and the
     * probe checks each of them (a new constant without a probe line fails).
     */
    @Test
    void everyConstantMatchesTheInstalledHeaders() throws Exception {
        Map<String, Long> probed = new java.util.TreeMap<>();
        for (String line : probe()) {
            if (line.startsWith("const ")) {
                String[] f = line.trim().split("\\s+");
                probed.put(f[1], Long.parseLong(f[2]));
            }
        }
        List<String> mismatches = new ArrayList<>();
        int checked = 0;
        for (Class<?> c : List.of(Ibv.class, RdmaCm.class, Errno.class, Libc.class)) {
            for (java.lang.reflect.Field field : c.getDeclaredFields()) {
                int m = field.getModifiers();
                if (!java.lang.reflect.Modifier.isStatic(m) || !java.lang.reflect.Modifier.isFinal(m)
                        || (field.getType() != int.class && field.getType() != short.class)) {
                    continue;
                }
                field.setAccessible(true);
                long java = ((Number) field.get(null)).longValue();
                String name = c.getSimpleName() + "." + field.getName();
                Long header = probed.get(name);
                if (header == null) {
                    mismatches.add(name + ": not probed (add a K(...) line to layout_probe.c)");
                } else if (header != java) {
                    mismatches.add(name + ": header " + header + ", Java " + java);
                }
                checked++;
            }
        }
        assertTrue(mismatches.isEmpty(), "constants differ from the installed headers:\n" + String.join("\n", mismatches));
        assertTrue(checked >= 60, "only " + checked + " constants checked");
    }

    @Test
    void derivedOffsetsAreTheOnesTheProviderUses() {
        assertEquals(0, Structs.offset(Structs.IBV_WC, "wr_id"));
        assertEquals(Structs.offset(Structs.IBV_SEND_WR, "wr.rdma.remote_addr"),
                Structs.offset(Structs.IBV_SEND_WR, "wr.atomic.remote_addr"), "rdma and atomic share the union");
    }

    @Test
    void portNumReadsTheProbedMemberOfAnId() {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment id = arena.allocate(Structs.RDMA_CM_ID);
            id.set(C.U8, Structs.offset(Structs.RDMA_CM_ID, "port_num"), (byte) 2);
            assertEquals(2, RdmaCm.portNum(id));
            id.set(C.U8, Structs.offset(Structs.RDMA_CM_ID, "port_num"), (byte) 0xff);
            assertEquals(255, RdmaCm.portNum(id), "port_num is a u8");
        }
    }

    private List<String> probe() throws IOException, InterruptedException {
        Path source = Path.of("src/test/c/layout_probe.c").toAbsolutePath();
        boolean required = Boolean.getBoolean("weft.verbs.probe.required");
        boolean headers = Files.exists(Path.of("/usr/include/infiniband/verbs.h")) && Files.exists(Path.of("/usr/include/rdma/rdma_cma.h"));
        String hint = "install them with: apt-get install gcc libc6-dev libibverbs-dev librdmacm-dev";
        if (!headers) {
            if (required) {
                fail("the rdma-core headers are missing; " + hint);
            }
            Assumptions.abort("the rdma-core headers are missing; " + hint);
        }
        Path exe = dir.resolve("layout_probe");
        Process cc;
        try {
            cc = new ProcessBuilder("gcc", "-Wall", "-Werror", "-o", exe.toString(), source.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            if (required) {
                fail("gcc is missing; " + hint);
            }
            Assumptions.abort("gcc is missing; " + hint);
            throw e;
        }
        String ccOut = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(60, TimeUnit.SECONDS), "gcc did not finish");
        assertEquals(0, cc.exitValue(), "gcc failed:\n" + ccOut);
        Process run = new ProcessBuilder(exe.toString()).redirectErrorStream(true).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(run.waitFor(10, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, run.exitValue(), out);
        return out.lines().filter(s -> !s.isBlank()).toList();
    }
}
