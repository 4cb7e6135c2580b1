package dev.kiln.nvml;

/** Percent of the last sample period the GPU (kernels) and memory controller were busy. */
public record Utilization(int gpuPercent, int memoryPercent) {
}
