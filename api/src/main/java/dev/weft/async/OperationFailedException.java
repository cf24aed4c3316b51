package dev.weft.async;

import dev.weft.Completion;
import dev.weft.ErrorCode;
import dev.weft.FabricException;
import dev.weft.Status;

/**
 * Completes a future of {@link AsyncEndpoint} whose operation completed with an error status.
 * Immutable.
 */
public final class OperationFailedException extends FabricException {
    private static final long serialVersionUID = 1L;

    private final transient Completion completion;

    /**
     * @param completion a private copy of the failed completion
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a null completion
     */
    public OperationFailedException(Completion completion) {
        super(ErrorCode.OPERATION_FAILED, describe(completion));
        this.completion = completion;
    }

    private static String describe(Completion completion) {
        if (completion == null) {
            throw FabricException.invalid("an OperationFailedException needs the failed completion, not null");
        }
        return completion.opcode() + " failed with " + completion.status() + " (work request " + completion.workRequestId() + ")";
    }

    /** @return the completion status */
    public Status status() {
        return completion.status();
    }

    /** @return a copy of the failed completion */
    public Completion completion() {
        return completion.copy();
    }
}
