package dev.weft.provider.softroce.testbed;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.softroce.internal.HostCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.Consumer;

/**
 * The Soft-iWARP module ({@code siw.ko}) for the testbed's kernel. Debian's kernel does not ship
 * it, so it is built once, out of tree, from Debian's {@code linux-source-6.1} against the
 * {@code linux-headers} package of exactly the kernel the testbed boots, and cached beside that
 * kernel with its build log. Both packages must be installed at the image's Debian version; a
 * missing package, a version mismatch, a failed build or a module whose vermagic is not the
 * kernel's each fail with the cause and the command that fixes it.
 */
final class SiwModule {
    /** Where Debian's {@code linux-source-6.1} puts its tarball. */
    static final Path SOURCE = Path.of("/usr/src/linux-source-6.1.tar.xz");
    private static final String SOURCE_PACKAGE = "linux-source-6.1";
    private static final String SIW_DIR = "linux-source-6.1/drivers/infiniband/sw/siw";

    private SiwModule() {
    }

    /** @return the cached module of this kernel image (it may not be built yet) */
    static Path of(KernelImage kernel) {
        return kernel.directory.resolve("siw.ko");
    }

    /** @return the build log kept beside the module */
    static Path buildLog(KernelImage kernel) {
        return kernel.directory.resolve("siw-build.log");
    }

    /**
     * Builds {@code siw.ko} for a prepared kernel image unless it is cached.
     *
     * @param kernel the testbed's kernel (prepared)
     * @param log progress lines
     * @return the module
     */
    static Path prepare(KernelImage kernel, Consumer<String> log) {
        Path module = of(kernel);
        if (Files.exists(module)) {
            return module;
        }
        String release = kernel.release();
        String version = imageVersion(kernel.packageName);
        String headersPackage = "linux-headers-" + release;
        String install = "apt-get install " + headersPackage + "=" + version + " " + SOURCE_PACKAGE + "=" + version;
        requireInstalled(headersPackage, version, install);
        requireInstalled(SOURCE_PACKAGE, version, install);
        Path headers = Path.of("/usr/src", headersPackage);
        if (!Files.isDirectory(headers) || !Files.exists(SOURCE)) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "Soft-iWARP needs " + headers + " and " + SOURCE
                    + " (the packages are registered but their files are missing); reinstall them: " + install);
        }
        if (Host.which("make") == null || Host.which("gcc") == null) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "building siw.ko needs make and gcc; apt-get install make gcc");
        }
        log.accept("testbed: building siw.ko for " + release + " from " + SOURCE_PACKAGE + " " + version + " (once; cached in "
                + kernel.directory + ")");
        Path work = null;
        try {
            work = Files.createTempDirectory(kernel.directory, "siw-build");
            Host.run(300, work, "tar", "-xJf", SOURCE.toString(), SIW_DIR);
            Path dir = work.resolve(SIW_DIR);
            HostCommand.Result make = HostCommand.run(600, null, buildLog(kernel), "apt-get install make gcc",
                    "make", "-C", headers.toString(), "M=" + dir, "CONFIG_RDMA_SIW=m", "modules");
            Path built = dir.resolve("siw.ko");
            if (make.exit() != 0 || !Files.exists(built)) {
                throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "building siw.ko failed (make exit " + make.exit()
                        + "); the log is kept in " + buildLog(kernel) + ":\n" + HostCommand.tail(make.output(), 15));
            }
            String vermagic = Host.run(30, null, "modinfo", "-F", "vermagic", built.toString()).trim();
            if (!vermagic.startsWith(release + " ")) {
                throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "the built siw.ko is for \"" + vermagic + "\", not the testbed's kernel "
                        + release + "; the headers in " + headers + " do not match the image");
            }
            Host.run(60, null, "strip", "--strip-debug", built.toString());
            Path tmp = kernel.directory.resolve("siw.ko.tmp");
            Files.copy(built, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, module, StandardCopyOption.ATOMIC_MOVE);
            log.accept("testbed: siw.ko ready (" + Files.size(module) / 1024 + " KiB)");
            return module;
        } catch (IOException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "cannot build siw.ko in " + kernel.directory + ": " + e.getMessage(), e);
        } finally {
            if (work != null) {
                try {
                    KernelImage.deleteTree(work);
                } catch (IOException ignored) {
                    // a leftover build directory is harmless
                }
            }
        }
    }

    /** The Debian version of the image package as the archive offers it (the image itself was downloaded at this version). */
    private static String imageVersion(String imagePackage) {
        String out = Host.run(60, null, "apt-cache", "show", "--no-all-versions", imagePackage);
        for (String line : out.lines().toList()) {
            if (line.startsWith("Version: ")) {
                return line.substring("Version: ".length()).trim();
            }
        }
        throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "apt-cache knows no version of " + imagePackage
                + "; run apt-get update");
    }

    private static void requireInstalled(String pkg, String version, String install) {
        String installed;
        try {
            installed = Host.run(30, null, "dpkg-query", "-W", "-f=${Status} ${Version}", pkg).trim();
        } catch (FabricException e) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "Soft-iWARP in the testbed needs " + pkg + " " + version
                    + " (siw.ko is built from Debian's source for the testbed's kernel); install it: " + install);
        }
        if (!installed.startsWith("install ok installed ")) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "Soft-iWARP in the testbed needs " + pkg + " " + version
                    + " but dpkg says \"" + installed + "\"; install it: " + install);
        }
        String have = installed.substring("install ok installed ".length());
        if (!have.equals(version)) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, pkg + " " + have + " is installed, but the testbed's kernel is "
                    + version + " and the module must be built for exactly that kernel; install the matching version: " + install);
        }
    }
}
