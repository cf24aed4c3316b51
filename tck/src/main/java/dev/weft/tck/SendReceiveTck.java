package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.Completion;
import dev.weft.Endpoint;
import dev.weft.EndpointState;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.ScatterGatherList;
import dev.weft.Status;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Area 4: send and receive. */
public abstract class SendReceiveTck extends TckBase {
    /** Creates the area. */
    protected SendReceiveTck() {
    }

    /** Sends match posted receives in order, with their byte counts. If this fails, check receive-queue matching. */
    @Test
    void sr_postedReceivesMatchInOrder() {
        require(Capability.SEND_RECV);
        connect();
        Endpoint server = accepted();
        MemoryRegion rbuf = serverDomain.register(arena.allocate(3 * 1024), Access.LOCAL_WRITE);
        for (int i = 0; i < 3; i++) {
            assertEquals(PostStatus.OK, server.receive(100 + i, rbuf, 1024L * i, 1024));
        }
        for (int i = 0; i < 3; i++) {
            pattern(local.segment(), 1024L * i, 10 + i, i);
            assertEquals(PostStatus.OK, endpoint.send(i, local, 1024L * i, 10 + i));
        }
        List<Completion> s = assertFrom(endpoint, await(3));
        for (Completion c : s) {
            assertEquals(Status.SUCCESS, c.status(), c::toString);
            assertEquals(Opcode.SEND, c.opcode(), () -> "a send's completion names its operation: " + c);
        }
        List<Completion> r = assertFrom(server, await(serverQueue, 3));
        for (int i = 0; i < 3; i++) {
            Completion c = r.get(i);
            assertEquals(100 + i, c.workRequestId());
            assertEquals(Opcode.RECEIVE, c.opcode());
            assertFalse(c.hasImmediate(), () -> "a receive a plain send consumed carries no immediate data: " + c);
            assertEquals(10 + i, r.get(i).byteCount());
            assertPattern(rbuf.segment(), 1024L * i, 10 + i, i);
        }
        assertGuardsIntact();
    }

    /** A message longer than the posted receive fails it with LOCAL_LENGTH_ERROR. If this fails, check receive bounds. */
    @Test
    void sr_messageLongerThanReceive() {
        require(Capability.SEND_RECV);
        connect();
        Endpoint server = accepted();
        MemoryRegion rbuf = serverDomain.register(arena.allocate(64), Access.LOCAL_WRITE);
        rbuf.segment().fill((byte) 1);
        assertEquals(PostStatus.OK, server.receive(1, rbuf, 0, 16));
        assertEquals(PostStatus.OK, endpoint.send(2, local, 0, 17));
        Status receiveStatus = await(serverQueue, 1).get(0).status();
        // LOCAL_LENGTH_ERROR is what the specification and most devices report; rxe reports LOCAL_QP_OPERATION_ERROR.
        assertTrue(receiveStatus == Status.LOCAL_LENGTH_ERROR || receiveStatus == Status.LOCAL_QP_OPERATION_ERROR,
                "a receive overrun completes with LOCAL_LENGTH_ERROR (or LOCAL_QP_OPERATION_ERROR on some devices), got " + receiveStatus);
        Completion sent = await(1).get(0);
        if (sent.status().isSuccess()) {
            // where the send completed on transmit, the failure reaches the sender as the end of its connection
            assertTrue(info().limits().transmitCompletion(), "the sender's completion reports the failure too, got " + sent);
            assertRejectedAtTarget(endpoint, List.of(sent), 2, Status.REMOTE_INVALID_REQUEST, 3);
        }
        assertFilled(rbuf.segment(), 16, 64, (byte) 1, "memory after the receive buffer");
    }

    /** A send with no receive posted fails with RNR_RETRY_EXCEEDED after the retries. If this fails, check RNR handling. */
    @Test
    void sr_noReceivePostedIsRnr() {
        require(Capability.SEND_RECV);
        connect();
        accepted();
        assertEquals(PostStatus.OK, endpoint.send(1, local, 0, 8));
        assertEquals(PostStatus.OK, endpoint.write(2, local, 0, 8, remote, 0));
        // iWARP has no RNR retry: a send that finds no receive ends the connection (transmit completion)
        assertRejectedAtTarget(endpoint, await(2), 1, Status.RNR_RETRY_EXCEEDED, 3);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target after the write behind the failed send");
    }

    /** A write followed by a send is visible when the receive completes. If this fails, check ordering. */
    @Test
    void sr_writeThenSendIsVisible() {
        require(Capability.SEND_RECV);
        connect();
        Endpoint server = accepted();
        MemoryRegion rbuf = serverDomain.register(arena.allocate(64), Access.LOCAL_WRITE);
        for (int round = 0; round < 20; round++) {
            assertEquals(PostStatus.OK, server.receive(round, rbuf, 0, 64));
            pattern(local.segment(), 0, 4096, round);
            assertEquals(PostStatus.OK, endpoint.write(2L * round, local, 0, 4096, remote, 0));
            assertEquals(PostStatus.OK, endpoint.send(2L * round + 1, local, 0, 4));
            assertEquals(Status.SUCCESS, await(serverQueue, 1).get(0).status());
            assertPattern(target.segment(), 0, 4096, round);
            await(2);
        }
        assertGuardsIntact();
    }

    /** A receive with two segments takes a message across both. If this fails, check scatter on receive. */
    @Test
    void sr_scatterGatherReceive() {
        require(Capability.SEND_RECV);
        require(Capability.SCATTER_GATHER);
        connect();
        Endpoint server = accepted();
        MemoryRegion rbuf = serverDomain.register(arena.allocate(256), Access.LOCAL_WRITE);
        assertEquals(PostStatus.OK, server.receive(1, new ScatterGatherList(2).add(rbuf, 200, 10).add(rbuf, 0, 100)));
        pattern(local.segment(), 0, 50, 8);
        assertEquals(PostStatus.OK, endpoint.send(1, local, 0, 50));
        assertEquals(50, await(serverQueue, 1).get(0).byteCount());
        assertPattern(rbuf.segment(), 200, 10, 8);
        for (int i = 0; i < 40; i++) {
            assertEquals((byte) ((10 + i) * 31 + 8), rbuf.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, i));
        }
        await(1);
    }

    /** A zero-length send completes a receive with byte count 0. If this fails, check empty messages. */
    @Test
    void sr_zeroLengthSend() {
        require(Capability.SEND_RECV);
        connect();
        Endpoint server = accepted();
        MemoryRegion rbuf = serverDomain.register(arena.allocate(64), Access.LOCAL_WRITE);
        assertEquals(PostStatus.OK, server.receive(1, rbuf, 0, 64));
        assertEquals(PostStatus.OK, endpoint.send(1, local, 0, 0));
        Completion r = await(serverQueue, 1).get(0);
        assertEquals(Status.SUCCESS, r.status());
        assertEquals(0, r.byteCount());
        await(1);
    }
}
