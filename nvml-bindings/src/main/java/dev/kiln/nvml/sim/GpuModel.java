package dev.kiln.nvml.sim;

/**
 * Fixed facts of one GPU SKU as NVML reports them (values from public spec sheets and
 * nvidia-smi output of such servers; close enough for a simulator, not a datasheet).
 */
public record GpuModel(
        String name,
        int architecture,
        int ccMajor,
        int ccMinor,
        long memoryBytes,
        long reservedMemoryBytes,
        int powerLimitMilliwatts,
        int slowdownCelsius,
        int shutdownCelsius,
        int memoryMaxCelsius,
        int gpuMaxCelsius,
        int smMaxMhz,
        int memoryMaxMhz,
        int smIdleMhz,
        int pcieGeneration,
        int pcieWidth,
        String vbiosVersion,
        String inforomImageVersion,
        String boardPartNumber,
        int pciDeviceId,
        int pciSubsystemId,
        int idlePowerMilliwatts,
        int idleCelsius,
        boolean rowRemapping) {
}
