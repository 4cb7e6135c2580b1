package dev.kiln.cuda.blas;

/**
 * A cuBLASLt call failed. Carries the function, the raw {@code cublasStatus_t} and the library's name for it
 * ({@code cublasLtGetStatusName}, else Kiln's spelling of the same name).
 */
public class CublasException extends RuntimeException {
    private final String function;
    private final int status;
    private final String statusName;

    public CublasException(String function, int status, String statusName, String detail) {
        super(function + " failed: " + (statusName != null ? statusName : CublasStatus.nameOf(status)) + " (" + status
                + ")" + (detail == null || detail.isBlank() ? "" : ": " + detail));
        this.function = function;
        this.status = status;
        this.statusName = statusName != null ? statusName : CublasStatus.nameOf(status);
    }

    public String function() {
        return function;
    }

    /** The raw {@code cublasStatus_t}. */
    public int status() {
        return status;
    }

    public CublasStatus result() {
        return CublasStatus.of(status);
    }

    /** E.g. {@code CUBLAS_STATUS_EXECUTION_FAILED}. */
    public String statusName() {
        return statusName;
    }
}
