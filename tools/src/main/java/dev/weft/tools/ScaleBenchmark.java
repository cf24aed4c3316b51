package dev.weft.tools;

import dev.weft.Access;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Limits;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code weft perf scale}: many endpoints on one fabric, each keeping small RDMA writes in flight
 * to its own slot of a {@code weft perf server}'s region, for a fixed time. Reports connect time,
 * completed writes per second, errors (any completion that is not a success), and what the
 * endpoints cost: heap after a full GC, resident set size and threads, each per endpoint. At the
 * end every endpoint reads its slot back and checks it holds the last value it wrote.
 *
 * <p>One thread posts and polls for all endpoints: the figure is the fabric's, not a thread
 * pool's. Not thread-safe; one run per instance.
 */
final class ScaleBenchmark {
    static final String USAGE = """
                   weft perf scale --uri URI [--local URI] [--endpoints N] [--size N] [--window N]
                                   [--seconds N] [--json]

            scale    connects --endpoints (default 1000) endpoints from one fabric to a `weft perf server`
                     at URI; each keeps --window (default 1) writes of --size (default 8) bytes in flight
                     to its own slot for --seconds (default 10), then reads its slot back and checks it.
                     Prints writes/s, MB/s, errors, and heap, resident memory and threads per endpoint.
                     The server's --buffer must hold endpoints x size / 2 bytes (its region is twice its
                     buffer). Refused before anything runs: endpoints x window x 2 above the fabric's largest
                     completion queue, endpoints above its most endpoints, and endpoints x size x (window + 1)
                     bytes of buffers above half of this machine's memory.
            """;

    private final FabricUri server;
    private final FabricUri local;
    private final int endpoints;
    private final int size;
    private final String sizeGiven;
    private final int window;
    private final Duration duration;

    private ScaleBenchmark(FabricUri server, FabricUri local, int endpoints, int size, String sizeGiven, int window, Duration duration) {
        this.server = server;
        this.local = local;
        this.endpoints = endpoints;
        this.size = size;
        this.sizeGiven = sizeGiven;
        this.window = window;
        this.duration = duration;
    }

    static int run(List<String> argv, PrintStream out) {
        Args args = Args.parse(argv, Set.of("uri", "local", "endpoints", "size", "window", "seconds"), Set.of("json"));
        FabricUri server = PerfCommand.perfUri(args.required("uri"), "scale writes into the server's region /" + PerfCommand.REGION + " itself");
        FabricUri local = args.option("local", null) != null ? FabricUri.parse(args.option("local", null))
                : server.withRegion(null).withPort(0);
        int endpoints = (int) args.longOption("endpoints", 1000, 1, 100_000);
        int size = (int) args.longOption("size", 8, 8, 1 << 20); // at least 8: each write carries an 8-byte sequence number
        int window = (int) args.longOption("window", 1, 1, 64);
        Duration duration = Duration.ofSeconds(args.longOption("seconds", 10, 1, 3600));
        String sizeGiven = args.option("size", "8");
        requireMemoryFor(endpoints, size, sizeGiven, window, physicalMemory());
        Map<String, Object> result = new ScaleBenchmark(server, local, endpoints, size, sizeGiven, window, duration).measure();
        if (args.flag("json")) {
            out.println(Json.write(result));
        } else {
            result.forEach((k, v) -> out.printf("%-26s %s%n", k, v));
        }
        return ((Number) result.get("errors")).longValue() == 0 ? 0 : 1;
    }

    /**
     * Refuses a run whose buffers (each endpoint's window of write sources and its verifying read's sink) would take
     * more than half of the machine's memory: they are allocated off the heap at once, and an allocation the system
     * cannot serve ended in an OutOfMemoryError.
     *
     * @param machine this machine's physical memory in bytes, or 0 if unknown (then nothing is refused here)
     */
    static void requireMemoryFor(int endpoints, int size, String sizeGiven, int window, long machine) {
        long needed = (long) endpoints * size * (window + 1);
        if (machine > 0 && needed > machine / 2) {
            throw new UsageException("--endpoints " + endpoints + " x --size " + sizeGiven + " x (--window " + window + " + 1) needs "
                    + (needed >> 20) + " MiB of buffers (each write's source and each endpoint's verifying read), more than half of this"
                    + " machine's memory (" + (machine >> 20) + " MiB); use fewer endpoints, a smaller size or a smaller window");
        }
    }

    /** @return the machine's physical memory in bytes, or 0 where the JVM cannot tell */
    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    /**
     * Refuses, before anything is allocated or connected, what the client's own fabric cannot do: a completion queue of
     * two entries per request in flight, the endpoints, the write size.
     */
    private void requireFabricFor(String scheme, Limits limits) {
        long queueDepth = (long) endpoints * window * 2;
        if (queueDepth > limits.maxCompletionQueueDepth()) {
            throw new UsageException("--endpoints " + endpoints + " x --window " + window + " needs a completion queue of " + queueDepth
                    + " entries (2 per write in flight), more than " + scheme + " allows here (maxCompletionQueueDepth "
                    + limits.maxCompletionQueueDepth() + ", weft info shows it); keep endpoints x window at or below "
                    + limits.maxCompletionQueueDepth() / 2);
        }
        if (endpoints > limits.maxEndpoints()) {
            throw new UsageException("--endpoints " + endpoints + " is more than " + scheme + " allows on one fabric here (maxEndpoints "
                    + limits.maxEndpoints() + ", weft info shows it; for tcp, --local with ?max_connections= raises it)");
        }
        if (size > limits.maxMessageSize()) {
            throw new UsageException("--size " + PerfCommand.sizeText(sizeGiven, size) + " exceeds the largest request " + scheme
                    + " declares here (maxMessageSize " + limits.maxMessageSize() + ", weft info shows it)");
        }
    }

    private Map<String, Object> measure() {
        Memory before = Memory.now();
        try (Fabric fabric = Fabrics.open(local); Arena arena = Arena.ofShared()) {
            Limits limits = fabric.info().limits();
            requireFabricFor(fabric.info().scheme(), limits);
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(Math.max(1024, endpoints * window * 2));
            long slots = (long) endpoints * size;
            // the sources of the writes and the sinks of the verifying reads
            MemoryRegion data = domain.register(allocate(arena, slots * window + slots), limits.readSinkAccess());
            MemoryRegion control = domain.register(arena.allocate(2L * PerfSession.CONTROL_SIZE, 64), Access.LOCAL_WRITE);
            EndpointConfig config = EndpointConfig.of(queue).withSendQueueDepth(window + 1).withReceiveQueueDepth(1)
                    .withConnectTimeout(Duration.ofSeconds(30));
            List<Endpoint> eps = new ArrayList<>(endpoints);
            long t0 = System.nanoTime();
            Endpoint first = domain.connect(server.withRegion(PerfCommand.REGION), config);
            eps.add(first);
            RemoteRegion remote = first.wellKnownRegion().orElseThrow(() -> new FabricException(ErrorCode.PROTOCOL_ERROR,
                    "the server did not publish region /" + PerfCommand.REGION + "; is it a `weft perf server`?"));
            // the first endpoint asks the server for its limits, and says BYE at the end: the server's session with it
            // then ends well (a --once server exits 0); the others only write and read one-sided
            long helloStart = System.nanoTime();
            PerfSession session = new PerfSession(first, queue, data, control, false);
            session.client = true;
            long serverMaxMessage = PerfCommand.hello(session, limits.maxMessageSize());
            long helloNanos = System.nanoTime() - helloStart;
            String refusal = PerfCommand.sizeRefusal(size, sizeGiven, limits.maxMessageSize(), serverMaxMessage, Long.MAX_VALUE);
            if (refusal == null && remote.length() < slots) {
                refusal = endpoints + " endpoints x " + size + " bytes need " + slots + " bytes of the server's region, which holds "
                        + remote.length() + " (twice its --buffer); start it with --buffer " + Math.max(8, (slots + 1) / 2) + " or more";
            }
            if (refusal != null) {
                PerfCommand.bye(session);
                throw new UsageException(refusal);
            }
            for (int i = 1; i < endpoints; i++) {
                eps.add(domain.connect(server.withRegion(PerfCommand.REGION), config));
            }
            double connectSeconds = (System.nanoTime() - t0 - helloNanos) / 1e9;
            Memory connected = Memory.now();

            long[] sequence = new long[endpoints];
            long[] lastDone = new long[endpoints];
            MemorySegment buf = data.segment();
            CompletionBatch batch = new CompletionBatch(1024);
            long completed = 0;
            long errors = 0;
            String firstError = null;
            // wrId = endpoint index * window + window slot; each write carries the endpoint's next sequence number
            for (int i = 0; i < endpoints; i++) {
                for (int w = 0; w < window; w++) {
                    post(eps.get(i), i, w, ++sequence[i], buf, data, remote);
                }
            }
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            int inFlight = endpoints * window;
            while (inFlight > 0) {
                int n = queue.poll(batch);
                boolean more = System.nanoTime() < end;
                for (int k = 0; k < n; k++) {
                    long id = batch.get(k).workRequestId();
                    int i = (int) (id / window);
                    int w = (int) (id % window);
                    inFlight--;
                    if (!batch.get(k).status().isSuccess()) {
                        errors++;
                        firstError = firstError == null ? "endpoint " + i + ": " + batch.get(k).status() : firstError;
                        continue;
                    }
                    completed++;
                    lastDone[i] = Math.max(lastDone[i], buf.get(ValueLayout.JAVA_LONG_UNALIGNED, slot(i, w)));
                    if (more) {
                        post(eps.get(i), i, w, ++sequence[i], buf, data, remote);
                        inFlight++;
                    }
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long mismatches = verify(eps, queue, data, remote, lastDone, window);
            Memory peak = Memory.now();

            Map<String, Object> r = new LinkedHashMap<>();
            r.put("provider", fabric.info().scheme());
            r.put("uri", server.withRegion(null).withoutParameters().toString()); // the server measured against
            r.put("endpoints", endpoints);
            r.put("size", size);
            r.put("window", window);
            r.put("seconds", round(seconds));
            r.put("connect_s", round(connectSeconds));
            r.put("writes", completed);
            r.put("errors", errors + mismatches);
            if (firstError != null) {
                r.put("first_error", firstError);
            }
            r.put("ops_per_s", Math.round(completed / seconds));
            r.put("mb_per_s", round(completed * (double) size / seconds / 1e6));
            r.put("heap_bytes_per_endpoint", (connected.heap - before.heap) / endpoints);
            r.put("rss_bytes_per_endpoint", (connected.rss - before.rss) / endpoints);
            r.put("threads_per_endpoint", round((connected.threads - before.threads) / (double) endpoints));
            r.put("rss_mb_at_end", peak.rss >> 20);
            for (int i = eps.size() - 1; i >= 1; i--) {
                eps.get(i).close();
            }
            PerfCommand.bye(session); // last: a --once server ends with it
            first.close();
            return r;
        }
    }

    /** Allocates the buffers; an allocation the system refuses is named with the options that asked for it. */
    private MemorySegment allocate(Arena arena, long bytes) {
        try {
            return arena.allocate(bytes, 4096);
        } catch (OutOfMemoryError e) {
            throw new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "cannot allocate " + (bytes >> 20) + " MiB of buffers for --endpoints "
                    + endpoints + " x --size " + sizeGiven + " x (--window " + window + " + 1): " + e.getMessage()
                    + "; use fewer endpoints, a smaller size or a smaller window");
        }
    }

    private long slot(int endpoint, int w) {
        return ((long) endpoint * window + w) * size;
    }

    private void post(Endpoint e, int i, int w, long seq, MemorySegment buf, MemoryRegion data, RemoteRegion remote) {
        long offset = slot(i, w);
        buf.set(ValueLayout.JAVA_LONG_UNALIGNED, offset, seq);
        // every window slot of endpoint i writes the same remote slot: the last write to land holds the highest number
        PostStatus s = e.write((long) i * window + w, data, offset, size, remote, (long) i * size);
        if (s != PostStatus.OK) {
            throw switch (s) {
                case AGAIN -> new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "endpoint " + i + " refused a write (AGAIN) with "
                        + window + " in flight and a send queue of " + (window + 1));
                case CLOSED -> new FabricException(ErrorCode.CONNECTION_LOST, "endpoint " + i + " is closed (CLOSED); did the server go away?");
                default -> new FabricException(ErrorCode.INVALID_ARGUMENT, "endpoint " + i + " refused a write of " + size + " bytes ("
                        + s + "): the connection does not take it; a size above its largest message, the smaller of both sides',"
                        + " is the usual cause");
            };
        }
    }

    /** Reads every endpoint's slot back; it must hold the endpoint's highest completed sequence number. */
    private long verify(List<Endpoint> eps, CompletionQueue queue, MemoryRegion data, RemoteRegion remote, long[] lastDone, int window) {
        long base = (long) eps.size() * window * size;
        MemorySegment buf = data.segment();
        CompletionBatch batch = new CompletionBatch(256);
        long mismatches = 0;
        int chunk = 256;
        for (int from = 0; from < eps.size(); from += chunk) {
            int to = Math.min(eps.size(), from + chunk);
            for (int i = from; i < to; i++) {
                if (eps.get(i).read(i, data, base + (long) i * size, size, remote, (long) i * size) != PostStatus.OK) {
                    throw new FabricException(ErrorCode.RESOURCE_EXHAUSTED, "endpoint " + i + " refused the verifying read");
                }
            }
            int pending = to - from;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (pending > 0) {
                int n = queue.await(batch, 100, TimeUnit.MILLISECONDS);
                for (int k = 0; k < n; k++) {
                    pending--;
                    int i = (int) batch.get(k).workRequestId();
                    if (!batch.get(k).status().isSuccess() || buf.get(ValueLayout.JAVA_LONG_UNALIGNED, base + (long) i * size) != lastDone[i]) {
                        mismatches++;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new FabricException(ErrorCode.TIMEOUT, pending + " verifying reads did not complete within 30 s");
                }
            }
        }
        return mismatches;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** Heap after a full collection, resident set size and live threads of this process. */
    private record Memory(long heap, long rss, int threads) {
        static Memory now() {
            System.gc();
            long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            return new Memory(heap, readRss(), ManagementFactory.getThreadMXBean().getThreadCount());
        }

        private static long readRss() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return 0;
            }
            return 0;
        }
    }
}
