package dev.weft.cluster;

/** What the heartbeat monitor knows about the partner. */
public enum PartnerState {
    /** No interconnect reaches the partner: it may be alive or dead. Never read this as failed. */
    UNKNOWN,
    /** Heartbeats arrive. */
    ALIVE,
    /** An interconnect is up but the partner stopped heartbeating: the application decides on takeover. */
    FAILED
}
