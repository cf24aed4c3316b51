package dev.weft.provider.softroce.tck;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import java.io.PrintWriter;
import java.util.List;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/**
 * Runs the TCK areas against {@code verbs://} on rxe or siw ({@link VerbsSoftDevice}) inside the testbed guest; the TCK's own
 * report (printed summary and {@code <reportDir>/verbs(rxe).json} or {@code verbs(siw).json}) is what the host reads. Exit
 * code 0 if every case passed. Arguments, to run only some areas or cases: simple class names ({@code ResourcesConformance}), or
 * a class and a method ({@code ResourcesConformance#res_queueFullIsAgain}).
 */
public final class GuestTckMain {
    private GuestTckMain() {
    }

    static final List<Class<?>> AREAS = List.of(DiscoveryConformance.class, RegistrationConformance.class, RmaConformance.class,
            SendReceiveConformance.class, AtomicsConformance.class, SecurityConformance.class, ErrorsConformance.class,
            WellKnownRegionConformance.class, ResourcesConformance.class, ConcurrencyConformance.class);

    /**
     * @param args optional area class simple names, each optionally followed by {@code #} and a case's method name
     */
    public static void main(String[] args) {
        LauncherDiscoveryRequestBuilder b = LauncherDiscoveryRequestBuilder.request();
        for (Class<?> c : AREAS) {
            if (args.length == 0 || List.of(args).contains(c.getSimpleName())) {
                b.selectors(selectClass(c));
            }
            for (String a : args) {
                if (a.startsWith(c.getSimpleName() + "#")) {
                    b.selectors(selectMethod(c, a.substring(a.indexOf('#') + 1)));
                }
            }
        }
        LauncherDiscoveryRequest request = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(request, summary);
        summary.getSummary().printFailuresTo(new PrintWriter(System.out), 12);
        System.out.flush();
        System.exit(summary.getSummary().getTotalFailureCount() == 0 ? 0 : 1);
    }
}
