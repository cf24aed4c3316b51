package dev.weft.tools;

import java.io.PrintStream;
import java.util.List;
import java.util.Set;

/** {@code weft demo}: the cluster connection manager's demo (two peers, slam connect, clients, failover). */
final class DemoCommand {
    static final String USAGE = """
            usage: weft demo [--fail interconnect|partner]

            Starts two cluster peers as two processes on the embedded TCP provider (loopback) and
            shows the slam-connect state machine on both sides, the clients' connections,
            heartbeats and mirror progress. --fail shows an interconnect failover or a partner
            failure being detected, with the detection time.""";

    private DemoCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        Args args = Args.parse(argv, Set.of("fail"), Set.of());
        String fail = args.option("fail", null);
        if (fail != null && !List.of("interconnect", "partner").contains(fail)) {
            throw new UsageException("--fail must be interconnect or partner, not " + fail);
        }
        return dev.weft.cluster.demo.ClusterDemo.run(fail == null ? List.of() : List.of("--fail", fail), out);
    }
}
