package dev.weft.provider.softroce.perf;

import dev.weft.Access;
import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.Fabric;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.provider.softroce.testbed.Testbed;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Splits the testbed's small-read gap between Weft and {@code ib_read_lat} into what Weft's own code costs and what
 * any Java program pays: measures 8-byte RDMA reads on one rxe connection in rounds of three, in an order that
 * rotates from round to round: through Weft's API (post with {@link Endpoint#read}, poll with
 * {@link CompletionQueue#poll}, as {@code weft perf client --op read} does); with the bare downcalls on the same queue
 * pair, completion queue and work request (the provider's {@code post_send} and {@code poll_cq} handles, called from a
 * plain loop that checks only the completion's status), the floor of a Java implementation: the same JVM, the same
 * downcall stubs, no library; and {@code ib_read_lat} (server on CPU 0, client on CPU 1) while this JVM waits.
 *
 * <p>The testbed's speed jumps between levels within seconds on some hosts, so the figures that compare are the
 * per-round ratios of tools measured seconds apart, and the lowest level each tool reached over the rounds.
 *
 * <p>A diagnostic, not a test: runs inside the testbed guest (rxe0 at {@link Testbed#address()}, perftest installed),
 * pinned to CPU 1 as {@code weft perf client} is, and reaches into the provider's internals by reflection (run it on
 * the class path). Both ends of the connection are in this process; the target side only waits, as
 * {@code weft perf server} does during a read test. Every iteration is timed as {@code weft perf} times it: one
 * {@code System.nanoTime()} at its end, the difference to the previous one. Arguments:
 * {@code [ROUNDS] [ITERATIONS] [WARMUP]}, defaults 5, 10000 and 100000 (per Java loop and round; the first round's
 * warm-up is three times longer, for C2 in an emulated CPU). Run by {@code WEFT_PERF_FLOOR=ROUNDS scripts/perf-softroce.sh}.
 * With {@code profile=weft} or {@code profile=bare} first, it runs that one loop only: it warms up, prints
 * "profiling", reads for ROUNDS seconds (the window for {@code perf record -C 1}) and prints the loop's median.
 */
@SuppressWarnings("restricted") // the two downcall handles: the floor is the provider's own downcalls, made the same way
public final class ReadFloorMain {
    private static final int SIZE = 8;
    // the provider's hot downcalls as it makes them (Ibv.POST_SEND, Ibv.POLL_CQ; that package is not exported):
    // function address, then the arguments as addresses and counts, with Linker.Option.critical
    private static final MethodHandle POST_SEND = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));
    private static final MethodHandle POLL_CQ = Linker.nativeLinker().downcallHandle(
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG),
            Linker.Option.critical(false));

    private final CompletionBatch batch = new CompletionBatch(64);
    private Endpoint endpoint;
    private CompletionQueue queue;
    private MemoryRegion sink;
    private RemoteRegion remote;
    private long completed;
    private long polls;

    // the raw path: the provider's own native objects, read out of its endpoint and completion queue
    private MemorySegment postSendFn;
    private long qp;
    private long wr;
    private long badWr;
    private MemorySegment pollFn;
    private long cq;
    private long wcsAddress;
    private MemorySegment wcs;
    private long wcStatus;

    private ReadFloorMain() {
    }

    public static void main(String[] args) throws Throwable {
        String profile = args.length > 0 && args[0].startsWith("profile=") ? args[0].substring(8) : null; // weft or bare
        if (profile != null) {
            if (!profile.equals("weft") && !profile.equals("bare")) {
                throw new IllegalArgumentException("profile=" + profile + ": say profile=weft or profile=bare");
            }
            args = Arrays.copyOfRange(args, 1, args.length);
        }
        int rounds = positive(args, 0, 5, "ROUNDS");
        int iterations = positive(args, 1, 10_000, "ITERATIONS");
        int warmup = positive(args, 2, 100_000, "WARMUP");
        String uri = "verbs://" + Testbed.address() + ":0";
        ReadFloorMain m = new ReadFloorMain();
        try (Arena arena = Arena.ofShared();
             Fabric serverFabric = Fabrics.open(uri);
             Fabric clientFabric = Fabrics.open(uri)) {
            Domain serverDomain = serverFabric.openDomain();
            CompletionQueue serverQueue = serverDomain.openCompletionQueue(64);
            MemoryRegion target = serverDomain.register(arena.allocate(4096, 4096), EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ));
            for (int i = 0; i < 4096; i++) {
                target.segment().set(ValueLayout.JAVA_BYTE, i, (byte) (i * 7 + 1));
            }
            Listener listener = serverDomain.listen(EndpointConfig.of(serverQueue));
            Domain clientDomain = clientFabric.openDomain();
            m.queue = clientDomain.openCompletionQueue(64);
            m.sink = clientDomain.register(arena.allocate(4096, 4096), clientFabric.info().limits().readSinkAccess());
            m.endpoint = clientDomain.connect(listener.uri(), EndpointConfig.of(m.queue));
            Endpoint accepted = listener.accept(Duration.ofSeconds(10));
            if (accepted == null) {
                throw new IllegalStateException("the listener handed out no endpoint within 10 s");
            }
            m.remote = target.toRemote();
            m.weft(1, 0); // fills the provider's work request for an 8-byte read of the target into the sink
            m.bindRaw();
            System.out.printf("ReadFloorMain: %s, 8 B reads, %d rounds of %d iterations per loop, warm-up %d%n", uri, rounds, iterations, warmup);
            long[] lat = new long[iterations];
            if (profile != null) {
                // one loop only, for a profiler: warm up, say so, then run for ROUNDS seconds
                boolean weft = profile.equals("weft");
                long end = 0;
                for (int phase = 0; phase < 2; phase++) {
                    if (phase == 1) {
                        System.out.println("ReadFloorMain: profiling " + profile + " for " + rounds + " s");
                        end = System.nanoTime() + TimeUnit.SECONDS.toNanos(rounds);
                    }
                    int n = phase == 0 ? 3 * warmup : warmup / 10;
                    do {
                        if (weft) {
                            m.weft(n, 0);
                        } else {
                            m.raw(n);
                        }
                    } while (phase == 1 && System.nanoTime() < end);
                }
                System.out.printf("ReadFloorMain: %s p50 %.2f us%n", profile, median(weft ? m.weftTimed(iterations, lat) : m.rawTimed(iterations, lat)) / 1000);
                accepted.close();
                m.endpoint.close();
                return;
            }
            double[][] p50 = new double[3][rounds]; // weft, bare, perftest
            for (int r = 0; r < rounds; r++) {
                int w = r == 0 ? 3 * warmup : warmup;
                long[] pollCounts = new long[2];
                for (int turn = 0; turn < 3; turn++) { // the order rotates from round to round
                    int tool = (turn + r) % 3;
                    if (tool == 0) {
                        m.weft(w, 0);
                        m.polls = 0;
                        p50[0][r] = median(m.weftTimed(iterations, lat)) / 1000;
                        pollCounts[0] = m.polls;
                    } else if (tool == 1) {
                        m.raw(w);
                        m.polls = 0;
                        p50[1][r] = median(m.rawTimed(iterations, lat)) / 1000;
                        pollCounts[1] = m.polls;
                    } else {
                        p50[2][r] = perftest(iterations);
                    }
                }
                System.out.printf("round %d read 8 B  weft p50 %7.2f us (%.2f polls/read)  bare p50 %7.2f us (%.2f polls/read)  "
                                + "ib_read_lat typical %7.2f us  weft/bare %.3f  bare/perftest %.3f  weft/perftest %.3f%n",
                        r + 1, p50[0][r], (double) pollCounts[0] / iterations, p50[1][r], (double) pollCounts[1] / iterations, p50[2][r],
                        p50[0][r] / p50[1][r], p50[1][r] / p50[2][r], p50[0][r] / p50[2][r]);
            }
            String[] names = {"weft", "bare", "ib_read_lat"};
            for (int t = 0; t < 3; t++) {
                double[] v = p50[t].clone();
                Arrays.sort(v);
                System.out.printf("%-11s over %d rounds: lowest %7.2f us, lower quartile %7.2f us, median %7.2f us%n", names[t], rounds, v[0],
                        v[(rounds - 1) / 4], median(v));
            }
            System.out.printf("ratios of the lowest levels: weft/bare %.3f  bare/perftest %.3f  weft/perftest %.3f%n",
                    min(p50[0]) / min(p50[1]), min(p50[1]) / min(p50[2]), min(p50[0]) / min(p50[2]));
            for (int[] pair : new int[][] {{0, 1}, {1, 2}, {0, 2}}) {
                double[] ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    ratio[r] = p50[pair[0]][r] / p50[pair[1]][r];
                }
                Arrays.sort(ratio);
                System.out.printf("%s/%s: median of %d round ratios %.3f (lowest %.3f, highest %.3f)%n", names[pair[0]], names[pair[1]], rounds,
                        median(ratio), ratio[0], ratio[rounds - 1]);
            }
            accepted.close();
            m.endpoint.close();
        }
    }

    /** @return argument {@code i} as a positive number, or {@code otherwise} if there is none */
    private static int positive(String[] args, int i, int otherwise, String name) {
        if (args.length <= i) {
            return otherwise;
        }
        try {
            int v = Integer.parseInt(args[i]);
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive number, not '" + args[i]
                + "'; arguments: [profile=weft|bare] [ROUNDS] [ITERATIONS] [WARMUP]");
    }

    private void bindRaw() throws ReflectiveOperationException {
        postSendFn = (MemorySegment) field(endpoint, "postSendFn");
        qp = (long) field(endpoint, "qpAddress");
        wr = (long) field(endpoint, "sendWrAddress");
        badWr = (long) field(endpoint, "badSendWrAddress");
        pollFn = (MemorySegment) field(queue, "pollFn");
        cq = (long) field(queue, "cqAddress");
        wcsAddress = (long) field(queue, "wcsAddress");
        wcStatus = (long) field(queue, "STATUS"); // offsetof(struct ibv_wc, status), verified by the provider's layout test
        wcs = MemorySegment.ofAddress(wcsAddress).reinterpret(wcStatus + Integer.BYTES); // the first completion's status
    }

    private static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field f = owner.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return java.lang.reflect.Modifier.isStatic(f.getModifiers()) ? f.get(null) : f.get(owner);
    }

    /** Untimed reads through Weft's API. */
    private void weft(int n, long first) {
        for (long i = first; i < first + n; i++) {
            weftOne(i);
        }
    }

    // weftTimed and rawTimed are two copies of one loop on purpose: each compiles with its own body inlined. A single
    // loop given the body as a parameter would see both bodies, and the JIT would call them through a shared site.
    private long[] weftTimed(int n, long[] lat) {
        long previous = System.nanoTime();
        for (int i = 0; i < n; i++) {
            weftOne(i);
            long now = System.nanoTime();
            lat[i] = now - previous;
            previous = now;
        }
        return lat;
    }

    /** One read as {@code weft perf client --op read} makes it: post, poll until its completion, check the data. */
    private void weftOne(long i) {
        long before = completed;
        PostStatus s = endpoint.read(i, sink, 0, SIZE, remote, 0);
        if (s != PostStatus.OK) {
            throw new IllegalStateException("read #" + i + " answered " + s);
        }
        while (completed <= before) {
            int n = queue.poll(batch);
            polls++;
            if (n < 0) {
                throw new IllegalStateException("completion queue closed");
            }
            for (int k = 0; k < n; k++) {
                Completion c = batch.get(k);
                if (!c.status().isSuccess()) {
                    throw new IllegalStateException("read #" + c.workRequestId() + " failed with " + c.status());
                }
                completed++;
            }
            if (n == 0 && endpoint.state() != EndpointState.CONNECTED) {
                throw new IllegalStateException("the connection went away");
            }
        }
        checkData(i);
    }

    /** Untimed reads through the bare downcalls. */
    private void raw(int n) throws Throwable {
        for (int i = 0; i < n; i++) {
            rawOne(i);
        }
    }

    private long[] rawTimed(int n, long[] lat) throws Throwable {
        long previous = System.nanoTime();
        for (int i = 0; i < n; i++) {
            rawOne(i);
            long now = System.nanoTime();
            lat[i] = now - previous;
            previous = now;
        }
        return lat;
    }

    /** One read with the provider's work request as its last Weft read left it: post_send, poll_cq until one completion. */
    private void rawOne(long i) throws Throwable {
        int rc = (int) POST_SEND.invokeExact(postSendFn, qp, wr, badWr);
        if (rc != 0) {
            throw new IllegalStateException("post_send answered " + rc);
        }
        int n;
        do {
            n = (int) POLL_CQ.invokeExact(pollFn, cq, 1, wcsAddress);
            polls++;
        } while (n == 0);
        if (n < 0 || wcs.get(ValueLayout.JAVA_INT, wcStatus) != 0) {
            throw new IllegalStateException("poll_cq answered " + n + ", status " + wcs.get(ValueLayout.JAVA_INT, wcStatus));
        }
        checkData(i);
    }

    private void checkData(long i) {
        if (sink.segment().get(ValueLayout.JAVA_BYTE, SIZE - 1) != (byte) ((SIZE - 1) * 7 + 1)) {
            throw new IllegalStateException("read #" + i + " returned wrong data");
        }
    }

    /**
     * Runs {@code ib_read_lat} as {@code scripts/perf-softroce-guest.sh} does (server on CPU 0, client on CPU 1, perftest's
     * TCP exchange) while this JVM waits, and returns its typical latency in microseconds.
     */
    private static double perftest(int iterations) throws Exception {
        List<String> common = List.of("ib_read_lat", "-d", "rxe0", "-x", "1", "-s", "8", "-n", Integer.toString(iterations));
        List<String> server = new ArrayList<>(List.of("taskset", "-c", "0"));
        server.addAll(common);
        Process s = new ProcessBuilder(server).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!listening(18515)) { // perftest's port
                if (System.nanoTime() > deadline || !s.isAlive()) {
                    throw new IllegalStateException("ib_read_lat's server did not listen on port 18515");
                }
                Thread.sleep(100);
            }
            List<String> client = new ArrayList<>(List.of("taskset", "-c", "1"));
            client.addAll(common);
            client.add(Testbed.address());
            Process c = new ProcessBuilder(client).redirectErrorStream(true).start();
            String out = new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            c.waitFor();
            for (String line : out.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 5 && f[0].matches("\\d+") && f[1].matches("\\d+")) {
                    return Double.parseDouble(f[4]); // #bytes #iterations t_min t_max t_typical ...
                }
            }
            throw new IllegalStateException("no result line in ib_read_lat's output:\n" + out);
        } finally {
            s.waitFor(30, TimeUnit.SECONDS);
            s.destroy();
        }
    }

    /** @return whether a TCP socket listens on {@code port} (IPv4, from {@code /proc/net/tcp}) */
    private static boolean listening(int port) throws IOException {
        String local = String.format(":%04X ", port);
        for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 3 && (f[1] + " ").endsWith(local) && f[3].equals("0A")) {
                return true;
            }
        }
        return false;
    }

    private static double min(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double median(long[] lat) {
        long[] sorted = lat.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
