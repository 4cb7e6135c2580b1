package dev.kiln.protocol;

import java.time.Instant;

/**
 * {@code GET /v1/node}: who this agent is and whether it can see GPUs. Cheap to serve; the CLI's
 * {@code kiln status} reads only this.
 *
 * @param mode           {@code real} or {@code simulated}
 * @param simulatorPreset the preset when simulated, else null
 * @param gpuCount       GPUs NVML enumerates now (0 when NVML is unavailable)
 */
public record NodeInfo(
        int schemaVersion,
        String name,
        String hostname,
        String kilnVersion,
        Instant startedAt,
        long uptimeSeconds,
        String mode,
        String simulatorPreset,
        NvmlStatus nvml,
        int gpuCount) {

    public static final String MODE_REAL = "real";
    public static final String MODE_SIMULATED = "simulated";
}
