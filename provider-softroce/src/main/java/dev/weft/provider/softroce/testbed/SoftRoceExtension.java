package dev.weft.provider.softroce.testbed;

import dev.weft.FabricException;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.opentest4j.AssertionFailedError;

/**
 * The JUnit 5 extension behind {@link OnSoftRoce}: runs the test in place where an rxe device is
 * at hand (inside the testbed guest, or on a host with rdma_rxe), otherwise in a testbed VM through
 * {@link GuestLauncher}. Stateless, thread-safe.
 */
@SuppressWarnings("exports")
public final class SoftRoceExtension implements InvocationInterceptor {
    /** The system property that turns "testbed cannot start" from a skip into a failure. */
    public static final String REQUIRED = "weft.softroce.required";

    /** Creates the extension. */
    public SoftRoceExtension() {
    }

    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> call, ExtensionContext context)
            throws Throwable {
        Method method = call.getExecutable();
        Class<?> type = context.getRequiredTestClass();
        OnSoftRoce settings = method.getAnnotation(OnSoftRoce.class) != null ? method.getAnnotation(OnSoftRoce.class)
                : type.getAnnotation(OnSoftRoce.class);
        Testbed.Options options = Testbed.Options.defaults();
        if (settings != null && settings.devices().length > 0) {
            options = options.withDevices(java.util.EnumSet.copyOf(List.of(settings.devices())));
        }
        if (Testbed.insideGuest() || Testbed.create(options).hasDevicesHere()) {
            invocation.proceed();
            return;
        }
        invocation.skip();
        long timeout = settings == null ? 300 : settings.timeoutSeconds();
        String what = type.getSimpleName() + "." + method.getName();
        Path share = Files.createTempDirectory("weft-softroce-test-"); // the guest JVM's crash reports; removed on every path
        try {
            List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                    "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-XX:ErrorFile=" + share + "/hs_err_pid%p.log", "-cp",
                    System.getProperty("java.class.path")));
            command.add(GuestLauncher.class.getName());
            command.add(type.getName() + "#" + method.getName());
            Testbed testbed = prepareOrSkip(Testbed.create(options.withTimeout(Duration.ofSeconds(timeout))), what);
            Testbed.Result r;
            try {
                r = testbed.exec(command, Path.of("").toAbsolutePath(), Map.of(), share, null);
            } catch (FabricException e) {
                throw execFailed(e, what, required());
            }
            System.out.print(r.output());
            if (r.exitCode() == GuestLauncher.ABORTED) {
                throw aborted(r.output(), what, required());
            }
            if (r.exitCode() != 0) {
                StringBuilder crash = new StringBuilder();
                try (var files = Files.list(share)) {
                    for (Path p : files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()) {
                        Path kept = Path.of("target").resolve(p.getFileName());
                        Files.copy(p, kept, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        crash.append("\nJVM crash report (kept as ").append(kept.toAbsolutePath()).append("):\n")
                                .append(String.join("\n", Files.readAllLines(p).stream().limit(120).toList()));
                    }
                }
                throw new AssertionFailedError(what + " failed inside the Soft-RoCE testbed (exit " + r.exitCode() + "):\n" + r.output()
                        + crash);
            }
        } finally {
            deleteQuietly(share);
        }
    }

    private static boolean required() {
        return Boolean.getBoolean(REQUIRED);
    }

    /**
     * What a failed {@link Testbed#exec} makes of the test: only a testbed that cannot start (PROVIDER_UNAVAILABLE:
     * missing packages, a VM that does not boot, a guest set-up that fails) may skip it, and only when not required; a
     * timeout, an interrupt or an I/O error fails it.
     *
     * @param e what exec threw
     * @param what the test, for the message
     * @param required whether {@value #REQUIRED} is set
     * @return never: throws the skip or the failure
     */
    static RuntimeException execFailed(FabricException e, String what, boolean required) {
        if (e.code() == dev.weft.ErrorCode.PROVIDER_UNAVAILABLE) {
            throw unavailable(e, what, required);
        }
        throw new AssertionFailedError(what + " did not complete in the Soft-RoCE testbed (" + e.code() + "): " + e.getMessage(), e);
    }

    /**
     * What a test that skipped itself inside the guest (exit {@value GuestLauncher#ABORTED}) makes of it here: a skip,
     * or a failure when the testbed is required, since a required run must not pass by skipping.
     *
     * @param output the guest's output
     * @param what the test, for the message
     * @param required whether {@value #REQUIRED} is set
     * @return never: throws the skip or the failure
     */
    static RuntimeException aborted(String output, String what, boolean required) {
        if (required) {
            throw new AssertionFailedError(what + " skipped itself inside the Soft-RoCE testbed, but -D" + REQUIRED
                    + "=true says it must run there:\n" + output);
        }
        Assumptions.abort(what + " skipped inside the testbed:\n" + output);
        throw new IllegalStateException("unreachable: abort throws");
    }

    private static void deleteQuietly(Path dir) {
        try {
            KernelImage.deleteTree(dir);
        } catch (IOException ignored) {
            // a leftover temporary directory is harmless
        }
    }

    /**
     * Prepares the testbed for a test that needs it: returns it ready, or skips the test with the
     * reason — fails it instead when {@value #REQUIRED} is {@code true} (CI).
     *
     * @param testbed the testbed
     * @param what the test, for the message
     * @return {@code testbed}, prepared
     */
    public static Testbed prepareOrSkip(Testbed testbed, String what) {
        try {
            testbed.prepare(System.out::println);
            return testbed;
        } catch (FabricException e) {
            throw execFailed(e, what, required()); // only a testbed that cannot start may skip; a timeout or interrupt fails
        }
    }

    private static RuntimeException unavailable(FabricException e, String what, boolean required) {
        if (required) {
            throw new AssertionFailedError(what + ": the Soft-RoCE testbed is required (-D" + REQUIRED + "=true) but cannot run: "
                    + e.getMessage(), e);
        }
        Assumptions.abort(what + " skipped: the Soft-RoCE testbed cannot run here: " + e.getMessage());
        throw new IllegalStateException("unreachable: abort throws");
    }
}
