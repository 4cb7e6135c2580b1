package dev.kiln.nvml.raw;

import com.sun.jna.Structure;

/** {@code nvmlMemory_v2_t} (40 bytes); {@code version} must be {@link NvmlConstants#MEMORY_V2_VERSION}. */
@Structure.FieldOrder({"version", "total", "reserved", "free", "used"})
public class NvmlMemoryV2 extends Structure {
    public int version = NvmlConstants.MEMORY_V2_VERSION;
    public long total;
    public long reserved;
    public long free;
    public long used;
}
