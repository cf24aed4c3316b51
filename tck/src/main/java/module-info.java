/**
 * Weft's conformance kit: abstract JUnit 5 test classes, one per area, that every provider
 * runs by subclassing them with a {@link dev.weft.tck.TckProvider}. See {@code docs/tck.md}.
 */
module dev.weft.tck {
    requires transitive dev.weft.api;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;
    requires transitive org.junit.platform.launcher;
    requires jdk.management; // com.sun.management.ThreadMXBean: the allocation rule counts a thread's bytes

    exports dev.weft.tck;

    provides org.junit.platform.launcher.LauncherSessionListener with dev.weft.tck.TckReport.SessionListener;
}
