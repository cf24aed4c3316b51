package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.weft.PostStatus;
import dev.weft.provider.verbs.internal.nat.Errno;
import org.junit.jupiter.api.Test;

/** How a driver's refusal of a post becomes a {@link PostStatus}, whichever sign the driver gives its errno. */
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
        assertEquals(PostStatus.INVALID, VerbsEndpoint.refused(-1), "siw's failed doorbell write(2) answers -1");
        assertEquals(PostStatus.INVALID, VerbsEndpoint.refused(Integer.MIN_VALUE));
    }
}
