package dev.weft.provider.softroce.testbed;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs one test method ({@code CLASS#METHOD}) with the JUnit Platform inside the testbed guest,
 * for {@link SoftRoceExtension}. Exit code 0 passed, 1 failed, {@value #ABORTED} skipped. Not for
 * applications.
 */
public final class GuestLauncher {
    /** Exit code of a skipped (aborted) test. */
    public static final int ABORTED = 3;

    private GuestLauncher() {
    }

    /**
     * @param args {@code CLASS#METHOD}
     */
    public static void main(String[] args) {
        if (args.length != 1 || !args[0].contains("#")) {
            System.err.println("usage: GuestLauncher CLASS#METHOD");
            System.exit(2);
        }
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectMethod(args[0])).build(), listener);
        TestExecutionSummary s = listener.getSummary();
        s.printFailuresTo(new PrintWriter(System.out, true), 30);
        System.out.flush();
        if (s.getTestsFoundCount() == 0) {
            System.out.println("no test " + args[0] + " found");
            System.exit(1);
        }
        System.exit(s.getTotalFailureCount() > 0 ? 1 : s.getTestsAbortedCount() > 0 ? ABORTED : 0);
    }
}
