package dev.weft.provider.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Completion;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The target's checks (DESIGN.md §5, issue 3 "Security and bad input"): each violation, its status, and no side effect. */
@Timeout(60)
class TcpSecurityTest {

    /** Posts two more writes after the bad one: the bad one fails, the others are FLUSHED, the target is untouched. */
    private static void assertRejected(Pair p, Status expected, PostStatus posted) {
        assertEquals(PostStatus.OK, posted);
        p.endpoint.write(2, p.local, 0, 8, p.remote, 0);
        List<Completion> c = p.await(2);
        assertEquals(expected, c.get(0).status(), c::toString);
        assertEquals(Status.FLUSHED, c.get(1).status());
        assertEquals(EndpointState.ERROR, p.endpoint.state());
        assertTrue(Pair.allEqual(p.target.segment(), 0, Pair.SIZE, Pair.FILL), "target memory unchanged");
        assertEquals(PostStatus.OK, p.endpoint.write(3, p.local, 0, 8, p.remote, 0), "posting in ERROR is accepted ...");
        assertEquals(Status.FLUSHED, p.await(1).get(0).status(), "... and flushed");
    }

    @Test
    void unknownKeyKeyPlusOneAndZeroKey() {
        for (long delta : new long[] {1, -1}) {
            try (Pair p = new Pair()) {
                assertRejected(p, Status.REMOTE_ACCESS_ERROR, p.endpoint.write(1, p.local, 0, 8, p.remote.address(), p.remote.key() + delta));
            }
        }
        try (Pair p = new Pair()) {
            assertRejected(p, Status.REMOTE_ACCESS_ERROR, p.endpoint.write(1, p.local, 0, 8, p.remote.address(), 0));
        }
    }

    @Test
    void keyOfAnotherDomainOfTheSameFabricIsRejected() {
        try (Pair p = new Pair()) {
            MemoryRegion other = p.serverFabric.openDomain().register(p.arena.allocate(64), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            assertRejected(p, Status.REMOTE_ACCESS_ERROR, p.endpoint.write(1, p.local, 0, 8, other.remoteAddress(), other.remoteKey()));
        }
    }

    @Test
    void outOfBoundsIsRejectedAndExactFitSucceeds() {
        long[][] cases = {
                {-1, 8},                       // one below the base
                {Pair.SIZE - 7, 8},            // one past the end
                {Pair.SIZE, 1},                // starts at the end
                {Long.MAX_VALUE, 8},           // far away
                {-8, 16},                      // wraps 2^64 back into the region
        };
        for (long[] c : cases) {
            try (Pair p = new Pair()) {
                assertRejected(p, Status.REMOTE_ACCESS_ERROR, p.endpoint.write(1, p.local, 0, (int) c[1], p.remote, c[0]));
            }
        }
        try (Pair p = new Pair()) {
            p.local.segment().fill((byte) 1);
            assertEquals(PostStatus.OK, p.endpoint.write(1, p.local, 0, 8, p.remote, Pair.SIZE - 8));
            assertEquals(Status.SUCCESS, p.await(1).get(0).status());
            assertTrue(Pair.allEqual(p.target.segment(), Pair.SIZE - 8, Pair.SIZE, (byte) 1));
            assertTrue(Pair.allEqual(p.target.segment(), 0, Pair.SIZE - 8, Pair.FILL));
            assertEquals(PostStatus.OK, p.endpoint.read(2, p.local, 0, 16, p.remote, Pair.SIZE - 16));
            assertEquals(Status.SUCCESS, p.await(1).get(0).status());
        }
    }

    @Test
    void aPublishedNameIsRequired() {
        try (Pair p = new Pair()) {
            dev.weft.FabricException e = org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class,
                    () -> p.listener.publish(null, p.target));
            assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().startsWith("a region name is required"), e.getMessage());
            MemoryRegion brief = p.serverDomain.register(p.arena.allocate(64), Access.REMOTE_READ);
            p.listener.publish("brief", brief);
            assertTrue(p.listener.published().contains("brief"));
            brief.close();
            assertEquals(java.util.Set.of("target"), p.listener.published(), "a closed region is no longer listed");
            org.junit.jupiter.api.Assertions.assertFalse(p.listener.unpublish(null), "null was never published");
            assertEquals(dev.weft.ErrorCode.INVALID_URI, org.junit.jupiter.api.Assertions.assertThrows(dev.weft.FabricException.class,
                    () -> p.clientDomain.connect((dev.weft.FabricUri) null, EndpointConfig.of(p.queue))).code());
        }
    }

    @Test
    void accessRightsAreEnforced() {
        try (Pair p = new Pair()) {
            MemoryRegion readOnly = p.serverDomain.register(p.arena.allocate(64), Access.REMOTE_READ);
            p.listener.publish("ro", readOnly);
            assertRejected(p, Status.REMOTE_ACCESS_ERROR, p.endpoint.write(1, p.local, 0, 8, readOnly.remoteAddress(), readOnly.remoteKey()));
        }
        try (Pair p = new Pair()) {
            MemoryRegion writeOnly = p.serverDomain.register(p.arena.allocate(64), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            assertRejected(p, Status.REMOTE_ACCESS_ERROR, p.endpoint.read(1, p.local, 0, 8, writeOnly.remoteAddress(), writeOnly.remoteKey()));
        }
        try (Pair p = new Pair()) {
            MemoryRegion noAtomic = p.serverDomain.register(p.arena.allocate(64), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            assertRejected(p, Status.REMOTE_ACCESS_ERROR,
                    p.endpoint.fetchAndAdd(1, p.local, 0, noAtomic.remoteAddress(), noAtomic.remoteKey(), 1));
        }
    }

    @Test
    void misalignedAtomicIsAnInvalidRequest() {
        try (Pair p = new Pair()) {
            assertRejected(p, Status.REMOTE_INVALID_REQUEST, p.endpoint.compareAndSwap(1, p.local, 0, p.remote, 4, 0, 1));
        }
    }

    @Test
    void aViolationLeavesOtherEndpointsWorking() {
        try (Pair p = new Pair()) {
            var second = p.clientDomain.connect(p.listener.uri().withRegion("target"), EndpointConfig.of(p.queue));
            assertEquals(PostStatus.OK, p.endpoint.write(1, p.local, 0, 8, p.remote.address(), p.remote.key() ^ 1));
            assertEquals(Status.REMOTE_ACCESS_ERROR, p.await(1).get(0).status());
            p.local.segment().fill((byte) 7);
            assertEquals(PostStatus.OK, second.write(9, p.local, 0, 8, p.remote, 0));
            Completion c = p.await(1).get(0);
            assertEquals(Status.SUCCESS, c.status());
            assertEquals(second.id(), c.endpointId());
            assertTrue(Pair.allEqual(p.target.segment(), 0, 8, (byte) 7));
        }
    }

    @Test
    void keysAreRandomUniqueAndDeadAfterDeregistration() {
        try (Pair p = new Pair()) {
            Set<Long> keys = new HashSet<>();
            for (int i = 0; i < 10_000; i++) {
                MemoryRegion r = p.serverDomain.register(p.arena.allocate(8), Access.REMOTE_READ);
                assertNotEquals(0L, r.remoteKey());
                assertTrue(keys.add(r.remoteKey()), "a key was issued twice");
                r.close();
            }
            // the high and low halves both vary: at least 64 random bits, not a counter
            assertTrue(keys.stream().map(k -> k >>> 32).distinct().count() > 9_000);
            assertTrue(keys.stream().map(k -> k & 0xffffffffL).distinct().count() > 9_000);

            long oldKey = p.target.remoteKey();
            long oldAddress = p.target.remoteAddress();
            p.listener.unpublish("target");
            p.target.close();
            MemoryRegion again = p.serverDomain.register(p.target.segment(), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            assertNotEquals(oldKey, again.remoteKey(), "re-registration gets a new key");
            assertRejected(p, Status.REMOTE_ACCESS_ERROR, p.endpoint.write(1, p.local, 0, 8, oldAddress, oldKey));
        }
    }

    @Test
    void deregistrationFencesInFlightOperations() throws Exception {
        try (Pair p = new Pair()) {
            p.local.segment().fill((byte) 3);
            int posted = 0;
            for (int i = 0; i < 500; i++) {
                if (p.endpoint.write(i, p.local, 0, 4096, p.remote, 0) == PostStatus.OK) {
                    posted++;
                }
            }
            p.target.close();
            // after close() returned, nothing may touch the memory: reset it and make sure it stays so
            p.target.segment().fill(Pair.FILL);
            List<Completion> c = p.await(posted);
            long failed = c.stream().filter(x -> !x.status().isSuccess()).count();
            assertTrue(c.stream().allMatch(x -> x.status() == Status.SUCCESS || x.status() == Status.REMOTE_ACCESS_ERROR
                    || x.status() == Status.FLUSHED), c::toString);
            Thread.sleep(100);
            assertTrue(Pair.allEqual(p.target.segment(), 0, Pair.SIZE, Pair.FILL), "memory written after its region was closed");
            assertTrue(failed >= 0);
        }
    }

    @Test
    @SuppressWarnings("restricted") // MemorySegment.NULL.reinterpret: a segment at address 0, which register must refuse
    void heapSegmentsAndBadAccessAreRefusedClearly() {
        try (Pair p = new Pair()) {
            FabricException heap = assertThrows(FabricException.class,
                    () -> p.clientDomain.register(java.lang.foreign.MemorySegment.ofArray(new byte[64]), Access.LOCAL_WRITE));
            assertTrue(heap.getMessage().contains("heap segment") && heap.getMessage().contains("Arena"), heap.getMessage());
            FabricException emptyHeap = assertThrows(FabricException.class,
                    () -> p.clientDomain.register(java.lang.foreign.MemorySegment.ofArray(new byte[0]), Access.LOCAL_WRITE));
            assertTrue(emptyHeap.getMessage().contains("allocate(4096, 4096)") && !emptyHeap.getMessage().contains("allocate(0,"),
                    "the suggested allocation is one register takes: " + emptyHeap.getMessage());
            FabricException nowhere = assertThrows(FabricException.class,
                    () -> p.clientDomain.register(java.lang.foreign.MemorySegment.NULL.reinterpret(4096), Access.LOCAL_WRITE));
            assertEquals(ErrorCode.INVALID_ARGUMENT, nowhere.code(), nowhere.getMessage());
            assertTrue(nowhere.getMessage().contains("address 0"), nowhere.getMessage());
            try (java.lang.foreign.Arena confined = java.lang.foreign.Arena.ofConfined()) {
                FabricException one = assertThrows(FabricException.class,
                        () -> p.clientDomain.register(confined.allocate(64), Access.LOCAL_WRITE));
                assertEquals(ErrorCode.INVALID_ARGUMENT, one.code());
                assertTrue(one.getMessage().contains("confined") && one.getMessage().contains("Arena.ofShared()"), one.getMessage());
            }
            p.clientDomain.register(java.lang.foreign.Arena.ofAuto().allocate(64), Access.LOCAL_WRITE).close();
            FabricException rule = assertThrows(FabricException.class,
                    () -> p.clientDomain.register(p.arena.allocate(64), Access.REMOTE_WRITE));
            assertEquals(ErrorCode.INVALID_ARGUMENT, rule.code());
        }
    }
}
