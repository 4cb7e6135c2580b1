package dev.kiln.nvml;

/**
 * NVML said GPU_IS_LOST or RESET_REQUIRED. A distinct type so no caller can fold a lost GPU
 * into "no data": the snapshot turns it into {@link GpuState#LOST} / {@link GpuState#RESET_REQUIRED}.
 */
public final class GpuUnavailableException extends NvmlException {
    public GpuUnavailableException(String function, int rawCode, String detail) {
        super(function, rawCode, detail);
    }

    public GpuState state() {
        return result() == NvmlReturn.ERROR_RESET_REQUIRED ? GpuState.RESET_REQUIRED : GpuState.LOST;
    }
}
