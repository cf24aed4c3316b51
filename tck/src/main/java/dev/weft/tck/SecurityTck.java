package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.Completion;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Area 6: security — keys, bounds, rights; the target is unchanged after every rejection. */
public abstract class SecurityTck extends TckBase {
    /** Creates the area. */
    protected SecurityTck() {
    }

    /**
     * Posts a bad write, then a good one; expects the rejection (on the request, or on the endpoint
     * where the provider declares transmit completion), the good write not placed, an unchanged
     * target and intact guards.
     */
    private void expectRejectedWrite(long address, long key, int length, Status expected) {
        pattern(local.segment(), 0, Math.max(length, 8), 77);
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, length, address, key));
        assertEquals(PostStatus.OK, endpoint.write(2, local, 0, 8, remote, 0));
        assertRejectedAtTarget(endpoint, await(2), 1, expected, 3);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target after a rejected write");
        assertGuardsIntact();
    }

    /**
     * Posts a read the target must refuse, of {@code length} bytes into a sink filled with a marker; expects the read
     * to complete with {@code expected}, the endpoint to move to ERROR, a request posted afterwards to be flushed, the
     * sink untouched, and an unchanged target with intact guards. A read always carries the target's verdict (no
     * transmit completion for reads); where the provider declares {@link dev.weft.Limits#transmitCompletion()} (iWARP,
     * whose TERMINATE message ends the connection) another error status than {@code expected} is accepted, never
     * {@code SUCCESS}.
     */
    private void expectRejectedRead(long address, long key, int length, Status expected) {
        require(Capability.RMA_READ);
        MemoryRegion sink = local;
        sink.segment().asSlice(0, length).fill(SINK_FILL);
        assertEquals(PostStatus.OK, endpoint.read(1, sink, 0, length, address, key));
        Completion c = assertFrom(endpoint, await(1)).get(0);
        assertEquals(1, c.workRequestId(), c::toString);
        if (!info().limits().transmitCompletion() || c.status() == Status.SUCCESS) {
            assertEquals(expected, c.status(), () -> "a read the target must refuse completes " + expected + ": " + c);
        }
        assertEquals(Opcode.READ, c.opcode(), () -> "the refused read's completion names its operation: " + c);
        assertFilled(sink.segment(), 0, length, SINK_FILL, "the sink of a refused read");
        awaitErrorState(endpoint, "a read the target refused");
        assertPostFlushed(endpoint, queue, local, 2);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target after a refused read");
        assertGuardsIntact();
    }

    /**
     * @return a random key other than the target region's: 32 random bits, since verbs keys are 32-bit and a wider key
     *         would be refused at post time instead of at the target
     */
    private long randomOtherKey() {
        long key;
        do {
            key = Integer.toUnsignedLong(new SecureRandom().nextInt());
        } while (key == remote.key());
        return key;
    }

    /** What the sink of a read the target must refuse holds before and after it. */
    private static final byte SINK_FILL = (byte) 3;

    /** A random key is refused. If this fails, check the key lookup. */
    @Test
    void sec_randomKey() {
        connect();
        expectRejectedWrite(remote.address(), randomOtherKey(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** key+1 is refused. If this fails, check that keys are not sequential or range-checked loosely. */
    @Test
    void sec_keyPlusOne() {
        connect();
        expectRejectedWrite(remote.address(), remote.key() + 1, 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A key of another domain of the same fabric is refused. If this fails, check per-domain key tables. */
    @Test
    void sec_otherDomainKey() {
        connect();
        MemoryRegion foreign = serverFabric.openDomain().register(arena.allocate(4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
        expectRejectedWrite(foreign.remoteAddress(), foreign.remoteKey(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** One byte below the base is refused. If this fails, check the lower bound. */
    @Test
    void sec_belowBase() {
        connect();
        expectRejectedWrite(remote.address() - 1, remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A write ending one past the end is refused. If this fails, check the upper bound. */
    @Test
    void sec_onePastTheEnd() {
        connect();
        expectRejectedWrite(remote.addressOf(remote.length() - 7), remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** An offset/length pair whose sum wraps 2^64 is refused. If this fails, check for 'address + length' overflow. */
    @Test
    void sec_wrapsTwoToThe64() {
        connect();
        expectRejectedWrite(remote.address() - 8, remote.key(), 16, Status.REMOTE_ACCESS_ERROR);
    }

    /** An offset far beyond the region is refused. If this fails, check unsigned offset handling. */
    @Test
    void sec_farBeyond() {
        connect();
        expectRejectedWrite(remote.addressOf(Long.MAX_VALUE), remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** Writing a read-only region is refused. If this fails, check REMOTE_WRITE enforcement. */
    @Test
    void sec_writeReadOnlyRegion() {
        connect(4096, 4096, EnumSet.of(Access.REMOTE_READ));
        expectRejectedWrite(remote.address(), remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /**
     * Reading a region without REMOTE_READ is refused: the read completes REMOTE_ACCESS_ERROR, the sink is untouched,
     * the endpoint moves to ERROR. If this fails, check REMOTE_READ enforcement.
     */
    @Test
    void sec_readWriteOnlyRegion() {
        require(Capability.RMA_READ);
        connect(4096, 4096, EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE));
        expectRejectedRead(remote.address(), remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** An atomic on a region without REMOTE_ATOMIC is refused. If this fails, check REMOTE_ATOMIC enforcement. */
    @Test
    void sec_atomicWithoutRight() {
        require(Capability.ATOMIC_FETCH_ADD);
        connect(4096, 4096, EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ));
        assertEquals(PostStatus.OK, endpoint.fetchAndAdd(1, local, 0, remote, 0, 1));
        assertEquals(Status.REMOTE_ACCESS_ERROR, await(1).get(0).status());
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target");
    }

    /** A deregistered region's key is dead; re-registering the memory gives a new key. If this fails, check deregistration. */
    @Test
    void sec_deregisteredKeyIsDead() {
        connect();
        long oldKey = remote.key();
        listener.unpublish(REGION_NAME);
        target.close();
        MemoryRegion again = serverDomain.register(target.segment(), Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
        assertNotEquals(oldKey, again.remoteKey(), "a re-registration must get a new key");
        expectRejectedWrite(remote.address(), oldKey, 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A read with a random key is refused; the sink is untouched. If this fails, check the key lookup of reads. */
    @Test
    void sec_read_randomKey() {
        require(Capability.RMA_READ);
        connect();
        expectRejectedRead(remote.address(), randomOtherKey(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A read with key+1 is refused. If this fails, check the key lookup of reads. */
    @Test
    void sec_read_keyPlusOne() {
        require(Capability.RMA_READ);
        connect();
        expectRejectedRead(remote.address(), remote.key() + 1, 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A read with a key of another domain of the same fabric is refused. If this fails, check per-domain key tables on reads. */
    @Test
    void sec_read_otherDomainKey() {
        require(Capability.RMA_READ);
        connect();
        MemorySegment secret = arena.allocate(4096, 4096);
        secret.fill((byte) 0x42);
        MemoryRegion foreign = serverFabric.openDomain().register(secret, Access.REMOTE_READ);
        expectRejectedRead(foreign.remoteAddress(), foreign.remoteKey(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A read starting one byte below the base is refused. If this fails, check the lower bound of reads. */
    @Test
    void sec_read_belowBase() {
        require(Capability.RMA_READ);
        connect();
        expectRejectedRead(remote.address() - 1, remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A read ending one past the end is refused. If this fails, check the upper bound of reads. */
    @Test
    void sec_read_onePastTheEnd() {
        require(Capability.RMA_READ);
        connect();
        expectRejectedRead(remote.addressOf(remote.length() - 7), remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** A read whose address and length wrap across the base is refused. If this fails, check 'address + length' overflow on reads. */
    @Test
    void sec_read_wrapsTwoToThe64() {
        require(Capability.RMA_READ);
        connect();
        expectRejectedRead(remote.address() - 8, remote.key(), 16, Status.REMOTE_ACCESS_ERROR);
    }

    /** A read far beyond the region is refused. If this fails, check unsigned offset handling on reads. */
    @Test
    void sec_read_farBeyond() {
        require(Capability.RMA_READ);
        connect();
        expectRejectedRead(remote.addressOf(Long.MAX_VALUE), remote.key(), 8, Status.REMOTE_ACCESS_ERROR);
    }

    /**
     * A read with a deregistered region's key is refused, also when the same memory was registered again (with
     * REMOTE_READ). If this fails, check that deregistration removes the key from the read path.
     */
    @Test
    void sec_read_deregisteredKeyIsDead() {
        require(Capability.RMA_READ);
        connect();
        long oldKey = remote.key();
        listener.unpublish(REGION_NAME);
        target.close();
        MemoryRegion again = serverDomain.register(target.segment(), Access.LOCAL_WRITE, Access.REMOTE_WRITE, Access.REMOTE_READ);
        assertNotEquals(oldKey, again.remoteKey(), "a re-registration must get a new key");
        expectRejectedRead(remote.address(), oldKey, 8, Status.REMOTE_ACCESS_ERROR);
    }

    /** Keys are unique over many registrations and not trivially related. If this fails, check the key generator. */
    @Test
    void sec_keysAreUnique() {
        connect();
        Set<Long> keys = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            MemoryRegion r = serverDomain.register(arena.allocate(16), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            assertTrue(keys.add(r.remoteKey()), "key reused: " + r.remoteKey());
            r.close();
        }
    }

    /** The exact-fit write that the bounds cases surround is accepted. If this fails, check an off-by-one in bounds. */
    @Test
    void sec_exactFitAccepted() {
        connect();
        pattern(local.segment(), 0, 8, 1);
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, 8, remote, remote.length() - 8));
        assertEquals(Status.SUCCESS, await(1).get(0).status());
        assertGuardsIntact();
    }
}
