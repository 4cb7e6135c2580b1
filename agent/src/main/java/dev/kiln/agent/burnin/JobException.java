package dev.kiln.agent.burnin;

/** A job request the node refuses: {@code status} and {@code code} become the HTTP {@code ApiError}. */
public final class JobException extends RuntimeException {
    private final int status;
    private final String code;

    public JobException(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
