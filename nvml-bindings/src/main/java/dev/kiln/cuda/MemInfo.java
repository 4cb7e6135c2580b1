package dev.kiln.cuda;

/** {@code cuMemGetInfo_v2}: free and total device memory in bytes, as seen from the current context. */
public record MemInfo(long free, long total) {
}
