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
    static final String PACKAGES = "qemu-system-x86 busybox-static kmod iproute2 rdma-core ibverbs-providers libibverbs1 librdmacm1";

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
     * Runs a short host command and returns its output.
     *
     * @param timeoutSeconds limit
     * @param command the command
     * @return stdout and stderr
     * @throws FabricException if it fails, with its output
     */
    static String run(long timeoutSeconds, Path dir, String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("LC_ALL", "C");
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new FabricException(ErrorCode.TIMEOUT, String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new FabricException(ErrorCode.IO_ERROR, String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n" + tail(text, 20));
            }
            return text;
        } catch (IOException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "cannot run " + command[0] + ": " + e.getMessage() + "; install: apt-get install "
                    + PACKAGES, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FabricException(ErrorCode.TIMEOUT, "interrupted while running " + command[0], e);
        }
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
