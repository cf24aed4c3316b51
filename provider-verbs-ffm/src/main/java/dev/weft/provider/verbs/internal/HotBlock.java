package dev.weft.provider.verbs.internal;

import static dev.weft.provider.verbs.internal.nat.Structs.IBV_RECV_WR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_SEND_WR;
import static dev.weft.provider.verbs.internal.nat.Structs.IBV_SGE;
import static dev.weft.provider.verbs.internal.nat.Structs.offset;

import dev.weft.provider.verbs.internal.nat.C;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The native structures every post of one endpoint touches, in one page-aligned block: the send work
 * request and its gather list, the cell where {@code post_send} names the first request the driver
 * did not take, the same three for receives, and the staging buffer of inline payloads. Together they span as few pages as they fit in (one
 * for every gather list length a soft device grants), so a post touches one data page of Weft's
 * besides the application's buffers.
 *
 * <p>The block comes wired: each work request's {@code sg_list} points at its gather list, and each
 * "bad request" cell holds its own work request's address, so a driver that fails without naming a
 * request names Weft's (see {@code VerbsEndpoint.deviceKept}).
 *
 * <p><b>Lifetime and threading.</b> The slices are valid while the arena the block was allocated in is
 * open (an endpoint's own arena). The send half is written under the endpoint's send lock and the
 * receive half under its receive lock; the two halves share no bytes.
 *
 * @param sendWr one {@code struct ibv_send_wr}
 * @param sendSges {@code maxSge} consecutive {@code struct ibv_sge}
 * @param badSendWr one pointer, {@code post_send}'s {@code bad_wr}
 * @param recvWr one {@code struct ibv_recv_wr}
 * @param recvSges {@code maxSge} consecutive {@code struct ibv_sge}
 * @param badRecvWr one pointer, {@code post_recv}'s {@code bad_wr}
 * @param inline the payload of an inline send or write, copied there through its segment before the post (the driver
 *               copies an inline payload in user space, so it must never read an arena that was closed meanwhile);
 *               at least one byte
 */
record HotBlock(MemorySegment sendWr, MemorySegment sendSges, MemorySegment badSendWr, MemorySegment recvWr,
        MemorySegment recvSges, MemorySegment badRecvWr, MemorySegment inline) {

    private static final long SEND_SG_LIST = offset(IBV_SEND_WR, "sg_list");
    private static final long RECV_SG_LIST = offset(IBV_RECV_WR, "sg_list");

    /**
     * The block's layout. A struct layout gives the members' offsets, each at its natural alignment
     * (and would refuse a member it could not align).
     *
     * @param maxSge the gather list length the queue pair was granted, at least 1
     * @param inlineBytes the inline payload the queue pair was granted (0 for none: one byte is kept all the same)
     * @return the layout, members named as this record's components
     */
    static MemoryLayout layout(int maxSge, int inlineBytes) {
        return MemoryLayout.structLayout(IBV_SEND_WR.withName("sendWr"),
                MemoryLayout.sequenceLayout(maxSge, IBV_SGE).withName("sendSges"), C.PTR.withName("badSendWr"),
                IBV_RECV_WR.withName("recvWr"), MemoryLayout.sequenceLayout(maxSge, IBV_SGE).withName("recvSges"),
                C.PTR.withName("badRecvWr"), MemoryLayout.sequenceLayout(Math.max(1, inlineBytes), ValueLayout.JAVA_BYTE).withName("inline"));
    }

    /**
     * Allocates and wires a block.
     *
     * @param arena where the block lives; it is freed with the arena
     * @param maxSge the gather list length the queue pair was granted, at least 1
     * @param inlineBytes the inline payload the queue pair was granted, 0 or more
     * @return the block's slices
     */
    static HotBlock allocate(Arena arena, int maxSge, int inlineBytes) {
        if (maxSge < 1) {
            throw new IllegalArgumentException("maxSge is " + maxSge + "; a queue pair grants at least one gather entry");
        }
        MemoryLayout layout = layout(maxSge, inlineBytes);
        MemorySegment block = arena.allocate(layout.byteSize(), C.PAGE);
        HotBlock hot = new HotBlock(block.asSlice(offset(layout, "sendWr"), IBV_SEND_WR),
                block.asSlice(offset(layout, "sendSges"), IBV_SGE.byteSize() * maxSge),
                block.asSlice(offset(layout, "badSendWr"), C.PTR),
                block.asSlice(offset(layout, "recvWr"), IBV_RECV_WR),
                block.asSlice(offset(layout, "recvSges"), IBV_SGE.byteSize() * maxSge),
                block.asSlice(offset(layout, "badRecvWr"), C.PTR),
                block.asSlice(offset(layout, "inline"), Math.max(1, inlineBytes)));
        hot.sendWr.set(C.PTR, SEND_SG_LIST, hot.sendSges);
        hot.recvWr.set(C.PTR, RECV_SG_LIST, hot.recvSges);
        hot.badSendWr.set(C.PTR, 0, hot.sendWr);
        hot.badRecvWr.set(C.PTR, 0, hot.recvWr);
        return hot;
    }
}
