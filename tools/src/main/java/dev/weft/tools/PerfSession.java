package dev.weft.tools;

import dev.weft.Completion;
import dev.weft.CompletionBatch;
import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.MemoryRegion;
import dev.weft.Opcode;
import dev.weft.PostStatus;
import dev.weft.RemoteRegion;
import dev.weft.Status;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;

/**
 * The state both sides of {@code weft perf} share: one endpoint, one completion queue polled
 * for both directions, a data region laid out as [source area | target area], and a control
 * region for the small messages that coordinate a run. Not thread-safe: one thread drives it.
 *
 * <p>Control messages ({@value #CONTROL_SIZE} bytes, big-endian) are sends into a posted
 * receive: magic, type, operation, size, iteration count, a value, and for RUN the sender's data
 * region as a {@link RemoteRegion} encoding at offset 32.
 *
 * <p>A session: the client sends HELLO (value: its fabric's largest message) and the server answers HELLO (iteration
 * count: its buffer, value: its fabric's largest message), so that the client checks every size before any run; then
 * RUN, READY, DONE, RESULT per size (or RUN, REFUSED); BYE ends it. A {@code perf scale} client sends HELLO on its
 * first endpoint, runs one-sided, and sends BYE on it at the end.
 */
final class PerfSession {
    static final int CONTROL_SIZE = 64;
    static final int MAGIC = 0x57505246; // "WPRF"
    static final int RUN = 1;
    static final int READY = 2;
    static final int DONE = 3;
    static final int RESULT = 4;
    static final int BYE = 5;
    static final int REFUSED = 6;
    static final int HELLO = 7;
    /** The operation field of a REFUSED message: why the size was refused (its value: the limit). */
    static final int REFUSED_BUFFER = 0;
    static final int REFUSED_MAX_MESSAGE = 1;

    static final long CONTROL_RECEIVE_ID = Long.MIN_VALUE | 1;
    static final long CONTROL_SEND_ID = Long.MIN_VALUE | 2;
    static final long DATA_RECEIVE_FLAG = 1L << 62;

    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final VarHandle BYTE = ValueLayout.JAVA_BYTE.varHandle();

    final Endpoint endpoint;
    final CompletionQueue queue;
    final MemoryRegion data;
    final MemoryRegion control;
    /** Bytes in each of the two areas of {@link #data}. */
    final long area;
    private final CompletionBatch batch = new CompletionBatch(64);

    /** Data completions reaped so far (sends, writes, reads, atomics, data receives). */
    long completed;
    /** Data receives reaped so far. */
    long received;
    /** Set when the control receive completed; cleared by {@link #takeControl()}. */
    private boolean controlArrived;
    private boolean heardFromPeer;
    private int controlBytes;
    private boolean controlSendFlushed;
    private int controlSendsPending;
    /** Set on a client's session: a control message the peer had no receive for means the server is busy with another. */
    boolean client;
    /** Where {@link #reap()} records completion times of data operations, indexed by work request id; may be null. */
    long[] completionTimes;

    /** {@code --wait block}: where the session only waits, it blocks in {@code CompletionQueue.await} instead of spinning. */
    private final boolean block;

    PerfSession(Endpoint endpoint, CompletionQueue queue, MemoryRegion data, MemoryRegion control, boolean block) {
        this.block = block;
        this.endpoint = endpoint;
        this.queue = queue;
        this.data = data;
        this.control = control;
        this.area = data.length() / 2;
    }

    /** Byte {@code i} of the fill pattern; never used as a marker check by itself. */
    static byte pattern(long i) {
        return (byte) (i * 131 + 7);
    }

    /** The marker of iteration {@code i} of a ping-pong: 1..254, never 0, consecutive values differ. */
    static byte marker(long i) {
        return (byte) (1 + (i % 254));
    }

    static void fill(MemorySegment segment, long offset, long length) {
        for (long i = 0; i < length; i++) {
            segment.set(ValueLayout.JAVA_BYTE, offset + i, pattern(i));
        }
    }

    /** @return the number of bytes in [offset, offset+length) that differ from the pattern, the last {@code skipTail} bytes not checked */
    static long mismatches(MemorySegment segment, long offset, long length, long skipTail) {
        long bad = 0;
        for (long i = 0; i < length - skipTail; i++) {
            if (segment.get(ValueLayout.JAVA_BYTE, offset + i) != pattern(i)) {
                bad++;
            }
        }
        return bad;
    }

    byte volatileByte(long offset) {
        return (byte) BYTE.getVolatile(data.segment(), offset);
    }

    void setVolatileByte(long offset, byte value) {
        BYTE.setVolatile(data.segment(), offset, value);
    }

    /** Polls once; fails on any error completion. Never allocates on success. */
    int reap() {
        return take(queue.poll(batch));
    }

    /**
     * Where the session has nothing to do but wait for completions: polls once ({@code --wait spin},
     * the default, as perftest does) or blocks up to 100 ms in {@code await} ({@code --wait block}):
     * a completion ends the wait at once, so the timeout only sets how often an idle side wakes up
     * (to check its connection), and an idle side should cost its CPU next to nothing, as perftest's
     * server asleep in a socket read does.
     */
    int reapOrWait() {
        return block ? take(queue.await(batch, 100, TimeUnit.MILLISECONDS)) : reap();
    }

    private int take(int n) {
        if (n < 0) {
            throw new FabricException(ErrorCode.CLOSED, "completion queue closed during the run");
        }
        for (int i = 0; i < n; i++) {
            Completion c = batch.get(i);
            long id = c.workRequestId();
            if (id == CONTROL_SEND_ID) {
                controlSendsPending--;
            }
            if (id == CONTROL_SEND_ID && c.status() == Status.FLUSHED) {
                // the connection has ended: a message is flushed when its acknowledgement did not come back, which a
                // peer that got our last message (RESULT) and then sent BYE and closed at once can cause; whether the
                // session ended well shows in the messages that arrived, so awaitControl decides
                controlSendFlushed = true;
                continue;
            }
            if (id == CONTROL_RECEIVE_ID && c.status() == Status.FLUSHED) {
                throw new FabricException(ErrorCode.CONNECTION_LOST, "the peer went away (the control receive was flushed"
                        + (controlSendFlushed ? ", and a control message sent to it" : "") + ")");
            }
            if (id == CONTROL_SEND_ID && c.status() == Status.RNR_RETRY_EXCEEDED && client) {
                throw new FabricException(ErrorCode.BUSY, "control send failed with RNR_RETRY_EXCEEDED: the server had no receive"
                        + " posted for it; a weft perf server serves one client (or perf scale run) at a time, so another is probably"
                        + " using it: try again when it is done, or start a second server on another port");
            }
            if (!c.status().isSuccess()) {
                throw new FabricException(ErrorCode.OPERATION_FAILED, describe(c) + " failed with " + c.status());
            }
            if (id == CONTROL_RECEIVE_ID) {
                controlArrived = true;
                controlBytes = c.byteCount();
            } else if (id == CONTROL_SEND_ID) {
                continue;
            } else {
                completed++;
                if (c.opcode() == Opcode.RECEIVE) {
                    received++;
                } else if (completionTimes != null) {
                    completionTimes[(int) id] = System.nanoTime();
                }
            }
        }
        return n;
    }

    private static String describe(Completion c) {
        long id = c.workRequestId();
        String what = id == CONTROL_RECEIVE_ID ? "control receive" : id == CONTROL_SEND_ID ? "control send"
                : c.opcode() + " #" + (id & ~DATA_RECEIVE_FLAG);
        return what;
    }

    void postControlReceive() {
        expectOk(endpoint.receive(CONTROL_RECEIVE_ID, control, 0, CONTROL_SIZE), "posting the control receive");
    }

    /** Sends a control message from the second half of the control region and waits until it left. */
    void sendControl(int type, int op, int size, long iterations, long value, RemoteRegion region, long deadlineNanos) {
        MemorySegment m = control.segment();
        long base = CONTROL_SIZE;
        m.asSlice(base, CONTROL_SIZE).fill((byte) 0);
        m.set(INT_BE, base, MAGIC);
        m.set(INT_BE, base + 4, type);
        m.set(INT_BE, base + 8, op);
        m.set(INT_BE, base + 12, size);
        m.set(LONG_BE, base + 16, iterations);
        m.set(LONG_BE, base + 24, value);
        if (region != null) {
            region.encodeInto(m, base + 32);
        }
        PostStatus s;
        while ((s = endpoint.send(CONTROL_SEND_ID, control, base, CONTROL_SIZE)) == PostStatus.AGAIN) {
            reap();
            checkDeadline(deadlineNanos, "sending a control message");
        }
        expectOk(s, "sending a control message");
        controlSendsPending++;
    }

    /** Waits until every control message sent has completed (a later poll of a shared queue must not meet it). */
    void awaitControlSent(long deadlineNanos) {
        while (controlSendsPending > 0) {
            if (reap() == 0) {
                checkDeadline(deadlineNanos, "waiting for a control message to leave");
                Thread.onSpinWait();
            }
        }
    }

    /**
     * Waits for the posted control receive; returns its type and leaves the message in the control region.
     *
     * @param timeoutNanos how long to wait, or a negative value to wait as long as the endpoint is connected
     */
    int awaitControl(long timeoutNanos) {
        long deadlineNanos = System.nanoTime() + timeoutNanos;
        while (!controlArrived) {
            if (reapOrWait() == 0) {
                // one more look once the endpoint left CONNECTED: a peer that sends BYE and closes at once may have had its
                // message completed between the poll above and the state read (the server then took a clean end for a loss)
                if (endpoint.state() != dev.weft.EndpointState.CONNECTED && reap() == 0 && !controlArrived) {
                    throw new FabricException(ErrorCode.CONNECTION_LOST, "the peer went away (endpoint " + endpoint.state()
                            + (controlSendFlushed ? "; a control message sent to it was flushed" : "") + ")");
                }
                if (timeoutNanos >= 0) {
                    checkDeadline(deadlineNanos, "waiting for the peer's control message");
                }
                Thread.onSpinWait();
            }
        }
        return takeControl();
    }

    /** @return whether the peer has sent at least one control message on this session */
    boolean heardFromPeer() {
        return heardFromPeer;
    }

    private int takeControl() {
        controlArrived = false;
        heardFromPeer = true;
        MemorySegment m = control.segment();
        if (controlBytes != CONTROL_SIZE || m.get(INT_BE, 0) != MAGIC) {
            throw new FabricException(ErrorCode.PROTOCOL_ERROR, "the peer sent a " + controlBytes
                    + "-byte message that is not a weft perf control message; is it a weft perf peer of the same version?");
        }
        return m.get(INT_BE, 4);
    }

    int controlOp() {
        return control.segment().get(INT_BE, 8);
    }

    int controlSize() {
        return control.segment().get(INT_BE, 12);
    }

    long controlIterations() {
        return control.segment().get(LONG_BE, 16);
    }

    long controlValue() {
        return control.segment().get(LONG_BE, 24);
    }

    RemoteRegion controlRegion() {
        return RemoteRegion.decode(control.segment(), 32);
    }

    static void checkDeadline(long deadlineNanos, String what) {
        if (System.nanoTime() - deadlineNanos > 0) {
            throw new FabricException(ErrorCode.TIMEOUT, "timed out " + what);
        }
    }

    static void expectOk(PostStatus status, String what) {
        if (status != PostStatus.OK) {
            throw new FabricException(status == PostStatus.CLOSED ? ErrorCode.CLOSED : ErrorCode.INVALID_ARGUMENT,
                    what + " was refused: " + status + (status == PostStatus.INVALID ? " (the connection does not take the request;"
                            + " a length above its largest message, the smaller of both sides' limits, is the usual cause)" : ""));
        }
    }
}
