package dev.weft.provider.softroce.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The testbed itself: archive format, scripts, and real VM runs (exit codes, output, timeouts, cleanup). */
class TestbedTest {
    @Test
    void cpioIsReadableByBusybox(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/bin/busybox")), "busybox is not installed");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (Cpio cpio = new Cpio(bytes)) {
            cpio.directory("bin");
            cpio.file("bin/hello", 0755, "echo hi\n".getBytes(StandardCharsets.UTF_8));
            cpio.file("odd-length-name", 0644, new byte[] {1, 2, 3});
        }
        Path archive = dir.resolve("a.cpio");
        Files.write(archive, bytes.toByteArray());
        Process p = new ProcessBuilder("/bin/busybox", "cpio", "-i", "-d", "-F", archive.toString()).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertEquals("echo hi\n", Files.readString(dir.resolve("bin/hello")));
        assertTrue(Files.isExecutable(dir.resolve("bin/hello")));
        assertEquals(3, Files.size(dir.resolve("odd-length-name")));
    }

    @Test
    void scriptQuotesEveryArgument() {
        String s = Guest.script(List.of("echo", "it's", "$HOME", "a b"), Path.of("/work dir"), Map.of("K", "v'1"), java.util.Set.of(Testbed.Device.RXE), null);
        assertTrue(s.contains("exec 'echo' 'it'\\''s' '$HOME' 'a b'"), s);
        assertTrue(s.contains("cd '/work dir'"), s);
        assertTrue(s.contains("export K='v'\\''1'"), s);
        assertTrue(s.contains("rdma link add rxe0 type rxe netdev dummy0"), s);
    }

    @Test
    void staticElfDetection() {
        Assumptions.assumeTrue(Files.exists(Path.of("/bin/busybox")) && Files.exists(Path.of("/bin/ls")));
        assertFalse(Host.isStaticElf(Path.of("/bin/ls")), "ls is dynamically linked");
        assertFalse(Host.isStaticElf(Path.of("/etc/hostname")), "not an ELF file");
    }

    @Test
    void describeNamesModeCacheAndMissingPackages() {
        String d = Testbed.create().describe();
        assertTrue(d.contains("mode") || d.contains("host") || d.contains("guest"), d);
        if (d.contains("QEMU")) {
            assertTrue(d.contains("cache") && d.contains("missing") && d.contains("192.0.2.1"), d);
        }
    }

    /**
     * A run folder stays while its JVM lives, whatever else happens, and the next sweep removes it once that JVM was
     * killed with SIGKILL (no shutdown hook ran): the owner is a second JVM holding the folder's lock as a run does.
     */
    @Test
    void runFoldersOfAKilledJvmAreRemovedAndOthersKept(@TempDir Path tmp) throws Exception {
        Path holder = tmp.resolve("HoldRunFolder.java");
        Files.writeString(holder, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class HoldRunFolder {
                    public static void main(String[] a) throws Exception {
                        Path folder = Files.createDirectory(Path.of(a[0]));
                        Path fresh = folder.resolve("owner.lock.new");
                        FileChannel c = FileChannel.open(fresh, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                        c.lock();
                        Files.move(fresh, folder.resolve("owner.lock"), StandardCopyOption.ATOMIC_MOVE);
                        System.out.println("LOCKED");
                        Thread.sleep(120_000);
                    }
                }
                """);
        Path other = tmp.resolve(RunFolder.PREFIX + "other-jvm");
        Process owner = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), holder.toString(), other.toString())
                .redirectErrorStream(true).start();
        try (RunFolder mine = RunFolder.create(tmp)) {
            String said = new java.io.BufferedReader(new java.io.InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertEquals("LOCKED", said, "the owner JVM locked its folder");
            Path noLock = Files.createDirectory(tmp.resolve(RunFolder.PREFIX + "older-version"));
            Path notOurs = Files.createDirectory(tmp.resolve("someone-else"));
            Files.writeString(notOurs.resolve(RunFolder.OWNER_LOCK), "1\n");

            assertEquals(0, RunFolder.removeOrphans(tmp));
            assertTrue(Files.isDirectory(other), "a living JVM's folder is kept");
            assertTrue(Files.isDirectory(mine.path()), "this JVM's folder is kept (and its lock not dropped by the sweep)");
            assertTrue(Files.isDirectory(noLock), "a folder without a lock file is not touched");
            assertTrue(Files.isDirectory(notOurs), "only weft-testbed-* folders are looked at");

            owner.destroyForcibly(); // SIGKILL: no hook runs, the kernel drops the lock
            owner.waitFor();
            assertEquals(1, RunFolder.removeOrphans(tmp));
            assertFalse(Files.exists(other), "the killed JVM's folder is removed");
            assertTrue(Files.isDirectory(mine.path()), "this JVM's folder is still kept");
            assertEquals(0, RunFolder.removeOrphans(tmp.resolve("no-such-directory")));
        } finally {
            owner.destroyForcibly();
        }
    }

    @Test
    void emptyCommandIsRefused() {
        FabricException e = assertThrows(FabricException.class, () -> Testbed.create().exec(List.of(), Path.of("."), Map.of(), null, null));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    private static Testbed vmOrSkip(Duration timeout) {
        return SoftRoceExtension.prepareOrSkip(Testbed.create(Testbed.Options.defaults().withTimeout(timeout)), "a testbed VM run");
    }

    @Test
    void runsACommandWithItsExitCodeOutputAndDevice(@TempDir Path share, @TempDir Path work) throws Exception {
        Testbed t = vmOrSkip(Duration.ofMinutes(3));
        Files.writeString(work.resolve("marker"), "host file under /tmp\n");
        List<String> lines = new ArrayList<>();
        Testbed.Result r = t.exec(List.of("sh", "-c", "rdma link show; cat marker; echo result > " + share + "/file; echo $WEFT_X; exit 7"),
                work, Map.of("WEFT_X", "passed through"), share, lines::add);
        assertTrue(r.output().contains("host file under /tmp"), "the guest sees host paths, /tmp included: " + r.output());
        assertEquals(7, r.exitCode(), r.output());
        assertTrue(r.output().contains("rxe0") && r.output().contains("dummy0"), r.output());
        assertTrue(r.output().contains("passed through"), r.output());
        assertEquals("result\n", Files.readString(share.resolve("file")), "the share is writable and visible on the host");
        assertTrue(lines.contains("passed through"), "output is streamed line by line: " + lines);
    }

    @Test
    void aHungGuestIsKilledAtTheTimeout() throws Exception {
        Assumptions.assumeFalse(Testbed.hostHasRxe() || Testbed.insideGuest(), "runs only where the testbed boots a VM");
        Testbed t = vmOrSkip(Duration.ofSeconds(25));
        long before = qemuProcesses();
        FabricException e = assertThrows(FabricException.class,
                () -> t.exec(List.of("sleep", "600"), Path.of("/"), Map.of(), null, null));
        assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("console"), e.getMessage());
        Thread.sleep(500);
        assertEquals(before, qemuProcesses(), "no VM process outlives exec");
    }

    /** @return this JVM's QEMU processes (another testbed run on the host, a CI job's or a developer's, is not counted) */
    private static long qemuProcesses() {
        return ProcessHandle.current().descendants().filter(p -> p.info().command().orElse("").endsWith("qemu-system-x86_64")).count();
    }
}
