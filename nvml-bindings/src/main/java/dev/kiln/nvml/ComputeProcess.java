package dev.kiln.nvml;

import java.util.Optional;

/** A process holding a compute context on the GPU (someone's job, or a stale one). */
public record ComputeProcess(long pid, Optional<Long> usedMemoryBytes) {
}
