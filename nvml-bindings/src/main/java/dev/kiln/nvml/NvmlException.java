package dev.kiln.nvml;

/** An NVML call failed with a code that is neither success nor "not supported". */
public class NvmlException extends RuntimeException {
    private final NvmlReturn result;
    private final int rawCode;
    private final String function;

    public NvmlException(String function, int rawCode, String detail) {
        super(function + " failed: " + NvmlReturn.of(rawCode) + " (" + rawCode + ")"
                + (detail == null || detail.isBlank() ? "" : ": " + detail));
        this.result = NvmlReturn.of(rawCode);
        this.rawCode = rawCode;
        this.function = function;
    }

    public NvmlReturn result() {
        return result;
    }

    public int rawCode() {
        return rawCode;
    }

    public String function() {
        return function;
    }
}
