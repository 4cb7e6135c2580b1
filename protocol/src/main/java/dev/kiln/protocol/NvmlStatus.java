package dev.kiln.protocol;

import java.util.List;

/**
 * Whether NVML could be used, and if not, why ("NVML library not found: ...").
 *
 * @param library        the library file or simulator that answered, null when unavailable
 * @param missingSymbols optional NVML symbols this driver does not export (older drivers)
 */
public record NvmlStatus(
        boolean available,
        String reason,
        String library,
        String driverVersion,
        String nvmlVersion,
        String cudaDriverVersion,
        List<String> missingSymbols) {
}
