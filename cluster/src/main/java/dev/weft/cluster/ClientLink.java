package dev.weft.cluster;

import dev.weft.CompletionQueue;
import dev.weft.Endpoint;
import dev.weft.MemoryRegion;
import dev.weft.RemoteRegion;

/**
 * One client's connection to its counterpart on the partner over one interconnect: an endpoint
 * with its own completion queue, the partner's memory for this client, and this client's own
 * memories registered in the interconnect's domain. Valid from
 * {@link ConnectionClient#linkUp} until {@link ConnectionClient#linkDown}; the endpoint and the
 * queue belong to the manager. Use from one thread at a time.
 *
 * @param interconnect index of the interconnect (0 = first)
 * @param partnerIncarnation the partner's incarnation in the session this link belongs to: a new value means a
 *        restarted partner, whose memory holds nothing of what earlier sessions wrote into it
 * @param endpoint connected to the partner's counterpart; posts return codes as usual
 * @param queue the endpoint's only completion queue (send and receive)
 * @param partnerRegion the counterpart's {@link ConnectionClient#partnerMemory()} on the partner
 * @param partnerMemory this client's partner memory, registered in this interconnect's domain
 * @param sendMemory this client's send memory, registered in this interconnect's domain
 */
public record ClientLink(int interconnect, long partnerIncarnation, Endpoint endpoint, CompletionQueue queue, RemoteRegion partnerRegion,
                         MemoryRegion partnerMemory, MemoryRegion sendMemory) {
}
