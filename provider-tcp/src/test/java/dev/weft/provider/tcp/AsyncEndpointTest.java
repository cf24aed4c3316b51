package dev.weft.provider.tcp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.Completion;
import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import dev.weft.async.AsyncEndpoint;
import dev.weft.async.OperationFailedException;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The CompletableFuture layer of the api module, over a real tcp connection on loopback. */
class AsyncEndpointTest {
    private static final long WAIT = 10;

    /** A connection of its own from the pair's client domain: its completion queue, its endpoint, the published region. */
    private record Link(CompletionQueue queue, Endpoint endpoint, RemoteRegion remote) {
        static Link open(Pair p, int queueDepth, int sendDepth) {
            CompletionQueue q = p.clientDomain.openCompletionQueue(queueDepth);
            Endpoint e = p.clientDomain.connect(p.listener.uri().withRegion("target"), EndpointConfig.of(q).withSendQueueDepth(sendDepth));
            return new Link(q, e, e.wellKnownRegion().orElseThrow());
        }

        AsyncEndpoint async() {
            return new AsyncEndpoint(endpoint, queue);
        }
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT, TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> f) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void operationsCompleteWithTheirResults() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            RemoteRegion remote = link.remote();
            try (AsyncEndpoint async = link.async()) {
                p.local.segment().asSlice(0, 64).fill((byte) 7);
                Completion w = get(async.write(p.local, 0, 64, remote, 128));
                assertEquals(Opcode.WRITE, w.opcode());
                assertEquals(64, w.byteCount());
                assertTrue(Pair.allEqual(p.target.segment(), 128, 192, (byte) 7), "the write reached the target");
                p.target.segment().asSlice(256, 32).fill((byte) 9);
                Completion r = get(async.read(p.local, 1024, 32, remote, 256));
                assertEquals(Opcode.READ, r.opcode());
                assertTrue(Pair.allEqual(p.local.segment(), 1024, 1056, (byte) 9), "the read brought the target's bytes");
                p.target.segment().set(ValueLayout.JAVA_LONG, 512, 40);
                assertEquals(40L, get(async.fetchAndAdd(p.local, 2048, remote, 512, 2)), "fetch-and-add answers the previous value");
                assertEquals(42L, get(async.compareAndSwap(p.local, 2048, remote, 512, 42, 100)), "a matching swap answers the old value");
                assertEquals(100L, get(async.compareAndSwap(p.local, 2048, remote, 512, 42, 7)), "a failed swap answers the current value");
                assertEquals(100L, p.target.segment().get(ValueLayout.JAVA_LONG, 512));
            }
        }
    }

    @Test
    void moreRequestsThanTheQueueHoldsArePostedInCallOrder() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 8, 4);
            RemoteRegion remote = link.remote();
            try (AsyncEndpoint async = link.async()) {
                List<CompletableFuture<Completion>> futures = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    // each write stores its index at offset 0: the last one posted must be the value left there
                    p.local.segment().set(ValueLayout.JAVA_INT, 4L * i + 4096, i);
                    futures.add(async.write(p.local, 4L * i + 4096, 4, remote, 0));
                }
                CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(WAIT, TimeUnit.SECONDS);
                for (CompletableFuture<Completion> f : futures) {
                    assertEquals(Status.SUCCESS, f.get().status());
                }
                assertEquals(999, p.target.segment().get(ValueLayout.JAVA_INT, 0), "the writes were posted in call order");
            }
        }
    }

    @Test
    void errorsCompleteFuturesExceptionally() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            RemoteRegion remote = link.remote();
            try (AsyncEndpoint async = link.async()) {
                FabricException invalid = assertInstanceOf(FabricException.class, failure(async.write(p.local, -1, 8, remote, 0)));
                assertEquals(ErrorCode.INVALID_ARGUMENT, invalid.code(), invalid.getMessage());
                RemoteRegion wrongKey = new RemoteRegion(remote.address(), remote.length(), remote.key() ^ 0x55, remote.access());
                OperationFailedException denied = assertInstanceOf(OperationFailedException.class,
                        failure(async.write(p.local, 0, 8, wrongKey, 0)));
                assertEquals(Status.REMOTE_ACCESS_ERROR, denied.status());
                OperationFailedException flushed = assertInstanceOf(OperationFailedException.class,
                        failure(async.write(p.local, 0, 8, remote, 0)));
                assertEquals(Status.FLUSHED, flushed.status(), "a write behind the error");
            }
        }
    }

    @Test
    void closeFailsWaitingFuturesAndLaterRequests() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            Endpoint e = link.endpoint();
            CompletionQueue q = link.queue();
            AsyncEndpoint async = link.async();
            CompletableFuture<Completion> receive = async.receive(p.local, 0, 64); // no send will ever match it
            async.close();
            FabricException closed = assertInstanceOf(FabricException.class, failure(receive));
            assertEquals(ErrorCode.CLOSED, closed.code());
            assertEquals(ErrorCode.CLOSED, assertInstanceOf(FabricException.class, failure(async.write(p.local, 0, 8,
                    link.remote(), 0))).code());
            async.close(); // idempotent
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(FabricException.class, () -> new AsyncEndpoint(e, null)).code());
            assertEquals(ErrorCode.INVALID_ARGUMENT, assertThrows(FabricException.class, () -> new AsyncEndpoint(null, q)).code());
        }
    }

    @Test
    void sendMeetsAPostedReceive() throws Exception {
        try (Pair p = new Pair()) {
            Link link = Link.open(p, 64, 16);
            p.accepted(); // the pair's own connection comes first and is not used here
            Endpoint served = p.accepted();
            MemoryRegion buffer = p.target;
            try (AsyncEndpoint client = link.async()) {
                CompletionQueue sq = p.serverQueue;
                try (AsyncEndpoint server = new AsyncEndpoint(served, sq)) {
                    CompletableFuture<Completion> receive = server.receive(buffer, 0, 128);
                    p.local.segment().asSlice(0, 16).fill((byte) 3);
                    assertEquals(Status.SUCCESS, get(client.send(p.local, 0, 16)).status());
                    Completion got = get(receive);
                    assertEquals(Opcode.RECEIVE, got.opcode());
                    assertEquals(16, got.byteCount());
                    assertTrue(Pair.allEqual(buffer.segment(), 0, 16, (byte) 3));
                }
            }
        }
    }
}
