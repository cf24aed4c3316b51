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
import dev.weft.RemoteRegion;
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
 * One RDMA operation posted and polled to completion, in one JVM, on any provider named by
 * {@code uri} (two fabrics, one listening and one connecting). Run with {@code -prof gc}: the
 * {@code gc.alloc.rate.norm} column is the bytes allocated per operation in steady state, which
 * must be 0 (DESIGN.md §5).
 *
 * <pre>
 * java -jar benchmarks/target/weft-benchmarks.jar PostPollBenchmark -prof gc
 * java -jar benchmarks/target/weft-benchmarks.jar PostPollBenchmark -p uri=tcp://127.0.0.1:0?progress=manual -p serverPolls=true -prof gc
 * </pre>
 *
 * <p>In manual progress the target side is served only while a thread polls that side's queue:
 * {@code serverPolls=true} makes the benchmark thread poll the server's queue too, between
 * polls of its own (otherwise the operation never completes).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class PostPollBenchmark {
    /** The fabric URI of both sides; port 0 picks a free port. */
    @Param({"tcp://127.0.0.1:0"})
    public String uri;

    /** Bytes per operation. */
    @Param({"8"})
    public int size;

    /** Whether the benchmark thread also polls the server's queue (tcp in manual progress needs it). */
    @Param({"false"})
    public boolean serverPolls;

    private Arena arena;
    private Fabric serverFabric;
    private Fabric clientFabric;
    private CompletionQueue queue;
    private CompletionQueue serverQueue;
    private final CompletionBatch serverBatch = new CompletionBatch(16);
    private Endpoint endpoint;
    private MemoryRegion local;
    private RemoteRegion remote;
    private final CompletionBatch batch = new CompletionBatch(16);
    private long id;

    /** Opens both sides and connects. */
    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        serverFabric = Fabrics.open(uri);
        Domain serverDomain = serverFabric.openDomain();
        MemoryRegion target = serverDomain.register(arena.allocate(1 << 20, 4096),
                Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ, Access.REMOTE_ATOMIC);
        serverQueue = serverDomain.openCompletionQueue(256);
        Listener listener = serverDomain.listen(EndpointConfig.of(serverQueue));
        listener.publish("bench", target);
        clientFabric = Fabrics.open(uri);
        Domain clientDomain = clientFabric.openDomain();
        queue = clientDomain.openCompletionQueue(256);
        local = clientDomain.register(arena.allocate(1 << 20, 4096), Access.LOCAL_WRITE);
        endpoint = clientDomain.connect(listener.uri().withRegion("bench"), EndpointConfig.of(queue));
        remote = endpoint.wellKnownRegion().orElseThrow();
    }

    /** Closes both sides. */
    @TearDown(Level.Trial)
    public void tearDown() {
        clientFabric.close();
        serverFabric.close();
        arena.close();
    }

    private int await() {
        int n;
        while ((n = queue.poll(batch)) == 0) {
            if (serverPolls) {
                serverQueue.poll(serverBatch);
            }
            Thread.onSpinWait();
        }
        if (!batch.get(0).status().isSuccess()) {
            throw new IllegalStateException(batch.get(0).toString());
        }
        return n;
    }

    /** @return the completion count, consumed by JMH */
    @Benchmark
    public int write() {
        if (endpoint.write(++id, local, 0, size, remote, 0) != PostStatus.OK) {
            throw new IllegalStateException("post failed");
        }
        return await();
    }

    /** @return the completion count, consumed by JMH */
    @Benchmark
    public int read() {
        if (endpoint.read(++id, local, 0, size, remote, 0) != PostStatus.OK) {
            throw new IllegalStateException("post failed");
        }
        return await();
    }

    /** @return the completion count, consumed by JMH */
    @Benchmark
    public int fetchAndAdd() {
        if (endpoint.fetchAndAdd(++id, local, 0, remote, 0, 1) != PostStatus.OK) {
            throw new IllegalStateException("post failed");
        }
        return await();
    }
}
