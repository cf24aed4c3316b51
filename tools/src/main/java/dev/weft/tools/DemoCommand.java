package dev.weft.tools;

import java.io.PrintStream;
import java.util.List;

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
        if (argv.size() == 1 || (!argv.isEmpty() && !argv.get(0).equals("--fail"))
                || (argv.size() == 2 && !List.of("interconnect", "partner").contains(argv.get(1))) || argv.size() > 2) {
            throw new UsageException("expected no arguments or --fail interconnect|partner, got " + argv);
        }
        return dev.weft.cluster.demo.ClusterDemo.run(argv, out);
    }
}
