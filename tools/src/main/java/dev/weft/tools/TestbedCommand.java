package dev.weft.tools;

import dev.weft.FabricException;
import dev.weft.provider.softroce.testbed.Testbed;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** {@code weft testbed}: run commands inside a soft RDMA environment (Soft-RoCE, Soft-iWARP). */
final class TestbedCommand {
    static final String USAGE = """
            usage: weft testbed info [--device rxe|siw|rxe,siw]
                   weft testbed exec [--timeout SECONDS] [--device rxe|siw|rxe,siw] [--share DIR] -- COMMAND [ARG...]

            info   prints what the testbed would use: the host's rdma_rxe, or a throwaway QEMU VM
                   (kernel package, cache directory, devices, missing packages)
            exec   runs COMMAND inside the soft RDMA environment in the current directory and prints
                   its output; the exit code is the command's, or 125 if the testbed itself failed (no QEMU,
                   the VM did not boot, its device set-up failed, the timeout passed), 2 for wrong arguments. --device picks the devices (default rxe):
                   rxe is Soft-RoCE rxe0 on dummy0, 192.0.2.1/24; siw is Soft-iWARP siw0 on siwnet,
                   203.0.113.1/24 (its module is built once from linux-source-6.1 and linux-headers of
                   the guest kernel, which must be installed). The first run downloads and caches the
                   guest kernel. --share DIR: a host directory for the command's results, created if
                   missing and kept after the run; the command sees it at the same path and may write
                   there (the rest of the host is read-only in the VM), and finds it in
                   $WEFT_TESTBED_SHARE.""";

    /**
     * The exit code of a testbed that failed itself, apart from the command's own codes and from 2 (wrong arguments); 125
     * as {@code docker run} answers when the container could not run.
     */
    static final int TESTBED_FAILED = 125;

    /** The environment variable that gives the command the {@code --share} directory. */
    static final String SHARE_VARIABLE = "WEFT_TESTBED_SHARE";

    private TestbedCommand() {
    }

    /**
     * @param name the {@code --share} argument
     * @return the directory as an absolute path, created if it did not exist
     * @throws UsageException if it is not a directory and cannot be made one
     */
    static Path shareDirectory(String name) {
        if (name.isEmpty() || name.startsWith("--")) {
            throw new UsageException("--share needs a directory before --, e.g. --share target/results -- COMMAND; got \"" + name + "\"");
        }
        Path dir = Path.of(name).toAbsolutePath().normalize();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new UsageException("--share needs a directory, and " + dir + " is a file; name a new or existing directory");
        }
        try {
            Testbed.checkShare(dir); // before the directory is made: a refused one is not left behind
        } catch (FabricException refused) {
            throw new UsageException("--share: " + refused.getMessage());
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UsageException("--share " + dir + ": cannot create the directory (" + fileProblem(e) + "); name a directory you can create");
        }
        return dir;
    }

    /** @return why a file operation failed: the JDK's file exceptions often carry only the path, their type says the rest */
    static String fileProblem(IOException e) {
        if (e instanceof java.nio.file.FileSystemException f) {
            String where = f.getFile() == null ? "" : f.getFile() + ": ";
            if (f.getReason() != null) {
                return where + f.getReason();
            }
            if (f instanceof java.nio.file.AccessDeniedException) {
                return where + "permission denied";
            }
            if (f instanceof java.nio.file.FileAlreadyExistsException) {
                return where + "a file of that name is in the way";
            }
            if (f instanceof java.nio.file.NoSuchFileException) {
                return where + "no such file or directory";
            }
            if (f instanceof java.nio.file.NotDirectoryException) {
                return where + "not a directory";
            }
            return where + f.getClass().getSimpleName();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty()) {
            throw new UsageException("weft testbed needs a subcommand: info or exec");
        }
        String sub = argv.get(0);
        List<String> rest = argv.subList(1, argv.size());
        switch (sub) {
            case "info" -> {
                Args args = Args.parse(rest, Set.of("device"), Set.of(), "weft testbed info takes only --device rxe|siw|rxe,siw");
                Testbed.Options options = Testbed.Options.defaults();
                String devices = args.option("device", null);
                if (devices != null) {
                    options = withDevices(options, devices);
                }
                out.print(Testbed.create(options).describe());
                return 0;
            }
            case "exec" -> {
                return exec(rest, out, err);
            }
            default -> throw new UsageException("unknown testbed subcommand \"" + sub + "\"; use info or exec");
        }
    }

    private static Testbed.Options withDevices(Testbed.Options options, String list) {
        EnumSet<Testbed.Device> devices = EnumSet.noneOf(Testbed.Device.class);
        for (String name : list.split(",", -1)) {
            if (name.isBlank()) {
                throw new UsageException("--device needs device names separated by commas, rxe, siw or rxe,siw; got \"" + list + "\"");
            }
            try {
                devices.add(Testbed.Device.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new UsageException("unknown device \"" + name.trim() + "\"; say rxe, siw or rxe,siw");
            }
        }
        return options.withDevices(devices);
    }

    /** Parses the options before {@code --} (all checked before anything is made on disk), then runs what follows it. */
    private static int exec(List<String> argv, PrintStream out, PrintStream err) {
        int dashes = argv.indexOf("--");
        List<String> words = dashes < 0 ? argv : argv.subList(0, dashes);
        Args args = Args.parse(words, Set.of("device", "timeout", "share"), Set.of(),
                "put the command after --, e.g. weft testbed exec -- ibv_devinfo");
        Testbed.Options options = Testbed.Options.defaults();
        String devices = args.option("device", null);
        if (devices != null) {
            options = withDevices(options, devices);
        }
        Duration timeout = options.timeout();
        String text = args.option("timeout", null);
        if (text != null) {
            try {
                timeout = Duration.ofSeconds(Long.parseLong(text));
            } catch (NumberFormatException e) {
                throw new UsageException("--timeout needs whole seconds, e.g. --timeout 300; got \"" + text + "\"");
            }
            if (timeout.isNegative() || timeout.isZero() || timeout.toSeconds() > 86_400) {
                throw new UsageException("--timeout must be 1 to 86400 seconds (a day), got " + timeout.toSeconds());
            }
        }
        if (dashes < 0 || dashes + 1 == argv.size()) {
            throw new UsageException("no command; e.g. weft testbed exec -- ibv_devinfo");
        }
        String shared = args.option("share", null);
        Path share = shared == null ? null : shareDirectory(shared); // made only for a run
        List<String> command = argv.subList(dashes + 1, argv.size());
        try {
            Testbed.Result r = Testbed.create(options.withTimeout(timeout))
                    .exec(command, Path.of("").toAbsolutePath(), share == null ? Map.of() : Map.of(SHARE_VARIABLE, share.toString()), share,
                            out::println);
            err.printf("weft testbed: exit %d after %.1f s (%s)%n", r.exitCode(), r.elapsed().toMillis() / 1000.0, r.mode());
            return r.exitCode();
        } catch (FabricException e) {
            err.println("weft testbed: " + e.getMessage());
            return TESTBED_FAILED;
        }
    }
}
