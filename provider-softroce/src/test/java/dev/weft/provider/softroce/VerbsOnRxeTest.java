package dev.weft.provider.softroce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.Access;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Domain;
import dev.weft.Endpoint;
import dev.weft.EndpointConfig;
import dev.weft.ErrorCode;
import dev.weft.Fabric;
import dev.weft.FabricException;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import dev.weft.provider.softroce.testbed.OnSoftRoce;
import dev.weft.provider.softroce.testbed.Testbed;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Verbs-provider behaviour beyond the TCK, on the testbed's rxe0: URIs, set-up errors, resource release, blocking waits. */
@OnSoftRoce
class VerbsOnRxeTest {
    @Test
    void deviceUrisAndSetupErrorsAreClear() {
        String addr = Testbed.address();
        try (Fabric byName = Fabrics.open("verbs://rxe0"); Arena arena = Arena.ofShared()) {
            Domain d = byName.openDomain();
            CompletionQueue q = d.openCompletionQueue(16);
            Listener l = d.listen(EndpointConfig.of(q));
            assertEquals(addr, l.uri().host(), "verbs://DEVICE listens on the device's IP address");
            FabricException e = assertThrows(FabricException.class, () -> d.register(arena.allocate(0), Access.LOCAL_WRITE));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            e = assertThrows(FabricException.class, () -> d.register(MemorySegment.ofArray(new byte[64]), Access.LOCAL_WRITE));
            assertTrue(e.getMessage().contains("heap") && e.getMessage().contains("Arena"), e.getMessage());
            e = assertThrows(FabricException.class, () -> d.openCompletionQueue(1 << 30));
            assertTrue(e.getMessage().contains("rxe0"), e.getMessage());
            // a port nobody listens on
            e = assertThrows(FabricException.class,
                    () -> d.connect("verbs://" + addr + ":9/x", EndpointConfig.of(q).withConnectTimeout(Duration.ofSeconds(5))));
            assertEquals(ErrorCode.CONNECTION_REFUSED, e.code(), e.getMessage());
        }
        FabricException e = assertThrows(FabricException.class, () -> Fabrics.open("verbs://mlx5_9"));
        assertEquals(ErrorCode.INVALID_URI, e.code());
        assertTrue(e.getMessage().contains("rxe0"), "names the devices present: " + e.getMessage());
        e = assertThrows(FabricException.class, () -> Fabrics.open("verbs://203.0.113.9:7471"));
        assertEquals(ErrorCode.INVALID_URI, e.code());
        assertTrue(e.getMessage().contains("203.0.113.9"), e.getMessage());
        e = assertThrows(FabricException.class, () -> Fabrics.open("verbs://" + addr + ":0?gid=1"));
        assertTrue(e.getMessage().contains("gid"), e.getMessage());
        boolean found = false;
        for (int gid = 0; gid < 8 && !found; gid++) {
            try (Fabric f = Fabrics.open("verbs://rxe0?gid=" + gid)) {
                Domain d = f.openDomain();
                try (Listener l = d.listen(EndpointConfig.of(d.openCompletionQueue(4)))) {
                    found = l.uri().host().equals(addr);
                }
            } catch (FabricException notAnAddress) {
                assertTrue(notAnAddress.getMessage().contains("GID " + gid), notAnAddress.getMessage());
            }
        }
        assertTrue(found, "one GID of rxe0 holds " + addr);
    }

    /**
     * Every GID entry of the port is looked at, not only the first few: with 24 more IPv4 addresses on
     * dummy0 (two RoCE GIDs each, v1 and v2) the last one sits far beyond index 16, where the discovery
     * once stopped looking, and {@code weft info}'s device list must still name it.
     */
    @Test
    void everyAddressOfAPortIsFoundHoweverFarDownTheGidTable() throws Exception {
        List<String> added = new java.util.ArrayList<>();
        for (int i = 0; i < 24; i++) {
            added.add("192.0.2." + (100 + i));
        }
        try {
            for (String a : added) {
                assertEquals(0, new ProcessBuilder("ip", "addr", "add", a + "/24", "dev", "dummy0").inheritIO().start().waitFor(), a);
            }
            String last = added.get(added.size() - 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // the kernel fills the GID table asynchronously
            String addresses = "";
            while (System.nanoTime() < deadline) {
                dev.weft.DeviceInfo rxe = Fabrics.provider("verbs").devices().stream()
                        .filter(d -> d.name().equals("rxe0")).findFirst().orElseThrow();
                addresses = rxe.attributes().get("addresses");
                if (List.of(addresses.split(", ")).containsAll(added)) {
                    break;
                }
                Thread.sleep(50);
            }
            assertTrue(List.of(addresses.split(", ")).containsAll(added), "every address of dummy0 is listed: " + addresses);
            assertEquals(Testbed.address(), addresses.split(", ")[0], "the first address stays the one verbs://rxe0 uses");
            // the per-index path (for a driver whose table call fails) finds the same addresses in the same order
            System.setProperty("weft.verbs.gidQuery", "each");
            try {
                dev.weft.DeviceInfo each = Fabrics.provider("verbs").devices().stream()
                        .filter(d -> d.name().equals("rxe0")).findFirst().orElseThrow();
                assertEquals(addresses, each.attributes().get("addresses"), "one ibv_query_gid_ex per index lists what the table call lists");
            } finally {
                System.clearProperty("weft.verbs.gidQuery");
            }
            try (Fabric f = Fabrics.open("verbs://" + last + ":0")) {
                assertEquals(last, f.uri().host());
            }
        } finally {
            for (String a : added) {
                new ProcessBuilder("ip", "addr", "del", a + "/24", "dev", "dummy0").inheritIO().start().waitFor();
            }
        }
    }

    @Test
    void endpointsAndQueuePairsAreReleasedAndAwaitWakesUp() throws Exception {
        String addr = Testbed.address();
        int before = queuePairs();
        try (Fabric server = Fabrics.open("verbs://" + addr + ":0"); Fabric client = Fabrics.open("verbs://" + addr + ":0");
             Arena arena = Arena.ofShared()) {
            Domain sd = server.openDomain();
            MemoryRegion target = sd.register(arena.allocate(4096, 4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            CompletionQueue sq = sd.openCompletionQueue(256);
            Listener listener = sd.listen(EndpointConfig.of(sq));
            listener.publish("t", target);
            Domain cd = client.openDomain();
            CompletionQueue q = cd.openCompletionQueue(256);
            MemoryRegion local = cd.register(arena.allocate(4096, 4096), Access.LOCAL_WRITE);
            CompletionBatch batch = new CompletionBatch(16);
            for (int i = 0; i < 50; i++) {
                Endpoint e = cd.connect(listener.uri().withRegion("t"), EndpointConfig.of(q));
                Endpoint accepted = listener.accept(Duration.ofSeconds(10));
                assertNotNull(accepted);
                assertEquals(PostStatus.OK, e.write(i, local, 0, 64, e.wellKnownRegion().orElseThrow(), 0));
                assertEquals(1, q.await(batch, 10, TimeUnit.SECONDS));
                assertEquals(Status.SUCCESS, batch.get(0).status());
                e.close();
                accepted.close();
                assertEquals(PostStatus.CLOSED, e.write(0, local, 0, 8, 0, 0));
            }
            q.poll(batch);
            sq.poll(batch);
            assertTrue(queuePairs() <= before + 2, "closed endpoints give their queue pairs back: " + queuePairs() + " vs " + before);

            // a blocked await wakes up when a completion arrives
            Endpoint e = cd.connect(listener.uri().withRegion("t"), EndpointConfig.of(q));
            Endpoint accepted = listener.accept(Duration.ofSeconds(10));
            MemoryRegion rbuf = sd.register(arena.allocate(64), Access.LOCAL_WRITE);
            assertEquals(PostStatus.OK, accepted.receive(7, rbuf, 0, 64));
            Thread sender = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException ignored) {
                    return;
                }
                local.segment().setString(0, "wake up", StandardCharsets.UTF_8);
                e.send(8, local, 0, 16);
            });
            long t0 = System.nanoTime();
            assertEquals(1, sq.await(batch, 20, TimeUnit.SECONDS));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(7, batch.get(0).workRequestId());
            assertEquals("wake up", rbuf.segment().getString(0, StandardCharsets.UTF_8));
            assertTrue(waited >= 250 && waited < 10_000, "await slept until the completion: " + waited + " ms");
            sender.join();
            RemoteRegion r = e.wellKnownRegion().orElseThrow();
            assertEquals(target.remoteKey(), r.key());
        }
        assertTrue(queuePairs() <= before, "closing the fabrics destroys every queue pair");
    }

    /**
     * Connects abandoned part-way, by closing the client's domain at a different moment each time, leave no queue pair
     * on the listener's side: one whose client gave up after the listener answered (the client's kernel rejects the
     * answer, the listener's endpoint sees REJECTED or CONNECT_ERROR before ESTABLISHED) is released at once, not kept
     * as pending until the listener closes. Connects that did complete wait in the listener and are closed by the test.
     */
    @Test
    void connectsAbandonedPartWayLeaveNothingOnTheListener() throws Exception {
        int connects = 60; // 1 of the first 2 runs hit the queue-pair race of CmChannel.withoutEventInFlight
        String addr = Testbed.address();
        int before = queuePairs();
        try (Fabric server = Fabrics.open("verbs://" + addr + ":0")) {
            Domain sd = server.openDomain();
            Listener listener = sd.listen(EndpointConfig.of(sd.openCompletionQueue(1024)));
            int abandoned = 0;
            for (int i = 0; i < connects; i++) {
                try (Fabric client = Fabrics.open("verbs://" + addr + ":0")) {
                    Domain cd = client.openDomain();
                    CompletionQueue q = cd.openCompletionQueue(16);
                    java.util.concurrent.CompletableFuture<Object> connecting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            return cd.connect(listener.uri(), EndpointConfig.of(q));
                        } catch (FabricException e) {
                            return e;
                        }
                    });
                    long until = System.nanoTime() + (i % 60) * 250_000L; // 0 to 15 ms into the connect, a quarter millisecond apart
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                    cd.close();
                    if (connecting.get(30, TimeUnit.SECONDS) instanceof FabricException) {
                        abandoned++;
                    }
                }
            }
            assertTrue(abandoned > 0, "some connects were ended part-way by the close");
            Endpoint done;
            List<String> taken = new java.util.ArrayList<>();
            while ((done = listener.accept(Duration.ofMillis(500))) != null) {
                taken.add(done.id() + " " + done.state());
                done.close();
            }
            int left = queuePairs();
            for (int i = 0; i < 150 && left > before; i++) {
                Thread.sleep(100);
                left = queuePairs();
            }
            String list = queuePairList();
            assertTrue(left <= before, left + " queue pairs left with the listener still open (" + before + " before, " + abandoned
                    + " of " + connects + " connects abandoned part-way): the listener keeps endpoints whose connection failed before it"
                    + " was established; accepted and closed by the test: " + taken + "; listed:" + list);
        }
    }

    /**
     * A listener closed while connects to it are under way (0 to 30 ms into each) keeps every connection it accepted,
     * also those whose set-up it had begun (accepted, not yet established): each connect either fails or returns an
     * endpoint that stays connected and whose reads of the listener's published region are served after the listener
     * has gone. No queue pair is left beyond the connected pairs', and closing the listener's domain then ends them all
     * without an error.
     */
    @Test
    void aListenerClosedDuringConnectsKeepsWhatItAccepted() throws Exception {
        int connects = 60;
        String addr = Testbed.address();
        int before = queuePairs();
        try (Fabric server = Fabrics.open("verbs://" + addr + ":0"); Fabric client = Fabrics.open("verbs://" + addr + ":0");
             Arena arena = Arena.ofShared()) {
            Domain sd = server.openDomain();
            CompletionQueue sq = sd.openCompletionQueue(4096);
            MemoryRegion config = sd.register(arena.allocate(4096, 4096), Access.REMOTE_READ);
            config.segment().fill((byte) 0x3C);
            Domain cd = client.openDomain();
            CompletionQueue q = cd.openCompletionQueue(4096);
            MemoryRegion local = cd.register(arena.allocate(4096, 4096), client.info().limits().readSinkAccess());
            java.util.List<Endpoint> kept = new java.util.ArrayList<>();
            for (int i = 0; i < connects; i++) {
                Listener listener = sd.listen(EndpointConfig.of(sq).withSendQueueDepth(4).withReceiveQueueDepth(4));
                listener.publish("config", config);
                java.util.concurrent.CompletableFuture<Object> connecting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try {
                        return cd.connect(listener.uri().withRegion("config"),
                                EndpointConfig.of(q).withSendQueueDepth(4).withReceiveQueueDepth(4));
                    } catch (FabricException e) {
                        return e;
                    }
                });
                long until = System.nanoTime() + i * 500_000L; // 0 to 30 ms into the connect, half a millisecond apart
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                listener.close();
                Object outcome = connecting.get(30, TimeUnit.SECONDS);
                if (outcome instanceof Endpoint e) {
                    kept.add(e);
                }
            }
            assertTrue(kept.size() < connects, "some connects came after their listener closed (none of " + connects + " failed)");
            assertTrue(kept.size() > 0, "some connects completed before their listener closed (none of " + connects + " did)");
            System.out.println(kept.size() + " of " + connects + " connects kept after their listener closed");
            Thread.sleep(500); // a connection the closing listener dropped would be torn down by now
            CompletionBatch batch = new CompletionBatch(4);
            for (int i = 0; i < kept.size(); i++) {
                Endpoint e = kept.get(i);
                assertEquals(dev.weft.EndpointState.CONNECTED, e.state(), "connection " + i + " of " + kept.size()
                        + " kept after its listener closed: " + e);
                local.segment().fill((byte) 0);
                assertEquals(PostStatus.OK, e.read(i, local, 0, 64, e.wellKnownRegion().orElseThrow(), 0));
                assertEquals(1, q.await(batch, 10, TimeUnit.SECONDS), "the read of connection " + i + " completes");
                assertEquals(Status.SUCCESS, batch.get(0).status(), () -> "the read is served: " + batch.get(0));
                assertEquals((byte) 0x3C, local.segment().get(java.lang.foreign.ValueLayout.JAVA_BYTE, 63));
            }
            int expected = before + 2 * kept.size();
            int now = queuePairs();
            for (int i = 0; i < 150 && now != expected; i++) {
                Thread.sleep(100);
                now = queuePairs();
            }
            assertEquals(expected, now, "queue pairs: " + before + " before, " + kept.size() + " connections kept of " + connects
                    + " connects; a connect that failed left one behind, or a kept one lost its listener-side pair");
            sd.close(); // owns the listener-side endpoints: a close that fails BUSY missed one
            for (Endpoint e : kept) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (e.state() == dev.weft.EndpointState.CONNECTED && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(dev.weft.EndpointState.ERROR, e.state(), "closing the listener's domain ends the connection: " + e);
            }
        }
        assertTrue(queuePairs() <= before, "closing the fabrics destroys every queue pair");
    }

    private static int queuePairs() throws Exception {
        return (int) queuePairLines().count();
    }

    /** @return the RC queue pairs {@code rdma res show qp} lists (number, state, process), for counts and failure messages */
    private static java.util.stream.Stream<String> queuePairLines() throws Exception {
        Process p = new ProcessBuilder("rdma", "res", "show", "qp").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out.lines().filter(l -> l.contains("lqpn") && !l.contains("type GSI") && !l.contains("type SMI")).map(String::strip);
    }

    /** @return what {@link #queuePairLines} lists, one per line, for a failure message */
    private static String queuePairList() throws Exception {
        return queuePairLines().collect(java.util.stream.Collectors.joining("\n  ", "\n  ", ""));
    }

    /**
     * The port going down is an asynchronous event (IBV_EVENT_PORT_ERR): every endpoint on the
     * device moves to ERROR and later requests complete FLUSHED, without the application polling
     * for it first.
     */
    @Test
    void aPortErrorFailsTheEndpoints() throws Exception {
        String addr = Testbed.address();
        try (Fabric server = Fabrics.open("verbs://" + addr + ":0"); Fabric client = Fabrics.open("verbs://" + addr + ":0");
             Arena arena = Arena.ofShared()) {
            ConnectedPair pair = ConnectedPair.open(server, client, arena);
            Endpoint e = pair.endpoint();
            Endpoint accepted = pair.accepted();
            assertEquals(0, new ProcessBuilder("ip", "link", "set", "dummy0", "down").inheritIO().start().waitFor());
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (e.state() == dev.weft.EndpointState.CONNECTED && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(dev.weft.EndpointState.ERROR, e.state(), "the port error reached the endpoint: " + e);
                assertEquals(dev.weft.EndpointState.ERROR, accepted.state(), "and the other endpoint on the device: " + accepted);
                assertEquals(PostStatus.OK, e.write(1, pair.local(), 0, 8, e.wellKnownRegion().orElseThrow(), 0));
                CompletionBatch batch = new CompletionBatch(4);
                assertEquals(1, pair.queue().await(batch, 10, TimeUnit.SECONDS));
                assertEquals(Status.FLUSHED, batch.get(0).status());
            } finally {
                new ProcessBuilder("ip", "link", "set", "dummy0", "up").inheritIO().start().waitFor();
            }
        }
    }

    /**
     * On a failed endpoint a request the driver refuses is taken and completed FLUSHED by the provider, and so is every
     * later request, also one posted after the provider had completed the earlier ones and the queue had stopped
     * watching the endpoint: until 2026-12-07 such a request was answered OK and never completed. rxe refuses a
     * misaligned atomic in {@code post_send}; a write under a wrong key fails the endpoint first.
     */
    @Test
    void everyRequestAfterARefusalOnAFailedEndpointCompletes() throws Exception {
        String addr = Testbed.address();
        try (Fabric server = Fabrics.open("verbs://" + addr + ":0"); Fabric client = Fabrics.open("verbs://" + addr + ":0");
             Arena arena = Arena.ofShared()) {
            ConnectedPair pair = ConnectedPair.open(server, client, arena);
            Endpoint e = pair.endpoint();
            RemoteRegion remote = e.wellKnownRegion().orElseThrow();
            CompletionBatch batch = new CompletionBatch(4);
            assertEquals(PostStatus.OK, e.write(1, pair.local(), 0, 8, remote.address(), remote.key() ^ 1));
            assertEquals(1, pair.queue().await(batch, 10, TimeUnit.SECONDS));
            assertEquals(1, batch.get(0).workRequestId());
            assertTrue(batch.get(0).status() != Status.SUCCESS && batch.get(0).status() != Status.FLUSHED, batch.get(0).toString());
            assertEquals(dev.weft.EndpointState.ERROR, e.state(), e.toString());
            // refused by rxe's post_send (misaligned), so completed by the provider
            assertEquals(PostStatus.OK, e.fetchAndAdd(2, pair.local(), 0, remote.address() + 1, remote.key(), 1));
            assertEquals(1, pair.queue().await(batch, 10, TimeUnit.SECONDS), "the refused request completes; " + e);
            assertEquals(2, batch.get(0).workRequestId());
            assertEquals(Status.FLUSHED, batch.get(0).status());
            for (int i = 3; i <= 5; i++) {
                assertEquals(PostStatus.OK, e.write(i, pair.local(), 0, 8, remote, 0));
                assertEquals(1, pair.queue().await(batch, 10, TimeUnit.SECONDS), "request " + i + " posted after the others completed; " + e);
                assertEquals(i, batch.get(0).workRequestId());
                assertEquals(Status.FLUSHED, batch.get(0).status());
            }
            assertEquals(0, pair.queue().await(batch, 1500, TimeUnit.MILLISECONDS), "and nothing completes twice");
        }
    }

    /**
     * Removing the device ({@code rdma link delete}) reaches every endpoint on it through rdma_cm's
     * DEVICE_REMOVAL: they move to ERROR, their posted work completes FLUSHED, and the listener
     * reports that it accepts nothing more. Closing the fabrics afterwards must not crash (the
     * listener once answered the listening id's own DEVICE_REMOVAL as a connect request and destroyed
     * the id, which close then destroyed again: SIGSEGV in rdma_destroy_id), and must let the removal
     * finish: it waits until nothing is open on the device any more, so it also shows that nothing
     * Weft made was left behind. With siw0 beside rxe0, because librdmacm lets a removed device go
     * only while another device exists.
     */
    @Test
    @OnSoftRoce(devices = {Testbed.Device.RXE, Testbed.Device.SIW})
    void aDeviceRemovalFailsTheEndpointsAndClosingTheFabricsLetsItFinish() throws Exception {
        String addr = Testbed.address();
        Process removal;
        List<Thread> readers;
        try (Fabric server = Fabrics.open("verbs://" + addr + ":0"); Fabric client = Fabrics.open("verbs://" + addr + ":0");
             Arena arena = Arena.ofShared()) {
            ConnectedPair pair = ConnectedPair.open(server, client, arena);
            Endpoint e = pair.endpoint();
            Endpoint accepted = pair.accepted();
            assertEquals(PostStatus.OK, e.receive(7, pair.local(), 0, 64));
            readers = asyncEventReaders();
            assertFalse(readers.isEmpty(), "the endpoints started a reader of rxe0's asynchronous events");
            removal = new ProcessBuilder("rdma", "link", "delete", "rxe0").inheritIO().start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while ((e.state() == dev.weft.EndpointState.CONNECTED || accepted.state() == dev.weft.EndpointState.CONNECTED)
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(dev.weft.EndpointState.ERROR, e.state(), "the removal reached the endpoint: " + e);
            assertEquals(dev.weft.EndpointState.ERROR, accepted.state(), "and the accepted one: " + accepted);
            CompletionBatch batch = new CompletionBatch(4);
            assertEquals(1, pair.queue().await(batch, 10, TimeUnit.SECONDS), "the posted receive completes");
            assertEquals(7, batch.get(0).workRequestId());
            assertEquals(Status.FLUSHED, batch.get(0).status());
            FabricException noMore = null;
            for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); noMore == null && System.nanoTime() < until; ) {
                try {
                    assertEquals(null, pair.listener().accept(Duration.ZERO), "nothing more was accepted");
                    Thread.sleep(20);
                } catch (FabricException x) {
                    noMore = x;
                }
            }
            assertNotNull(noMore, "accept reports the removed device");
            assertEquals(ErrorCode.CLOSED, noMore.code());
            assertTrue(noMore.getMessage().contains("removed"), noMore.getMessage());
        }
        // rxe cannot take resources away from a process: the removal waits until every file on the
        // device is closed, the last being librdmacm's own context of it, which librdmacm closes once the
        // last fabric on the device has closed (siw0 stays, so librdmacm can see that rxe0 is gone).
        assertTrue(removal.waitFor(30, TimeUnit.SECONDS), () -> "closing both fabrics let 'rdma link delete rxe0' finish;"
                + " RDMA files this process still has open: " + openRdmaFiles());
        assertEquals(0, removal.exitValue());
        assertTrue(openRdmaFiles().values().stream().noneMatch(f -> f.contains("uverbs") && f.contains("deleted")),
                () -> "the removed device's files are all closed: " + openRdmaFiles());
        // The kernel's last event for a removed device is DEVICE_FATAL; the reader of rxe0's context
        // ends there (the fabric's close waited for it), the readers of other devices go on.
        assertEquals(readers.size() - 1, readers.stream().filter(Thread::isAlive).count(),
                () -> "rxe0's asynchronous-event reader ended: " + readers);
    }

    /** @return the provider's asynchronous-event reader threads (one per device context) now alive */
    private static List<Thread> asyncEventReaders() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("weft-verbs-async-")).toList();
    }

    /**
     * A fabric with queues and regions but no endpoint or listener has no rdma_cm id, so nothing
     * tells it about a removal of its device; closing it must still let the removal finish.
     */
    @Test
    @OnSoftRoce(devices = {Testbed.Device.RXE, Testbed.Device.SIW})
    void aFabricWithoutEndpointsLetsARemovalFinishWhenClosed() throws Exception {
        Process removal;
        try (Fabric fabric = Fabrics.open("verbs://" + Testbed.address() + ":0"); Arena arena = Arena.ofShared()) {
            Domain d = fabric.openDomain();
            CompletionQueue q = d.openCompletionQueue(16);
            d.register(arena.allocate(4096, 4096), Access.LOCAL_WRITE);
            removal = new ProcessBuilder("rdma", "link", "delete", "rxe0").inheritIO().start();
            assertEquals(0, q.poll(new CompletionBatch(1)));
            assertFalse(removal.waitFor(2, TimeUnit.SECONDS), "the removal waits while the fabric is open");
        }
        assertTrue(removal.waitFor(30, TimeUnit.SECONDS), () -> "closing the fabric let 'rdma link delete rxe0' finish;"
                + " RDMA files this process still has open: " + openRdmaFiles());
        assertEquals(0, removal.exitValue());
    }

    /**
     * A client endpoint connected to a server's listener, which publishes a 4 KiB region "t" the
     * client may write; closed with the fabrics.
     */
    private record ConnectedPair(Listener listener, CompletionQueue queue, MemoryRegion local, Endpoint endpoint, Endpoint accepted) {
        static ConnectedPair open(Fabric server, Fabric client, Arena arena) throws InterruptedException {
            Domain sd = server.openDomain();
            MemoryRegion target = sd.register(arena.allocate(4096, 4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE);
            Listener listener = sd.listen(EndpointConfig.of(sd.openCompletionQueue(16)));
            listener.publish("t", target);
            Domain cd = client.openDomain();
            CompletionQueue q = cd.openCompletionQueue(16);
            MemoryRegion local = cd.register(arena.allocate(4096, 4096), Access.LOCAL_WRITE);
            Endpoint e = cd.connect(listener.uri().withRegion("t"), EndpointConfig.of(q));
            Endpoint accepted = listener.accept(Duration.ofSeconds(10));
            assertNotNull(accepted);
            return new ConnectedPair(listener, q, local, e, accepted);
        }
    }

    /** @return this process's open descriptors on /dev/infiniband (uverbs contexts, rdma_cm channels), as fd -> path */
    private static java.util.Map<String, String> openRdmaFiles() {
        java.util.Map<String, String> open = new java.util.TreeMap<>();
        try (var fds = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/fd"))) {
            fds.forEach(fd -> {
                try {
                    String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                    if (target.contains("infiniband")) {
                        open.put(fd.getFileName().toString(), target);
                    }
                } catch (java.io.IOException gone) {
                    // closed while listing
                }
            });
        } catch (java.io.IOException e) {
            open.put("?", e.toString());
        }
        return open;
    }
}
