package dev.kiln.cuda;

/**
 * A driver call failed. Carries the function, the raw code, the driver's own name for it
 * ({@code cuGetErrorName}, e.g. {@code CUDA_ERROR_LAUNCH_FAILED}) and its description.
 */
public class CudaException extends RuntimeException {
    private final String function;
    private final int rawCode;
    private final String errorName;

    public CudaException(String function, int rawCode, String errorName, String detail) {
        super(function + " failed: " + (errorName != null ? errorName : CudaResult.of(rawCode).name())
                + " (" + rawCode + ")" + (detail == null || detail.isBlank() ? "" : ": " + detail)
                + (CudaResult.isSticky(rawCode) ? " [sticky: the CUDA context is unusable until the process exits]" : ""));
        this.function = function;
        this.rawCode = rawCode;
        this.errorName = errorName;
    }

    public CudaResult result() {
        return CudaResult.of(rawCode);
    }

    public int rawCode() {
        return rawCode;
    }

    public String function() {
        return function;
    }

    /** The driver's name for the code, or the enum's name when the driver has none. */
    public String errorName() {
        return errorName != null ? errorName : CudaResult.of(rawCode).name();
    }

    /** True when the context is corrupt (700 ILLEGAL_ADDRESS, 719 LAUNCH_FAILED, ...): the process must exit. */
    public boolean sticky() {
        return CudaResult.isSticky(rawCode);
    }

    /** True when the error is a finding about the GPU (uncorrectable ECC, illegal address, launch failure). */
    public boolean hardwareSuspect() {
        return CudaResult.isHardwareSuspect(rawCode);
    }
}
