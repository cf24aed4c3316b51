package dev.weft.provider.softroce.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.provider.softroce.testbed.SoftRoceExtension;
import dev.weft.provider.softroce.testbed.Testbed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole TCK, strict, against {@code verbs://} on the testbed's soft devices: rxe0 (Soft-RoCE)
 * and siw0 (Soft-iWARP), one VM boot per device running every area ({@link GuestTckMain}). The
 * TCK's report comes back through the share and is copied to {@code target/tck/verbs(rxe).json}
 * and {@code verbs(siw).json}. Strict: everything the provider declares for the device must run
 * and pass; only cases of capabilities the device does not declare may skip (atomics on iWARP),
 * each with its reason, and only the rules {@link VerbsSoftDevice#knownDefects()} lists for the
 * device's kernel may end as known defects. Skipped where the testbed cannot start, unless
 * {@code -Dweft.softroce.required=true} (CI), which turns that into a failure.
 */
class SoftRoceTckTest {
    private static final Pattern COUNT = Pattern.compile("\"(passed|failed|skipped|known_defects)\":(\\d+)");
    private static final Pattern DEFECT = Pattern.compile("\\{\"rule\":\"([^\"]+)\",\"outcome\":\"known-defect\"");
    private static final Pattern SKIP = Pattern.compile("\\{\"rule\":\"([^\"]+)\",\"outcome\":\"skipped\",\"reason\":\"([^\"]*)\"");

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void wholeTckOnRxe(@TempDir Path share) throws Exception {
        Outcome o = runTck(Testbed.Device.RXE, "rxe", share);
        assertEquals(0, o.skipped, "strict mode: rxe declares every capability, so nothing may be skipped: " + o.skips);
        assertTrue(o.passed >= 60, "the TCK ran only " + o.passed + " cases");
    }

    /**
     * iWARP: no atomics, no write-with-immediate, one entry in a read's sink (those cases skip with
     * the reason), rdma_cm only, the read sink needs remote-write access, and writes and sends
     * complete on transmit (a target's rejection ends the connection afterwards; the TCK checks
     * the endpoint instead of the request). siw's missing REMOTE_READ check is the one known
     * defect (docs/provider-verbs.md, iWARP).
     */
    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void wholeTckOnSiw(@TempDir Path share) throws Exception {
        Outcome o = runTck(Testbed.Device.SIW, "siw", share);
        for (Map.Entry<String, String> skip : o.skips.entrySet()) {
            assertTrue(skip.getValue().startsWith("the provider does not declare "),
                    "on siw only undeclared capabilities may skip, not " + skip.getKey() + " (" + skip.getValue() + ")");
        }
        assertTrue(o.skips.size() >= 1, "siw declares no atomics, so the atomics cases skip: " + o.skips);
        assertTrue(o.passed >= 45, "the TCK ran only " + o.passed + " cases");
    }

    private record Outcome(int passed, int failed, int skipped, Map<String, String> skips, List<String> knownDefects) {
    }

    private static Outcome runTck(Testbed.Device device, String name, Path share) throws Exception {
        String label = "verbs(" + name + ")";
        Testbed testbed = SoftRoceExtension.prepareOrSkip(Testbed.create(Testbed.Options.defaults().withTimeout(Duration.ofMinutes(10))
                .withDevices(device)), "TCK " + label);
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-cp", System.getProperty("java.class.path"), "-Dweft.tck.strict=true",
                "-Dweft.tck.device=" + name, "-Dweft.tck.reportDir=" + share, GuestTckMain.class.getName()));
        Testbed.Result r = testbed.exec(command, Path.of("").toAbsolutePath(), Map.of(), share,
                line -> System.out.println("[" + name + "] " + line));
        Path report = share.resolve(label + ".json");
        assertTrue(Files.exists(report), "the TCK wrote no report in the guest; its output:\n" + r.output());
        Path target = Path.of("target/tck");
        Files.createDirectories(target);
        Files.copy(report, target.resolve(label + ".json"), StandardCopyOption.REPLACE_EXISTING);
        String json = Files.readString(report);
        Matcher m = COUNT.matcher(json);
        int passed = -1;
        int failed = -1;
        int skipped = -1;
        int defects = 0;
        while (m.find()) {
            int n = Integer.parseInt(m.group(2));
            switch (m.group(1)) {
                case "passed" -> passed = passed < 0 ? n : passed;
                case "failed" -> failed = failed < 0 ? n : failed;
                case "skipped" -> skipped = skipped < 0 ? n : skipped;
                default -> defects = n;
            }
        }
        Map<String, String> skips = new TreeMap<>();
        Matcher s = SKIP.matcher(json);
        while (s.find()) {
            skips.put(s.group(1), s.group(2));
        }
        List<String> knownDefects = new ArrayList<>();
        Matcher d = DEFECT.matcher(json);
        while (d.find()) {
            knownDefects.add(d.group(1));
        }
        System.out.printf("TCK %s: %d passed, %d failed, %d skipped, %d known defect(s) below the provider (testbed run %.0f s)%n", label, passed, failed,
                skipped, defects, r.elapsed().toMillis() / 1000.0);
        skips.forEach((rule, reason) -> System.out.println("TCK " + label + " skipped " + rule + ": " + reason));
        knownDefects.forEach(rule -> System.out.println("TCK " + label + " known defect " + rule));
        assertEquals(0, failed, "TCK cases failed on " + name + "; see target/tck/" + label + ".json and the [" + name + "] output above");
        assertEquals(skipped, skips.size(), "every skip has its reason in the report");
        assertEquals(defects, knownDefects.size(), "every known defect is named in the report");
        assertTrue(VerbsSoftDevice.knownDefectsOf(name).keySet().containsAll(knownDefects),
                "only the listed defects of " + name + " may occur: " + knownDefects);
        assertEquals(0, r.exitCode(), r.output());
        return new Outcome(passed, failed, skipped, skips, knownDefects);
    }
}
