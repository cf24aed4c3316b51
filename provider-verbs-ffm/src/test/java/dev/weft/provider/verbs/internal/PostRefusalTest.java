package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.PostStatus;
import dev.weft.provider.verbs.internal.nat.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/**
 * How a driver's refusal of a post becomes a {@link PostStatus}, whichever sign the driver gives its errno, and
 * when a refused post still left its request with the device.
 */
class PostRefusalTest {
    @Test
    void aFullQueueIsAgainWhateverTheSign() {
        assertEquals(PostStatus.AGAIN, VerbsEndpoint.refused(Errno.ENOMEM), "rxe and the libibverbs convention: positive ENOMEM");
        assertEquals(PostStatus.AGAIN, VerbsEndpoint.refused(-Errno.ENOMEM), "siw: -ENOMEM while its ring slot is still in use");
        assertEquals(PostStatus.AGAIN, VerbsEndpoint.refused(Errno.EAGAIN));
        assertEquals(PostStatus.AGAIN, VerbsEndpoint.refused(-Errno.EAGAIN));
    }

    @Test
    void anythingElseIsInvalid() {
        assertEquals(PostStatus.INVALID, VerbsEndpoint.refused(Errno.EINVAL));
        assertEquals(PostStatus.INVALID, VerbsEndpoint.refused(-Errno.EINVAL));
        assertEquals(PostStatus.INVALID, VerbsEndpoint.refused(-1), "a bare -1 names no errno (siw answers it for a failed doorbell, but with bad_wr NULL: see below)");
        assertEquals(PostStatus.INVALID, VerbsEndpoint.refused(Integer.MIN_VALUE));
    }

    @Test
    void aRefusalThatNamesNoRequestLeftTheRequestWithTheDevice() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment wr = arena.allocate(128);
            MemorySegment badWr = arena.allocate(ValueLayout.ADDRESS);
            badWr.set(ValueLayout.JAVA_LONG, 0, wr.address());
            assertFalse(VerbsEndpoint.deviceKept(badWr), "bad_wr names the request: the driver did not take it");
            badWr.set(ValueLayout.JAVA_LONG, 0, 0L);
            assertTrue(VerbsEndpoint.deviceKept(badWr),
                    "bad_wr NULL after a refusal (siw's or rxe's failed doorbell): the request is in the device's ring");
        }
    }
}
