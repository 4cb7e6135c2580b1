package dev.kiln.nvml.raw;

import com.sun.jna.Structure;

/** {@code nvmlProcessInfo_t} (24 bytes), as filled by the {@code _v3} process queries. */
@Structure.FieldOrder({"pid", "usedGpuMemory", "gpuInstanceId", "computeInstanceId"})
public class NvmlProcessInfo extends Structure {
    public int pid;
    public long usedGpuMemory;
    public int gpuInstanceId;
    public int computeInstanceId;
}
