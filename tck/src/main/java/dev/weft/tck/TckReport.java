package dev.weft.tck;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.platform.launcher.LauncherSession;
import org.opentest4j.TestAbortedException;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Collects the outcome of every TCK rule per provider label and, when the test run ends,
 * prints {@code TCK <label>: N passed, N failed, N skipped} (and the known defects below the
 * provider, {@link TckProvider#knownDefects()}, where there are any) and writes
 * {@code target/tck/<label>.json} (rule id, outcome, reason, milliseconds). Registered on
 * {@link TckBase} as an extension; the end of the run is signalled by the JUnit Platform's
 * launcher session (registered as a service in the TCK jar). Thread-safe.
 */
public final class TckReport implements BeforeTestExecutionCallback, AfterTestExecutionCallback, TestWatcher, InvocationInterceptor {
    /** How a rule the provider lists in {@link TckProvider#knownDefects()} ends when it fails as listed. */
    static final class KnownDefectObserved extends TestAbortedException {
        private static final long serialVersionUID = 1L;

        KnownDefectObserved(String message, Throwable observed) {
            super(message, observed);
        }
    }

    /** One rule's outcome. */
    record Outcome(String rule, String outcome, String reason, long millis) {
    }

    private static final Map<String, Map<String, Outcome>> RESULTS = new ConcurrentHashMap<>();
    private static final Map<String, Long> STARTS = new ConcurrentHashMap<>();

    /** Creates the extension. */
    public TckReport() {
    }

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        STARTS.put(context.getUniqueId(), System.nanoTime());
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        // timing is read in the watcher callbacks
    }

    private static void record(ExtensionContext context, String outcome, Throwable cause) {
        Optional<Object> instance = context.getTestInstance();
        String label = instance.filter(TckBase.class::isInstance).map(i -> ((TckBase) i).provider().label()).orElse("unknown");
        String rule = context.getTestMethod().map(Method::getName).orElse(context.getDisplayName());
        rule = ruleId(rule, context.getDisplayName());
        Long start = STARTS.remove(context.getUniqueId());
        long millis = start == null ? 0 : (System.nanoTime() - start) / 1_000_000;
        String reason = cause == null ? null : cause.getMessage() != null ? cause.getMessage() : cause.toString();
        RESULTS.computeIfAbsent(label, k -> new ConcurrentHashMap<>()).put(rule, new Outcome(rule, outcome, reason, millis));
    }

    /**
     * @return the rule id of a case: the method name, with the parameter in brackets for a parameterised case
     *         ({@code rma_write_size[65537]}, whether the display name already shows it so or shows only the parameter),
     *         so that each size is a rule of its own in the report and a later size cannot hide an earlier failure
     */
    static String ruleId(String method, String display) {
        if (display.startsWith(method + "[")) {
            return display;
        }
        return display.startsWith(method) ? method : method + "[" + display + "]";
    }

    /**
     * Runs a rule (a {@code @Test} case); see {@link #intercept}.
     */
    @Override
    public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                    ExtensionContext context) throws Throwable {
        intercept(invocation, invocationContext, context);
    }

    /**
     * Runs one case of a parameterised rule ({@code rma_write_size[1]}); see {@link #intercept}.
     */
    @Override
    public void interceptTestTemplateMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                            ExtensionContext context) throws Throwable {
        intercept(invocation, invocationContext, context);
    }

    /**
     * Runs a case and, when its own assertions passed, the checks every case makes ({@link TckBase#verifyAfterCase()}:
     * guard zones, no completion nobody accounted for), before the fixtures close. A case the provider lists as a known
     * defect, by its rule id ({@code rma_read_size[8]}) or by its method name (all cases of the rule), ends as
     * {@link KnownDefectObserved} when it fails as the entry states ({@link KnownDefect#failure()}), and fails when it
     * fails otherwise or passes.
     */
    private static void intercept(Invocation<Void> invocation, ReflectiveInvocationContext<Method> invocationContext,
                                  ExtensionContext context) throws Throwable {
        TckBase base = context.getTestInstance().filter(TckBase.class::isInstance).map(TckBase.class::cast).orElse(null);
        String method = invocationContext.getExecutable().getName();
        KnownDefect defect = base == null ? null : knownDefect(base.provider().knownDefects(), method, context.getDisplayName());
        if (defect == null) {
            invocation.proceed();
            if (base != null) {
                base.verifyAfterCase();
            }
            return;
        }
        try {
            invocation.proceed();
            base.verifyAfterCase();
        } catch (AssertionError | RuntimeException observed) {
            if (observed instanceof TestAbortedException) {
                throw observed;
            }
            String message = observed.getMessage() != null ? observed.getMessage() : observed.toString();
            if (!defect.matches(observed)) {
                throw new AssertionError("listed as a known defect (" + defect.cause() + ") that fails with \"" + defect.failure()
                        + "\", but it failed otherwise: " + message, observed);
            }
            throw new KnownDefectObserved("known defect: " + defect.cause() + "; observed: " + message, observed);
        }
        throw new AssertionError("listed as a known defect (" + defect.cause() + ") but passed: remove it from the provider's knownDefects()");
    }

    /**
     * @return the description {@code defects} gives a case: under its rule id ({@code rma_read_size[8]}), else under its
     *         method name (every case of the rule), else {@code null}
     */
    static <D> D knownDefect(Map<String, D> defects, String method, String display) {
        D byRule = defects.get(ruleId(method, display));
        return byRule != null ? byRule : defects.get(method);
    }

    @Override
    public void testSuccessful(ExtensionContext context) {
        record(context, "passed", null);
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        record(context, "failed", cause);
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        record(context, cause instanceof KnownDefectObserved ? "known-defect" : "skipped", cause);
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        String label = "unknown";
        String rule = context.getTestMethod().map(Method::getName).orElse(context.getDisplayName());
        RESULTS.computeIfAbsent(label, k -> new ConcurrentHashMap<>()).put(rule, new Outcome(rule, "skipped", reason.orElse("disabled"), 0));
    }

    /**
     * The outcomes recorded so far for one provider label, rule id to outcome
     * ({@code passed}, {@code failed}, {@code skipped} or {@code known-defect}); for tests that
     * check the TCK itself.
     *
     * @param label a provider label
     * @return a snapshot
     */
    public static Map<String, String> outcomes(String label) {
        Map<String, String> m = new TreeMap<>();
        RESULTS.getOrDefault(label, Map.of()).forEach((rule, o) -> m.put(rule, o.outcome()));
        return m;
    }

    /** Prints the summaries and writes the JSON reports; then forgets them. */
    static synchronized void flush(PrintStream out, Path directory) {
        for (Map.Entry<String, Map<String, Outcome>> e : new TreeMap<>(RESULTS).entrySet()) {
            List<Outcome> outcomes = new ArrayList<>(new TreeMap<>(e.getValue()).values());
            long passed = outcomes.stream().filter(o -> o.outcome().equals("passed")).count();
            long failed = outcomes.stream().filter(o -> o.outcome().equals("failed")).count();
            long skipped = outcomes.stream().filter(o -> o.outcome().equals("skipped")).count();
            long defects = outcomes.stream().filter(o -> o.outcome().equals("known-defect")).count();
            for (Outcome o : outcomes) {
                if (!o.outcome().equals("passed")) {
                    out.println("TCK " + e.getKey() + " " + o.outcome() + ": " + o.rule() + " — " + o.reason());
                }
            }
            out.println("TCK " + e.getKey() + ": " + passed + " passed, " + failed + " failed, " + skipped + " skipped"
                    + (defects == 0 ? "" : ", " + defects + " known " + (defects == 1 ? "defect" : "defects") + " below the provider"));
            StringBuilder json = new StringBuilder("{\"provider\":").append(quote(e.getKey())).append(",\"passed\":").append(passed)
                    .append(",\"failed\":").append(failed).append(",\"skipped\":").append(skipped).append(",\"known_defects\":")
                    .append(defects).append(",\"rules\":[");
            for (int i = 0; i < outcomes.size(); i++) {
                Outcome o = outcomes.get(i);
                json.append(i == 0 ? "" : ",").append("\n  {\"rule\":").append(quote(o.rule())).append(",\"outcome\":")
                        .append(quote(o.outcome())).append(",\"reason\":").append(o.reason() == null ? "null" : quote(o.reason()))
                        .append(",\"millis\":").append(o.millis()).append('}');
            }
            json.append("\n]}\n");
            try {
                Files.createDirectories(directory);
                Files.writeString(directory.resolve(e.getKey().replaceAll("[^A-Za-z0-9()_-]", "_") + ".json"), json.toString(),
                        StandardCharsets.UTF_8);
            } catch (IOException ex) {
                out.println("TCK: cannot write the report for " + e.getKey() + ": " + ex);
            }
        }
        RESULTS.clear();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** Writes the reports when the JUnit Platform's launcher session ends (the end of a Maven test run). */
    public static final class SessionListener implements LauncherSessionListener {
        /** Open launcher sessions in this JVM: a test may run the TCK in a nested launcher (the TCK's self-tests do). */
        private static final java.util.concurrent.atomic.AtomicInteger DEPTH = new java.util.concurrent.atomic.AtomicInteger();

        /** Creates the listener (a service). */
        public SessionListener() {
        }

        @Override
        public void launcherSessionOpened(LauncherSession session) {
            DEPTH.incrementAndGet();
        }

        @Override
        public void launcherSessionClosed(LauncherSession session) {
            if (DEPTH.decrementAndGet() <= 0 && !RESULTS.isEmpty()) {
                flush(System.out, Path.of(System.getProperty("weft.tck.reportDir", "target/tck")));
            }
        }
    }
}
