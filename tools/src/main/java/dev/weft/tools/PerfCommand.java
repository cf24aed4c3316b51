package dev.weft.tools;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code weft perf}: provider-agnostic latency and bandwidth between two processes, counted as
 * perftest counts: half a ping-pong round trip for write and send ({@code ib_write_lat},
 * {@code ib_send_lat}); post to completion for read and atomics ({@code ib_read_lat},
 * {@code ib_atomic_lat}); bytes over wall time with a window of outstanding requests for
 * {@code --bandwidth} ({@code ib_write_bw}). Every run verifies the data it moved.
 */
final class PerfCommand {
    static final String USAGE = """
            usage: weft perf server --uri URI [--buffer BYTES] [--once] [--wait spin|block]
                   weft perf client --uri URI [--local URI] [--op write|read|send|fetch-add|cmp-swap]
                                    [--size N[,N...]] [--iterations N] [--warmup N] [--bandwidth]
                                    [--window N] [--wait spin|block] [--json]

            server   listens at URI (for example tcp://127.0.0.1:7471) and serves clients one at a time;
                     --buffer is the largest size a client may ask for (default 16M); --once exits
                     after the first client (or perf scale run), with 1 if that session failed.
            client   connects to the server at URI and measures; one result per --size (default 8).
                     Every size is checked against the server's --buffer and the connection's largest
                     request (the smaller of both sides') before the first run.
                     --iterations (default 1000) are measured after --warmup (default 100) unmeasured ones.
                     --bandwidth keeps --window (default 64) requests in flight (write and read only; --window
                     needs --bandwidth). --local is the client's own fabric URI (default: the server URI with
                     port 0). URI names no region, or /perf: weft perf uses the server's region /perf.
                     --wait: where a side only waits for completions (a full --bandwidth window, the server
                     between runs), spin on poll (default, as perftest) or block in await, which leaves
                     the CPU to the provider's threads and the kernel (tcp in either progress mode; a
                     verbs server on a soft device). In manual progress await keeps driving progress.
                     --json prints one JSON line per size:
                     {"provider","op","size","iterations","p50_us","p99_us","avg_us","mb_per_s","ops_per_s",
                      "bandwidth"} (in bandwidth mode the percentiles are each request's post to completion)
            Latency: write and send are half a ping-pong round trip (as ib_write_lat); read and atomics
            are post to completion (as ib_read_lat); one clock read per iteration, as perftest takes.
            MB/s are 10^6 bytes per second.

            """ + ScaleBenchmark.USAGE + SocketBaseline.USAGE;

    static final String REGION = "perf";
    private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(30);

    private PerfCommand() {
    }

    static int run(List<String> argv, PrintStream out, PrintStream err) {
        if (argv.isEmpty()) {
            throw new UsageException("say which perf mode: server, client, scale, socket-server or socket-client");
        }
        List<String> rest = argv.subList(1, argv.size());
        return switch (argv.get(0)) {
            case "scale" -> ScaleBenchmark.run(rest, out);
            case "socket-server" -> SocketBaseline.server(rest, out, err);
            case "socket-client" -> SocketBaseline.client(rest, out);
            case "server" -> server(Args.parse(rest, Set.of("uri", "buffer", "wait"), Set.of("once")), out, err);
            case "client" -> client(Args.parse(rest, Set.of("uri", "local", "op", "size", "iterations", "warmup", "window", "wait"),
                    Set.of("bandwidth", "json")), out, err);
            default -> throw new UsageException("unknown perf mode '" + argv.get(0) + "'; say server, client, scale, socket-server or socket-client");
        };
    }

    // ------------------------------------------------------------------ server

    private static int server(Args args, PrintStream out, PrintStream err) {
        FabricUri uri = perfUri(args.required("uri"), "a weft perf server publishes its buffer as region /" + REGION);
        long buffer = args.longOption("buffer", 16 << 20, 8, 1L << 30);
        boolean once = args.flag("once");
        boolean block = blockingWait(args);
        try (Fabric fabric = Fabrics.open(uri.withRegion(null)); Arena arena = Arena.ofShared()) {
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(1024);
            MemoryRegion data = domain.register(arena.allocate(2 * buffer, 4096), dataAccess(fabric));
            MemoryRegion control = domain.register(arena.allocate(2 * PerfSession.CONTROL_SIZE, 64), Access.LOCAL_WRITE);
            Listener listener = domain.listen(EndpointConfig.of(queue).withSendQueueDepth(256).withReceiveQueueDepth(256));
            listener.publish(REGION, data);
            out.println("weft perf server listening on " + listener.uri().withoutParameters() + " (region /" + REGION + ")");
            out.flush();
            boolean failed;
            do {
                Endpoint endpoint = nextConnection(listener, once, out);
                failed = false;
                PerfSession session = new PerfSession(endpoint, queue, data, control, block);
                try (endpoint) {
                    serve(session, fabric.info().limits().maxMessageSize());
                } catch (FabricException ex) {
                    failed = true;
                    if (ex.code() == ErrorCode.CONNECTION_LOST && !session.heardFromPeer()) {
                        // a perf scale run says HELLO and BYE on its first endpoint only; its others write one-sided and leave
                        err.println("weft perf server: a peer left without a word (a perf scale run's endpoints after its first do so;"
                                + " a client does so only when it was stopped before its first request)");
                    } else {
                        err.println("weft perf server: client session ended: " + ex.getMessage());
                    }
                }
                drain(queue);
            } while (!once);
            return failed ? 1 : 0; // with --once, the exit code says how the one session went
        }
    }

    /**
     * Waits for the next connection, and unless {@code first}, for one whose peer is still there. A peer that works
     * only one-sided (a {@code perf scale} client's thousand endpoints) never asks for a run; its connections wait in
     * the listener until this loop reaches them, by then mostly closed by the peer: they are closed here and counted
     * in one line, not served one by one. A {@code --once} server takes the first connection, whatever it is, and ends
     * with it.
     */
    private static Endpoint nextConnection(Listener listener, boolean first, PrintStream out) {
        int gone = 0;
        while (true) {
            Endpoint endpoint = listener.accept(Duration.ofSeconds(1));
            if (endpoint != null && (first || endpoint.state() == EndpointState.CONNECTED)) {
                if (gone > 0) {
                    out.println("weft perf server: closed " + gone + " connection(s) whose peers had left before they were served");
                    out.flush();
                }
                return endpoint;
            }
            if (endpoint != null) {
                endpoint.close();
                gone++;
            }
        }
    }

    private static Set<Access> dataAccess(Fabric fabric) {
        EnumSet<Access> access = EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE);
        if (fabric.info().supports(Capability.ATOMIC_FETCH_ADD) || fabric.info().supports(Capability.ATOMIC_CMP_SWAP)) {
            access.add(Access.REMOTE_ATOMIC);
        }
        return access;
    }

    private static void drain(CompletionQueue queue) {
        dev.weft.CompletionBatch batch = new dev.weft.CompletionBatch(64);
        while (queue.await(batch, 50, TimeUnit.MILLISECONDS) > 0) {
            // discard flushed completions of the finished session
        }
    }

    /** @param maxMessage the largest request this server's fabric takes, for HELLO and for the check of each RUN */
    private static void serve(PerfSession s, long maxMessage) {
        s.postControlReceive();
        while (true) {
            int type = s.awaitControl(-1);
            if (type == PerfSession.BYE) {
                return;
            }
            if (type == PerfSession.HELLO) {
                s.postControlReceive();
                s.sendControl(PerfSession.HELLO, 0, 0, s.area, maxMessage, null, System.nanoTime() + CONTROL_TIMEOUT.toNanos());
                continue;
            }
            if (type != PerfSession.RUN) {
                throw new FabricException(ErrorCode.PROTOCOL_ERROR, "expected HELLO, RUN or BYE, got message type " + type);
            }
            int opIndex = s.controlOp();
            if (opIndex < 0 || opIndex >= PerfOp.values().length) {
                throw new FabricException(ErrorCode.PROTOCOL_ERROR, "the client asked for operation " + opIndex + ", which this server"
                        + " does not know (0.." + (PerfOp.values().length - 1) + "); are both sides the same Weft version?");
            }
            PerfOp op = PerfOp.values()[opIndex];
            int size = s.controlSize();
            long total = s.controlIterations();
            RemoteRegion client = s.controlRegion();
            boolean bandwidth = s.controlValue() != 0;
            s.completed = 0;
            s.received = 0;
            long deadline = System.nanoTime() + CONTROL_TIMEOUT.toNanos();
            if (size < 1 || size > s.area || client.length() / 2 < size || size > maxMessage) {
                boolean tooLong = size > maxMessage;
                s.postControlReceive();
                s.sendControl(PerfSession.REFUSED, tooLong ? PerfSession.REFUSED_MAX_MESSAGE : PerfSession.REFUSED_BUFFER, size, 0,
                        tooLong ? maxMessage : s.area, null, deadline);
                continue;
            }
            MemorySegment mem = s.data.segment();
            mem.asSlice(0, s.area).fill((byte) 0);
            PerfSession.fill(mem, s.area, size);
            if (op == PerfOp.READ) {
                PerfSession.fill(mem, 0, size);
            }
            long clientTarget = client.addressOf(client.length() / 2);
            if (op == PerfOp.SEND) {
                PerfSession.expectOk(s.endpoint.receive(PerfSession.DATA_RECEIVE_FLAG, s.data, 0, size), "posting a receive");
            } else {
                s.postControlReceive();
            }
            s.sendControl(PerfSession.READY, op.ordinal(), size, total, 0, null, deadline);
            if (op == PerfOp.WRITE && !bandwidth) {
                writePongs(s, size, total, clientTarget, client.key());
            } else if (op == PerfOp.SEND) {
                sendPongs(s, size, total);
            }
            int done = s.awaitControl(-1);
            if (done != PerfSession.DONE) {
                throw new FabricException(ErrorCode.PROTOCOL_ERROR, "expected DONE, got message type " + done);
            }
            long verdict = switch (op) {
                case WRITE, SEND -> PerfSession.mismatches(mem, 0, size, 1);
                case FETCH_ADD, CMP_SWAP -> mem.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                case READ -> PerfSession.mismatches(mem, 0, size, 0);
            };
            s.postControlReceive();
            s.sendControl(PerfSession.RESULT, op.ordinal(), size, total, verdict, null, deadline + CONTROL_TIMEOUT.toNanos());
        }
    }

    /** Ping-pong responder: wait for the marker in our target area, write it back into the client's. */
    private static void writePongs(PerfSession s, int size, long total, long clientTarget, long clientKey) {
        long last = size - 1;
        long source = s.area;
        for (long i = 0; i < total; i++) {
            byte marker = PerfSession.marker(i);
            awaitMarker(s, last, marker);
            s.setVolatileByte(source + last, marker);
            long before = s.completed;
            PostStatus st;
            while ((st = s.endpoint.write(i, s.data, source, size, clientTarget, clientKey)) == PostStatus.AGAIN) {
                s.reap();
            }
            PerfSession.expectOk(st, "posting a write");
            awaitCompleted(s, before + 1);
        }
    }

    /** Ping-pong responder for send: receive, re-post (data or, after the last, control), send back. */
    private static void sendPongs(PerfSession s, int size, long total) {
        long source = s.area;
        for (long i = 0; i < total; i++) {
            while (s.received <= i) {
                s.reap();
                if (s.endpoint.state() != dev.weft.EndpointState.CONNECTED) {
                    throw new FabricException(ErrorCode.CONNECTION_LOST, "client went away during the run");
                }
            }
            if (i + 1 < total) {
                PerfSession.expectOk(s.endpoint.receive(PerfSession.DATA_RECEIVE_FLAG | (i + 1), s.data, 0, size), "posting a receive");
            } else {
                s.postControlReceive();
            }
            s.setVolatileByte(source + size - 1, PerfSession.marker(i));
            PostStatus st;
            while ((st = s.endpoint.send(i, s.data, source, size)) == PostStatus.AGAIN) {
                s.reap();
            }
            PerfSession.expectOk(st, "posting a send");
        }
    }

    // ------------------------------------------------------------------ client

    private static int client(Args args, PrintStream out, PrintStream err) {
        FabricUri server = perfUri(args.required("uri"), "the client connects to the server's region /" + REGION + " itself");
        FabricUri local = args.option("local", null) != null ? FabricUri.parse(args.option("local", null))
                : server.withRegion(null).withPort(0);
        PerfOp op = PerfOp.parse(args.option("op", "write"));
        List<Integer> sizes = new ArrayList<>();
        List<String> sizeTexts = new ArrayList<>(); // as given, for messages
        for (String s : args.option("size", "8").split(",")) {
            long size = Args.parseSize("size", s.trim(), 1, 1 << 30);
            if (op.isAtomic() && size != 8) {
                throw new UsageException("--size must be 8 for " + op.cliName + " (atomics work on 8-byte words)");
            }
            sizes.add((int) size);
            sizeTexts.add(s.trim());
        }
        long iterations = args.longOption("iterations", 1000, 1, 100_000_000);
        long warmup = args.longOption("warmup", 100, 0, 100_000_000);
        boolean bandwidth = args.flag("bandwidth");
        int window = (int) args.longOption("window", 64, 1, 4096);
        if (args.option("window", null) != null && !bandwidth) {
            throw new UsageException("--window sets how many requests a --bandwidth run keeps in flight; a latency run has one:"
                    + " add --bandwidth or drop --window");
        }
        boolean block = blockingWait(args);
        if (bandwidth && op != PerfOp.WRITE && op != PerfOp.READ) {
            throw new UsageException("--bandwidth measures write or read, not " + op.cliName);
        }
        boolean json = args.flag("json");
        int largest = 0;
        for (int i = 1; i < sizes.size(); i++) {
            largest = sizes.get(i) > sizes.get(largest) ? i : largest;
        }
        int maxSize = sizes.get(largest);
        requireHeapFor(iterations, warmup, bandwidth); // before connecting: a run that cannot hold its time stamps fails at once

        try (Fabric fabric = openClientFabric(local, args.option("local", null) == null); Arena arena = Arena.ofShared()) {
            if (!fabric.info().supports(op.capability)) {
                throw new FabricException(ErrorCode.NOT_SUPPORTED, "provider " + fabric.info().scheme() + " does not declare "
                        + op.capability + ", so --op " + op.cliName + " cannot be measured on it");
            }
            long maxMessage = fabric.info().limits().maxMessageSize();
            if (maxSize > maxMessage) {
                throw new UsageException("--size " + sizeText(sizeTexts.get(largest), maxSize) + " exceeds the largest request "
                        + fabric.info().scheme() + " declares here (maxMessageSize " + maxMessage + ", weft info shows it); measure sizes"
                        + " up to " + Args.text(maxMessage));
            }
            Domain domain = fabric.openDomain();
            CompletionQueue queue = domain.openCompletionQueue(Math.max(1024, 2 * window + 16));
            MemoryRegion data = domain.register(arena.allocate(2L * maxSize, 4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
            MemoryRegion control = domain.register(arena.allocate(2 * PerfSession.CONTROL_SIZE, 64), Access.LOCAL_WRITE);
            EndpointConfig config = EndpointConfig.of(queue).withSendQueueDepth(Math.max(256, window + 8)).withReceiveQueueDepth(256);
            Endpoint endpoint = domain.connect(server.withRegion(REGION), config);
            RemoteRegion remote = endpoint.wellKnownRegion().orElseThrow(() -> new FabricException(ErrorCode.PROTOCOL_ERROR,
                    "the server did not publish region /" + REGION + "; is it a weft perf server?"));
            PerfSession s = new PerfSession(endpoint, queue, data, control, block);
            s.client = true;
            long serverMaxMessage = hello(s, maxMessage);
            long serverBuffer = Math.min(s.controlIterations(), remote.length() / 2);
            for (int i = 0; i < sizes.size(); i++) { // every size before the first run: a row that cannot run fails none before it
                String refusal = sizeRefusal(sizes.get(i), sizeTexts.get(i), maxMessage, serverMaxMessage, serverBuffer);
                if (refusal != null) {
                    bye(s);
                    throw new FabricException(ErrorCode.INVALID_ARGUMENT, refusal);
                }
            }
            if (!json) {
                out.printf("weft perf: %s %s%s against %s%n", fabric.info().scheme(), op.cliName, bandwidth ? " bandwidth" : " latency",
                        server.withoutParameters());
                out.printf("%10s %12s %10s %10s %10s %12s %12s%n", "#bytes", "#iterations", "p50[us]", "p99[us]", "avg[us]", "MB/s", "ops/s");
            }
            for (int size : sizes) {
                Map<String, Object> result = runOne(s, remote, fabric.info().scheme(), op, size, iterations, warmup, bandwidth, window, err);
                if (json) {
                    out.println(Json.write(result));
                } else {
                    out.printf(java.util.Locale.ROOT, "%10d %12d %10.2f %10.2f %10.2f %12.2f %12.0f%n", size, iterations,
                            result.get("p50_us"), result.get("p99_us"), result.get("avg_us"), result.get("mb_per_s"), result.get("ops_per_s"));
                }
                out.flush();
            }
            bye(s);
            endpoint.close();
        }
        return 0;
    }

    /**
     * Asks the server for its limits: sends HELLO with this side's largest message and waits for the server's HELLO,
     * which leaves the server's buffer in {@link PerfSession#controlIterations()}.
     *
     * @return the largest request the server's fabric takes
     */
    static long hello(PerfSession s, long ownMaxMessage) {
        long deadline = System.nanoTime() + CONTROL_TIMEOUT.toNanos();
        s.postControlReceive();
        s.sendControl(PerfSession.HELLO, 0, 0, 0, ownMaxMessage, null, deadline);
        int reply = s.awaitControl(CONTROL_TIMEOUT.toNanos());
        if (reply != PerfSession.HELLO) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, "expected the server's HELLO, got message type " + reply
                    + "; are both sides the same Weft version?");
        }
        s.awaitControlSent(deadline);
        return s.controlValue();
    }

    /** Ends a session cleanly (the server counts it as a session that went well). */
    static void bye(PerfSession s) {
        s.sendControl(PerfSession.BYE, 0, 0, 0, 0, null, System.nanoTime() + CONTROL_TIMEOUT.toNanos());
    }

    /**
     * @param given the size as the user wrote it
     * @return why the connection cannot carry {@code size} bytes, or {@code null} if it can: the largest request is the
     *         smaller of both sides' (tcp negotiates it so at connect; a verbs port's max_msg_sz bounds each side's), and a
     *         run must fit the server's buffer
     */
    static String sizeRefusal(long size, String given, long ownMaxMessage, long serverMaxMessage, long serverBuffer) {
        long allowed = Math.min(ownMaxMessage, serverMaxMessage);
        if (size > allowed) {
            return "--size " + sizeText(given, size) + " exceeds the largest request this connection allows, " + allowed
                    + " bytes (the server's fabric takes " + serverMaxMessage + ", this side's " + ownMaxMessage + "; a tcp server's"
                    + " ?max_message= sets its side); measure sizes up to " + Args.text(allowed);
        }
        if (size > serverBuffer) {
            return "--size " + sizeText(given, size) + " does not fit the server's buffer of " + serverBuffer + " bytes; start the"
                    + " server with --buffer " + Args.text(size) + " or more";
        }
        return null;
    }

    /**
     * Refuses a run whose per-iteration time stamps would not fit this JVM's heap: 8 bytes per measured iteration, and
     * in bandwidth mode 16 more per iteration and warm-up (post and completion times).
     */
    static void requireHeapFor(long iterations, long warmup, boolean bandwidth) {
        long needed = 8 * Math.max(iterations, WARMUP_PASS) + (bandwidth ? 16 * (iterations + warmup) : 0);
        long budget = Runtime.getRuntime().maxMemory() * 3 / 4;
        if (needed > budget) {
            throw new UsageException("--iterations " + iterations + (bandwidth ? " with --bandwidth" : "") + " needs about "
                    + (needed >> 20) + " MiB of heap for its time stamps, more than this JVM can spare (" + (budget >> 20)
                    + " MiB of " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB); measure fewer iterations, or give the JVM"
                    + " more heap (WEFT_JAVA_OPTS=-Xmx8g ./weft perf ...)");
        }
    }

    private static Map<String, Object> runOne(PerfSession s, RemoteRegion remote, String provider, PerfOp op, int size,
                                              long iterations, long warmup, boolean bandwidth, int window, PrintStream err) {
        long total = iterations + warmup;
        if (total > Integer.MAX_VALUE - 8) {
            throw new UsageException("--iterations plus --warmup must stay below 2^31");
        }
        MemorySegment mem = s.data.segment();
        mem.asSlice(s.area, size).fill((byte) 0);
        PerfSession.fill(mem, 0, size);
        long deadline = System.nanoTime() + CONTROL_TIMEOUT.toNanos();
        s.postControlReceive();
        s.sendControl(PerfSession.RUN, op.ordinal(), size, total, bandwidth ? 1 : 0, s.data.toRemote(), deadline);
        int reply = s.awaitControl(CONTROL_TIMEOUT.toNanos());
        if (reply == PerfSession.REFUSED) {
            boolean tooLong = s.controlOp() == PerfSession.REFUSED_MAX_MESSAGE;
            long limit = s.controlValue();
            bye(s); // a clean end: the server does not count the session as failed
            throw new FabricException(ErrorCode.INVALID_ARGUMENT, "the server refused size " + size + ": " + (tooLong
                    ? "its fabric takes requests of up to " + limit + " bytes" : "its buffer holds " + limit + " bytes; start it with"
                    + " --buffer " + Args.text(size) + " or more"));
        }
        if (reply != PerfSession.READY) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, "expected READY, got message type " + reply);
        }
        LatencyStats stats = new LatencyStats((int) (bandwidth ? iterations : Math.max(iterations, WARMUP_PASS)));
        Progress progress = new Progress(err, size, total);
        s.completed = 0;
        s.received = 0;
        long start;
        long end;
        if (bandwidth) {
            long[] posted = new long[(int) total];
            s.completionTimes = new long[(int) total];
            start = runWindow(s, remote, op, size, total, window, posted, progress);
            end = System.nanoTime();
            for (long i = warmup; i < total; i++) {
                stats.record(s.completionTimes[(int) i] - posted[(int) i]);
            }
            s.completionTimes = null;
            start = posted[(int) Math.min(warmup, total - 1)];
        } else {
            // The warm-up runs the measured loop's own method in short passes, recorded and
            // discarded, so that the measured pass enters code compiled with every branch it takes,
            // its exit included. A single loop that tested "past the warm-up?" was compiled without
            // that branch: where the measurement began it was deoptimized and ran for a second or
            // more as interpreted and C1 code while C2 compiled it again on the same CPU
            // (-XX:+PrintCompilation in the testbed).
            long previous = System.nanoTime();
            for (long i = 0; i < warmup; i += WARMUP_PASS) {
                previous = latencyPass(s, remote, op, size, i, Math.min(warmup, i + WARMUP_PASS), previous, stats, progress);
                stats.clear();
            }
            start = previous;
            end = latencyPass(s, remote, op, size, warmup, total, previous, stats, progress);
            while (s.completed < (op == PerfOp.SEND ? 2 * total : total)) {
                s.reap();
            }
        }
        progress.done();
        long clientBad = switch (op) {
            case READ -> PerfSession.mismatches(mem, s.area, size, 0);
            case WRITE, SEND -> bandwidth ? 0 : PerfSession.mismatches(mem, s.area, size, 1);
            default -> 0;
        };
        s.postControlReceive();
        s.sendControl(PerfSession.DONE, op.ordinal(), size, total, 0, null, System.nanoTime() + CONTROL_TIMEOUT.toNanos());
        if (s.awaitControl(CONTROL_TIMEOUT.toNanos()) != PerfSession.RESULT) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, "expected RESULT from the server");
        }
        long verdict = s.controlValue();
        if (op.isAtomic()) {
            long expected = total;
            if (verdict != expected) {
                throw new FabricException(ErrorCode.OPERATION_FAILED, op.cliName + " verification failed: the server's word is "
                        + verdict + " after " + total + " increments, expected " + expected);
            }
        } else if (verdict != 0 || clientBad != 0) {
            throw new FabricException(ErrorCode.OPERATION_FAILED, op.cliName + " verification failed at size " + size + ": "
                    + verdict + " wrong bytes at the server, " + clientBad + " at the client");
        }
        stats.finish();
        double seconds = (end - start) / 1e9;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("provider", provider);
        r.put("op", op.cliName);
        r.put("size", size);
        r.put("iterations", iterations);
        double divisor = op.pingPong && !bandwidth ? 2.0 : 1.0;
        r.put("p50_us", stats.percentileMicros(0.50) / divisor);
        r.put("p99_us", stats.percentileMicros(0.99) / divisor);
        r.put("avg_us", stats.averageMicros() / divisor);
        r.put("mb_per_s", iterations * (double) size / 1e6 / seconds);
        r.put("ops_per_s", iterations / seconds);
        r.put("bandwidth", bandwidth);
        return r;
    }

    /** Iterations per warm-up pass of {@link #latencyPass}. */
    private static final int WARMUP_PASS = 1000;

    /**
     * Iterations {@code from} to {@code to - 1}, each recorded in {@code stats}. One clock read per
     * iteration, as perftest takes one time stamp per iteration: an iteration's time runs from the
     * previous one's end to its own, bookkeeping included.
     *
     * @param previous the clock reading the first iteration's time starts from
     * @return the clock reading at the end of the last iteration
     */
    private static long latencyPass(PerfSession s, RemoteRegion remote, PerfOp op, int size, long from, long to, long previous,
                                    LatencyStats stats, Progress progress) {
        for (long i = from; i < to; i++) {
            long now = oneLatency(s, remote, op, size, i);
            stats.record(now - previous);
            previous = now;
            progress.tick(i);
        }
        return previous;
    }

    /** One measured iteration (a full round trip for ping-pong operations); returns {@code System.nanoTime()} at its end. */
    private static long oneLatency(PerfSession s, RemoteRegion remote, PerfOp op, int size, long i) {
        MemorySegment mem = s.data.segment();
        long target = s.area;
        switch (op) {
            case WRITE -> {
                byte marker = PerfSession.marker(i);
                s.setVolatileByte(size - 1, marker);
                long before = s.completed;
                post(s, op, size, s.endpoint.write(i, s.data, 0, size, remote, 0));
                awaitCompleted(s, before + 1);
                awaitMarker(s, target + size - 1, marker);
            }
            case SEND -> {
                byte marker = PerfSession.marker(i);
                post(s, op, size, s.endpoint.receive(PerfSession.DATA_RECEIVE_FLAG | i, s.data, target, size));
                s.setVolatileByte(size - 1, marker);
                post(s, op, size, s.endpoint.send(i, s.data, 0, size));
                while (s.received <= i) {
                    s.reap();
                    checkConnected(s);
                }
                if (mem.get(ValueLayout.JAVA_BYTE, target + size - 1) != marker) {
                    throw new FabricException(ErrorCode.OPERATION_FAILED, "send #" + i + " returned the wrong marker");
                }
            }
            case READ -> {
                long before = s.completed;
                post(s, op, size, s.endpoint.read(i, s.data, target, size, remote, 0));
                awaitCompleted(s, before + 1);
                if (mem.get(ValueLayout.JAVA_BYTE, target + size - 1) != PerfSession.pattern(size - 1)) {
                    throw new FabricException(ErrorCode.OPERATION_FAILED, "read #" + i + " returned wrong data");
                }
            }
            case FETCH_ADD, CMP_SWAP -> {
                long before = s.completed;
                post(s, op, size, op == PerfOp.FETCH_ADD ? s.endpoint.fetchAndAdd(i, s.data, target, remote, 0, 1)
                        : s.endpoint.compareAndSwap(i, s.data, target, remote, 0, i, i + 1));
                awaitCompleted(s, before + 1);
                long old = mem.get(ValueLayout.JAVA_LONG_UNALIGNED, target);
                if (old != i) {
                    throw new FabricException(ErrorCode.OPERATION_FAILED, op.cliName + " #" + i + " returned " + old + ", expected " + i);
                }
            }
            default -> throw new IllegalStateException(op.name());
        }
        return System.nanoTime();
    }

    /** Keeps {@code window} requests in flight; returns the start time. */
    private static long runWindow(PerfSession s, RemoteRegion remote, PerfOp op, int size, long total, int window, long[] posted,
                                  Progress progress) {
        long start = System.nanoTime();
        long next = 0;
        while (s.completed < total) {
            while (next < total && next - s.completed < window) {
                posted[(int) next] = System.nanoTime();
                PostStatus st = op == PerfOp.WRITE ? s.endpoint.write(next, s.data, 0, size, remote, 0)
                        : s.endpoint.read(next, s.data, s.area, size, remote, 0);
                if (st == PostStatus.AGAIN) {
                    break;
                }
                PerfSession.expectOk(st, "posting " + op.cliName + " #" + next);
                next++;
            }
            if (s.reapOrWait() == 0) {
                checkConnected(s);
            }
            progress.tick(s.completed);
        }
        return start;
    }

    /** @return a size as the user gave it, and in bytes where that differs ({@code 32M (33554432 bytes)}) */
    static String sizeText(String given, long bytes) {
        return given.equals(Long.toString(bytes)) ? given : given + " (" + bytes + " bytes)";
    }

    /**
     * Parses a {@code --uri} for weft perf, which chooses the region itself: a path other than {@code /perf} would be
     * replaced without a word, so it is a usage error.
     *
     * @param why what the message says about the region weft perf uses
     */
    static FabricUri perfUri(String text, String why) {
        FabricUri uri = FabricUri.parse(text);
        if (uri.region() != null && !uri.region().equals(REGION)) {
            throw new UsageException("--uri " + uri.safeText() + " names region /" + uri.region() + ", but " + why
                    + "; drop the path: --uri " + uri.withRegion(null).safeText());
        }
        return uri;
    }

    /** @return whether {@code --wait block} was given; {@code spin} (default) or {@code block} only */
    private static boolean blockingWait(Args args) {
        String wait = args.option("wait", "spin");
        return switch (wait) {
            case "spin" -> false;
            case "block" -> true;
            default -> throw new UsageException("--wait must be spin or block, not " + wait);
        };
    }

    /**
     * Opens the client's own fabric. When it was derived from {@code --uri} (the server's URI with port 0), a failure says
     * so: otherwise a message about port 0 of a URI the user never wrote (for a device URI, port 0 of the device) puzzles.
     */
    private static Fabric openClientFabric(FabricUri local, boolean derived) {
        if (!derived) {
            return Fabrics.open(local);
        }
        try {
            return Fabrics.open(local);
        } catch (FabricException e) {
            throw new FabricException(e.code(), "cannot open the client's own fabric " + local + ", which is --uri with port 0: "
                    + e.getMessage() + "; --uri names the server (for verbs by its IP address), and --local URI chooses the client's"
                    + " own fabric where the derived one does not fit", e);
        }
    }

    private static void post(PerfSession s, PerfOp op, int size, PostStatus status) {
        if (status != PostStatus.OK) {
            PerfSession.expectOk(status, "posting a " + size + "-byte " + op.cliName);
        }
    }

    private static void awaitCompleted(PerfSession s, long count) {
        while (s.completed < count) {
            if (s.reap() == 0) {
                checkConnected(s);
            }
        }
    }

    /**
     * Write ping-pong, as {@code ib_write_lat}: spins on the last byte of the peer's write, reading
     * memory only. Every 16th turn it also polls the queue, which drives progress on providers
     * whose target side is served by the application's polling (tcp in manual progress), and checks
     * that the peer is still connected. The own write's completion was awaited before, so the
     * queue has nothing else to deliver.
     */
    private static void awaitMarker(PerfSession s, long offset, byte marker) {
        int turns = 0;
        while (s.volatileByte(offset) != marker) {
            if ((++turns & 15) == 0) {
                s.reap();
                checkConnected(s);
            }
        }
    }

    private static void checkConnected(PerfSession s) {
        if (s.endpoint.state() != dev.weft.EndpointState.CONNECTED) {
            throw new FabricException(ErrorCode.CONNECTION_LOST, "the peer went away during the run");
        }
    }

    /** A progress line on a terminal for runs longer than a second. */
    private static final class Progress {
        private final PrintStream err;
        private final int size;
        private final long total;
        private final boolean terminal = System.console() != null && System.console().isTerminal(); // JDK 22-24 give a console also when redirected
        private final long start = System.nanoTime();
        private long lastPrint;
        private boolean printed;

        Progress(PrintStream err, int size, long total) {
            this.err = err;
            this.size = size;
            this.total = total;
        }

        void tick(long done) {
            if (!terminal || (done & 1023) != 0) {
                return;
            }
            long now = System.nanoTime();
            if (now - start > 1_000_000_000L && now - lastPrint > 500_000_000L) {
                lastPrint = now;
                printed = true;
                err.printf("\r  size %d: %d/%d iterations (%d%%)", size, done, total, done * 100 / total);
            }
        }

        void done() {
            if (printed) {
                err.print("\r\033[K");
            }
        }
    }
}
