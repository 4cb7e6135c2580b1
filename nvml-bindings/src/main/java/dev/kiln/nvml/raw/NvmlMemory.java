package dev.kiln.nvml.raw;

import com.sun.jna.Structure;

/** {@code nvmlMemory_t} (24 bytes). */
@Structure.FieldOrder({"total", "free", "used"})
public class NvmlMemory extends Structure {
    public long total;
    public long free;
    public long used;
}
