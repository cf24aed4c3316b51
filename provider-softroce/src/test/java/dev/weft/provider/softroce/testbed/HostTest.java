package dev.weft.provider.softroce.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.softroce.internal.HostCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Host#run}: limits that hold, and no process left behind. Host processes only (sh, sleep); no VM. */
class HostTest {
    @Test
    void aCommandPastItsLimitIsKilledAndNamed() {
        long t0 = System.nanoTime();
        FabricException e = assertThrows(FabricException.class, () -> Host.run(1, null, "sh", "-c", "echo started; sleep 8"));
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage());
        assertTrue(seconds < 5, "the limit of 1 s held (took " + seconds + " s)");
        assertTrue(e.getMessage().contains("sh -c echo started; sleep 8") && e.getMessage().contains("1 s"), e.getMessage());
        assertTrue(e.getMessage().contains("started"), "the output so far is shown: " + e.getMessage());
    }

    @Test
    void aChildLeftRunningWithTheOutputOpenDoesNotHoldTheCall() {
        long t0 = System.nanoTime();
        String out = Host.run(30, null, "sh", "-c", "sleep 8 & echo done");
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertEquals("done\n", out);
        assertTrue(seconds < 4, "returned when the command ended, not when its background child did (took " + seconds + " s)");
    }

    @Test
    void theLimitKillsWhatTheCommandStarted(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("pid");
        assertThrows(FabricException.class, () -> Host.run(1, dir, "sh", "-c", "sleep 8 & echo $! > pid; wait"));
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the command's child was killed too");
    }

    @Test
    void anInterruptKillsTheCommandAndSaysSo(@TempDir Path dir) throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Host.run(60, dir, "sh", "-c", "echo $$ > pid; exec sleep 8");
            } catch (Throwable e) {
                thrown.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        long t0 = System.nanoTime();
        t.start();
        Path pidFile = dir.resolve("pid");
        while (!Files.exists(pidFile) || Files.size(pidFile) == 0) {
            Thread.sleep(20);
        }
        t.interrupt();
        t.join(20_000);
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        assertTrue(seconds < 5, "the interrupt ended the call (took " + seconds + " s)");
        FabricException e = assertInstanceOf(FabricException.class, thrown.get());
        assertEquals(ErrorCode.TIMEOUT, e.code(), "an interrupted wait is TIMEOUT, as everywhere in the API: " + e.getMessage());
        assertInstanceOf(InterruptedException.class, e.getCause());
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
        assertTrue(stillInterrupted.get(), "the interrupt status is kept");
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the command was killed");
    }

    @Test
    void aFailureCarriesTheExitCodeAndOutput() {
        FabricException e = assertThrows(FabricException.class, () -> Host.run(10, null, "sh", "-c", "echo why; exit 3"));
        assertEquals(ErrorCode.IO_ERROR, e.code());
        assertTrue(e.getMessage().contains("exit 3") && e.getMessage().contains("why"), e.getMessage());
    }

    @Test
    void aMissingToolIsUnavailableAndSaysWhatToInstall() {
        FabricException e = assertThrows(FabricException.class, () -> Host.run(10, null, "weft-no-such-tool", "--version"));
        assertEquals(ErrorCode.PROVIDER_UNAVAILABLE, e.code(), "a testbed without its tools cannot start: " + e.getMessage());
        assertTrue(e.getMessage().contains("weft-no-such-tool") && e.getMessage().contains("apt-get install"), e.getMessage());
    }

    @Test
    void aKeptLogHoldsTheWholeOutputAndATimeoutNamesIt(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("build.log");
        Files.writeString(log, "an earlier build's log\n");
        HostCommand.Result r = HostCommand.run(10, null, log, "apt-get install make", "sh", "-c", "echo one; echo two >&2; exit 2");
        assertEquals(2, r.exit());
        assertEquals("one\ntwo\n", r.output());
        assertEquals("one\ntwo\n", Files.readString(log), "the log is replaced and kept after the call");

        FabricException e = assertThrows(FabricException.class,
                () -> HostCommand.run(1, null, log, "apt-get install make", "sh", "-c", "echo compiling; sleep 8"));
        assertEquals(ErrorCode.TIMEOUT, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains(log.toString()) && e.getMessage().contains("compiling"), e.getMessage());
        assertEquals("compiling\n", Files.readString(log), "the log stays for the user to read");
    }

    @Test
    void aLogThatCannotBeWrittenIsAnIoErrorNamingIt(@TempDir Path dir) {
        Path log = dir.resolve("no-such-directory").resolve("build.log");
        FabricException e = assertThrows(FabricException.class, () -> HostCommand.run(10, null, log, "apt-get install make", "true"));
        assertEquals(ErrorCode.IO_ERROR, e.code(), "not a missing command: " + e.getMessage());
        assertTrue(e.getMessage().contains(log.toString()), e.getMessage());
    }
}
