package dev.weft.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.FabricUri;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.RemoteRegion;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link LogMirror} on its own: two mirrors joined by hand-made links over the TCP provider (the
 * writer's link to the reader's memory, as a connection manager would hand it), without a node.
 */
@Timeout(60)
class LogMirrorTest {
    /** The reader's side of a link: its fabric, with the reader mirror's memory published as {@code client.NAME}. */
    private static final class Reader implements AutoCloseable {
        final Fabric fabric;
        final String uri;

        Reader(LogMirror mirror) throws Exception {
            uri = "tcp://127.0.0.1:" + ClusterScenarios.port();
            fabric = Fabrics.open(uri);
            Domain domain = fabric.openDomain();
            MemoryRegion memory = domain.register(mirror.partnerMemory(), Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE);
            Listener listener = domain.listen(EndpointConfig.of(domain.openCompletionQueue(16)));
            listener.publish("client." + mirror.name(), memory);
        }

        @Override
        public void close() {
            fabric.close();
        }
    }

    /** The writer's side: its fabric, in which it makes links to readers. */
    private static final class Writer implements AutoCloseable {
        final Fabric fabric;
        final Domain domain;
        final MemoryRegion partnerMemory;
        final MemoryRegion sendMemory;

        Writer(LogMirror mirror) throws Exception {
            fabric = Fabrics.open("tcp://127.0.0.1:" + ClusterScenarios.port());
            domain = fabric.openDomain();
            partnerMemory = domain.register(mirror.partnerMemory(), Access.LOCAL_WRITE, Access.REMOTE_READ, Access.REMOTE_WRITE);
            sendMemory = domain.register(mirror.sendMemory(), Access.LOCAL_WRITE);
        }

        /**
         * @return a link to {@code reader}'s mirror of that name in a session with partner incarnation
         *         {@code incarnation}, as a manager would hand it to {@code linkUp}
         */
        ClientLink linkTo(Reader reader, String name, long incarnation) {
            return linkTo(reader, name, incarnation, 0);
        }

        /** @return as {@link #linkTo(Reader, String, long)}, on interconnect {@code interconnect} */
        ClientLink linkTo(Reader reader, String name, long incarnation, int interconnect) {
            CompletionQueue queue = domain.openCompletionQueue(64);
            Endpoint endpoint = domain.connect(FabricUri.parse(reader.uri + "/client." + name), EndpointConfig.of(queue));
            return new ClientLink(interconnect, incarnation, endpoint, queue, endpoint.wellKnownRegion().orElseThrow(), partnerMemory,
                    sendMemory);
        }

        @Override
        public void close() {
            fabric.close();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static FabricException refused(ErrorCode code, org.junit.jupiter.api.function.Executable call, String... words) {
        FabricException e = assertThrows(FabricException.class, call);
        assertEquals(code, e.code(), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), e.getMessage());
        }
        return e;
    }

    /** @return {@code link} with an endpoint that notes every header value the mirror writes (a write to offset 0) */
    private static ClientLink notingHeaders(ClientLink link, List<Long> headers) {
        Endpoint real = link.endpoint();
        Endpoint noting = (Endpoint) Proxy.newProxyInstance(Endpoint.class.getClassLoader(), new Class<?>[] {Endpoint.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("write") && args.length == 6 && args[4] instanceof RemoteRegion && (long) args[5] == 0) {
                        headers.add(((MemoryRegion) args[1]).segment().get(ValueLayout.JAVA_LONG, (long) args[2]));
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return new ClientLink(link.interconnect(), link.partnerIncarnation(), noting, link.queue(), link.partnerRegion(),
                link.partnerMemory(), link.sendMemory());
    }

    /**
     * A partner that restarted (its link carries a new incarnation) has an empty mirror: the writer ships the records
     * it keeps again before the next one, so that the new mirror's "mirrored up to" is true, and it writes the header
     * only from the newest kept record on, so that the header never moves back. A new link in the same session (an
     * interconnect that came back) ships nothing twice. Before, the writer never learnt of the restart: the new
     * mirror said "mirrored up to 7" while it held record 7 only.
     */
    @Test
    void aRestartedPartnerGetsTheKeptRecordsAgainAndTheHeaderNeverMovesBack() throws Exception {
        LogMirror a = new LogMirror(4, Duration.ofSeconds(5));
        LogMirror before = new LogMirror(4, Duration.ofSeconds(5));
        LogMirror after = new LogMirror(4, Duration.ofSeconds(5));
        try (Reader first = new Reader(before); Reader second = new Reader(after); Writer writer = new Writer(a)) {
            ClientLink old = writer.linkTo(first, "mirror", 11);
            a.linkUp(old);
            for (int i = 1; i <= 6; i++) {
                assertEquals(i, a.append(bytes("r" + i)));
            }
            assertEquals(6, before.mirroredUpTo());
            a.linkDown(old); // the session ends: the partner restarts with incarnation 22 and an empty mirror

            List<Long> headers = new CopyOnWriteArrayList<>();
            ClientLink restarted = notingHeaders(writer.linkTo(second, "mirror", 22), headers);
            a.linkUp(restarted);
            assertEquals(7, a.append(bytes("r7")));
            assertEquals(7, after.mirroredUpTo());
            for (int i = 4; i <= 7; i++) {
                assertArrayEquals(bytes("r" + i), after.mirrored(i), "record " + i);
            }
            refused(ErrorCode.INVALID_ARGUMENT, () -> after.mirrored(3), "record 3 was overwritten", "last 4 records, now 4..7");
            assertEquals(List.of(7L), headers, "records 4..6 go first, the header once, with the newest");

            a.linkDown(restarted);
            List<Long> again = new CopyOnWriteArrayList<>();
            a.linkUp(notingHeaders(writer.linkTo(second, "mirror", 22), again));
            assertEquals(8, a.append(bytes("r8")));
            assertEquals(List.of(8L), again, "the same session on a new link: only the new record");
            assertEquals(8, after.mirroredUpTo());
            assertArrayEquals(bytes("r8"), after.mirrored(8));
        } finally {
            a.close();
            a.release();
            before.release();
            after.release();
        }
    }

    /**
     * A partner that restarts after every record was confirmed to its old session gets the kept records again from
     * {@code flush()}, without waiting for a new record (a standby that restarts and takes over at once).
     */
    @Test
    void flushShipsTheKeptRecordsToARestartedPartner() throws Exception {
        LogMirror a = new LogMirror(4, Duration.ofSeconds(5));
        LogMirror before = new LogMirror(4, Duration.ofSeconds(5));
        LogMirror after = new LogMirror(4, Duration.ofSeconds(5));
        try (Reader first = new Reader(before); Reader second = new Reader(after); Writer writer = new Writer(a)) {
            ClientLink old = writer.linkTo(first, "mirror", 11);
            a.linkUp(old);
            for (int i = 1; i <= 5; i++) {
                a.append(bytes("r" + i));
            }
            assertEquals(5, a.flush(), "nothing waits: flush returns at once with the last record");
            a.linkDown(old);
            a.linkUp(writer.linkTo(second, "mirror", 22));
            assertEquals(0, after.mirroredUpTo());
            assertEquals(5, a.flush());
            assertEquals(5, after.mirroredUpTo(), "the restarted partner holds the kept records after flush()");
            for (int i = 2; i <= 5; i++) {
                assertArrayEquals(bytes("r" + i), after.mirrored(i), "record " + i);
            }
        } finally {
            a.close();
            a.release();
            before.release();
            after.release();
        }
    }

    /** Reading a record that is not in the mirror names what is there instead. */
    @Test
    void readingARecordOutsideTheMirrorIsRefusedWithWhatItHolds() {
        LogMirror b = new LogMirror(4, Duration.ofSeconds(1));
        try {
            refused(ErrorCode.INVALID_ARGUMENT, () -> b.mirrored(-1), "record -1: sequence numbers start at 1");
            refused(ErrorCode.INVALID_ARGUMENT, () -> b.mirrored(0), "record 0: sequence numbers start at 1");
            refused(ErrorCode.INVALID_ARGUMENT, () -> b.mirrored(1), "record 1 is not mirrored yet", "up to record 0");
        } finally {
            b.release();
        }
    }

    /**
     * Records whose append timed out stay queued under their sequence numbers, and at most {@code capacity} of them
     * wait: a further append is refused instead of overwriting the oldest one's local copy. Before, with capacity 2,
     * r1..r3 timed out, and once a link came the partner received r3 as record 1 (and the caller who retried r3 got it
     * mirrored twice).
     */
    @Test
    void recordsThatTimedOutStayQueuedAndNoMoreThanCapacityWait() throws Exception {
        LogMirror a = new LogMirror(2, Duration.ofMillis(50));
        LogMirror b = new LogMirror(2, Duration.ofSeconds(5));
        try (Reader reader = new Reader(b); Writer writer = new Writer(a)) {
            refused(ErrorCode.TIMEOUT, () -> a.append(bytes("r1")), "record 1 could not be mirrored", "stays queued as record 1",
                    "do not append it again");
            refused(ErrorCode.TIMEOUT, () -> a.append(bytes("r2")), "record 2");
            refused(ErrorCode.RESOURCE_EXHAUSTED, () -> a.append(bytes("r3")), "appended 2, confirmed 0, capacity 2",
                    "was not appended");
            assertEquals(2, a.appended(), "the refused record was not appended");
            assertEquals(0, a.confirmed());

            a.linkUp(writer.linkTo(reader, "mirror", 1));
            assertEquals(2, a.flush(), "the queued records are shipped");
            assertEquals(2, b.mirroredUpTo());
            assertArrayEquals(bytes("r1"), b.mirrored(1));
            assertArrayEquals(bytes("r2"), b.mirrored(2));
            assertEquals(3, a.append(bytes("r3")));
            assertEquals(3, b.mirroredUpTo());
            assertArrayEquals(bytes("r2"), b.mirrored(2));
            assertArrayEquals(bytes("r3"), b.mirrored(3));
            assertEquals(3, a.confirmed());
        } finally {
            a.close();
            a.release();
            b.release();
        }
    }

    /**
     * The mirror writes over the most preferred interconnect that is up: a link of interconnect 0 that comes while
     * records go over interconnect 1 takes the next record (and the partner's header follows on). Before 2026-12-06
     * the mirror stayed on the link that came first.
     */
    @Test
    void aPreferredInterconnectThatComesBackTakesTheNextRecord() throws Exception {
        LogMirror a = new LogMirror(4, Duration.ofSeconds(5));
        LogMirror b = new LogMirror(4, Duration.ofSeconds(5));
        try (Reader reader = new Reader(b); Writer writer = new Writer(a)) {
            List<Long> overOne = new CopyOnWriteArrayList<>();
            List<Long> overZero = new CopyOnWriteArrayList<>();
            a.linkUp(notingHeaders(writer.linkTo(reader, "mirror", 7, 1), overOne));
            assertEquals(1, a.append(bytes("r1")));
            a.linkUp(notingHeaders(writer.linkTo(reader, "mirror", 7, 0), overZero));
            assertEquals(2, a.append(bytes("r2")));
            assertEquals(List.of(1L), overOne, "record 1 went over interconnect 1, the only one then");
            assertEquals(List.of(2L), overZero, "record 2 over interconnect 0, the preferred one, once it is up");
            assertEquals(2, b.mirroredUpTo());
            assertArrayEquals(bytes("r1"), b.mirrored(1));
            assertArrayEquals(bytes("r2"), b.mirrored(2));
        } finally {
            a.close();
            a.release();
            b.release();
        }
    }

    /**
     * What keeps a record from the partner is said: a TIMEOUT names why each interconnect has no link (as its manager
     * reported it) and the last write that failed (here: a partner mirror too small for slot 3, whose write is refused);
     * a manager's report that the partner's mirror differs makes {@code append} and {@code flush} fail at once with
     * INVALID_ARGUMENT naming it, appending nothing, until a link comes. Before 2026-12-06 all of these waited out the
     * timeout and said "no interconnect reaches the partner".
     */
    @Test
    void whyARecordCannotBeMirroredIsNamedAndAMismatchFailsAtOnce() throws Exception {
        LogMirror a = new LogMirror(4, Duration.ofMillis(300));
        LogMirror tooSmall = new LogMirror(2, Duration.ofSeconds(5));
        LogMirror b = new LogMirror(4, Duration.ofSeconds(5));
        try (Reader small = new Reader(tooSmall); Reader reader = new Reader(b); Writer writer = new Writer(a)) {
            a.noLink(0, 2, NoLinkReason.PARTNER_REFUSES, "cannot connect to tcp://192.0.2.9:7002");
            a.noLink(1, 2, NoLinkReason.PARTNER_UNREACHABLE, "no answer from tcp://198.51.100.9:7002");
            refused(ErrorCode.TIMEOUT, () -> a.append(bytes("r1")), "no interconnect reaches the partner",
                    "PARTNER_REFUSES: cannot connect to tcp://192.0.2.9:7002", "PARTNER_UNREACHABLE: no answer");

            a.noLink(0, 2, NoLinkReason.INCOMPATIBLE, "client \"mirror\" gives 1088 bytes of memory on this node but 576 bytes on the partner");
            refused(ErrorCode.INVALID_ARGUMENT, () -> a.append(bytes("r2")), "was not appended", "1088 bytes", "576 bytes",
                    "same capacity");
            refused(ErrorCode.INVALID_ARGUMENT, a::flush, "1088 bytes");
            assertEquals(1, a.appended(), "only the record that timed out was appended");

            ClientLink toSmall = writer.linkTo(small, "mirror", 8, 0);
            a.linkUp(toSmall); // a link clears the report of its interconnect
            // record 1 fits in the small mirror's memory (slot 1), record 2's slot lies past its end
            refused(ErrorCode.TIMEOUT, () -> a.append(bytes("r2")), "record 2 could not be mirrored", "the last failed write");
            a.linkDown(toSmall);
            a.linkUp(writer.linkTo(reader, "mirror", 9, 0));
            assertEquals(2, a.flush(), "a partner of the right size takes the kept records");
            assertEquals(2, b.mirroredUpTo());
            assertArrayEquals(bytes("r1"), b.mirrored(1));
            assertArrayEquals(bytes("r2"), b.mirrored(2));
        } finally {
            a.close();
            a.release();
            tooSmall.release();
            b.release();
        }
    }

    /**
     * {@code close()} stops an append that waits for a link: it throws CLOSED within a poll instead of waiting out its
     * timeout (before 2026-12-06 it waited the whole 30 s here), and later appends and flushes throw CLOSED at once.
     */
    @Test
    void closeStopsAnAppendInProgress() throws Exception {
        LogMirror a = new LogMirror(4, Duration.ofSeconds(30));
        java.util.concurrent.ExecutorService caller = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            java.util.concurrent.Future<Long> append = caller.submit(() -> a.append(bytes("r1")));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (a.appended() == 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            assertEquals(1, a.appended(), "the append is in progress, waiting for a link");
            a.close();
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> append.get(10, java.util.concurrent.TimeUnit.SECONDS));
            FabricException closed = (FabricException) e.getCause();
            assertEquals(ErrorCode.CLOSED, closed.code(), closed.getMessage());
            refused(ErrorCode.CLOSED, () -> a.append(bytes("r2")), "the mirror is closed");
            refused(ErrorCode.CLOSED, a::flush, "the mirror is closed");
        } finally {
            caller.shutdownNow();
            a.release();
        }
    }
}
