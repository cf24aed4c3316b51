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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole TCK, strict, against {@code verbs://} on the testbed's rxe device: one VM boot runs
 * every area ({@link GuestTckMain}); the TCK's report comes back through the share and is copied
 * to {@code target/tck/verbs(rxe).json}. Skipped with the reason where the testbed cannot start,
 * unless {@code -Dweft.softroce.required=true} (CI), which turns that into a failure.
 */
class SoftRoceTckTest {
    private static final Pattern COUNT = Pattern.compile("\"(passed|failed|skipped)\":(\\d+)");

    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void wholeTckOnRxe(@TempDir Path share) throws Exception {
        Testbed testbed = SoftRoceExtension.prepareOrSkip(Testbed.create(Testbed.Options.defaults().withTimeout(Duration.ofMinutes(10))),
                "TCK verbs(rxe)");
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "-Xmx1g", "-cp", System.getProperty("java.class.path"), "-Dweft.tck.strict=true",
                "-Dweft.tck.reportDir=" + share, GuestTckMain.class.getName()));
        Testbed.Result r = testbed.exec(command, Path.of("").toAbsolutePath(), Map.of(), share, line -> System.out.println("[rxe] " + line));
        Path report = share.resolve("verbs(rxe).json");
        assertTrue(Files.exists(report), "the TCK wrote no report in the guest; its output:\n" + r.output());
        Path target = Path.of("target/tck");
        Files.createDirectories(target);
        Files.copy(report, target.resolve("verbs(rxe).json"), StandardCopyOption.REPLACE_EXISTING);
        String json = Files.readString(report);
        Matcher m = COUNT.matcher(json);
        int passed = -1;
        int failed = -1;
        int skipped = -1;
        while (m.find()) {
            int n = Integer.parseInt(m.group(2));
            switch (m.group(1)) {
                case "passed" -> passed = passed < 0 ? n : passed;
                case "failed" -> failed = failed < 0 ? n : failed;
                default -> skipped = skipped < 0 ? n : skipped;
            }
        }
        System.out.printf("TCK verbs(rxe): %d passed, %d failed, %d skipped (testbed run %.0f s)%n", passed, failed, skipped,
                r.elapsed().toMillis() / 1000.0);
        assertEquals(0, failed, "TCK cases failed on rxe; see target/tck/verbs(rxe).json and the [rxe] output above");
        assertEquals(0, skipped, "strict mode: nothing the verbs provider declares may be skipped");
        assertTrue(passed >= 60, "the TCK ran only " + passed + " cases");
        assertEquals(0, r.exitCode(), r.output());
    }
}
