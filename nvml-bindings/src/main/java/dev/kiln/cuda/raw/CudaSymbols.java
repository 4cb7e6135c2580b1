package dev.kiln.cuda.raw;

import java.util.Set;

/**
 * Which exported driver symbols Kiln needs ({@link #REQUIRED}) and which it uses when present
 * ({@link #OPTIONAL}, probed once at load into the binding's capability set).
 */
public final class CudaSymbols {
    private CudaSymbols() {
    }

    public static final Set<String> REQUIRED = Set.of(
            "cuInit", "cuDriverGetVersion", "cuGetErrorName", "cuGetErrorString",
            "cuDeviceGetCount", "cuDeviceGet", "cuDeviceGetName", "cuDeviceGetPCIBusId",
            "cuDeviceGetAttribute", "cuDeviceTotalMem_v2",
            "cuDevicePrimaryCtxRetain", "cuDevicePrimaryCtxRelease_v2", "cuCtxSetCurrent", "cuCtxSynchronize",
            "cuModuleLoadData", "cuModuleGetFunction", "cuModuleUnload", "cuLaunchKernel",
            "cuMemGetInfo_v2", "cuMemAlloc_v2", "cuMemFree_v2", "cuMemsetD32_v2",
            "cuMemcpyHtoD_v2", "cuMemcpyDtoH_v2", "cuMemcpyDtoD_v2",
            "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemHostAlloc", "cuMemFreeHost",
            "cuStreamCreate", "cuStreamSynchronize", "cuStreamDestroy_v2",
            "cuEventCreate", "cuEventRecord", "cuEventSynchronize", "cuEventElapsedTime", "cuEventDestroy_v2");

    /** {@code cuEventElapsedTime_v2}: CUDA 12.8+ drivers; preferred when present. */
    public static final Set<String> OPTIONAL = Set.of("cuEventElapsedTime_v2");
}
