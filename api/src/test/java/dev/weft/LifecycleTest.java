package dev.weft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.spi.ChildResources;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LifecycleTest {

    @Test
    void closesChildrenInReverseOrderAndCollectsFailures() {
        ChildResources children = new ChildResources();
        List<String> closed = new ArrayList<>();
        children.add(() -> closed.add("a"), "domain");
        children.add(() -> {
            closed.add("b");
            throw new IllegalStateException("b failed");
        }, "domain");
        AutoCloseable c = () -> closed.add("c");
        children.add(c, "domain");
        children.add(() -> {
            closed.add("d");
            throw new FabricException(ErrorCode.IO_ERROR, "d failed");
        }, "domain");
        children.remove(c);
        assertEquals(3, children.size());

        FabricException e = assertThrows(FabricException.class, () -> children.closeAll("domain"));
        assertEquals(List.of("d", "b", "a"), closed);
        assertEquals(2, e.getSuppressed().length);
        assertEquals("d failed", e.getSuppressed()[0].getMessage());
        assertEquals("b failed", e.getSuppressed()[1].getMessage());
        assertTrue(children.isClosed());

        children.closeAll("domain");
        assertEquals(3, closed.size(), "closeAll is idempotent");
        FabricException late = assertThrows(FabricException.class, () -> children.add(() -> { }, "domain"));
        assertEquals(ErrorCode.CLOSED, late.code());
        assertTrue(late.getMessage().contains("domain is closed"));
    }

    /**
     * A domain closes its endpoints before the regions they use, whatever the creation order, and a child
     * the first group's closing hands over (a listener's half-accepted endpoint) is still taken and closed.
     */
    @Test
    void closesTheFirstGroupBeforeTheRestAndTakesWhatItHandsOver() {
        ChildResources children = new ChildResources();
        List<String> closed = new ArrayList<>();
        record Named(String name, List<String> log, Runnable onClose) implements AutoCloseable {
            @Override
            public void close() {
                log.add(name);
                onClose.run();
            }
        }
        children.add(new Named("region1", closed, () -> { }), "domain");
        children.add(new Named("endpoint1", closed, () -> { }), "domain");
        children.add(new Named("region2", closed, () -> { }), "domain");
        children.add(new Named("listener", closed, () -> children.add(new Named("adopted", closed, () -> { }), "domain")), "domain");
        children.add(new Named("endpoint2", closed, () -> {
            throw new IllegalStateException("endpoint2 failed");
        }), "domain");
        FabricException e = assertThrows(FabricException.class,
                () -> children.closeAll("domain", c -> !((Named) c).name().startsWith("region")));
        assertEquals(List.of("endpoint2", "listener", "endpoint1", "adopted", "region2", "region1"), closed);
        assertEquals(1, e.getSuppressed().length);
        assertEquals("endpoint2 failed", e.getSuppressed()[0].getMessage());
        assertEquals(ErrorCode.CLOSED, assertThrows(FabricException.class, () -> children.add(() -> { }, "domain")).code());
        children.closeAll("domain", c -> true);
        assertEquals(6, closed.size(), "idempotent, and nothing is closed twice");
    }

    @Test
    void batchesAndListsAreReusableAndBounded() {
        CompletionBatch batch = new CompletionBatch(2);
        batch.next().set(7, Opcode.WRITE, Status.SUCCESS, 8, 0, false, 1, 0);
        batch.next().set(8, Opcode.RECEIVE_WRITE_WITH_IMMEDIATE, Status.SUCCESS, 0, 0xabc, true, 1, 0);
        assertTrue(batch.isFull());
        assertThrows(IllegalStateException.class, batch::next);
        assertEquals(0xabc, batch.get(1).immediate());
        Completion kept = batch.get(0).copy();
        batch.clear();
        assertEquals(0, batch.size());
        assertThrows(IndexOutOfBoundsException.class, () -> batch.get(0));
        assertEquals(7, kept.workRequestId());
        assertThrows(FabricException.class, () -> new CompletionBatch(0));

        ScatterGatherList sgl = new ScatterGatherList(2);
        sgl.add(null, 0, 10).add(null, 5, 20);
        assertEquals(30, sgl.totalLength());
        assertThrows(IllegalStateException.class, () -> sgl.add(null, 0, 1));
        sgl.clear();
        assertEquals(0, sgl.size());
        sgl.add(null, 0, -1);
        assertEquals(-1, sgl.totalLength());
        assertThrows(FabricException.class, () -> new ScatterGatherList(0));
    }

    @Test
    void endpointConfigValidates() {
        FabricException none = assertThrows(FabricException.class, () -> EndpointConfig.of(null));
        assertEquals(ErrorCode.INVALID_ARGUMENT, none.code());
        assertTrue(none.getMessage().contains("openCompletionQueue"), none.getMessage());
        CompletionQueue queue = new CompletionQueue() {
            @Override
            public int poll(CompletionBatch batch) {
                return 0;
            }

            @Override
            public int await(CompletionBatch batch, long timeout, java.util.concurrent.TimeUnit unit) {
                return 0;
            }

            @Override
            public int depth() {
                return 1;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        EndpointConfig ok = EndpointConfig.of(queue);
        FabricException forever = assertThrows(FabricException.class,
                () -> ok.withConnectTimeout(java.time.Duration.ofSeconds(Long.MAX_VALUE)));
        assertTrue(forever.getMessage().contains("at most 24 h"), forever.getMessage());
        assertEquals(ErrorCode.INVALID_ARGUMENT,
                assertThrows(FabricException.class, () -> ok.withConnectTimeout(java.time.Duration.ZERO)).code());
        assertEquals(EndpointConfig.MAX_CONNECT_TIMEOUT, ok.withConnectTimeout(EndpointConfig.MAX_CONNECT_TIMEOUT).connectTimeout());
    }
}
