package dev.weft.benchmarks;

import dev.weft.Access;
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
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-call cost of the verbs provider's two hot downcalls, without the network: a poll of an
 * empty completion queue ({@code ops.poll_cq} plus Weft's wrapper), and a post that the driver
 * refuses at once ({@code ops.post_send} with a work request the device rejects, so nothing is
 * queued: the downcall, Weft's validation and the driver's checks). Needs an RDMA device; run it
 * in the Soft-RoCE testbed:
 *
 * <pre>
 * ./weft testbed exec -- java -jar benchmarks/target/weft-benchmarks.jar VerbsDowncallBenchmark -prof gc
 * </pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class VerbsDowncallBenchmark {
    /** The device's address in the testbed. */
    @Param({"verbs://192.0.2.1:0"})
    public String uri;

    private Arena arena;
    private Fabric serverFabric;
    private Fabric clientFabric;
    private CompletionQueue queue;
    private Endpoint endpoint;
    private MemoryRegion local;
    private long misaligned;
    private long key;
    private final CompletionBatch batch = new CompletionBatch(16);

    /** Opens both sides and connects. */
    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        serverFabric = Fabrics.open(uri);
        Domain sd = serverFabric.openDomain();
        MemoryRegion target = sd.register(arena.allocate(4096, 4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
        Listener listener = sd.listen(EndpointConfig.of(sd.openCompletionQueue(64)));
        listener.publish("bench", target);
        clientFabric = Fabrics.open(uri);
        Domain cd = clientFabric.openDomain();
        queue = cd.openCompletionQueue(64);
        local = cd.register(arena.allocate(4096, 4096), Access.LOCAL_WRITE);
        endpoint = cd.connect(listener.uri().withRegion("bench"), EndpointConfig.of(queue));
        misaligned = endpoint.wellKnownRegion().orElseThrow().address() + 4;
        key = endpoint.wellKnownRegion().orElseThrow().key();
    }

    /** Closes both sides. */
    @TearDown(Level.Trial)
    public void tearDown() {
        clientFabric.close();
        serverFabric.close();
        arena.close();
    }

    /** @return 0: the queue is empty */
    @Benchmark
    public int pollEmpty() {
        return queue.poll(batch);
    }

    /**
     * A misaligned atomic: Weft fills the work request and calls {@code post_send}; rxe refuses it
     * with EINVAL before queueing (other devices may queue it and fail it remotely).
     *
     * @return the post status
     */
    @Benchmark
    public PostStatus postRefusedByDriver() {
        return endpoint.fetchAndAdd(1, local, 0, misaligned, key, 1);
    }
}
