package dev.weft.provider.softroce.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest's per-run script, run by the host's /bin/sh as in the guest, with stand-ins for {@code ip} and {@code rdma}, and how
 * its outcome is read. No VM.
 */
class GuestScriptTest {
    /** Writes guest.sh for {@code command} into {@code run} with stand-in tools, runs it, returns its exit code. */
    private static int runScript(Path run, Path workDir, boolean rdmaWorks, List<String> command) throws Exception {
        Path stubs = Files.createDirectories(run.resolve("stubs"));
        for (String tool : List.of("ip", "rdma")) {
            Path p = stubs.resolve(tool);
            Files.writeString(p, "#!/bin/sh\nexit " + (tool.equals("rdma") && !rdmaWorks ? 1 : 0) + "\n");
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        String script = Guest.script(command, workDir, Map.of("WEFT_X", "x y"), Set.of(Testbed.Device.RXE), null);
        String firstLine = script.lines().findFirst().orElseThrow();
        assertTrue(firstLine.startsWith("export PATH="), script);
        Files.writeString(run.resolve("guest.sh"), script.replace(firstLine, "export PATH=" + stubs + ":/usr/bin:/bin"));
        // /init runs it with the host root's /bin/sh (dash on Debian), by its path
        Process p = new ProcessBuilder("/bin/sh", run.resolve("guest.sh").toString()).redirectErrorStream(true)
                .redirectOutput(run.resolve("output.log").toFile()).start();
        int code = p.waitFor();
        Files.writeString(run.resolve("rc"), code + "\n");
        return code;
    }

    @Test
    void theCommandsOwnExitCodeComesWithTheStartMarker(@TempDir Path run, @TempDir Path work) throws Exception {
        int code = runScript(run, work, true, List.of("sh", "-c", "echo \"ran in $PWD with $WEFT_X\"; exit 7"));
        assertEquals(7, code, Files.readString(run.resolve("output.log")));
        assertTrue(Files.exists(run.resolve(Guest.STARTED)), "the marker is written before the command");
        String out = Files.readString(run.resolve("output.log")); // ulimit -l may complain first where this JVM lacks the privilege
        assertTrue(out.endsWith("ran in " + work + " with x y\n"), out);
        assertEquals(7, Testbed.commandExitCode(run));
    }

    @Test
    void aFailedDeviceSetupIsTheTestbedsFailureNotTheCommands(@TempDir Path run, @TempDir Path work) throws Exception {
        int code = runScript(run, work, false, List.of("true"));
        assertEquals(97, code);
        assertFalse(Files.exists(run.resolve(Guest.STARTED)));
        FabricException e = assertThrows(FabricException.class, () -> Testbed.commandExitCode(run));
        assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("rdma link add rxe0 failed") && e.getMessage().contains("exit 97"), e.getMessage());
    }

    @Test
    void aWorkingDirectoryTheGuestCannotEnterIsTheTestbedsFailure(@TempDir Path run) throws Exception {
        int code = runScript(run, run.resolve("no-such-dir"), true, List.of("true"));
        assertEquals(96, code);
        FabricException e = assertThrows(FabricException.class, () -> Testbed.commandExitCode(run));
        assertTrue(e.getMessage().contains("cannot enter the working directory"), e.getMessage());
    }

    @Test
    void aVmThatNeverRanTheScriptIsNamed(@TempDir Path run) throws Exception {
        Files.writeString(run.resolve("qemu.log"), "qemu-system-x86_64: cannot set up guest memory 'pc.ram'\n", StandardCharsets.UTF_8);
        FabricException e = assertThrows(FabricException.class, () -> Testbed.commandExitCode(run));
        assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, e.code());
        assertTrue(e.getMessage().contains("pc.ram"), e.getMessage());
    }

    @Test
    void theMarkerIsTheLastStepBeforeTheCommand() {
        List<String> lines = Guest.script(List.of("ibv_devinfo"), Path.of("/w"), Map.of(), Set.of(Testbed.Device.RXE, Testbed.Device.SIW),
                Path.of("/c/siw.ko")).lines().toList();
        int n = lines.size();
        assertEquals("exec 'ibv_devinfo'", lines.get(n - 1));
        assertTrue(lines.get(n - 2).startsWith(": > \"${0%/*}/started\""), lines.get(n - 2));
        assertTrue(lines.get(n - 3).startsWith("cd '/w'"), lines.get(n - 3));
    }

    @Test
    void anEnvironmentNameThatIsNoShellNameIsRefused() {
        for (String bad : List.of("A B", "X;rm -rf /", "1X", "", "A=B")) {
            FabricException e = assertThrows(FabricException.class,
                    () -> Guest.script(List.of("true"), Path.of("/"), Map.of(bad, "v"), Set.of(Testbed.Device.RXE), null), bad);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        }
        assertTrue(Guest.script(List.of("true"), Path.of("/"), Map.of("_OK_1", "v"), Set.of(Testbed.Device.RXE), null)
                .contains("export _OK_1="));
    }

    @Test
    void optionsOutOfRangeAreRefusedByName() {
        Testbed.Options d = Testbed.Options.defaults();
        for (Runnable bad : List.<Runnable>of(() -> d.withTimeout(java.time.Duration.ZERO), () -> d.withTimeout(null),
                () -> new Testbed.Options(d.cache(), d.timeout(), 16, d.cpus(), d.devices()),
                () -> new Testbed.Options(d.cache(), d.timeout(), d.memoryMiB(), 0, d.devices()),
                () -> new Testbed.Options(null, d.timeout(), d.memoryMiB(), d.cpus(), d.devices()))) {
            FabricException e = assertThrows(FabricException.class, bad::run);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code(), e.getMessage());
        }
    }
}
