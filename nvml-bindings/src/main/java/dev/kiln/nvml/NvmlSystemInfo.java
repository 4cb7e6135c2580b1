package dev.kiln.nvml;

import java.util.Optional;

/**
 * Versions of the software stack.
 *
 * @param cudaDriverVersion as NVML encodes it (major*1000 + minor*10, e.g. 12040 for 12.4)
 */
public record NvmlSystemInfo(String driverVersion, String nvmlVersion, Optional<Integer> cudaDriverVersion) {
    /** "12.4" from 12040, as nvidia-smi prints it. */
    public Optional<String> cudaDriverVersionString() {
        return cudaDriverVersion.map(v -> (v / 1000) + "." + ((v % 1000) / 10));
    }
}
