package dev.weft.provider.verbs.internal;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One {@code connect} in progress on a {@link VerbsDomain}: the connection-manager events of its id, which the
 * connecting thread takes one by one, and the domain's way to end it.
 *
 * <p>The connecting thread registers the attempt with its domain before it makes anything native and calls
 * {@link #finished()} once it has returned an endpoint or released what it made (id, queue pair). Closing the domain,
 * or its fabric, closes the attempt first: {@link #next} then throws {@link ErrorCode#CLOSED}, and {@link #close()}
 * waits until the connecting thread has finished, so that the domain's completion queues and protection domain are
 * no longer in use when the domain destroys them.
 *
 * <p>Thread-safe: events arrive on the connection manager's thread, {@link #close()} runs on the closing thread.
 */
final class ConnectAttempt implements AutoCloseable {
    /** What {@link #close()} puts in the queue to wake the connecting thread; never a device's event. */
    private static final CmEvent CANCELLED = new CmEvent(-1, 0, 0, 0, new byte[0], 0, 0);
    /** How long past the connect's own deadline a close waits for the connecting thread. */
    private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final LinkedBlockingQueue<CmEvent> events = new LinkedBlockingQueue<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private final String what;
    private final long deadline;
    private volatile boolean cancelled;

    /**
     * @param what "connecting to PEER", for messages
     * @param deadline the connect's deadline in {@link System#nanoTime()} terms
     */
    ConnectAttempt(String what, long deadline) {
        this.what = what;
        this.deadline = deadline;
    }

    /** @return "connecting to PEER" */
    String what() {
        return what;
    }

    /** Queues an event of the attempt's id; called on the connection manager's thread. */
    void add(CmEvent e) {
        events.add(e);
    }

    /**
     * Waits for the next event until the connect's deadline.
     *
     * @param step what the connecting thread waits for, for messages ("address resolution", ...)
     * @return the event, or {@code null} once the deadline has passed
     * @throws FabricException {@link ErrorCode#CLOSED} once the domain closed the attempt; {@link ErrorCode#TIMEOUT}
     *         when the thread is interrupted (the flag stays set)
     */
    CmEvent next(String step) {
        CmEvent e;
        try {
            e = cancelled ? CANCELLED : events.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new FabricException(ErrorCode.TIMEOUT, what + ": interrupted during " + step, ex);
        }
        if (e == CANCELLED || cancelled) {
            throw new FabricException(ErrorCode.CLOSED, what + ": the domain was closed during " + step + "; no endpoint was made");
        }
        return e;
    }

    /** Called by the connecting thread once it returns: with an endpoint its domain adopted, or with nothing left of the attempt. */
    void finished() {
        finished.countDown();
    }

    /**
     * Ends the attempt: the connecting thread's next wait throws {@link ErrorCode#CLOSED}. Waits until it has finished,
     * at most until the connect's own deadline and five seconds more (a thread held inside a native call: siw's
     * {@code rdma_connect} can block in the kernel's TCP connect for minutes).
     *
     * @throws FabricException {@link ErrorCode#TIMEOUT} if the connecting thread did not finish in that time, or the
     *         closing thread was interrupted: the domain's close then reports the queues still in use
     */
    @Override
    public void close() {
        boolean first = !cancelled;
        cancelled = true;
        if (!first && finished.getCount() > 0) {
            throw new FabricException(ErrorCode.TIMEOUT, what + " has not ended since the domain was closed; its queue pair and"
                    + " connection id are still held");
        }
        events.add(CANCELLED);
        long wait = Math.min(Long.MAX_VALUE - GRACE_NANOS, Math.max(0, deadline - System.nanoTime())) + GRACE_NANOS;
        try {
            if (finished.await(wait, TimeUnit.NANOSECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new FabricException(ErrorCode.TIMEOUT, "closing the domain was interrupted while it waited for " + what + " to end", e);
        }
        throw new FabricException(ErrorCode.TIMEOUT, what + " did not end within 5 s of its deadline after the domain was closed;"
                + " its queue pair and connection id are still held");
    }
}
