package dev.weft.provider.verbs.internal.nat;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The provider's event threads and blocking completion waits sleep in {@link FdWaiter}; these run on any Linux host,
 * with eventfds standing in for the device's and the connection manager's descriptors.
 */
class FdWaiterTest {
    @Test
    void aReadableDescriptorEndsTheWait() {
        int watched = Libc.eventFd("the test's watched descriptor");
        try (Arena arena = Arena.ofConfined(); FdWaiter waiter = new FdWaiter(watched, "the test's waiter")) {
            MemorySegment one = arena.allocate(C.U64);
            one.set(C.U64, 0, 1L);
            assertFalse(waiter.await(0), "nothing is readable yet");
            Libc.signal(watched, one);
            assertTrue(waiter.await(5_000), "the watched descriptor became readable");
            assertFalse(waiter.failed(), "readable, not broken");
        } finally {
            Libc.close(watched);
        }
    }

    @Test
    void aWakeEndsAWaitWithoutLimitAndEveryWaitAfterIt() throws Exception {
        int watched = Libc.eventFd("the test's watched descriptor");
        try (FdWaiter waiter = new FdWaiter(watched, "the test's waiter")) {
            CompletableFuture<Boolean> sleeper = CompletableFuture.supplyAsync(waiter::await);
            Thread.sleep(100); // the sleeper is (most likely) in poll(2) by now; a wake before it enters works too
            waiter.wake();
            assertFalse(sleeper.get(10, TimeUnit.SECONDS), "a wake ends a wait without limit, answering false");
            assertFalse(waiter.await(), "and every wait after it");
            assertFalse(waiter.await(-1), "with or without a limit");
        } finally {
            Libc.close(watched);
        }
    }

    @Test
    void aWakeAfterCloseDoesNothing() {
        int watched = Libc.eventFd("the test's watched descriptor");
        int reused = -1;
        try {
            FdWaiter waiter = new FdWaiter(watched, "the test's waiter");
            waiter.close();
            // Linux hands out the lowest free number, so this eventfd most likely takes the number of the waiter's own,
            // now closed: a wake that wrote to that number would make it readable.
            reused = Libc.eventFd("the test's descriptor after the waiter's");
            waiter.wake();
            waiter.close();
            assertFalse(waiter.await(0), "a woken waiter answers false");
            try (FdWaiter probe = new FdWaiter(reused, "the test's probe")) {
                assertFalse(probe.await(0), "the wake after close wrote to no descriptor");
            }
        } finally {
            if (reused >= 0) {
                Libc.close(reused);
            }
            Libc.close(watched);
        }
    }
}
