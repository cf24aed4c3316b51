package dev.weft.provider.softroce.testbed;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.softroce.internal.HostCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * A soft RDMA environment to run commands in, on a host without RDMA hardware: a Soft-RoCE
 * {@code rxe0} device on {@code dummy0} (192.0.2.1/24) and, when asked for, a Soft-iWARP
 * {@code siw0} device on {@code siwnet} (203.0.113.1/24) beside it ({@link Device}).
 *
 * <p>Where the host kernel already has an rxe device, commands run on the host. Otherwise the
 * testbed boots a throwaway QEMU VM (TCG, no network: {@code -nic none}) with Debian's kernel,
 * prepared once and cached under {@code ~/.cache/weft/testbed}; the guest sees the host's root
 * read-only (with a tmpfs overlay) and a writable share for results, so it runs the host's JDK and
 * class path. The VM powers itself off when the command ends; on timeout it is killed. No VM
 * process outlives {@link #exec}.
 *
 * <p>Thread-safe: each {@code exec} boots its own VM.
 */
public final class Testbed {
    /** The soft RDMA devices a run can have; each on its own dummy interface and address. */
    public enum Device {
        /** Soft-RoCE: {@code rxe0} on {@code dummy0}, 192.0.2.1/24. */
        RXE,
        /**
         * Soft-iWARP: {@code siw0} on {@code siwnet}, 203.0.113.1/24. Debian's kernel lacks the
         * module: it is built once from {@code linux-source-6.1} against the matching
         * {@code linux-headers} package (both must be installed; see {@link #prepare}).
         */
        SIW
    }

    /**
     * Testbed settings.
     *
     * @param cache where the kernel and initramfs are cached
     * @param timeout the longest a run may take, counted from the VM's start (a first kernel download or siw build
     *     before it has limits of its own); the VM is killed after it
     * @param memoryMiB guest memory
     * @param cpus guest CPUs
     * @param devices the devices brought up in the guest (at least one)
     */
    public record Options(Path cache, Duration timeout, int memoryMiB, int cpus, Set<Device> devices) {
        /** Validates and copies the device set. */
        public Options {
            if (devices == null || devices.isEmpty()) {
                throw FabricException.invalid("the testbed needs at least one device; say " + EnumSet.allOf(Device.class));
            }
            if (cache == null) {
                throw FabricException.invalid("the testbed needs a cache directory; Options.defaults() has one under the user's cache");
            }
            if (timeout == null || timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofDays(1)) > 0) {
                throw FabricException.invalid("the testbed's timeout must be positive and at most a day, got " + timeout);
            }
            if (memoryMiB < 256 || memoryMiB > 1 << 20) {
                throw FabricException.invalid("the testbed VM's memory must be 256 MiB to 1 TiB, got " + memoryMiB + " MiB (default 4096)");
            }
            if (cpus < 1 || cpus > 64) {
                throw FabricException.invalid("the testbed VM's CPUs must be 1 to 64, got " + cpus);
            }
            devices = Set.copyOf(devices);
        }

        /** @return the cache under the user's cache directory, 10 minutes, 4 GiB, up to 2 CPUs, rxe0 only */
        public static Options defaults() {
            return new Options(Host.cacheHome().resolve("testbed"), Duration.ofMinutes(10), 4096,
                    Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())), Set.of(Device.RXE));
        }

        /**
         * @param t a new timeout
         * @return a copy with it
         */
        public Options withTimeout(Duration t) {
            return new Options(cache, t, memoryMiB, cpus, devices);
        }

        /**
         * @param first a device
         * @param more further devices
         * @return a copy that brings up exactly these devices
         */
        public Options withDevices(Device first, Device... more) {
            return withDevices(EnumSet.of(first, more));
        }

        /**
         * @param devices the devices, at least one
         * @return a copy that brings up exactly these devices
         */
        public Options withDevices(Set<Device> devices) {
            return new Options(cache, timeout, memoryMiB, cpus, devices);
        }
    }

    /**
     * The outcome of a run.
     *
     * @param exitCode the command's exit code
     * @param output what it printed (stdout and stderr)
     * @param mode where it ran: {@code host} or {@code vm}
     * @param elapsed wall time, including boot and power-off
     */
    public record Result(int exitCode, String output, String mode, Duration elapsed) {
    }

    /**
     * The guest CPU: a 64-bit baseline with SSE4.2 rather than {@code -cpu max}, so that the
     * guest JVM's JIT and intrinsics use only long-established instructions of TCG's emulation
     * (the newest ones, AVX2 among them, are the least exercised). The guest needs nothing more.
     */
    static final String CPU = "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16";

    /**
     * One host thread runs every guest CPU ({@code thread=single}). With one thread per guest CPU
     * ({@code thread=multi}), guest JVMs died now and then of SIGILL or SIGSEGV in freshly compiled
     * JDK code — the JIT writes code on one CPU that another runs, which multi-threaded TCG did
     * not always see in time. Single-threaded TCG keeps the guest's two CPUs, so threads and
     * processes still interleave, at some cost in speed. Benchmarks that spin on two CPUs at once
     * need {@code tcg,thread=multi}: set {@code WEFT_TESTBED_ACCEL} (or {@code -Dweft.testbed.accel}).
     */
    static final String ACCEL = System.getProperty("weft.testbed.accel",
            System.getenv().getOrDefault("WEFT_TESTBED_ACCEL", "tcg,thread=single"));

    /**
     * The guest kernel's command line (the run's share directory is appended). {@code tsc=reliable}:
     * under TCG the boot-time TSC synchronisation check fails (the emulated CPUs are too slow for
     * it), and the guest then falls back to the emulated HPET, where every {@code clock_gettime}
     * (every {@code System.nanoTime()}, every packet timestamp in the kernel) costs about 1 µs of
     * device emulation instead of 0.1–0.2 µs; TCG derives every guest CPU's TSC from the host's, so
     * it is in fact synchronised.
     */
    static final String KERNEL_COMMAND_LINE = "console=ttyS0 quiet panic=-1 tsc=reliable";

    private final Options options;

    private Testbed(Options options) {
        this.options = options;
    }

    /** @return a testbed with default options */
    public static Testbed create() {
        return new Testbed(Options.defaults());
    }

    /**
     * @param options settings
     * @return a testbed
     */
    public static Testbed create(Options options) {
        return new Testbed(options);
    }

    /** @return whether this process runs inside a testbed guest */
    public static boolean insideGuest() {
        return "guest".equals(System.getenv("WEFT_TESTBED"));
    }

    /** @return the address of the testbed's rxe device (192.0.2.1) */
    public static String address() {
        return Guest.ADDRESS;
    }

    /** @return the address of the testbed's siw device (203.0.113.1), present when {@link Device#SIW} is asked for */
    public static String siwAddress() {
        return Guest.SIW_ADDRESS;
    }

    /**
     * @return whether the host itself has the testbed's rxe device as the guest would: {@code rxe0}, with the address
     *     {@value Guest#ADDRESS} on this host (tests name both); another rxe device (say {@code rxe_eth0}, which
     *     {@code softroce://eth0} makes) does not count
     */
    public static boolean hostHasRxe() {
        return hostHas("rxe0", Guest.ADDRESS);
    }

    /** @return whether {@code device} exists here and {@code address} is an address of this host */
    private static boolean hostHas(String device, String address) {
        if (!Files.isDirectory(Path.of("/sys/class/infiniband", device))) {
            return false;
        }
        try {
            return java.net.NetworkInterface.getByInetAddress(java.net.InetAddress.getByName(address)) != null; // a literal: no lookup
        } catch (IOException e) {
            return false;
        }
    }

    /** @return whether the host has every device asked for, so commands run in place without a VM */
    public boolean hasDevicesHere() {
        return (!options.devices().contains(Device.RXE) || hostHasRxe())
                && (!options.devices().contains(Device.SIW) || hostHas("siw0", Guest.SIW_ADDRESS));
    }

    /** @return the packages or tools missing for a VM run, empty if none */
    public List<String> missing() {
        List<String> missing = new ArrayList<>();
        if (Host.which("qemu-system-x86_64") == null) {
            missing.add("qemu-system-x86_64 (qemu-system-x86)");
        }
        if (!Files.exists(Path.of("/bin/busybox")) || !Host.isStaticElf(Path.of("/bin/busybox"))) {
            missing.add("a static /bin/busybox (busybox-static)");
        }
        if (Host.which("modinfo") == null) {
            missing.add("modinfo (kmod)");
        }
        if (Host.which("rdma") == null || Host.which("ip") == null) {
            missing.add("rdma and ip (iproute2)");
        }
        if (Host.which("apt-get") == null || Host.which("dpkg") == null) {
            missing.add("apt-get and dpkg (a Debian host)");
        }
        if (Host.which("setpriv") == null) {
            missing.add("setpriv (util-linux), which ends the VM when this JVM dies");
        }

        if (!Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libibverbs.so.1")) || !Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/librdmacm.so.1"))
                || !hasRxeDriver()) {
            missing.add("the RDMA user space (libibverbs1 librdmacm1 ibverbs-providers)");
        }
        return missing;
    }

    private static boolean hasRxeDriver() {
        try (var s = Files.list(Path.of("/usr/lib/x86_64-linux-gnu/libibverbs"))) {
            return s.anyMatch(p -> p.getFileName().toString().startsWith("librxe-"));
        } catch (IOException e) {
            return false;
        }
    }

    /** @return a description of what {@link #exec} would use, for {@code weft testbed info} */
    public String describe() {
        StringBuilder b = new StringBuilder();
        if (insideGuest()) {
            return "inside a testbed guest: commands run here\n";
        }
        if (hasDevicesHere()) {
            return "the host has the testbed's devices (" + options.devices() + ", with their addresses): commands run on the host\n";
        }
        b.append("mode      QEMU VM (the host kernel has no rdma_rxe device)\n");
        Path qemu = Host.which("qemu-system-x86_64");
        b.append("qemu      ").append(qemu == null ? "missing" : qemu).append('\n');
        b.append("cache     ").append(options.cache()).append('\n');
        try {
            KernelImage k = KernelImage.locate(options.cache());
            b.append("kernel    ").append(k.packageName).append(k.ready() ? " (cached)" : " (downloaded on first use)").append('\n');
        } catch (FabricException e) {
            b.append("kernel    unknown: ").append(e.getMessage()).append('\n');
        }
        b.append("guest     ").append(options.cpus()).append(" CPUs, ").append(options.memoryMiB()).append(" MiB, ").append(ACCEL)
                .append(", CPU ").append(CPU).append(", no network (-nic none)\n");
        if (options.devices().contains(Device.RXE)) {
            b.append("device    rxe0 on dummy0, ").append(Guest.ADDRESS).append("/24\n");
        }
        if (options.devices().contains(Device.SIW)) {
            b.append("device    siw0 on siwnet, ").append(Guest.SIW_ADDRESS).append("/24 (siw.ko built from ").append(SiwModule.SOURCE)
                    .append(')');
            try {
                KernelImage k = KernelImage.locate(options.cache());
                b.append(k.ready() && Files.exists(SiwModule.of(k)) ? ", cached" : ", built on first use");
            } catch (FabricException e) {
                b.append(", kernel unknown");
            }
            b.append('\n');
        }
        b.append("timeout   ").append(options.timeout().toSeconds()).append(" s\n");
        List<String> missing = missing();
        b.append("missing   ").append(missing.isEmpty() ? "nothing" : String.join(", ", missing) + "\n          install: apt-get install "
                + Host.PACKAGES).append('\n');
        return b.toString();
    }

    /**
     * Makes sure a run can start: tools present, kernel and initramfs cached. Each host command it runs has a limit
     * of its own (the kernel download 600 s, unpacking 600 s, the siw source extraction 300 s, its build 600 s); the
     * run's {@link Options#timeout()} is not spent here. Blocks the calling thread.
     *
     * @param log progress lines
     * @throws FabricException PROVIDER_UNAVAILABLE naming what is missing and the install line; TIMEOUT naming the
     *     preparation step that ran out of time
     */
    public void prepare(Consumer<String> log) {
        if (insideGuest() || hasDevicesHere()) {
            return;
        }
        List<String> missing = missing();
        if (!missing.isEmpty()) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "the Soft-RoCE testbed needs " + String.join(", ", missing)
                    + "; install them with: apt-get install " + Host.PACKAGES);
        }
        try {
            underCacheLock(() -> {
                KernelImage kernel = KernelImage.locate(options.cache());
                kernel.prepare(log);
                if (options.devices().contains(Device.SIW)) {
                    SiwModule.prepare(kernel, log);
                }
            });
        } catch (FabricException e) {
            if (e.code() != ErrorCode.TIMEOUT) {
                throw e;
            }
            throw new FabricException(ErrorCode.TIMEOUT, "preparing the testbed (the kernel download, the initramfs, the siw build; once per"
                    + " kernel) ran out of time, before any VM started: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a command in the Soft-RoCE environment.
     *
     * @param command the command and its arguments
     * @param workDir its working directory (a host path; the guest sees the same path)
     * @param env extra environment variables
     * @param share a host directory the command may write into (same path in the guest), created if missing, or null for
     *     none; the testbed writes nothing there (its own files are in a private run folder), and refuses {@code /},
     *     system directories, homes and the temporary directory itself; in a VM run its path (and that of {@code java.io.tmpdir}) may have only letters, digits and {@code . _ / + -}
     * @param output receives the command's output line by line while it runs, or null
     * @return exit code and output; {@link Result#elapsed()} includes any preparation (a first download), which the
     *     timeout does not: it counts from the VM's start (or the command's, on the host)
     * @throws FabricException the testbed's own failures, never the command's (its exit code is in the result):
     *     PROVIDER_UNAVAILABLE if the testbed cannot start (missing packages, a VM that does not boot, a guest set-up that
     *     fails before the command starts), TIMEOUT if preparation or the run ran out of time (with the console's tail),
     *     TIMEOUT with cause {@link InterruptedException} if the calling thread was interrupted (its flag kept, as
     *     {@code Domain.connect} answers an interrupt), IO_ERROR if the
     *     run folder cannot be written
     */
    public Result exec(List<String> command, Path workDir, Map<String, String> env, Path share, Consumer<String> output) {
        if (command.isEmpty()) {
            throw FabricException.invalid("no command given; e.g. weft testbed exec -- ibv_devinfo");
        }
        long start = System.nanoTime();
        Consumer<String> sink = output == null ? s -> { } : output;
        if (insideGuest() || hasDevicesHere()) {
            return onHost(command, workDir, env, sink, start);
        }
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize();
        requireVmSafePath("the temporary directory (java.io.tmpdir), where the run folder is made", tmp);
        if (share != null) {
            share = share.toAbsolutePath().normalize();
            requireVmSafePath("the share", share);
            requireNotSystemDirectory(share, tmp);
        }
        prepare(sink); // bounded step by step on its own; the run's timeout starts after it
        KernelImage kernel = KernelImage.locate(options.cache());
        Path run = null;
        RunFolder owned = null;
        Process vm = null;
        Thread cleanup = null;
        try {
            // the run's control files (guest.sh, rc, the marker, the logs) are always in a private folder; a share is
            // the command's alone, mounted beside it, and nothing in it is written or deleted by the testbed
            RunFolder.removeOrphans(tmp); // of JVMs killed without their hooks
            owned = RunFolder.create(tmp);
            run = owned.path();
            if (share != null) {
                Files.createDirectories(share);
            }
            Files.writeString(run.resolve("guest.sh"), Guest.script(command, workDir, env, options.devices(),
                    options.devices().contains(Device.SIW) ? SiwModule.of(kernel) : null));
            Path console = run.resolve("console.log");
            List<String> qemu = new ArrayList<>(reapedWithThisJvm());
            qemu.addAll(List.of(Host.which("qemu-system-x86_64").toString(), "-accel", ACCEL, "-cpu", CPU,
                    "-m", Integer.toString(options.memoryMiB()), "-smp", Integer.toString(options.cpus()), "-display", "none",
                    "-monitor", "none", "-serial", "file:" + console, "-no-reboot", "-kernel", kernel.vmlinuz.toString(), "-initrd",
                    kernel.initrd.toString(), "-append", KERNEL_COMMAND_LINE + " weft.run=" + run + (share == null ? "" : " weft.share=" + share),
                    "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
                    "-virtfs", "local,path=" + run + ",mount_tag=run,security_model=none", "-nic", "none"));
            if (share != null) {
                qemu.addAll(List.of("-virtfs", "local,path=" + share + ",mount_tag=share,security_model=none"));
            }
            vm = new ProcessBuilder(qemu).redirectErrorStream(true).redirectOutput(run.resolve("qemu.log").toFile()).start();
            // Ctrl-C or SIGTERM on this JVM skips the finally below: the hook ends the VM and removes the run folder
            Process started = vm;
            Path folder = run;
            cleanup = new Thread(() -> {
                HostCommand.killTree(started); // and waits, so that QEMU no longer writes into the folder
                try {
                    KernelImage.deleteTree(folder);
                } catch (IOException ignored) {
                    // the JVM is ending; the next run's sweep removes the folder
                }
            }, "weft-testbed-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            long deadline = System.nanoTime() + options.timeout().toNanos(); // from the VM's start: preparation had its own limits
            Path log = run.resolve("output.log");
            OutputFollower follower = new OutputFollower(log, sink);
            while (vm.isAlive()) {
                follower.poll();
                if (System.nanoTime() > deadline) {
                    HostCommand.killTree(vm);
                    throw new FabricException(ErrorCode.TIMEOUT, "the testbed VM (boot, the command, power-off) did not finish within "
                            + options.timeout().toSeconds() + " s of its start and was killed; last console lines:\n" + tail(console) + "\nlast output lines:\n" + tail(log));
                }
                Thread.sleep(200);
            }
            follower.finish(); // everything the command wrote, however much
            int code = commandExitCode(run);
            String text = Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : ""; // malformed bytes as U+FFFD
            return new Result(code, text, "vm", Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "testbed run failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Host.interrupted("while the VM ran; the VM was killed", e);
        } finally {
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs (or ran) anyway
                }
            }
            if (vm != null && vm.isAlive()) {
                HostCommand.killTree(vm); // waits for QEMU to end before its folder goes (keeps an interrupt's status)
            }
            if (run != null) {
                try {
                    KernelImage.deleteTree(run);
                } catch (IOException ignored) {
                    // a temporary directory left behind is harmless
                }
            }
            if (owned != null) {
                try {
                    owned.close();
                } catch (IOException ignored) {
                    // the lock goes with the descriptor in any case
                }
            }
        }
    }

    /** Serialises preparation between this JVM's threads; {@link #underCacheLock} adds the lock between processes. */
    private static final Object PREPARING = new Object();

    /**
     * Runs a preparation step while holding the cache's lock ({@code .prepare.lock} in the cache directory), so that two
     * runs that prepare at once (two CI jobs, two test JVMs) never delete or overwrite each other's download, initramfs
     * or siw build: the second waits, then finds the first's work ready. Under the lock, staging left by a run that was
     * killed while preparing ({@code *.tmp*}, hundreds of MB unpacked) is removed first.
     */
    private void underCacheLock(Runnable step) {
        synchronized (PREPARING) {
            Path cache = options.cache();
            try {
                Files.createDirectories(cache);
                try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(cache.resolve(".prepare.lock"),
                        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                    channel.lock(); // released when the channel closes, or by the kernel if this process dies
                    sweepStaging(cache);
                    step.run();
                }
            } catch (java.nio.channels.FileLockInterruptionException e) {
                Thread.currentThread().interrupt();
                throw Host.interrupted("while it waited for another run's preparation of the cache " + cache, new InterruptedException());
            } catch (java.nio.channels.ClosedByInterruptException e) {
                Thread.currentThread().interrupt();
                throw Host.interrupted("while it prepared the cache " + cache, new InterruptedException());
            } catch (IOException e) {
                throw new FabricException(ErrorCode.IO_ERROR, "cannot lock the testbed cache " + cache + " for preparation: " + e.getMessage()
                        + "; check that the directory is writable (or give another with XDG_CACHE_HOME)", e);
            }
        }
    }

    /** Removes staging a killed preparation left in the cache and its kernel directories (the caller holds the cache's lock). */
    private static void sweepStaging(Path cache) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (var top = Files.list(cache)) {
            for (Path p : top.toList()) {
                if (p.getFileName().toString().contains(".tmp")) { // a kernel's staging ({@code <package>.tmp*})
                    stale.add(p);
                } else if (Files.isDirectory(p)) {
                    try (var inner = Files.list(p)) {
                        // an initramfs or siw.ko being written, a siw build's directory
                        inner.filter(q -> q.getFileName().toString().endsWith(".tmp") || q.getFileName().toString().startsWith("siw-build")
                                && Files.isDirectory(q)).forEach(stale::add);
                    }
                }
            }
        }
        for (Path p : stale) {
            try {
                KernelImage.deleteTree(p);
            } catch (IOException ignored) {
                // the next preparation tries again
            }
        }
    }

    /**
     * Refuses a share that would open a system directory, a whole home or the temporary directory to the command: it
     * is mounted writable in the guest, so everything in it is the command's to change on the host.
     *
     * @param share an absolute, normalized path
     * @param tmp the temporary directory, where the run folders are
     * @throws FabricException INVALID_ARGUMENT naming the directory and what to use instead
     */
    static void requireNotSystemDirectory(Path share, Path tmp) {
        String s = share.toString();
        boolean refused = isSystemDirectory(s, tmp);
        try {
            if (Files.exists(share)) {
                refused |= isSystemDirectory(share.toRealPath().toString(), tmp); // a link to /etc is /etc
            }
        } catch (IOException unreadable) {
            // judged by its name alone
        }
        if (refused) {
            throw FabricException.invalid("the share " + s + " would be writable by the command in the testbed VM, and it is a system"
                    + " directory, a home or the temporary directory; name a directory of its own for the results, e.g. target/testbed-out");
        }
    }

    /** @return whether {@code s} is {@code /}, a system directory or one inside it, a home, or the temporary directory */
    private static boolean isSystemDirectory(String s, Path tmp) {
        java.util.Set<String> exact = new java.util.HashSet<>(List.of("/", "/home", "/root", "/tmp", "/var", "/var/tmp", "/var/lib", "/run",
                "/mnt", "/media", "/opt", "/srv", tmp.toString(), Path.of(System.getProperty("user.home")).toAbsolutePath().normalize().toString()));
        boolean refused = exact.contains(s) || oneBelow(s, "/home/") // anyone's home
                || oneBelow(s, "/var/lib/"); // a service's whole state (/var/lib/dpkg, a CI server's home); its workspaces below are fine
        for (String system : List.of("/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/sbin", "/sys", "/usr",
                "/var/log", "/var/cache", "/var/spool", "/var/mail", "/var/lib/dpkg", "/var/lib/apt", "/var/lib/systemd")) {
            refused |= s.equals(system) || s.startsWith(system + "/");
        }
        return refused;
    }

    /** @return whether {@code s} is a directory right inside {@code parent} (which ends with a slash) */
    private static boolean oneBelow(String s, String parent) {
        return s.startsWith(parent) && s.length() > parent.length() && s.indexOf('/', parent.length()) < 0;
    }

    /**
     * Checks a directory meant as a run's share before anything is made: what {@link #exec} would refuse (a path the VM
     * cannot take, {@code /}, a system directory, a home, the temporary directory), for a caller such as
     * {@code weft testbed exec --share} that creates the directory first.
     *
     * @param share the directory, absolute and normalized
     * @throws FabricException INVALID_ARGUMENT naming the directory, what is wrong and what to use instead
     */
    public static void checkShare(Path share) {
        requireVmSafePath("the share", share);
        requireNotSystemDirectory(share, Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().normalize());
    }

    /** The characters a host path handed to the VM may have (see {@link #requireVmSafePath}). */
    private static final java.util.regex.Pattern VM_SAFE_PATH = java.util.regex.Pattern.compile("/[A-Za-z0-9._/+-]*");

    /**
     * Refuses a host path the VM cannot be given: it goes on the guest kernel's command line (split at spaces), into
     * QEMU's {@code -virtfs} option (split at commas) and into {@code /init}'s shell lines, so only letters, digits and
     * {@code . _ / + -} are allowed.
     *
     * @param what what the path is, for the message
     * @param path an absolute, normalized path
     * @throws FabricException INVALID_ARGUMENT naming the path, the first character refused and what to use instead
     */
    static void requireVmSafePath(String what, Path path) {
        String text = path.toString();
        if (!VM_SAFE_PATH.matcher(text).matches()) {
            String c = "no leading /";
            for (int i = 0; i < text.length() && text.startsWith("/"); i++) {
                if (!VM_SAFE_PATH.matcher("/" + text.charAt(i)).matches()) {
                    c = String.format("the character U+%04X '%s'", (int) text.charAt(i), text.charAt(i));
                    break;
                }
            }
            throw FabricException.invalid(what + " \"" + text + "\" cannot be given to the testbed VM: it has " + c + ", and the VM's"
                    + " kernel command line, QEMU's -virtfs option and its /init take only letters, digits and . _ / + -; use a"
                    + " directory whose path has only those (for java.io.tmpdir: -Djava.io.tmpdir=/tmp; the JVM does not read TMPDIR)");
        }
    }

    /**
     * The exit code of the command of a VM run that has ended, from the files the guest left in the run folder.
     *
     * @param run the run folder
     * @return the command's exit code
     * @throws FabricException PROVIDER_UNAVAILABLE if the guest never started the command: it did not boot (no
     *     {@code rc}; QEMU's messages and the console's tail), or its set-up failed (no {@value Guest#STARTED} marker;
     *     the guest's messages) — the exit code is then the set-up's, not the command's
     * @throws IOException if a file cannot be read
     */
    static int commandExitCode(Path run) throws IOException {
        Path rc = run.resolve("rc");
        if (!Files.exists(rc)) {
            if (Files.exists(run.resolve(Guest.STARTED))) { // the command ran, and the VM died under it (a guest panic, QEMU killed)
                throw new FabricException(ErrorCode.IO_ERROR, "the testbed VM stopped while the command ran, before it ended; the"
                        + " command said:\n" + tail(run.resolve("output.log")) + "\nqemu said:\n" + tail(run.resolve("qemu.log"))
                        + "\nlast console lines:\n" + tail(run.resolve("console.log")));
            }
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "the testbed VM stopped without running the command (did it boot?);"
                    + " qemu said:\n" + tail(run.resolve("qemu.log")) + "\nlast console lines:\n" + tail(run.resolve("console.log")));
        }
        String text = Files.readString(rc).trim();
        if (!Files.exists(run.resolve(Guest.STARTED))) {
            throw new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "the testbed could not set up the guest (guest.sh exit " + text
                    + ", before the command started); the guest said:\n" + tail(run.resolve("output.log")) + "\nlast console lines:\n"
                    + tail(run.resolve("console.log")));
        }
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "the testbed guest left an unreadable exit code \"" + text + "\" in " + rc, e);
        }
    }

    /**
     * The prefix that makes the kernel kill the VM when this JVM dies without running its shutdown hooks
     * (SIGKILL, a crash): util-linux's {@code setpriv --pdeathsig}, which sets the signal and then
     * executes QEMU. The signal follows the thread that started the process; {@link #exec} starts the VM
     * on its caller's thread and stays in it until the VM has ended, so only the JVM's death sends it.
     *
     * @return {@code setpriv --pdeathsig KILL}, or nothing where {@code setpriv} is not installed
     */
    private static List<String> reapedWithThisJvm() {
        Path setpriv = Host.which("setpriv");
        return setpriv == null ? List.of() : List.of(setpriv.toString(), "--pdeathsig", "KILL");
    }

    private static String tail(Path p) {
        try {
            return Files.exists(p) ? HostCommand.tail(Files.readString(p, StandardCharsets.ISO_8859_1), 25) : "(none)";
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }

    private Result onHost(List<String> command, Path workDir, Map<String, String> env, Consumer<String> sink, long start) {
        Process p = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(env);
            p = pb.start();
            Process started = p;
            StringBuffer all = new StringBuffer();
            // the output is read on a thread of its own, so that the timeout counts while the command still writes (or
            // holds its output open without writing); the deadline ends the command and everything it started
            Thread reader = Thread.ofVirtual().name("testbed-output").start(() -> {
                try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        sink.accept(line);
                        all.append(line).append('\n');
                    }
                } catch (IOException ignored) {
                    // the process was ended: its output is closed
                }
            });
            if (!p.waitFor(options.timeout().toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
                HostCommand.killTree(p);
                reader.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(5));
                throw new FabricException(ErrorCode.TIMEOUT, "the command did not finish within " + options.timeout().toSeconds() + " s");
            }
            reader.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(5)); // the rest of what it wrote (a child it left running may hold the pipe)
            return new Result(p.exitValue(), all.toString(), "host", Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new FabricException(ErrorCode.IO_ERROR, "cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            HostCommand.killTree(p); // with what it started, and waited for
            Thread.currentThread().interrupt();
            throw Host.interrupted("while " + command.get(0) + " ran on the host; it was killed", e);
        }
    }
}
