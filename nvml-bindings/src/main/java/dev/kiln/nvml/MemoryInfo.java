package dev.kiln.nvml;

import java.util.Optional;

/** Frame-buffer memory in bytes; {@code reservedBytes} only where the _v2 query exists. */
public record MemoryInfo(long totalBytes, long usedBytes, long freeBytes, Optional<Long> reservedBytes) {
}
