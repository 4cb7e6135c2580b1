package dev.kiln.cuda.raw;

import java.util.HashSet;
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

    /**
     * What copies between GPUs need (peer access and cross-device stream ordering). Every current driver exports them;
     * they are optional so that a driver without them still runs the single-GPU burn-in, and only the peer-copy
     * workload reports that it cannot run.
     */
    public static final Set<String> PEER = Set.of(
            "cuDeviceCanAccessPeer", "cuCtxEnablePeerAccess", "cuCtxDisablePeerAccess", "cuMemcpyPeerAsync",
            "cuStreamWaitEvent");

    /** {@code cuEventElapsedTime_v2} (CUDA 12.8+ drivers; preferred when present) and {@link #PEER}. */
    public static final Set<String> OPTIONAL = union(Set.of("cuEventElapsedTime_v2"), PEER);

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
