package dev.kiln.nvml.raw;

import com.sun.jna.Structure;

/** {@code nvmlUtilization_t} (8 bytes). */
@Structure.FieldOrder({"gpu", "memory"})
public class NvmlUtilization extends Structure {
    public int gpu;
    public int memory;
}
