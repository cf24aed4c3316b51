package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The api's javadoc is what a provider author outside the project reads; a {@code {@link}} to a type that does not
 * exist makes the {@code javadoc} tool fail (exit status 1) and leaves a dead link. javac's doclint finds such
 * references without building the HTML.
 */
class JavadocReferencesTest {
    @Test
    void everyJavadocReferenceResolves() throws IOException, InterruptedException {
        Path sources = Path.of("src/main/java");
        assertTrue(Files.isDirectory(sources), "run from the api module's directory: " + sources.toAbsolutePath());
        Path classes = Files.createTempDirectory("weft-doclint");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                "-Xdoclint:reference", "-proc:none", "-d", classes.toString()));
        try (Stream<Path> files = Files.walk(sources)) {
            files.filter(p -> p.toString().endsWith(".java")).forEach(p -> command.add(p.toString()));
        }
        Path javacBinary = Path.of(command.get(0));
        assertTrue(Files.isExecutable(javacBinary), "the test needs a JDK (javac), not a JRE: " + javacBinary);
        Path log = Files.createTempFile("weft-doclint", ".log");
        Process javac = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean ended = javac.waitFor(180, java.util.concurrent.TimeUnit.SECONDS);
        if (!ended) {
            javac.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        try (Stream<Path> made = Files.walk(classes)) {
            made.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertTrue(ended, () -> "javac -Xdoclint:reference did not finish within 180 s:\n" + output);
        assertEquals(0, javac.exitValue(), () -> "javac -Xdoclint:reference found broken javadoc references:\n" + output);
    }
}
