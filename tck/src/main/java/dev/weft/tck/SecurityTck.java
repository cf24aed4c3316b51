package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.Completion;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.Status;
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

    /** A random key is refused. If this fails, check the key lookup. */
    @Test
    void sec_randomKey() {
        connect();
        // 32 random bits: verbs keys are 32-bit, so a wider key would be refused at post time instead.
        long key;
        do {
            key = Integer.toUnsignedLong(new SecureRandom().nextInt());
        } while (key == remote.key());
        expectRejectedWrite(remote.address(), key, 8, Status.REMOTE_ACCESS_ERROR);
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

    /** Reading a region without REMOTE_READ is refused. If this fails, check REMOTE_READ enforcement. */
    @Test
    void sec_readWriteOnlyRegion() {
        require(Capability.RMA_READ);
        connect(4096, 4096, EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_WRITE));
        local.segment().fill((byte) 3);
        assertEquals(PostStatus.OK, endpoint.read(1, local, 0, 8, remote, 0));
        assertEquals(Status.REMOTE_ACCESS_ERROR, await(1).get(0).status());
        assertFilled(local.segment(), 0, 8, (byte) 3, "the sink of a refused read");
        assertGuardsIntact();
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
