package dev.weft.provider.softroce.tck;

import dev.weft.Access;
import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.Fabric;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import dev.weft.provider.softroce.testbed.Testbed;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reproducer for the intermittent {@code wk_readAsFirstOperation} hang on Soft-iWARP: connects again and again to a
 * listener that already holds one accepted connection (as {@code TckBase.connect} leaves it), naming the published region,
 * and posts a 256-byte RDMA read as the very first operation of the new connection; a read that does not complete within
 * 5 s is a failure. For a failure it prints the endpoint states and the kernel TCP sockets of the connection
 * ({@code ss -tnoi}, siw runs over kernel TCP, so a stuck request shows as a non-zero Recv-Q at the target), then posts a
 * zero-length RDMA write on the same endpoint (a "nudge": new bytes on the target's socket) and reports whether the read
 * completes after it.
 *
 * <p>Runs inside the testbed guest (siw0 at {@link Testbed#siwAddress()}; {@code -Dweft.tck.device=rxe} for rxe0).
 * Arguments: {@code [N] [VARIANT,...] [load=K]}; N iterations per variant (default 300). Variants (default
 * {@code active,passive}): {@code active} as described; {@code passive} posts the first read on the accepted endpoint
 * instead (reading the client's memory); {@code probe} is {@code active} with a thread that, as soon as the listener hands
 * out the accepted endpoint, posts a 1-byte read from it to the client (emulating a passive-side post-ESTABLISHED probe
 * whose response wakes the target's socket). The verbs provider itself nudges every connection it makes on siw
 * (SiwFirstFrame), so on a fixed provider {@code active} has no hangs; a read slower than 100 ms is counted.
 * {@code load=K} spins K busy threads for scheduling pressure. Stops after N iterations per variant or about 9.5 minutes
 * in all. Exit code 1 if any iteration failed.
 */
public final class FirstReadLoopMain {
    private static final int LENGTH = 256;
    private static final long WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final long DEADLINE_NANOS = System.nanoTime() + TimeUnit.SECONDS.toNanos(570);
    private static final String REGION = "tck";

    private final CompletionBatch batch = new CompletionBatch(256);
    private Fabric serverFabric;
    private Domain serverDomain;
    private CompletionQueue serverQueue;
    private MemoryRegion target;
    private MemoryRegion serverSink;
    private Listener listener;
    private Fabric clientFabric;
    private Domain clientDomain;
    private CompletionQueue clientQueue;
    private MemoryRegion local;
    private MemoryRegion clientTarget;
    private final List<String> failures = new ArrayList<>();

    private FirstReadLoopMain() {
    }

    /**
     * @param args {@code [N] [active|passive|both] [load=K]}
     */
    public static void main(String[] args) throws Exception {
        int n = 300;
        String mode = "active,passive";
        int load = 0;
        for (String a : args) {
            if (a.matches("\\d+")) {
                n = Integer.parseInt(a);
            } else if (a.startsWith("load=")) {
                load = Integer.parseInt(a.substring(5));
            } else {
                mode = a;
            }
        }
        for (int i = 0; i < load; i++) {
            Thread.ofPlatform().daemon().name("load-" + i).start(() -> {
                long x = 0;
                while (true) {
                    x += System.nanoTime() & 7;
                    if (x == 42) {
                        System.out.print("");
                    }
                }
            });
        }
        String device = System.getProperty("weft.tck.device", "siw");
        String address = device.equals("siw") ? Testbed.siwAddress() : Testbed.address();
        String uri = "verbs://" + address + ":0?ack_timeout=12&retry=3";
        System.out.printf("FirstReadLoopMain: %s, N=%d per variant, mode=%s, load=%d%n", uri, n, mode, load);
        FirstReadLoopMain m = new FirstReadLoopMain();
        try (Arena arena = Arena.ofShared()) {
            m.open(uri, arena);
            for (String variant : mode.split(",")) {
                m.loop(n, variant);
            }
            m.close();
        }
        System.out.println("FirstReadLoopMain: " + m.failures.size() + " failure(s)");
        for (String f : m.failures) {
            System.out.println("  " + f);
        }
        System.out.flush();
        System.exit(m.failures.isEmpty() ? 0 : 1);
    }

    private void open(String uri, Arena arena) {
        serverFabric = Fabrics.open(uri);
        serverDomain = serverFabric.openDomain();
        serverQueue = serverDomain.openCompletionQueue(1024);
        target = serverDomain.register(arena.allocate(1 << 16, 4096), EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE));
        pattern(target.segment(), 12);
        serverSink = serverDomain.register(arena.allocate(1 << 16, 4096), EnumSet.of(Access.LOCAL_WRITE));
        listener = serverDomain.listen(EndpointConfig.of(serverQueue).withReceiveQueueDepth(512));
        listener.publish(REGION, target);
        clientFabric = Fabrics.open(uri);
        clientDomain = clientFabric.openDomain();
        clientQueue = clientDomain.openCompletionQueue(4096);
        EnumSet<Access> sink = clientFabric.info().limits().readSinkAccess();
        local = clientDomain.register(arena.allocate(1 << 16, 4096), sink);
        clientTarget = clientDomain.register(arena.allocate(1 << 16, 4096), EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE));
        pattern(clientTarget.segment(), 34);
        // the connection TckBase.connect() makes first; the loop's connections are each a second one, as in the rule
        Endpoint keeper = clientDomain.connect(listener.uri().withRegion(REGION),
                EndpointConfig.of(clientQueue).withSendQueueDepth(1024).withReceiveQueueDepth(512));
        Endpoint keeperAccepted = listener.accept(Duration.ofSeconds(5));
        System.out.println("keeper connection: " + keeper + ", accepted " + keeperAccepted + "; listener " + listener.uri());
    }

    private void loop(int n, String variant) {
        boolean passiveFirst = variant.equals("passive");
        boolean probe = variant.equals("probe");
        if (!passiveFirst && !probe && !variant.equals("active")) {
            throw new IllegalArgumentException("unknown variant " + variant + "; say active, passive or probe");
        }
        java.util.concurrent.LinkedBlockingQueue<Endpoint> probed = new java.util.concurrent.LinkedBlockingQueue<>();
        java.util.concurrent.atomic.AtomicBoolean probing = new java.util.concurrent.atomic.AtomicBoolean(probe);
        java.util.concurrent.atomic.AtomicLong probeWr = new java.util.concurrent.atomic.AtomicLong(3L << 40);
        Thread prober = null;
        if (probe) {
            prober = Thread.ofPlatform().name("prober").start(() -> {
                while (probing.get()) {
                    Endpoint a = listener.accept(Duration.ofMillis(100));
                    if (a != null) {
                        PostStatus s = a.read(probeWr.incrementAndGet(), serverSink, 1024, 1, clientTarget.toRemote(), 0);
                        if (s != PostStatus.OK) {
                            System.out.println("probe post answered " + s + " on " + a);
                        }
                        probed.add(a);
                    }
                }
            });
        }
        int slow = 0;
        long sumConnect = 0;
        long maxConnect = 0;
        long sumRead = 0;
        long maxRead = 0;
        int done = 0;
        int failed = 0;
        for (int i = 0; i < n && System.nanoTime() < DEADLINE_NANOS; i++) {
            long wr = ((long) (passiveFirst ? 2 : 1) << 40) | i;
            if (!probe) {
                Endpoint stale;
                while ((stale = listener.accept(Duration.ZERO)) != null) {
                    System.out.println("closing a stale accepted endpoint " + stale);
                    stale.close();
                }
            }
            long t0 = System.nanoTime();
            Endpoint e;
            try {
                e = clientDomain.connect(listener.uri().withRegion(REGION), EndpointConfig.of(clientQueue));
            } catch (RuntimeException ex) {
                fail(variant, i, "connect failed after " + ms(System.nanoTime() - t0) + " ms: " + ex);
                failed++;
                continue;
            }
            long t1 = System.nanoTime();
            Endpoint p = null;
            Completion c;
            CompletionQueue q;
            if (passiveFirst) {
                p = listener.accept(Duration.ofSeconds(5));
                if (p == null) {
                    fail(variant, i, "the listener handed out no endpoint within 5 s; client " + e);
                    failed++;
                    closeAll(e, null);
                    continue;
                }
                t1 = System.nanoTime();
                serverSink.segment().asSlice(0, LENGTH).fill((byte) 0);
                q = serverQueue;
                PostStatus s = p.read(wr, serverSink, 0, LENGTH, clientTarget.toRemote(), 0);
                if (s != PostStatus.OK) {
                    fail(variant, i, "post answered " + s + "; " + p);
                    failed++;
                    closeAll(e, p);
                    continue;
                }
            } else {
                RemoteRegion r = e.wellKnownRegion().orElseThrow();
                local.segment().asSlice(0, LENGTH).fill((byte) 0);
                q = clientQueue;
                PostStatus s = e.read(wr, local, 0, LENGTH, r, 0);
                if (s != PostStatus.OK) {
                    fail(variant, i, "post answered " + s + "; " + e);
                    failed++;
                    closeAll(e, null);
                    continue;
                }
            }
            c = await(q, wr, WAIT_NANOS);
            long t2 = System.nanoTime();
            if (c == null) {
                failed++;
                if (!passiveFirst) {
                    p = take(probe, probed); // did the passive side see ESTABLISHED?
                }
                StringBuilder why = new StringBuilder("read not completed after " + ms(t2 - t1) + " ms (connect took " + ms(t1 - t0)
                        + " ms); initiator " + (passiveFirst ? p : e) + "; other side " + (passiveFirst ? e : (p == null
                        ? "not accepted (no ESTABLISHED on the passive side)" : p.toString())));
                why.append("\n    sockets: ").append(sockets(listener.uri().port()).replace("\n", "\n      "));
                // nudge: new bytes on the target's socket make its data_ready run again
                Endpoint initiator = passiveFirst ? p : e;
                RemoteRegion r = passiveFirst ? clientTarget.toRemote() : e.wellKnownRegion().orElseThrow();
                PostStatus ns = initiator.write(wr | (1L << 39), passiveFirst ? serverSink : local, 0, 0, r, 0);
                Completion after = await(q, wr, TimeUnit.SECONDS.toNanos(3));
                why.append("\n    nudge (zero-length write) ").append(ns).append(": read ")
                        .append(after == null ? "still not completed 3 s later" : "completed " + after.status() + " after the nudge");
                fail(variant, i, why.toString());
                closeAll(e, p);
                continue;
            }
            MemorySegment sink = passiveFirst ? serverSink.segment() : local.segment();
            if (c.status() != Status.SUCCESS || !hasPattern(sink, passiveFirst ? 34 : 12)) {
                fail(variant, i, "read completed " + c + ", data " + (hasPattern(sink, passiveFirst ? 34 : 12) ? "ok" : "wrong"));
                failed++;
            }
            long connectNs = t1 - t0;
            long readNs = t2 - t1;
            sumConnect += connectNs;
            sumRead += readNs;
            maxConnect = Math.max(maxConnect, connectNs);
            maxRead = Math.max(maxRead, readNs);
            done++;
            if (!passiveFirst) {
                p = take(probe, probed);
            }
            if (readNs > TimeUnit.MILLISECONDS.toNanos(100)) {
                slow++;
            }
            closeAll(e, p);
            if ((i + 1) % 50 == 0) {
                System.out.printf("%s: %d iterations, %d failed%n", variant, i + 1, failed);
            }
        }
        probing.set(false);
        if (prober != null) {
            try {
                prober.join(2000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            Endpoint left;
            while ((left = probed.poll()) != null) {
                left.close();
            }
        }
        System.out.printf("%s: %d completed reads, %d failed, %d slower than 100 ms; connect avg %.1f ms "
                + "max %.1f ms; read avg %.2f ms max %.1f ms%n", variant, done, failed, slow, done == 0 ? 0.0 : sumConnect / 1e6 / done,
                maxConnect / 1e6,
                done == 0 ? 0.0 : sumRead / 1e6 / done, maxRead / 1e6);
    }

    private Endpoint take(boolean probe, java.util.concurrent.BlockingQueue<Endpoint> probed) {
        if (!probe) {
            return listener.accept(Duration.ofMillis(500));
        }
        try {
            return probed.poll(500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private void closeAll(Endpoint e, Endpoint p) {
        if (e != null) {
            e.close();
        }
        if (p != null) {
            p.close();
        }
        // let flushed completions release the endpoints
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        while (System.nanoTime() < until) {
            batch.clear();
            int k = clientQueue.poll(batch);
            batch.clear();
            k += serverQueue.poll(batch);
            if (k == 0) {
                Thread.onSpinWait();
            }
        }
        batch.clear();
    }

    private Completion await(CompletionQueue q, long wr, long nanos) {
        long deadline = System.nanoTime() + nanos;
        while (System.nanoTime() < deadline) {
            batch.clear();
            int k = q.await(batch, 100, TimeUnit.MILLISECONDS);
            for (int j = 0; j < k; j++) {
                Completion c = batch.get(j);
                if (c.workRequestId() == wr) {
                    return c.copy();
                }
            }
        }
        return null;
    }

    private void fail(String variant, int i, String what) {
        String line = variant + " #" + i + ": " + what;
        System.out.println("FAIL " + line);
        System.out.flush();
        failures.add(line);
    }

    private static String sockets(int port) {
        try {
            Process pr = new ProcessBuilder("ss", "-tnoi", "state", "all").redirectErrorStream(true).start();
            StringBuilder out = new StringBuilder();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(pr.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                String previous = null;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("\t") || line.startsWith(" ")) {
                        if (previous != null && mentions(previous, port)) {
                            out.append("    ").append(line.trim()).append('\n');
                        }
                        continue;
                    }
                    previous = line;
                    if (line.startsWith("TIME-WAIT")) {
                        previous = null;
                        continue;
                    }
                    if (mentions(line, port)) {
                        out.append(line).append('\n');
                    }
                }
            }
            pr.waitFor(5, TimeUnit.SECONDS);
            return out.toString().strip();
        } catch (Exception ex) {
            return "(ss failed: " + ex + ")";
        }
    }

    private static boolean mentions(String line, int port) {
        return line.matches(".*:" + port + "(\\s.*)?");
    }

    private static void pattern(MemorySegment s, int seed) {
        for (int i = 0; i < LENGTH; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (seed + i * 7));
        }
    }

    private static boolean hasPattern(MemorySegment s, int seed) {
        for (int i = 0; i < LENGTH; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != (byte) (seed + i * 7)) {
                return false;
            }
        }
        return true;
    }

    private static String ms(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }

    private void close() {
        clientFabric.close();
        serverFabric.close();
    }
}
