package dev.weft.provider.verbs.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.provider.verbs.internal.nat.Errno;
import org.junit.jupiter.api.Test;

/** The hint that goes with each kind of failure to load, list or describe the devices. */
class RemedyTest {
    private static FabricException failed(int errno) {
        return new FabricException(ErrorCode.NATIVE_ERROR, "listing RDMA devices: rdma_get_devices failed with " + Errno.name(errno), errno, null);
    }

    @Test
    void aRefusedDeviceFileIsAPermissionNotAMissingPackage() {
        for (int errno : new int[] {Errno.EACCES, Errno.EPERM}) {
            String hint = Remedy.of(failed(errno));
            assertTrue(hint.contains("/dev/infiniband/uverbs") && hint.contains("rdma_cm"), hint);
            assertFalse(hint.contains("apt-get"), hint);
        }
    }

    @Test
    void anAllocationFailureNamesTheLockedMemoryLimit() {
        String hint = Remedy.of(failed(Errno.ENOMEM));
        assertTrue(hint.contains("ulimit -l") && hint.contains("memlock"), hint);
        assertFalse(hint.contains("apt-get"), hint);
    }

    @Test
    void aDeviceErrorPointsAtTheDevice() {
        String hint = Remedy.of(failed(Errno.EIO));
        assertTrue(hint.contains("ibv_devinfo") && hint.contains("dmesg"), hint);
        assertFalse(hint.contains("apt-get"), hint);
    }

    @Test
    void aMissingLibraryIsAPackageToInstall() {
        String hint = Remedy.of(new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "libibverbs.so.1 cannot be loaded; ..."));
        assertTrue(hint.contains("apt-get install libibverbs1 librdmacm1 ibverbs-providers"), hint);
        assertTrue(Remedy.of(new UnsatisfiedLinkError("no libibverbs")).contains("apt-get"));
        String old = Remedy.of(new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "symbol _ibv_query_gid_ex not found; rdma-core is too old"));
        assertTrue(old.contains("rdma-core 32 or later"), old);
    }
}
