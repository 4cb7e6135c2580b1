package dev.kiln.cli;

/**
 * A problem the user can fix by changing what they typed or the files they pointed at (a fleet file,
 * a token file). Mapped to {@link ExitCodes#USAGE}; the message is shown without a stack trace.
 */
public class UsageException extends RuntimeException {
    public UsageException(String message) {
        super(message);
    }
}
