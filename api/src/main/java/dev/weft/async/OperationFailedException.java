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
    private final Status status; // kept apart: it survives serialization, the completion does not

    /**
     * @param completion a private copy of the failed completion
     * @throws FabricException with {@link ErrorCode#INVALID_ARGUMENT} for a null completion
     */
    public OperationFailedException(Completion completion) {
        super(ErrorCode.OPERATION_FAILED, describe(completion));
        this.completion = completion;
        this.status = completion.status();
    }

    private static String describe(Completion completion) {
        if (completion == null) {
            throw FabricException.invalid("an OperationFailedException needs the failed completion, not null");
        }
        return completion.opcode() + " failed with " + completion.status() + " (work request " + completion.workRequestId() + ")";
    }

    /** @return the completion status */
    public Status status() {
        return status;
    }

    /** @return a copy of the failed completion, or {@code null} in a copy of this exception made by deserialization */
    public Completion completion() {
        return completion == null ? null : completion.copy();
    }
}
