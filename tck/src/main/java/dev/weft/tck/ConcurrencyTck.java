package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.Completion;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Area 10: concurrency. */
public abstract class ConcurrencyTck extends TckBase {
    /** Creates the area. */
    protected ConcurrencyTck() {
    }

    /**
     * Four threads post on four endpoints sharing one completion queue; every request is
     * accounted for exactly once, by endpoint and work request id. If this fails, check the
     * thread-safety of post and of the completion queue.
     */
    @Test
    void conc_manyThreadsOneQueue() throws Exception {
        connect();
        int threads = 4;
        int perThread = 500;
        List<Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            endpoints.add(clientDomain.connect(listener.uri().withRegion(REGION_NAME), EndpointConfig.of(queue).withSendQueueDepth(64)));
        }
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Endpoint e = endpoints.get(t);
            int id = t;
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < perThread; i++) {
                        PostStatus s;
                        while ((s = (i % 2 == 0 ? e.write(i, local, 64L * id, 64, remote, 64L * id)
                                : e.read(i, local, 4096 + 64L * id, 64, remote, 64L * id))) == PostStatus.AGAIN) {
                            Thread.onSpinWait();
                        }
                        assertEquals(PostStatus.OK, s);
                    }
                } catch (Throwable x) {
                    errors.add(x);
                }
            }));
        }
        List<Completion> all = await(threads * perThread);
        for (Thread w : workers) {
            w.join();
        }
        assertEquals(List.of(), errors);
        Set<String> seen = new HashSet<>();
        for (Completion c : all) {
            assertEquals(Status.SUCCESS, c.status(), c::toString);
            seen.add(c.endpointId() + "/" + c.workRequestId());
        }
        assertEquals(threads * perThread, seen.size(), "every (endpoint, request) exactly once");
        assertGuardsIntact();
    }
}
