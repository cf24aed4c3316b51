package dev.weft.provider.softroce.testbed;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small host facts and process helpers for the testbed. */
final class Host {
    private Host() {
    }

    /** The Debian packages the testbed needs, as one install line. */
    static final String PACKAGES = "qemu-system-x86 busybox-static kmod iproute2 rdma-core ibverbs-providers libibverbs1 librdmacm1 util-linux";

    /** @return the first executable named {@code name} on PATH (plus sbin directories), or null */
    static Path which(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")));
        dirs.addAll(List.of("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        for (String d : dirs) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** @return whether the ELF file at {@code p} is statically linked (has no PT_INTERP) */
    static boolean isStaticElf(Path p) {
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "r")) {
            byte[] ident = new byte[16];
            f.readFully(ident);
            if (ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F' || ident[4] != 2 || ident[5] != 1) {
                return false; // not a little-endian 64-bit ELF
            }
            f.seek(32);
            long phoff = Long.reverseBytes(f.readLong());
            f.seek(54);
            int phentsize = Short.toUnsignedInt(Short.reverseBytes(f.readShort()));
            int phnum = Short.toUnsignedInt(Short.reverseBytes(f.readShort()));
            for (int i = 0; i < phnum; i++) {
                f.seek(phoff + (long) i * phentsize);
                if (Integer.reverseBytes(f.readInt()) == 3) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Runs a host command to its end and returns its output. The output goes to a temporary file, not a pipe, so the
     * limit counts however much the command writes, and a process it leaves behind holding its output open does not
     * hold up this call. At the limit, or when the calling thread is interrupted, the command and every process it
     * started are killed (and the command waited for) before this returns.
     *
     * <p>Blocks the calling thread for at most about {@code timeoutSeconds}; thread-safe.
     *
     * @param timeoutSeconds the longest the command may run
     * @param dir its working directory, or null for this process's
     * @param command the command and its arguments
     * @return stdout and stderr, interleaved
     * @throws FabricException IO_ERROR if it fails (with its output's tail), TIMEOUT naming the command and the limit,
     *     or TIMEOUT with cause {@link InterruptedException} (interrupt status kept) if the thread was interrupted
     */
    static String run(long timeoutSeconds, Path dir, String... command) {
        String what = String.join(" ", command);
        Path out = null;
        Process p = null;
        try {
            out = Files.createTempFile("weft-host-command-", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("LC_ALL", "C");
            p = pb.start();
            p.getOutputStream().close(); // no input: a command that reads stdin sees its end
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                killTree(p);
                throw new FabricException(ErrorCode.TIMEOUT, what + " did not finish within " + timeoutSeconds
                        + " s and was killed with the processes it started; run it by hand to see where it hangs. Its last output:\n"
                        + tail(read(out), 20));
            }
            String text = read(out);
            if (p.exitValue() != 0) {
                throw new FabricException(ErrorCode.IO_ERROR, what + " failed (exit " + p.exitValue() + "):\n" + tail(text, 20));
            }
            return text;
        } catch (IOException e) {
            if (p == null) {
                throw new FabricException(ErrorCode.IO_ERROR, "cannot run " + command[0] + ": " + e.getMessage() + "; install: apt-get install "
                        + PACKAGES, e);
            }
            throw new FabricException(ErrorCode.IO_ERROR, "cannot read the output of " + what + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            killTree(p);
            Thread.currentThread().interrupt();
            throw interrupted("while " + what + " ran; it was killed", e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // a small file left in the temporary directory
                }
            }
        }
    }

    /**
     * @param what what was going on, e.g. "while apt-get ran"
     * @param cause the interruption
     * @return the exception for a run the calling thread's interrupt cancelled: TIMEOUT, as the API answers an
     *     interrupted wait everywhere ({@code Domain.connect}), with the {@link InterruptedException} as its cause and a
     *     message that says it was an interrupt
     */
    static FabricException interrupted(String what, InterruptedException cause) {
        return new FabricException(ErrorCode.TIMEOUT, "the testbed was interrupted " + what
                + " (the calling thread's interrupt, e.g. Ctrl-C in a test runner or a cancelled task)", cause);
    }

    /**
     * Kills a process and every process it started (SIGKILL), then waits up to 10 s for them to end, so that nothing
     * they write races a clean-up that follows. The descendants are listed before the process dies (afterwards they
     * are no longer its descendants). Keeps the calling thread's interrupt status; waits even when it is set.
     *
     * @param p the process, or null (nothing to do)
     */
    static void killTree(Process p) {
        if (p == null) {
            return;
        }
        List<ProcessHandle> started = p.descendants().toList();
        p.destroyForcibly();
        started.forEach(ProcessHandle::destroyForcibly);
        boolean interrupted = Thread.interrupted();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try {
            for (ProcessHandle h : concat(p.toHandle(), started)) {
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

    private static List<ProcessHandle> concat(ProcessHandle first, List<ProcessHandle> rest) {
        List<ProcessHandle> all = new ArrayList<>(rest.size() + 1);
        all.add(first);
        all.addAll(rest);
        return all;
    }

    private static String read(Path file) throws IOException {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    }

    /** @return the last {@code lines} lines of {@code text} */
    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** @return the user's cache directory for Weft ({@code $XDG_CACHE_HOME/weft} or {@code ~/.cache/weft}) */
    static Path cacheHome() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("weft");
    }
}
