package dev.weft.tck;

import dev.weft.Access;
import dev.weft.Domain;
import dev.weft.EndpointConfig;
import dev.weft.Fabric;
import dev.weft.Fabrics;
import dev.weft.Listener;
import dev.weft.MemoryRegion;
import java.lang.foreign.Arena;

/**
 * The second JVM of the TCK's cross-process cases: opens {@code args[0]}, registers and
 * publishes a 16 MiB region as {@code tck}, prints {@code LISTENING <uri>} and serves until it is
 * killed. Not for applications.
 */
public final class ChildPeer {
    private ChildPeer() {
    }

    /**
     * @param args the fabric URI
     * @throws InterruptedException never in practice: the process is killed
     */
    public static void main(String[] args) throws InterruptedException {
        Fabric fabric = Fabrics.open(args[0]);
        Domain domain = fabric.openDomain();
        MemoryRegion region = domain.register(Arena.global().allocate(16 << 20, 4096), Access.LOCAL_WRITE, Access.REMOTE_WRITE,
                Access.REMOTE_READ);
        Listener listener = domain.listen(EndpointConfig.of(domain.openCompletionQueue(1024)));
        listener.publish(TckBase.REGION_NAME, region);
        System.out.println("LISTENING " + listener.uri());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
