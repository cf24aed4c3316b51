package dev.weft.tck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.Access;
import dev.weft.Capability;
import dev.weft.Completion;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.EndpointState;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.Status;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/** Area 7: errors and teardown. */
public abstract class ErrorsTck extends TckBase {
    /** Creates the area. */
    protected ErrorsTck() {
    }

    /**
     * An endpoint in ERROR flushes outstanding and later requests, and none of the requests behind
     * the failed one reaches the target. If this fails, check the ERROR state's flush.
     */
    @Test
    void err_errorFlushesOutstandingAndLater() {
        connect();
        pattern(local.segment(), 0, 8, 21);
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, 8, remote.address(), remote.key() ^ 0x5555));
        for (int i = 2; i <= 20; i++) {
            assertEquals(PostStatus.OK, endpoint.write(i, local, 0, 8, remote, 0));
        }
        assertRejectedAtTarget(endpoint, await(20), 1, Status.REMOTE_ACCESS_ERROR, 21);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target after a failed write and the writes behind it");
    }

    /**
     * A local buffer that can never work is refused when it is posted, with nothing queued, and the endpoint goes on
     * working: a negative offset, a range beyond the region's end (also one whose end overflows), a closed region and a
     * region of another domain, for writes, reads and receives, a sink (of a read, an atomic, a receive) in a region
     * registered without LOCAL_WRITE, and where the provider declares {@code Limits.readSinkNeedsRemoteWrite()} (iWARP)
     * the sink of a read registered without REMOTE_WRITE (PostStatus.INVALID). Had the request been queued and
     * failed later, the endpoint would move to ERROR and flush requests posted before it that already executed. If this
     * fails, check the post path's checks of the local side before a slot is taken.
     */
    @Test
    void err_unusableLocalBufferIsRefusedAtPost() {
        connect();
        MemoryRegion closed = clientDomain.register(arena.allocate(64, 8), Access.LOCAL_WRITE);
        closed.close();
        MemoryRegion foreign = clientFabric.openDomain().register(arena.allocate(64, 8), Access.LOCAL_WRITE);
        MemoryRegion readOnly = clientDomain.register(arena.allocate(64, 8), java.util.EnumSet.noneOf(Access.class));
        long end = local.length();
        assertEquals(PostStatus.INVALID, endpoint.write(1, local, -1, 8, remote, 0), "a negative local offset");
        assertEquals(PostStatus.INVALID, endpoint.write(2, local, end - 4, 8, remote, 0), "a range beyond the local region's end");
        assertEquals(PostStatus.INVALID, endpoint.write(3, local, Long.MAX_VALUE - 2, 8, remote, 0), "a range whose end overflows");
        assertEquals(PostStatus.INVALID, endpoint.write(4, closed, 0, 8, remote, 0), "a closed local region");
        assertEquals(PostStatus.INVALID, endpoint.write(5, foreign, 0, 8, remote, 0), "a local region of another domain");
        if (info().capabilities().contains(Capability.RMA_READ)) {
            assertEquals(PostStatus.INVALID, endpoint.read(6, local, end - 4, 8, remote, 0), "a read sink beyond its region's end");
            assertEquals(PostStatus.INVALID, endpoint.read(7, foreign, 0, 8, remote, 0), "a read sink of another domain");
            assertEquals(PostStatus.INVALID, endpoint.read(11, readOnly, 0, 8, remote, 0), "a read sink without LOCAL_WRITE");
            if (info().limits().readSinkNeedsRemoteWrite()) {
                MemoryRegion localOnly = clientDomain.register(arena.allocate(64, 8), Access.LOCAL_WRITE);
                assertEquals(PostStatus.INVALID, endpoint.read(14, localOnly, 0, 8, remote, 0),
                        "a read sink without REMOTE_WRITE, which this provider's Limits.readSinkNeedsRemoteWrite() declares needed");
            }
        }
        if (info().capabilities().contains(Capability.ATOMIC_FETCH_ADD)) {
            assertEquals(PostStatus.INVALID, endpoint.fetchAndAdd(12, readOnly, 0, remote, 0, 1), "an atomic's result without LOCAL_WRITE");
        }
        if (info().capabilities().contains(Capability.SEND_RECV)) {
            assertEquals(PostStatus.INVALID, endpoint.receive(8, local, end - 4, 8), "a receive buffer beyond its region's end");
            assertEquals(PostStatus.INVALID, endpoint.receive(9, closed, 0, 8), "a receive buffer in a closed region");
            assertEquals(PostStatus.INVALID, endpoint.receive(13, readOnly, 0, 8), "a receive buffer without LOCAL_WRITE");
        }
        assertRefusedPostsLeftItWorking(10);
    }

    /**
     * After posts the endpoint refused: a valid write {@code wrId} is the only request that completes, it succeeds, the
     * endpoint is still connected, and only its bytes reached the target.
     */
    private void assertRefusedPostsLeftItWorking(long wrId) {
        int seed = (int) wrId;
        pattern(local.segment(), 0, 8, seed);
        assertEquals(PostStatus.OK, endpoint.write(wrId, local, 0, 8, remote, 0));
        List<Completion> c = await(1);
        assertEquals(wrId, c.get(0).workRequestId(), "only the valid request completes: " + c);
        assertEquals(Status.SUCCESS, c.get(0).status());
        assertEquals(EndpointState.CONNECTED, endpoint.state(), "refused posts leave the endpoint connected");
        assertPlaced(() -> assertPattern(target.segment(), 0, 8, seed));
        assertGuardsIntact();
    }

    /**
     * A post given null where it needs a region, a gather list or a remote region is malformed like any other request
     * that can never work: it answers INVALID with nothing queued instead of throwing from the data path, for every post
     * the provider supports, and the endpoint goes on working. If this fails, check that the post path (and the
     * RemoteRegion forms of {@link Endpoint}) test for null before anything else.
     */
    @Test
    void err_nullArgumentsAreRefusedAtPost() {
        connect();
        MemoryRegion none = null;
        dev.weft.ScatterGatherList noList = null;
        dev.weft.RemoteRegion nowhere = null;
        long address = remote.address();
        long key = remote.key();
        assertEquals(PostStatus.INVALID, endpoint.write(1, none, 0, 8, address, key), "write from a null region");
        assertEquals(PostStatus.INVALID, endpoint.write(2, noList, address, key), "write from a null gather list");
        assertEquals(PostStatus.INVALID, endpoint.write(3, local, 0, 8, nowhere, 0), "write to a null remote region");
        if (info().capabilities().contains(Capability.RMA_READ)) {
            assertEquals(PostStatus.INVALID, endpoint.read(4, none, 0, 8, address, key), "read into a null region");
            assertEquals(PostStatus.INVALID, endpoint.read(5, noList, address, key), "read into a null scatter list");
            assertEquals(PostStatus.INVALID, endpoint.read(6, local, 0, 8, nowhere, 0), "read from a null remote region");
        }
        if (info().capabilities().contains(Capability.WRITE_IMM)) {
            assertEquals(PostStatus.INVALID, endpoint.writeWithImmediate(7, none, 0, 8, address, key, 1), "write-immediate from a null region");
            assertEquals(PostStatus.INVALID, endpoint.writeWithImmediate(8, noList, address, key, 1), "write-immediate from a null list");
        }
        if (info().capabilities().contains(Capability.SEND_RECV)) {
            assertEquals(PostStatus.INVALID, endpoint.send(9, none, 0, 8), "send from a null region");
            assertEquals(PostStatus.INVALID, endpoint.send(10, noList), "send from a null gather list");
            assertEquals(PostStatus.INVALID, endpoint.receive(11, none, 0, 8), "receive into a null region");
            assertEquals(PostStatus.INVALID, endpoint.receive(12, noList), "receive into a null scatter list");
        }
        if (info().capabilities().contains(Capability.ATOMIC_FETCH_ADD)) {
            assertEquals(PostStatus.INVALID, endpoint.fetchAndAdd(13, none, 0, address, key, 1), "fetch-and-add into a null region");
            assertEquals(PostStatus.INVALID, endpoint.fetchAndAdd(14, local, 0, nowhere, 0, 1), "fetch-and-add on a null remote region");
        }
        if (info().capabilities().contains(Capability.ATOMIC_CMP_SWAP)) {
            assertEquals(PostStatus.INVALID, endpoint.compareAndSwap(15, none, 0, address, key, 0, 1), "compare-and-swap into a null region");
            assertEquals(PostStatus.INVALID, endpoint.compareAndSwap(16, local, 0, nowhere, 0, 0, 1), "compare-and-swap on a null remote region");
        }
        assertRefusedPostsLeftItWorking(17);
    }

    /**
     * Closing an endpoint with 1,000 operations in flight gives each exactly one completion. Each
     * writes the whole 64 KiB region, 64 MiB in all, so that work is still in flight at the close
     * even on a fast fabric (with small writes a loopback peer may finish them all first, and the
     * flush would go untested). If this fails, check close's flush.
     */
    @Test
    void err_closeEndpointWith1000InFlight() {
        connect();
        int size = (int) Math.min(local.length(), remote.length());
        closeWith1000InFlight(i -> endpoint.write(i, local, 0, size, remote, 0));
    }

    /**
     * Closing an endpoint with 1,000 RDMA reads of 64 KiB in flight gives each exactly one
     * completion, SUCCESS or FLUSHED, and leaves the target as it was. A device keeps reads apart
     * until their answer comes (an outstanding-read queue), so their flush takes another path than
     * the writes': siw (Linux 6.1) reported a read twice there (docs/tck.md). If this fails, check
     * close's flush of reads.
     */
    @Test
    void err_closeEndpointWith1000ReadsInFlight() {
        require(Capability.RMA_READ);
        connect();
        int size = (int) Math.min(local.length(), remote.length());
        closeWith1000InFlight(i -> endpoint.read(i, local, 0, size, remote, 0));
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target of reads");
        assertGuardsIntact();
    }

    /**
     * Closing an endpoint with 500 receives posted and no message coming completes each receive
     * exactly once, FLUSHED, naming the operation that was posted (RECEIVE). If this fails, check
     * close's flush of the receive queue.
     */
    @Test
    void err_closeFlushesPostedReceives() {
        require(Capability.SEND_RECV);
        connect();
        postEach(500, "the endpoint was opened with 512 receive slots", i -> endpoint.receive(i, local, (i % 64) * 1024L, 1024));
        endpoint.close();
        assertEquals(PostStatus.CLOSED, endpoint.receive(5000, local, 0, 8));
        assertReceivesFlushedOnce(await(500), 500);
        assertGuardsIntact();
    }

    /**
     * The peer sees a close: when the client closes its endpoint, the server's accepted endpoint
     * moves to ERROR within the provider's peer-failure timeout, its 100 posted receives complete
     * FLUSHED exactly once, and a request posted to it afterwards is flushed too. If this fails,
     * check that a close reaches the peer (rdma_cm's disconnect, the socket's end) and that the
     * peer's endpoint acts on it.
     */
    @Test
    void err_peerSeesTheClose() {
        require(Capability.SEND_RECV);
        connect();
        Endpoint server = accepted();
        postEach(100, "the accepted endpoint was opened with 512 receive slots", i -> server.receive(i, target, (i % 64) * 1024L, 1024));
        endpoint.close();
        awaitErrorState(server, "the peer's close");
        assertReceivesFlushedOnce(await(serverQueue, 100), 100);
        assertPostFlushed(server, serverQueue, target, 9999);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "the flushed receives' buffers");
        assertGuardsIntact();
    }

    /**
     * The other way round, with work in flight: the server closes its accepted endpoint while the
     * client has 1,000 reads of 64 KiB posted to it. Each read completes exactly once (SUCCESS if
     * it finished before the close, otherwise an error or FLUSHED), the client's endpoint moves to
     * ERROR within the provider's peer-failure timeout, and a request posted afterwards is
     * flushed. If this fails, check how an endpoint handles its peer's disconnect with requests
     * outstanding.
     */
    @Test
    void err_peerClosesWithReadsInFlight() {
        require(Capability.RMA_READ);
        connect();
        Endpoint server = accepted();
        int size = (int) Math.min(local.length(), remote.length());
        int posted = postEach(1000, "the endpoint was opened with 1,024 send slots", i -> endpoint.read(i, local, 0, size, remote, 0));
        server.close();
        awaitErrorState(endpoint, "the peer's close");
        List<Completion> c = await(posted);
        assertFirstIdsOnce(c, posted);
        assertPostFlushed(endpoint, queue, local, 9999);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target of reads");
        assertGuardsIntact();
    }

    /**
     * Closing an endpoint whose sends wait for the peer to post a receive: 100 sends to a server
     * that posted none, then a close. The first send is answered "receiver not ready" and the rest
     * queue behind it, so on a device that finishes work as fast as it is posted (rxe) they are
     * still outstanding at the close, which the other close rules cannot arrange there. Each send
     * completes exactly once: FLUSHED, RNR_RETRY_EXCEEDED (the first, if its retries ran out), or
     * SUCCESS where the provider declares {@link dev.weft.Limits#transmitCompletion()}; and in
     * posted order, so no send behind a flushed one was sent (rxe flushes all 100, siw sends the
     * first ones into the peer's socket and flushes the rest). None of them arrives later: the
     * server's endpoint moves to ERROR and a receive posted to it then is flushed, its buffer
     * untouched. If this fails, check close's flush of a send queue that waits on RNR retries.
     */
    @Test
    void err_closeFlushesSendsAwaitingAReceive() {
        require(Capability.SEND_RECV);
        connect();
        Endpoint server = accepted();
        int posted = postEach(100, "the endpoint was opened with 1,024 send slots", i -> endpoint.send(i, local, 0, 8));
        endpoint.close();
        List<Completion> c = await(posted);
        boolean transmit = info().limits().transmitCompletion();
        assertTrue(c.stream().allMatch(x -> x.status() == Status.FLUSHED || (x.status() == Status.RNR_RETRY_EXCEEDED && x.workRequestId() == 0)
                || (transmit && x.status() == Status.SUCCESS)), () -> "each send FLUSHED (or RNR_RETRY_EXCEEDED for the first"
                + (transmit ? ", or SUCCESS: transmit completion" : "") + "): " + summary(c));
        long firstFlushed = c.stream().filter(x -> x.status() == Status.FLUSHED).mapToLong(Completion::workRequestId).min().orElse(posted);
        assertTrue(c.stream().noneMatch(x -> x.status() != Status.FLUSHED && x.workRequestId() > firstFlushed),
                () -> "sends complete in order: none behind a flushed one was sent or retried: " + summary(c));
        assertFirstIdsOnce(c, posted);
        awaitErrorState(server, "the sender's close");
        assertEquals(PostStatus.OK, server.receive(9999, target, 0, 1024), "an endpoint in ERROR still accepts receives");
        Completion r = await(serverQueue, 1).get(0);
        assertEquals(Status.FLUSHED, r.status(), "a receive posted after the sender closed is flushed, not filled: " + r);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "the receive's buffer");
        assertGuardsIntact();
    }

    /**
     * A receive posted right behind a request that the target rejects, before anything was polled:
     * the QP may already be in the error state when the receive reaches the device (on rxe the
     * rejection comes back inside the write's own post), yet the receive completes exactly once,
     * FLUSHED, as a RECEIVE, and the endpoint ends in ERROR. If this fails, check that receives
     * posted to a QP the device failed by itself are flushed (docs/provider-verbs.md, "Receives
     * posted to a failed endpoint").
     */
    @Test
    void err_receivePostedBehindAnError() {
        require(Capability.SEND_RECV);
        connect();
        assertEquals(PostStatus.OK, endpoint.write(1, local, 0, 8, remote.address(), remote.key() ^ 0x5555));
        assertEquals(PostStatus.OK, endpoint.receive(2, local, 1024, 1024));
        List<Completion> c = await(2);
        assertEachOnce(c, 1, 2);
        Completion write = c.stream().filter(x -> x.workRequestId() == 1).findFirst().orElseThrow();
        Completion receive = c.stream().filter(x -> x.workRequestId() == 2).findFirst().orElseThrow();
        boolean transmit = info().limits().transmitCompletion();
        assertTrue(write.status() == Status.REMOTE_ACCESS_ERROR
                        || (transmit && (write.status() == Status.SUCCESS || write.status() == Status.FLUSHED)),
                () -> "the write with a wrong key completes REMOTE_ACCESS_ERROR (or, where the provider declares transmit"
                        + " completion, SUCCESS or FLUSHED): " + summary(c));
        assertEquals(Status.FLUSHED, receive.status(), () -> "the receive behind the error: " + summary(c));
        assertEquals(Opcode.RECEIVE, receive.opcode(), () -> "the receive behind the error: " + summary(c));
        awaitErrorState(endpoint, "a rejection at the target");
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target of the rejected write");
        assertGuardsIntact();
    }

    /** Closing the target region with 1,000 operations in flight: one completion each, no crash. If this fails, check the fence. */
    @Test
    void err_closeRegionWith1000InFlight() {
        connect();
        int posted = postEach(1000, "the endpoint was opened with 1,024 send slots", i -> endpoint.write(i, local, 0, 256, remote, 0));
        target.close();
        target.segment().fill(TARGET_FILL);
        List<Completion> c = await(posted);
        assertInPostedOrder(c, ids(0, posted));
        assertFrom(endpoint, c);
        // SUCCESS for the writes placed before the close; an error for those in flight (docs/architecture.md: "operations
        // in flight on it complete with an error"): REMOTE_ACCESS_ERROR for the first the target refused, FLUSHED behind
        // it; never a SUCCESS after an error. Where the provider declares transmit completion the refused write itself,
        // and those the transport had taken, may complete SUCCESS, and the target's refusal then reaches whichever write
        // the transport is sending when it arrives, with the device's status for that (siw: LOCAL_QP_OPERATION_ERROR)
        boolean transmit = info().limits().transmitCompletion();
        int firstError = 0;
        while (firstError < c.size() && c.get(firstError).status() == Status.SUCCESS) {
            firstError++;
        }
        for (int i = firstError; i < c.size(); i++) {
            Completion x = c.get(i);
            boolean first = i == firstError;
            boolean ok = x.status() == Status.FLUSHED || (first && (x.status() == Status.REMOTE_ACCESS_ERROR || transmit));
            int at = i;
            assertTrue(ok, () -> "write " + at + " (the first not to succeed, or behind it) completes " + (first ? "REMOTE_ACCESS_ERROR"
                    + (transmit ? " (or another error: the provider declares transmit completion)" : "") + " or " : "")
                    + "FLUSHED: " + summary(c));
        }
        if (firstError < c.size()) {
            awaitErrorState(endpoint, "writes that failed at a closed region");
        }
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "memory of a closed region");
        assertGuardsIntact();
    }

    /**
     * A post of an operation whose capability the provider does not declare answers INVALID with nothing queued
     * ({@link PostStatus#INVALID}: "an operation the provider does not support"), and the endpoint goes on working. Checks
     * nothing more where the provider declares every operation. If this fails, check the post paths of the operations
     * the provider leaves out.
     */
    @Test
    void err_undeclaredOperationIsInvalid() {
        connect();
        long address = remote.address();
        long key = remote.key();
        if (!info().supports(Capability.RMA_READ)) {
            assertEquals(PostStatus.INVALID, endpoint.read(1, local, 0, 8, remote, 0), "a read, RMA_READ not declared");
        }
        if (!info().supports(Capability.SEND_RECV)) {
            assertEquals(PostStatus.INVALID, endpoint.send(2, local, 0, 8), "a send, SEND_RECV not declared");
            assertEquals(PostStatus.INVALID, endpoint.receive(3, local, 0, 8), "a receive, SEND_RECV not declared");
        }
        if (!info().supports(Capability.WRITE_IMM)) {
            assertEquals(PostStatus.INVALID, endpoint.writeWithImmediate(4, local, 0, 8, address, key, 1),
                    "a write-with-immediate, WRITE_IMM not declared");
        }
        if (!info().supports(Capability.ATOMIC_FETCH_ADD)) {
            assertEquals(PostStatus.INVALID, endpoint.fetchAndAdd(5, local, 0, address, key, 1), "a fetch-and-add, ATOMIC_FETCH_ADD not declared");
        }
        if (!info().supports(Capability.ATOMIC_CMP_SWAP)) {
            assertEquals(PostStatus.INVALID, endpoint.compareAndSwap(6, local, 0, address, key, 0, 1),
                    "a compare-and-swap, ATOMIC_CMP_SWAP not declared");
        }
        assertRefusedPostsLeftItWorking(7);
    }

    /**
     * A negative length answers INVALID with nothing queued ({@link PostStatus#INVALID}), for every post with a length
     * the provider declares, and the endpoint goes on working. If this fails, check that posting tests the length's sign
     * (an int length of -1 must not become 4 GiB, nor a bounds check that passes).
     */
    @Test
    void err_negativeLengthIsInvalid() {
        connect();
        assertEquals(PostStatus.INVALID, endpoint.write(1, local, 0, -1, remote, 0), "a write of -1 bytes");
        assertEquals(PostStatus.INVALID, endpoint.write(2, local, 8, Integer.MIN_VALUE, remote, 0), "a write of Integer.MIN_VALUE bytes");
        if (info().supports(Capability.RMA_READ)) {
            assertEquals(PostStatus.INVALID, endpoint.read(3, local, 0, -1, remote, 0), "a read of -1 bytes");
        }
        if (info().supports(Capability.SEND_RECV)) {
            assertEquals(PostStatus.INVALID, endpoint.send(4, local, 0, -1), "a send of -1 bytes");
            assertEquals(PostStatus.INVALID, endpoint.receive(5, local, 0, -1), "a receive of -1 bytes");
        }
        if (info().supports(Capability.WRITE_IMM)) {
            assertEquals(PostStatus.INVALID, endpoint.writeWithImmediate(6, local, 0, -1, remote.address(), remote.key(), 1),
                    "a write-with-immediate of -1 bytes");
        }
        assertRefusedPostsLeftItWorking(7);
    }

    /**
     * A closed endpoint answers CLOSED, with nothing queued, to every post the provider declares: write, read, send,
     * receive, write-with-immediate, fetch-and-add, compare-and-swap, each from a region and (where there is one) from a
     * one-entry scatter-gather list, and closing it again is harmless. If this fails, check that every post path tests
     * the endpoint's state before it queues anything.
     */
    @Test
    void err_useAfterClose() {
        connect();
        endpoint.close();
        endpoint.close();
        assertEquals(EndpointState.CLOSED, endpoint.state());
        dev.weft.ScatterGatherList one = new dev.weft.ScatterGatherList(1).add(local, 0, 8);
        long address = remote.address();
        long key = remote.key();
        java.util.Map<String, PostStatus> posts = new java.util.LinkedHashMap<>();
        posts.put("write", endpoint.write(1, local, 0, 8, remote, 0));
        posts.put("write from a list", endpoint.write(2, one, address, key));
        if (info().supports(Capability.RMA_READ)) {
            posts.put("read", endpoint.read(3, local, 0, 8, remote, 0));
            posts.put("read into a list", endpoint.read(4, one, address, key));
        }
        if (info().supports(Capability.SEND_RECV)) {
            posts.put("send", endpoint.send(5, local, 0, 8));
            posts.put("send from a list", endpoint.send(6, one));
            posts.put("receive", endpoint.receive(7, local, 0, 8));
            posts.put("receive into a list", endpoint.receive(8, one));
        }
        if (info().supports(Capability.WRITE_IMM)) {
            posts.put("write-with-immediate", endpoint.writeWithImmediate(9, local, 0, 8, address, key, 1));
            posts.put("write-with-immediate from a list", endpoint.writeWithImmediate(10, one, address, key, 1));
        }
        if (info().supports(Capability.ATOMIC_FETCH_ADD)) {
            posts.put("fetch-and-add", endpoint.fetchAndAdd(11, local, 0, remote, 0, 1));
        }
        if (info().supports(Capability.ATOMIC_CMP_SWAP)) {
            posts.put("compare-and-swap", endpoint.compareAndSwap(12, local, 0, remote, 0, 0, 1));
        }
        posts.forEach((what, status) -> assertEquals(PostStatus.CLOSED, status, () -> "a " + what + " posted to a closed endpoint"));
        await(0);
        assertFilled(target.segment(), 0, target.length(), TARGET_FILL, "target after posts to a closed endpoint");
    }

    /**
     * A peer process killed: work posted after it died completes with an error within the
     * provider's declared peer-failure timeout (work posted before may have finished), and an
     * unrelated endpoint keeps working. If this fails, check dead-peer detection (keepalives,
     * timeouts, connection loss).
     */
    @Test
    void err_peerProcessKilled() throws Exception {
        connect();
        try (Child child = startChild()) {
            Endpoint toChild = clientDomain.connect(child.uri().withRegion(REGION_NAME), EndpointConfig.of(queue));
            var childRegion = toChild.wellKnownRegion().orElseThrow();
            int posted = 0;
            for (int i = 0; i < 200; i++) {
                if (toChild.write(i, local, 0, 4096, childRegion, 0) == PostStatus.OK) {
                    posted++;
                }
            }
            child.process().destroyForcibly();
            // Wait until the process is gone; the writes may have finished before it died, so they may succeed.
            assertTrue(child.process().waitFor(30, TimeUnit.SECONDS), "the child did not die");
            await(posted);
            long t0 = System.nanoTime();
            int reads = 0;
            boolean canRead = info().supports(Capability.RMA_READ); // else writes, the core every provider declares
            for (int i = 200; i < 300; i++) {
                if ((canRead ? toChild.read(i, local, 0, 64, childRegion, 0) : toChild.write(i, local, 0, 64, childRegion, 0))
                        == PostStatus.OK) {
                    reads++;
                }
            }
            assertTrue(reads > 0, "requests to a dead peer must still be accepted (and then fail)");
            long limit = info().limits().peerFailureTimeout().toMillis() + 2000;
            List<Completion> c = await(reads);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(c.stream().allMatch(x -> !x.status().isSuccess()), () -> "requests to a dead peer must end in errors: " + summary(c));
            assertTrue(millis <= limit, "errors took " + millis + " ms; the provider declares " + info().limits().peerFailureTimeout());
            assertEquals(PostStatus.OK, endpoint.write(9999, local, 0, 8, remote, 0));
            assertEquals(Status.SUCCESS, await(1).get(0).status(), "an unrelated endpoint keeps working");
        }
    }

    /**
     * Posts requests 0 to {@code n - 1} through {@code post} and fails unless every post is accepted ({@link PostStatus#OK}):
     * a rule about what happens to posted work must not pass with none posted.
     *
     * @param why why each post must be accepted, for the message (e.g. the queue's depth)
     * @return {@code n}
     */
    private static int postEach(int n, String why, IntFunction<PostStatus> post) {
        for (int i = 0; i < n; i++) {
            PostStatus s = post.apply(i);
            if (s != PostStatus.OK) {
                fail("expected each of " + n + " posts to be accepted (" + why + "), but post " + i + " answered " + s);
            }
        }
        return n;
    }

    /**
     * Posts requests 0 to 999 through {@code post}, closes the endpoint, checks that a later post
     * (id 5000) answers CLOSED and that each posted request completed once, SUCCESS or FLUSHED.
     */
    private void closeWith1000InFlight(IntFunction<PostStatus> post) {
        int posted = postEach(1000, "the endpoint was opened with 1,024 send slots", post);
        endpoint.close();
        assertEquals(PostStatus.CLOSED, post.apply(5000), "a post after the close");
        List<Completion> c = await(posted);
        assertTrue(c.stream().allMatch(x -> x.status() == Status.SUCCESS || x.status() == Status.FLUSHED), () -> summary(c));
        assertFirstIdsOnce(c, posted);
    }

    /** The completions {@code c} name requests 0 to {@code posted - 1}, each exactly once. */
    private static void assertFirstIdsOnce(List<Completion> c, int posted) {
        assertEachOnce(c, ids(0, posted));
    }

    /** Each of {@code posted} receives completed once, FLUSHED, as a RECEIVE (no message came). */
    private static void assertReceivesFlushedOnce(List<Completion> c, int posted) {
        assertTrue(c.stream().allMatch(x -> x.status() == Status.FLUSHED && x.opcode() == Opcode.RECEIVE),
                () -> "every receive flushed, as a RECEIVE: " + summary(c));
        assertFirstIdsOnce(c, posted);
    }
}
