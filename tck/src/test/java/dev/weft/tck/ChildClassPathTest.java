package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import org.junit.jupiter.api.Test;

/** The second JVM's class path holds the test JVM's module path too: a provider tested as a JPMS module. */
class ChildClassPathTest {
    @Test
    void modulePathEntriesComeFirstThenTheClassPathWithoutRepeats() {
        String modulePath = System.getProperty("jdk.module.path");
        String classPath = System.getProperty("java.class.path");
        try {
            System.setProperty("jdk.module.path", String.join(File.pathSeparator, "api.jar", "provider.jar"));
            System.setProperty("java.class.path", String.join(File.pathSeparator, "provider.jar", "junit.jar"));
            assertEquals(String.join(File.pathSeparator, "api.jar", "provider.jar", "junit.jar"), TckBase.childClassPath());
            System.clearProperty("jdk.module.path");
            assertEquals(String.join(File.pathSeparator, "provider.jar", "junit.jar"), TckBase.childClassPath(), "a class-path run");
        } finally {
            restore("jdk.module.path", modulePath);
            restore("java.class.path", classPath);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
