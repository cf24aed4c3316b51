package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** Area 2: memory registration. */
public abstract class RegistrationTck extends TckBase {
    /** Creates the area. */
    protected RegistrationTck() {
    }

    /** REMOTE_WRITE without LOCAL_WRITE is refused. If this fails, check Access.validate in register. */
    @Test
    void reg_remoteWriteNeedsLocalWrite() {
        connect();
        FabricException e = assertThrows(FabricException.class, () -> clientDomain.register(arena.allocate(64), Access.REMOTE_WRITE));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains("LOCAL_WRITE"), e.getMessage());
    }

    /**
     * Memory a region could not use is refused when it is registered, not at its first access: a segment whose arena
     * is closed ({@code CLOSED}), a read-only segment with a right to write it ({@code INVALID_ARGUMENT}). A read-only
     * segment may still be registered for remote reads, and the peer reads it. If this fails, check
     * {@code SegmentChecks.requireAlive} and {@code requireWritableIfWritten} in register.
     */
    @Test
    void reg_unusableMemoryIsRefusedAtRegistration() {
        connect();
        Arena gone = Arena.ofShared();
        MemorySegment freed = gone.allocate(4096, 4096);
        gone.close();
        FabricException closed = assertThrows(FabricException.class, () -> serverDomain.register(freed, Access.LOCAL_WRITE));
        assertEquals(ErrorCode.CLOSED, closed.code(), closed.getMessage());
        MemorySegment data = arena.allocate(4096, 4096);
        pattern(data, 0, 64, 5);
        MemorySegment readOnly = data.asReadOnly();
        FabricException written = assertThrows(FabricException.class,
                () -> serverDomain.register(readOnly, Access.LOCAL_WRITE, Access.REMOTE_WRITE));
        assertEquals(ErrorCode.INVALID_ARGUMENT, written.code());
        assertTrue(written.getMessage().contains("read-only"), written.getMessage());
        assertEquals(ErrorCode.INVALID_ARGUMENT,
                assertThrows(FabricException.class, () -> serverDomain.register(readOnly, Access.LOCAL_WRITE)).code());
        if (info().capabilities().contains(Capability.RMA_READ)) {
            MemoryRegion shared = serverDomain.register(readOnly, Access.REMOTE_READ);
            assertEquals(PostStatus.OK, endpoint.read(1, local, 0, 64, shared.toRemote(), 0));
            assertEquals(Status.SUCCESS, await(1).get(0).status());
            assertPattern(local.segment(), 0, 64, 5);
        }
        assertGuardsIntact();
    }

    /** REMOTE_ATOMIC without LOCAL_WRITE is refused. If this fails, check Access.validate in register. */
    @Test
    void reg_remoteAtomicNeedsLocalWrite() {
        connect();
        assertEquals(ErrorCode.INVALID_ARGUMENT,
                assertThrows(FabricException.class, () -> clientDomain.register(arena.allocate(64), Access.REMOTE_ATOMIC, Access.REMOTE_READ)).code());
    }

    /** A heap segment is refused with a message that says to use an Arena. If this fails, check MemorySegment.isNative. */
    @Test
    void reg_heapSegmentRefused() {
        connect();
        FabricException e = assertThrows(FabricException.class,
                () -> clientDomain.register(MemorySegment.ofArray(new byte[128]), Access.LOCAL_WRITE));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().toLowerCase().contains("heap") && e.getMessage().contains("Arena"), e.getMessage());
    }

    /**
     * A segment confined to one thread is refused with a message that names the arenas to use, on
     * every provider, so a program behaves the same on every fabric. If this fails, check
     * SegmentChecks.requireAccessibleFromAnyThread in register.
     */
    @Test
    void reg_confinedSegmentRefused() {
        connect();
        try (Arena confined = Arena.ofConfined()) {
            FabricException e = assertThrows(FabricException.class, () -> clientDomain.register(confined.allocate(4096, 4096), Access.LOCAL_WRITE));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("Arena.ofShared()"), e.getMessage());
        }
        clientDomain.register(Arena.ofAuto().allocate(4096, 4096), Access.LOCAL_WRITE).close();
    }

    /**
     * A zero-length segment is refused with {@code INVALID_ARGUMENT} on every provider (a device would grant a page for
     * it); nothing is registered. If this fails, check that register calls {@code SegmentChecks.requireNonEmpty}.
     */
    @Test
    void reg_zeroLength() {
        connect();
        FabricException refused = assertThrows(FabricException.class,
                () -> serverDomain.register(arena.allocate(0), Access.LOCAL_WRITE, Access.REMOTE_WRITE), "registering 0 bytes");
        assertEquals(dev.weft.ErrorCode.INVALID_ARGUMENT, refused.code(), refused::toString);
        assertTrue(refused.getMessage().contains("zero-length"), refused.getMessage());
    }

    /**
     * A 256 MiB region — or a region of the provider's declared {@code maxRegionSize} where that is smaller — registers
     * and its last byte is writable remotely. If this fails, check large registrations.
     */
    @Test
    void reg_hugeLength() {
        connect();
        long size = Math.min(256L << 20, info().limits().maxRegionSize());
        MemoryRegion huge = serverDomain.register(arena.allocate(size, 4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
        assertEquals(size, huge.length());
        pattern(local.segment(), 0, 8, 3);
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, 8, huge.toRemote(), size - 8));
        assertEquals(Status.SUCCESS, await(1).get(0).status());
        assertPlaced(() -> assertPattern(huge.segment(), size - 8, 8, 3));
    }

    /** close() is idempotent. If this fails, check MemoryRegion.close. */
    @Test
    void reg_doubleClose() {
        connect();
        MemoryRegion r = clientDomain.register(arena.allocate(64), Access.LOCAL_WRITE);
        r.close();
        r.close();
        assertFalse(r.isOpen());
    }

    /**
     * A region whose memory's arena was closed after registration is no longer open, and a post from it answers INVALID
     * (the memory is freed; a provider must not read or write it) while the endpoint goes on working; closing the region
     * afterwards deregisters it without error. If this fails, check that a region's liveness includes its segment's scope.
     */
    @Test
    void reg_regionOfAClosedArenaIsRefusedAtPost() {
        connect();
        java.lang.foreign.Arena gone = java.lang.foreign.Arena.ofShared();
        var r = clientDomain.register(gone.allocate(64, 8), Access.LOCAL_WRITE);
        gone.close();
        assertFalse(r.isOpen(), "a region whose arena is closed is not open");
        assertEquals(dev.weft.PostStatus.INVALID, endpoint.write(1, r, 0, 8, remote, 0));
        pattern(local.segment(), 0, 8, 2);
        assertEquals(dev.weft.PostStatus.OK, endpoint.write(2, local, 0, 8, remote, 0));
        assertEquals(dev.weft.Status.SUCCESS, await(1).get(0).status());
        r.close();
    }

    /**
     * A closed region cannot be described ({@code CLOSED}) and a post from it answers INVALID with nothing queued, on
     * every provider (docs/architecture.md, "Data path": a closed local region is refused at post); the endpoint goes on
     * working. If this fails, check use-after-close handling on the post path.
     */
    @Test
    void reg_useAfterClose() {
        connect();
        MemoryRegion r = clientDomain.register(arena.allocate(64), Access.LOCAL_WRITE);
        r.close();
        assertEquals(ErrorCode.CLOSED, assertThrows(FabricException.class, r::toRemote).code());
        assertEquals(PostStatus.INVALID, endpoint.write(1, r, 0, 8, remote, 0), "a write from a closed region");
        pattern(local.segment(), 0, 8, 4);
        assertEquals(PostStatus.OK, endpoint.write(2, local, 0, 8, remote, 64));
        java.util.List<dev.weft.Completion> c = await(1);
        assertEquals(2, c.get(0).workRequestId(), () -> "only the valid write completes: " + c);
        assertEquals(Status.SUCCESS, c.get(0).status(), c.get(0)::toString);
        assertPlaced(() -> {
            assertFilled(target.segment(), 0, 64, TARGET_FILL, "target before the valid write");
            assertPattern(target.segment(), 64, 8, 4);
        });
        assertGuardsIntact();
    }

    /** Closing a domain closes its regions and queues. If this fails, check parent-closes-children. */
    @Test
    void reg_parentClosesChildren() {
        connect();
        MemoryRegion r = clientDomain.register(arena.allocate(64), Access.LOCAL_WRITE);
        var q = clientDomain.openCompletionQueue(8);
        clientDomain.close();
        assertFalse(r.isOpen());
        assertFalse(q.isOpen());
        assertEquals(PostStatus.CLOSED, endpoint.write(1, local, 0, 8, remote, 0));
    }
}
