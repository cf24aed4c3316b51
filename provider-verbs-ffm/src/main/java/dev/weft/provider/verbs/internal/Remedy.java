package dev.weft.provider.verbs.internal;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.verbs.internal.nat.Errno;
import dev.weft.provider.verbs.internal.nat.Ibv;

/**
 * The advice that fits a failure to load the RDMA libraries, list the devices or describe one:
 * a missing library is a package to install, a refused device file a permission to grant, an
 * allocation failure the locked-memory limit; anything else points at the device itself. Stateless.
 */
public final class Remedy {
    private Remedy() {
    }

    /** The oldest rdma-core whose libibverbs exports every function the provider binds ({@code _ibv_query_gid_ex} and {@code _ibv_query_gid_table}, IBVERBS_1.11). */
    public static final int MIN_RDMA_CORE = 32;

    /**
     * @param failure what loading the libraries, listing the devices or describing a device threw
     * @return what would fix it, as one sentence
     */
    public static String of(Throwable failure) {
        if (failure instanceof FabricException e) {
            switch (e.errno()) {
                case Errno.EACCES, Errno.EPERM -> {
                    return "this user may not open the RDMA device files: it needs read and write access to"
                            + " /dev/infiniband/uverbs* and /dev/infiniband/rdma_cm (ls -l /dev/infiniband shows their group;"
                            + " add the user to it or give them a udev rule), or run as root";
                }
                case Errno.ENOMEM -> {
                    return "the device could not allocate or pin memory: raise the locked-memory limit"
                            + " (ulimit -l, memlock in /etc/security/limits.conf; ulimit -l unlimited for a test) and check free memory";
                }
                case 0 -> {
                    if (e.code() == ErrorCode.PROVIDER_UNAVAILABLE) {
                        return install(e.getMessage());
                    }
                }
                default -> {
                }
            }
            if (e.errno() != 0) {
                return "the device refused the request: check it with ibv_devinfo and the kernel log (dmesg);"
                        + " other devices can still be opened by name or address";
            }
            return install(e.getMessage());
        }
        return install(String.valueOf(failure.getMessage()));
    }

    private static String install(String message) {
        if (message != null && message.contains("rdma-core is too old")) {
            return "install rdma-core " + MIN_RDMA_CORE + " or later (libibverbs1, librdmacm1, ibverbs-providers)";
        }
        return Ibv.HINT; // a compile-time constant: naming it does not load libibverbs
    }
}
