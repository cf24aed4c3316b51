package dev.weft.tools;

import dev.weft.Capability;

/** The operations {@code weft perf} measures, with their command-line names and the capability each needs. */
enum PerfOp {
    WRITE("write", Capability.RMA_WRITE, true),
    READ("read", Capability.RMA_READ, false),
    SEND("send", Capability.SEND_RECV, true),
    FETCH_ADD("fetch-add", Capability.ATOMIC_FETCH_ADD, false),
    CMP_SWAP("cmp-swap", Capability.ATOMIC_CMP_SWAP, false);

    final String cliName;
    final Capability capability;
    /** Latency is half a ping-pong round trip (ib_write_lat); otherwise post to completion (ib_read_lat). */
    final boolean pingPong;

    PerfOp(String cliName, Capability capability, boolean pingPong) {
        this.cliName = cliName;
        this.capability = capability;
        this.pingPong = pingPong;
    }

    boolean isAtomic() {
        return this == FETCH_ADD || this == CMP_SWAP;
    }

    static PerfOp parse(String name) {
        for (PerfOp op : values()) {
            if (op.cliName.equals(name)) {
                return op;
            }
        }
        throw new UsageException("--op " + name + " is not one of write, read, send, fetch-add, cmp-swap");
    }
}
