package dev.weft.provider.softroce.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host paths handed to the VM, and how /init reads them back. No VM. */
class VmPathTest {
    @Test
    void pathsTheVmCannotTakeAreRefusedByName() {
        for (String bad : List.of("/tmp/a b", "/tmp/a,b", "/tmp/a\tb", "/tmp/it's", "/tmp/\"q\"", "/tmp/*", "/tmp/$HOME", "/tmp/ü")) {
            FabricException e = assertThrows(FabricException.class, () -> Testbed.requireVmSafePath("the share", Path.of(bad)), bad);
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("the share \"" + bad + "\"") && e.getMessage().contains("letters, digits"), e.getMessage());
        }
        for (String good : List.of("/", "/tmp/weft-testbed-123", "/home/a.b/c_d/e+f-g")) {
            Testbed.requireVmSafePath("the share", Path.of(good));
        }
    }

    /** The lines of /init that read the kernel command line, run by busybox sh on a stand-in for /proc/cmdline. */
    @Test
    void initReadsThePathsFromTheKernelCommandLine(@TempDir Path dir) throws Exception {
        Path busybox = Path.of("/bin/busybox");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(busybox), "busybox is not installed");
        Path cmdline = dir.resolve("cmdline");
        Files.writeString(cmdline, Testbed.KERNEL_COMMAND_LINE + " weft.run=/tmp/weft-testbed-42 weft.share=/work/out+1\n");
        StringBuilder script = new StringBuilder();
        for (String line : Guest.INIT.lines().toList()) {
            if (line.contains("/proc/cmdline")) {
                script.append(line.replace("/proc/cmdline", cmdline.toString())).append('\n');
            }
        }
        script.append("echo \"[$run] [$share]\"\n");
        Process p = new ProcessBuilder(busybox.toString(), "sh", "-c", script.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertEquals("[/tmp/weft-testbed-42] [/work/out+1]\n", out);
        Files.writeString(cmdline, Testbed.KERNEL_COMMAND_LINE + " weft.run=/tmp/weft-testbed-43\n");
        p = new ProcessBuilder(busybox.toString(), "sh", "-c", script.toString()).redirectErrorStream(true).start();
        out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        assertEquals("[/tmp/weft-testbed-43] []\n", out, "no share: nothing to mount");
    }

    @Test
    void aShareMayNotOpenSystemDirectoriesToTheCommand() {
        Path tmp = Path.of("/tmp");
        for (String bad : List.of("/", "/etc", "/usr/lib", "/home", "/home/alice", "/tmp", "/var", "/var/lib", "/var/lib/dpkg", "/var/lib/jenkins", "/var/lib/dpkg/info", "/var/log/app", System.getProperty("user.home"))) {
            FabricException e = assertThrows(FabricException.class, () -> Testbed.requireNotSystemDirectory(Path.of(bad), tmp), bad);
            assertTrue(e.getMessage().contains(bad), e.getMessage());
        }
        for (String good : List.of("/tmp/results", "/home/user/project/target/out", "/var/lib/jenkins/workspace/x")) {
            Testbed.requireNotSystemDirectory(Path.of(good), tmp);
        }
    }

    @Test
    void aLinkToASystemDirectoryIsRefusedAsThatDirectory(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path link = Files.createSymbolicLink(dir.resolve("etc-link"), Path.of("/etc"));
        FabricException e = assertThrows(FabricException.class, () -> Testbed.checkShare(link));
        assertTrue(e.getMessage().contains("system"), e.getMessage());
        Testbed.checkShare(dir.resolve("results")); // a directory of its own, not made yet
    }

    @Test
    void initIsValidBusyboxShell() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(busybox), "busybox is not installed");
        Process p = new ProcessBuilder(busybox.toString(), "sh", "-n", "-c", Guest.INIT).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), out);
        for (String line : Guest.INIT.lines().toList()) {
            assertTrue(!line.matches(".*[^\"]/newroot\\$\\w+.*"), "every /newroot$var is quoted: " + line);
        }
    }
}
