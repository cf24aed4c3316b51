package dev.weft.cluster.demo;

import dev.weft.cluster.ClusterNode;
import dev.weft.cluster.HeartbeatMonitor;
import dev.weft.cluster.LogMirror;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One peer of {@code weft demo}, run as its own process by {@link ClusterDemo}: a cluster node
 * with a heartbeat monitor and a log mirror on one or more interconnects. Prints one line per
 * event; reads commands on standard input: {@code append N}, {@code hang}, {@code status},
 * {@code quit}.
 *
 * <p>Arguments: {@code NAME NODE_ID LOCAL_URI PARTNER_URI [LOCAL_URI PARTNER_URI ...]}.
 */
public final class DemoPeer {
    private DemoPeer() {
    }

    /**
     * Runs the peer until {@code quit} or the end of standard input.
     *
     * @param args see the class comment
     * @throws Exception on a broken set-up
     */
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String name = args[0];
        long nodeId = Long.parseLong(args[1]);
        List<ClusterNode.Interconnect> interconnects = new ArrayList<>();
        for (int i = 2; i + 1 < args.length; i += 2) {
            interconnects.add(new ClusterNode.Interconnect(args[i], args[i + 1]));
        }
        long started = System.nanoTime();
        HeartbeatMonitor heartbeat = new HeartbeatMonitor(Duration.ofMillis(100), 5,
                (state, why) -> out.printf("%s partner %s: %s%n", stamp(started), state, why));
        LogMirror mirror = new LogMirror(1024, Duration.ofSeconds(15));
        ClusterNode node = new ClusterNode(nodeId, interconnects, List.of(heartbeat, mirror),
                s -> s.withWaitTimeout(Duration.ofSeconds(10)),
                (ic, from, event, to, detail) -> out.printf("%s interconnect %d: %s -> %s on %s (%s)%n", stamp(started), ic,
                        label(from), label(to), event, detail),
                line -> out.println(stamp(started) + " " + line));
        out.printf("%s node %d up, incarnation %016x, %d interconnect(s)%n", stamp(started), nodeId, node.incarnation(), interconnects.size());
        Thread ticker = Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                out.printf("%s heartbeats sent %d, received %d, via interconnect %d; partner %s; partner's log mirrored up to %d%n",
                        stamp(started), heartbeat.sent(), heartbeat.received(), heartbeat.activeInterconnect(), heartbeat.state(),
                        mirror.mirroredUpTo());
            }
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] words = line.trim().split("\\s+");
            switch (words[0]) {
                case "append" -> {
                    int n = Integer.parseInt(words[1]);
                    for (int i = 0; i < n; i++) {
                        long seq = mirror.append(("record from " + name + " #" + (mirror.appended() + 1)).getBytes(StandardCharsets.UTF_8));
                        if (seq % 10 == 0 || i == n - 1) {
                            out.printf("%s mirrored record %d into the partner (interconnect %d)%n", stamp(started), seq,
                                    heartbeat.activeInterconnect());
                        }
                    }
                }
                case "hang" -> {
                    heartbeat.pauseSending(true);
                    out.printf("%s application hangs: no more heartbeats (the fabric stays up)%n", stamp(started));
                }
                case "status" -> out.printf("%s status: partner %s, partner's log mirrored up to %d%n", stamp(started),
                        heartbeat.state(), mirror.mirroredUpTo());
                case "quit" -> {
                    ticker.interrupt();
                    heartbeat.close();
                    node.close();
                    heartbeat.release();
                    mirror.release();
                    out.printf("%s node %d stopped%n", stamp(started), nodeId);
                    return;
                }
                default -> out.println("unknown command: " + line);
            }
        }
        node.close();
    }

    private static String label(dev.weft.cluster.SlamState s) {
        return s.code() <= 5 ? s.code() + " " + s.name() : s.name();
    }

    private static String stamp(long started) {
        return String.format("%6.3fs", (System.nanoTime() - started) / 1e9);
    }

}
