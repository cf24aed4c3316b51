package dev.weft.provider.softroce.internal;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a host tool to its end under a time limit: the one way this module starts a short-lived host command
 * ({@code rdma link add} for {@code softroce://}, {@code apt-get download}, {@code modinfo} and the like for the
 * testbed). Internal: not exported.
 *
 * <p>Thread-safe; every method blocks the calling thread for at most about the limit it is given.
 */
public final class HostCommand {
    private HostCommand() {
    }

    /**
     * How a command ended.
     *
     * @param exit its exit status
     * @param output its stdout and stderr, interleaved
     */
    public record Result(int exit, String output) {
    }

    /**
     * Runs {@code command} to its end. The output goes to a temporary file, not a pipe, so the limit counts however
     * much the command writes, and a process it leaves behind holding its output open does not hold up this call. At
     * the limit, or when the calling thread is interrupted, the command and every process it started are killed (and
     * the command waited for) before this returns. A non-zero exit is the caller's to judge.
     *
     * @param timeoutSeconds the longest the command may run
     * @param dir its working directory, or null for this process's
     * @param missingHint what to install when the command cannot be started, e.g. {@code apt-get install iproute2}
     * @param command the command and its arguments
     * @return its exit status and output
     * @throws FabricException PROVIDER_UNAVAILABLE if it cannot be started (with {@code missingHint}); TIMEOUT naming
     *     the command, the limit and its last output; TIMEOUT with cause {@link InterruptedException} (interrupt status
     *     kept) if the thread was interrupted; IO_ERROR if its output cannot be kept or read
     */
    public static Result run(long timeoutSeconds, Path dir, String missingHint, String... command) {
        return run(timeoutSeconds, dir, null, missingHint, command);
    }

    /**
     * Runs {@code command} to its end as {@link #run(long, Path, String, String...)} does, with its output kept in
     * {@code log} (replaced if it exists) for the user to read afterwards, e.g. a build's log; a timeout's message names
     * the file.
     *
     * @param log where the output goes and stays; null for a temporary file deleted before this returns
     */
    public static Result run(long timeoutSeconds, Path dir, Path log, String missingHint, String... command) {
        String what = String.join(" ", command);
        Path out = log;
        Process p = null;
        try {
            if (out == null) {
                out = Files.createTempFile("weft-host-command-", ".log");
            } else {
                Files.newOutputStream(out).close(); // a log that cannot be written is this call's IO_ERROR, not a missing command
            }
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("LC_ALL", "C");
            try {
                p = pb.start();
            } catch (IOException notStarted) {
                throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot run " + command[0] + " (" + notStarted.getMessage()
                        + "); " + missingHint, notStarted);
            }
            p.getOutputStream().close(); // no input: a command that reads stdin sees its end
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                killTree(p);
                throw new FabricException(ErrorCode.TIMEOUT, what + " did not finish within " + timeoutSeconds
                        + " s and was killed with the processes it started; run it by hand to see where it hangs. Its last output"
                        + (log == null ? "" : " (all of it in " + log + ")") + ":\n" + tail(read(out), 20));
            }
            return new Result(p.exitValue(), read(out));
        } catch (IOException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "cannot keep or read the output of " + what + " in "
                    + (log == null ? "a temporary file (" + e.getMessage() + "); check java.io.tmpdir" : log + " (" + e.getMessage() + ")"), e);
        } catch (InterruptedException e) {
            killTree(p);
            Thread.currentThread().interrupt();
            throw new FabricException(ErrorCode.TIMEOUT, "interrupted while " + what + " ran (the calling thread's interrupt, e.g."
                    + " Ctrl-C in a test runner or a cancelled task); it was killed, and the thread's interrupt status is kept", e);
        } finally {
            if (out != null && log == null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a small file left in the temporary directory
                }
            }
        }
    }

    /**
     * Kills a process and every process it started (SIGKILL), then waits up to 10 s in all for them to end, so that
     * nothing they write races a clean-up that follows. The descendants are listed before the process dies (afterwards
     * they are no longer its descendants). Keeps the calling thread's interrupt status; waits even when it is set.
     *
     * @param p the process, or null (nothing to do)
     */
    public static void killTree(Process p) {
        if (p == null) {
            return;
        }
        List<ProcessHandle> started = p.descendants().toList();
        p.destroyForcibly();
        started.forEach(ProcessHandle::destroyForcibly);
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        List<ProcessHandle> all = new ArrayList<>(started.size() + 1);
        all.add(p.toHandle());
        all.addAll(started);
        try {
            for (ProcessHandle h : all) {
                while (h.isAlive() && System.nanoTime() < deadline) {
                    try {
                        if (h.equals(p.toHandle())) {
                            p.waitFor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                        } else {
                            Thread.sleep(10); // not our child: the kernel reaps it for its new parent
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** @return the last {@code lines} lines of {@code text} */
    public static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }
}
