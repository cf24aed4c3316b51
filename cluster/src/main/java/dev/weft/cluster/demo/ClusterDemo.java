package dev.weft.cluster.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * {@code weft demo}: two cluster peers as two processes on the embedded TCP provider, on two
 * loopback interconnects (127.0.0.1 and 127.0.0.2). Shows slam connect on both sides (peer A
 * starts first and waits in state 3 until B appears), the clients' connections, heartbeats and
 * the mirror's progress; {@code --fail interconnect} cuts interconnect 0 (a half-open link through
 * a fault proxy) and shows the clients failing over from interconnect 0, the preferred one, which
 * both peers' heartbeats use before the cut, to interconnect 1, without losing a mirrored record and
 * without either peer declaring the other failed (each is checked; the demo fails otherwise);
 * {@code --fail partner} makes B's application hang and shows A declaring it failed.
 * Ends by itself and always stops its child processes.
 */
public final class ClusterDemo {
    /** Usage text. */
    public static final String USAGE = "usage: weft demo [--fail interconnect|partner]";
    private static final long STEP_TIMEOUT_MILLIS = 20_000;

    private ClusterDemo() {
    }

    /** A child process whose output lines are echoed with a prefix and kept for {@link #await}. */
    private static final class Peer implements AutoCloseable {
        final String name;
        final Process process;
        final Writer stdin;
        final List<String> lines = new CopyOnWriteArrayList<>();
        private boolean quitRequested; // the demo's thread only

        Peer(String name, List<String> command, PrintStream out) throws IOException {
            this.name = name;
            this.process = new ProcessBuilder(command).redirectErrorStream(true).start();
            this.stdin = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        lines.add(line);
                        synchronized (out) {
                            out.println("[" + name + "] " + line);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
            });
        }

        void send(String command) throws IOException {
            stdin.write(command + "\n");
            stdin.flush();
        }

        /** Waits for a line matching {@code test} that arrived after line {@code from}; returns its index. */
        int await(int from, Predicate<String> test, String what) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STEP_TIMEOUT_MILLIS);
            while (System.nanoTime() < deadline) {
                for (int i = from; i < lines.size(); i++) {
                    if (test.test(lines.get(i))) {
                        return i;
                    }
                }
                if (!process.isAlive()) {
                    throw new IllegalStateException("peer " + name + " exited before: " + what);
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException("peer " + name + " did not report within " + STEP_TIMEOUT_MILLIS + " ms: " + what);
        }

        /** Asks the peer to stop, once, without waiting: the demo asks every peer before it waits for any. */
        void requestQuit() {
            if (quitRequested) {
                return;
            }
            quitRequested = true;
            try {
                send("quit");
            } catch (IOException ignored) {
                // the process has gone already, or is destroyed in close
            }
        }

        @Override
        public void close() {
            requestQuit();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // destroyed below
            }
            process.destroyForcibly();
        }
    }

    /**
     * Runs the demo.
     *
     * @param args {@code [--fail interconnect|partner]}
     * @param out where the story is told
     * @return 0 on success, 1 if a step failed, 2 for bad arguments
     */
    public static int run(List<String> args, PrintStream out) {
        String fail = null;
        if (args.size() == 2 && args.get(0).equals("--fail") && (args.get(1).equals("interconnect") || args.get(1).equals("partner"))) {
            fail = args.get(1);
        } else if (!args.isEmpty()) {
            out.println("weft demo: unexpected arguments " + args);
            out.println(USAGE);
            return 2;
        }
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            InetAddress ic0 = InetAddress.getByName("127.0.0.1");
            InetAddress ic1 = InetAddress.getByName("127.0.0.2");
            int a0 = freePort(ic0);
            int b0 = freePort(ic0);
            int a1 = freePort(ic1);
            int b1 = freePort(ic1);
            FaultProxy toB = new FaultProxy(ic0, new InetSocketAddress(ic0, b0));
            FaultProxy toA = new FaultProxy(ic0, new InetSocketAddress(ic0, a0));
            resources.add(toB);
            resources.add(toA);
            String params = "?timeout=1000";
            out.println("weft demo: two peers, two interconnects (127.0.0.1 through a fault proxy, 127.0.0.2 direct), TCP provider");
            out.println("  A: tcp://127.0.0.1:" + a0 + "  tcp://127.0.0.2:" + a1 + "   B: tcp://127.0.0.1:" + b0 + "  tcp://127.0.0.2:" + b1);
            out.println("  clients on both peers: heartbeat monitor (100 ms, 5 missed = failed), log mirror");
            out.println();
            Peer a = new Peer("A", command("A", 1, "tcp://127.0.0.1:" + a0 + params, "tcp://127.0.0.1:" + toB.port(),
                    "tcp://127.0.0.2:" + a1 + params, "tcp://127.0.0.2:" + b1), out);
            resources.add(0, a);
            a.await(0, l -> l.contains("3 WAITING_ON_PARTNER"), "A waits for its partner (state 3)");
            Peer b = new Peer("B", command("B", 2, "tcp://127.0.0.1:" + b0 + params, "tcp://127.0.0.1:" + toA.port(),
                    "tcp://127.0.0.2:" + b1 + params, "tcp://127.0.0.2:" + a1), out);
            resources.add(0, b);
            long t0 = System.nanoTime();
            for (Peer p : List.of(a, b)) {
                for (int ic = 0; ic < 2; ic++) {
                    String tag = "interconnect " + ic + ": client mirror connected";
                    p.await(0, l -> l.contains(tag), p.name + " connects its clients on interconnect " + ic);
                }
                p.await(0, l -> l.contains("partner ALIVE"), p.name + " sees heartbeats");
            }
            note(out, "both peers connected on both interconnects and heartbeating " + millis(t0) + " ms after B started");
            int mark = b.lines.size();
            a.send("append 20");
            a.await(0, l -> l.contains("mirrored record 20 "), "A mirrors 20 records");
            b.await(mark, l -> l.contains("mirrored up to 20"), "B's mirror holds A's 20 records");
            note(out, "A's log is mirrored in B up to record 20");
            if ("interconnect".equals(fail)) {
                // the cut must move the clients: both peers' heartbeats go over interconnect 0, the preferred one, first
                int beforeA = a.lines.size();
                int beforeB = b.lines.size();
                a.await(beforeA, l -> l.contains("via interconnect 0; partner ALIVE"), "A's heartbeats go over interconnect 0 before the cut");
                b.await(beforeB, l -> l.contains("via interconnect 0; partner ALIVE"), "B's heartbeats go over interconnect 0 before the cut");
                int markA = a.lines.size();
                int markB = b.lines.size();
                toA.mode(FaultProxy.Mode.BLACK_HOLE);
                toB.mode(FaultProxy.Mode.BLACK_HOLE);
                long cut = System.nanoTime();
                note(out, "interconnect 0 cut (half-open: packets vanish, connections stay open)");
                a.await(markA, l -> l.contains("interconnect 0: CONNECTED -> ERROR"), "A detects the cut");
                note(out, "A detected the failed interconnect after " + millis(cut) + " ms");
                a.send("append 10");
                a.await(markA, l -> l.contains("mirrored record 30 "), "A mirrors 10 more records over interconnect 1");
                b.await(markB, l -> l.contains("mirrored up to 30"), "B's mirror holds all 30 records");
                a.await(markA, l -> l.contains("via interconnect 1; partner ALIVE"), "A's heartbeats go over interconnect 1");
                b.await(markB, l -> l.contains("via interconnect 1; partner ALIVE"), "B's heartbeats go over interconnect 1");
                for (Peer p : List.of(a, b)) {
                    int from = p == a ? markA : markB;
                    if (p.lines.stream().skip(from).anyMatch(l -> l.contains("partner FAILED"))) {
                        throw new IllegalStateException(p.name + " declared its partner failed although interconnect 1 was up");
                    }
                }
                note(out, "clients moved from interconnect 0 to interconnect 1: no record lost or duplicated, neither peer declared"
                        + " the other failed");
            } else if ("partner".equals(fail)) {
                int markA = a.lines.size();
                b.send("hang");
                long hang = System.nanoTime();
                a.await(markA, l -> l.contains("partner FAILED"), "A declares B failed");
                note(out, "A declared B failed " + millis(hang) + " ms after B's application stopped heartbeating"
                        + " (the interconnects stayed up; takeover is the application's decision)");
            }
            note(out, "demo complete; stopping both peers");
            return 0;
        } catch (IllegalStateException | IOException e) {
            out.println("weft demo: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            // both peers stop together: a peer that outlived its partner would report the partner's departure as a
            // failed interconnect and retry it, which is not part of this story
            for (AutoCloseable r : resources) {
                if (r instanceof Peer p) {
                    p.requestQuit();
                }
            }
            for (AutoCloseable r : resources) {
                try {
                    r.close();
                } catch (Exception ignored) {
                    // best effort: every child is destroyed in Peer.close
                }
            }
        }
    }

    private static List<String> command(String name, long nodeId, String local0, String partner0, String local1, String partner1) {
        String java = ProcessHandle.current().info().command().orElse("java");
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DemoPeer.class.getName(), name, Long.toString(nodeId), local0, partner0, local1, partner1);
    }

    /** Where {@link #freePort} starts looking, picked at random per run; below {@link #FIRST_EPHEMERAL}. */
    private static final AtomicInteger NEXT_PORT = new AtomicInteger(20_000 + ThreadLocalRandom.current().nextInt(10_000));
    /** Linux's default first ephemeral port ({@code /proc/sys/net/ipv4/ip_local_port_range}). */
    private static final int FIRST_EPHEMERAL = 32_768;

    /**
     * A port free on {@code address} now, for a peer's listener that must be named before the peer starts. Taken below
     * the kernel's ephemeral range and never twice in one run, as the cluster tests do: a port from that range (bind to
     * port 0, close, use later, as before 2026-12-06) can be handed out again meanwhile, to a fault proxy's listener or
     * to the local end of a connection, and the peer's listen then fails with "Address already in use".
     */
    private static int freePort(InetAddress address) throws IOException {
        for (int attempt = 0; attempt < 1000; attempt++) {
            int p = NEXT_PORT.getAndUpdate(n -> n + 1 < FIRST_EPHEMERAL ? n + 1 : 20_000);
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(address, p), 1);
                return p;
            } catch (BindException inUse) {
                // taken by another process: try the next one
            }
        }
        throw new IOException("no free port on " + address.getHostAddress() + " between 20000 and " + FIRST_EPHEMERAL + " after 1000 tries");
    }

    private static long millis(long since) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
    }

    private static void note(PrintStream out, String text) {
        synchronized (out) {
            out.println("==> " + text);
        }
    }
}
