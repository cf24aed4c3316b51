package dev.weft.provider.softroce.testbed;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.softroce.internal.HostCommand;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
     * Runs a host command to its end ({@link HostCommand#run}: under the limit, killed with what it started at the
     * limit or an interrupt) and returns its output; a non-zero exit is a failure.
     *
     * <p>Blocks the calling thread for at most about {@code timeoutSeconds}; thread-safe.
     *
     * @param timeoutSeconds the longest the command may run
     * @param dir its working directory, or null for this process's
     * @param command the command and its arguments
     * @return stdout and stderr, interleaved
     * @throws FabricException IO_ERROR if it fails (with its output's tail), PROVIDER_UNAVAILABLE if it is not installed,
     *     TIMEOUT naming the command and the limit, or TIMEOUT with cause {@link InterruptedException} (interrupt status
     *     kept) if the thread was interrupted
     */
    static String run(long timeoutSeconds, Path dir, String... command) {
        HostCommand.Result r = HostCommand.run(timeoutSeconds, dir, "install: apt-get install " + PACKAGES, command);
        if (r.exit() != 0) {
            throw new FabricException(ErrorCode.IO_ERROR, String.join(" ", command) + " failed (exit " + r.exit() + "):\n"
                    + HostCommand.tail(r.output(), 20));
        }
        return r.output();
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

    /** @return the user's cache directory for Weft ({@code $XDG_CACHE_HOME/weft} or {@code ~/.cache/weft}) */
    static Path cacheHome() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("weft");
    }
}
