package dev.weft.tools;

/** Wrong command-line arguments: the command prints the message and its usage and exits with code 2. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
