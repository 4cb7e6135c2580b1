package dev.kiln.protocol;

/**
 * Something that could not be read. {@code component} is {@code host}, {@code nvml}, {@code gpu},
 * {@code infiniband}; {@code gpuIndex} is set for GPU errors; {@code code} is a stable identifier
 * (for NVML errors, the nvmlReturn_t name such as {@code ERROR_NO_PERMISSION}).
 */
public record ErrorEntry(String component, Integer gpuIndex, String field, String code, String message) {
}
