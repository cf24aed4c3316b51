package dev.weft.provider.softroce.testbed;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * The guest's kernel and initramfs, prepared once and cached: Debian's current
 * {@code linux-image-*-amd64} package is downloaded ({@code apt-get download}) and unpacked;
 * its {@code vmlinuz} and the modules the testbed needs, with their dependencies in load order
 * ({@code modinfo -F depends}), are kept; an initramfs (static busybox, the modules, an
 * {@code /init}) is packed as newc cpio + gzip. Later runs reuse the cache directory.
 */
final class KernelImage {
    /**
     * The modules the guest loads; their dependencies are added. The crc32c ones are what the
     * out-of-tree {@code siw.ko} needs ({@link SiwModule}); {@code crc32c_generic} is named
     * because {@code libcrc32c} only has a soft dependency on it.
     */
    static final List<String> MODULES = List.of("virtio_pci", "9pnet_virtio", "9p", "overlay", "dummy", "crc32_generic", "rdma_rxe",
            "rdma_ucm", "crc32c_generic", "crc32c-intel", "libcrc32c");
    /** Bump when {@code /init} changes, so cached initramfs images are rebuilt. */
    static final int INIT_VERSION = 9;

    final String packageName;
    final Path directory;
    final Path vmlinuz;
    final Path initrd;

    private KernelImage(String packageName, Path directory) {
        this.packageName = packageName;
        this.directory = directory;
        this.vmlinuz = directory.resolve("vmlinuz");
        this.initrd = directory.resolve("initrd-v" + INIT_VERSION + ".gz");
    }

    /** @return whether kernel and initramfs are in the cache, with the modules of {@link #MODULES} */
    boolean ready() {
        return Files.exists(vmlinuz) && Files.exists(initrd) && hasWantedModules();
    }

    /** @return whether the cached modules were selected for the current {@link #MODULES} */
    private boolean hasWantedModules() {
        try {
            Path wanted = directory.resolve("modules/wanted");
            return Files.exists(wanted) && Files.readString(wanted).trim().equals(String.join(" ", MODULES));
        } catch (IOException e) {
            return false;
        }
    }

    /** @return the kernel release of the prepared image, e.g. {@code 6.1.0-50-amd64} */
    String release() {
        try {
            return Files.readString(directory.resolve("version")).trim();
        } catch (IOException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "the testbed kernel in " + directory + " is not prepared: " + e.getMessage(), e);
        }
    }

    /**
     * @param cache the cache directory
     * @return the image the testbed would use (not necessarily prepared yet)
     */
    static KernelImage locate(Path cache) {
        Path pinned = cache.resolve("kernel-package");
        String name = null;
        if (Files.exists(pinned)) {
            try {
                name = Files.readString(pinned).trim();
            } catch (IOException e) {
                name = null;
            }
        }
        if (name == null || name.isEmpty()) {
            name = resolvePackage();
        }
        return new KernelImage(name, cache.resolve(name));
    }

    private static String resolvePackage() {
        String out = Host.run(60, null, "apt-cache", "depends", "linux-image-amd64");
        for (String line : out.lines().toList()) {
            String t = line.trim();
            if (t.startsWith("Depends: linux-image-")) {
                return t.substring("Depends: ".length()).trim();
            }
        }
        throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "cannot tell which kernel package linux-image-amd64 depends on:\n" + out
                + "\nrun apt-get update, or check /etc/apt/sources.list");
    }

    /**
     * Downloads and unpacks the kernel and builds the initramfs unless cached.
     *
     * @param log progress lines
     */
    void prepare(Consumer<String> log) {
        if (ready()) {
            return;
        }
        try {
            if (Files.exists(vmlinuz) && Files.exists(directory.resolve("modules/order")) && hasWantedModules()) {
                Path tmp = Files.createTempFile(directory, "initrd", ".tmp");
                buildInitrd(directory, tmp);
                Files.move(tmp, initrd, StandardCopyOption.ATOMIC_MOVE);
                log.accept("testbed: rebuilt the initramfs for " + packageName);
                return;
            }
            Files.createDirectories(directory.getParent());
            Path work = Files.createTempDirectory(directory.getParent(), packageName + ".tmp");
            try {
                log.accept("testbed: downloading " + packageName + " (once; cached in " + directory.getParent() + ")");
                Host.run(600, work, "apt-get", "download", "-q", packageName);
                Path deb;
                try (Stream<Path> s = Files.list(work)) {
                    deb = s.filter(p -> p.getFileName().toString().endsWith(".deb")).findFirst().orElseThrow(
                            () -> new FabricException(ErrorCode.IO_ERROR, "apt-get download produced no .deb for " + packageName));
                }
                Path root = work.resolve("root");
                Host.run(600, work, "dpkg", "-x", deb.toString(), root.toString());
                Files.delete(deb);
                Path stage = work.resolve("image");
                Files.createDirectories(stage.resolve("modules"));
                Path modulesRoot;
                try (Stream<Path> s = Files.list(root.resolve("lib/modules"))) {
                    modulesRoot = s.findFirst().orElseThrow(() -> new FabricException(ErrorCode.IO_ERROR, packageName + " has no modules"));
                }
                String version = modulesRoot.getFileName().toString();
                Files.copy(root.resolve("boot/vmlinuz-" + version), stage.resolve("vmlinuz"));
                List<Path> order = loadOrder(modulesRoot);
                List<String> names = new ArrayList<>();
                for (Path ko : order) {
                    Files.copy(ko, stage.resolve("modules").resolve(ko.getFileName()));
                    names.add(ko.getFileName().toString());
                }
                Files.writeString(stage.resolve("modules/order"), String.join("\n", names) + "\n");
                Files.writeString(stage.resolve("modules/wanted"), String.join(" ", MODULES) + "\n");
                Files.writeString(stage.resolve("version"), version + "\n");
                buildInitrd(stage, stage.resolve(initrd.getFileName()));
                deleteTree(root);
                if (Files.exists(directory)) {
                    deleteTree(directory);
                }
                Files.move(stage, directory, StandardCopyOption.ATOMIC_MOVE);
                Files.writeString(directory.getParent().resolve("kernel-package"), packageName + "\n");
                log.accept("testbed: kernel " + version + " and initramfs ready (" + names.size() + " modules)");
            } finally {
                deleteTree(work);
            }
        } catch (IOException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "cannot prepare the testbed kernel in " + directory + ": " + e.getMessage(), e);
        }
    }

    /** The needed modules and their dependencies, dependencies first. */
    private static List<Path> loadOrder(Path modulesRoot) throws IOException {
        Map<String, Path> index = new HashMap<>();
        try (Stream<Path> s = Files.walk(modulesRoot.resolve("kernel"))) {
            s.filter(p -> p.getFileName().toString().endsWith(".ko"))
                    .forEach(p -> index.put(p.getFileName().toString().replace(".ko", "").replace('-', '_'), p));
        }
        Set<String> builtin = new java.util.HashSet<>();
        Path builtinList = modulesRoot.resolve("modules.builtin");
        if (Files.exists(builtinList)) {
            for (String line : Files.readAllLines(builtinList)) {
                String f = line.substring(line.lastIndexOf('/') + 1).replace(".ko", "").replace('-', '_');
                builtin.add(f);
            }
        }
        LinkedHashSet<Path> order = new LinkedHashSet<>();
        for (String m : MODULES) {
            visit(m, index, builtin, order, new LinkedHashSet<>());
        }
        return new ArrayList<>(order);
    }

    private static void visit(String name, Map<String, Path> index, Set<String> builtin, LinkedHashSet<Path> order, Set<String> path) {
        String key = name.replace('-', '_');
        Path ko = index.get(key);
        if (ko == null) {
            if (builtin.contains(key)) {
                return;
            }
            throw new FabricException(ErrorCode.NOT_SUPPORTED, "the kernel package has no module " + name + "; the testbed needs "
                    + MODULES);
        }
        if (order.contains(ko) || !path.add(key)) {
            return;
        }
        String deps = Host.run(30, null, "modinfo", "-F", "depends", ko.toString()).trim();
        for (String d : deps.split(",")) {
            if (!d.isBlank()) {
                visit(d.trim(), index, builtin, order, path);
            }
        }
        order.add(ko);
    }

    private static void buildInitrd(Path stage, Path target) throws IOException {
        Path busybox = Path.of("/bin/busybox");
        if (!Files.exists(busybox) || !Host.isStaticElf(busybox)) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "the testbed needs a statically linked /bin/busybox; apt-get install "
                    + "busybox-static");
        }
        try (OutputStream file = Files.newOutputStream(target); Cpio cpio = new Cpio(new GZIPOutputStream(file))) {
            for (String d : List.of("bin", "dev", "proc", "sys", "host", "newroot", "ovl", "modules")) {
                cpio.directory(d);
            }
            cpio.file("bin/busybox", 0755, Files.readAllBytes(busybox));
            cpio.file("init", 0755, Guest.INIT.getBytes(StandardCharsets.UTF_8));
            List<Path> modules;
            try (Stream<Path> s = Files.list(stage.resolve("modules"))) {
                modules = s.sorted(Comparator.naturalOrder()).toList();
            }
            for (Path m : modules) {
                cpio.file("modules/" + m.getFileName(), 0644, Files.readAllBytes(m));
            }
        }
    }

    /**
     * Deletes a file or a directory with everything in it (symbolic links themselves, not what they point to).
     *
     * @param p the file or directory; nothing happens if it does not exist
     * @throws IOException if something in it cannot be listed or deleted; also when the directory walk fails midway,
     *     which {@link Files#walk} reports as an {@link java.io.UncheckedIOException}
     */
    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
