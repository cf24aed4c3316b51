package dev.weft.provider.softroce.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link KernelImage#deleteTree}: a walk that fails midway is an {@link IOException} its callers catch. No VM. */
class DeleteTreeTest {
    @Test
    void aWalkThatFailsMidwayIsAnIOException(@TempDir Path dir) throws Exception {
        Path top = dir.resolve("deep");
        // directories nested past PATH_MAX (4096): made by bash (dash cannot cd that deep) one level at a time, so opening the deepest by its
        // full path fails (ENAMETOOLONG) in the middle of Files.walk, which throws UncheckedIOException there
        String name = "d".repeat(200);
        Process mk = new ProcessBuilder("bash", "-c", "mkdir deep && cd deep && for i in $(seq 25); do mkdir " + name + " && cd " + name
                + " || exit 1; done; mkdir last").directory(dir.toFile()).inheritIO().start();
        try {
            assertEquals(0, mk.waitFor());
            assertThrows(IOException.class, () -> KernelImage.deleteTree(top));
        } finally {
            assertEquals(0, new ProcessBuilder("rm", "-rf", top.toString()).inheritIO().start().waitFor());
        }
        assertFalse(Files.exists(top));
    }

    @Test
    void aTreeIsDeleted(@TempDir Path dir) throws Exception {
        Path top = Files.createDirectories(dir.resolve("a/b/c"));
        Files.writeString(top.resolve("f"), "x");
        Files.createSymbolicLink(dir.resolve("a/link"), Path.of("/etc"));
        KernelImage.deleteTree(dir.resolve("a"));
        assertFalse(Files.exists(dir.resolve("a")));
        KernelImage.deleteTree(dir.resolve("a")); // nothing there: nothing to do
    }
}
