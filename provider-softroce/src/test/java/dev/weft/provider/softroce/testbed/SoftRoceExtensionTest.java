package dev.weft.provider.softroce.testbed;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.weft.ErrorCode;
import dev.weft.FabricException;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** What {@link SoftRoceExtension} makes of a testbed run's outcome: skip or fail. No VM. */
class SoftRoceExtensionTest {
    @Test
    void aTestbedThatCannotStartSkipsUnlessRequired() {
        FabricException e = new FabricException(ErrorCode.PROVIDER_UNAVAILABLE, "the VM did not boot");
        assertThrows(TestAbortedException.class, () -> SoftRoceExtension.execFailed(e, "T.m", false));
        assertThrows(AssertionFailedError.class, () -> SoftRoceExtension.execFailed(e, "T.m", true));
    }

    @Test
    void aTimeoutOrAnInterruptFailsEvenWhenNotRequired() {
        for (ErrorCode code : new ErrorCode[] {ErrorCode.TIMEOUT, ErrorCode.IO_ERROR}) {
            FabricException e = new FabricException(code, "the testbed VM did not finish within 300 s");
            AssertionFailedError f = assertThrows(AssertionFailedError.class, () -> SoftRoceExtension.execFailed(e, "T.m", false));
            assertTrue(f.getMessage().contains("T.m") && f.getMessage().contains("300 s"), f.getMessage());
        }
    }

    @Test
    void aTestThatSkippedItselfInTheGuestFailsWhenRequired() {
        assertThrows(TestAbortedException.class, () -> SoftRoceExtension.aborted("assumption failed", "T.m", false));
        AssertionFailedError f = assertThrows(AssertionFailedError.class, () -> SoftRoceExtension.aborted("assumption failed", "T.m", true));
        assertTrue(f.getMessage().contains(SoftRoceExtension.REQUIRED) && f.getMessage().contains("assumption failed"), f.getMessage());
    }
}
