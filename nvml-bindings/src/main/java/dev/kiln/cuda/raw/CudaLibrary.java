package dev.kiln.cuda.raw;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.FloatByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The raw CUDA driver API boundary: exactly the exported, versioned symbols of {@code libcuda.so.1}
 * that Kiln uses (see shared/reference/cuda-driver-abi.md; cuda.h maps the plain names to these with
 * macros, which a symbol binding does not see). Every method returns the raw {@code CUresult}.
 *
 * <p>Types: {@code CUdevice} is an {@code int}; {@code CUdeviceptr} and {@code size_t} are {@code long}
 * (LP64 only); {@code CUcontext}/{@code CUmodule}/{@code CUfunction}/{@code CUstream}/{@code CUevent}
 * are {@link Pointer}s; {@code char*} out-buffers are caller-owned {@code byte[]} plus length.
 * Callers use the typed API in {@code dev.kiln.cuda}; symbols in {@link CudaSymbols#OPTIONAL} may be
 * missing and must only be called when the binding's capability set has them.
 */
public interface CudaLibrary extends Library {
    int cuInit(int flags);

    int cuDriverGetVersion(IntByReference driverVersion);

    int cuGetErrorName(int error, PointerByReference pStr);

    int cuGetErrorString(int error, PointerByReference pStr);

    int cuDeviceGetCount(IntByReference count);

    int cuDeviceGet(IntByReference device, int ordinal);

    int cuDeviceGetName(byte[] name, int len, int dev);

    int cuDeviceGetPCIBusId(byte[] pciBusId, int len, int dev);

    int cuDeviceGetAttribute(IntByReference pi, int attrib, int dev);

    int cuDeviceTotalMem_v2(LongByReference bytes, int dev);

    int cuDevicePrimaryCtxRetain(PointerByReference pctx, int dev);

    int cuDevicePrimaryCtxRelease_v2(int dev);

    int cuCtxSetCurrent(Pointer ctx);

    int cuCtxSynchronize();

    /** Optional ({@link CudaSymbols#PEER}): {@code *canAccessPeer} = 1 when {@code dev} can map {@code peerDev}'s memory. */
    int cuDeviceCanAccessPeer(IntByReference canAccessPeer, int dev, int peerDev);

    /** Optional ({@link CudaSymbols#PEER}): the current context gains access to {@code peerContext}'s memory; flags 0. */
    int cuCtxEnablePeerAccess(Pointer peerContext, int flags);

    /** Optional ({@link CudaSymbols#PEER}). */
    int cuCtxDisablePeerAccess(Pointer peerContext);

    /** {@code image}: PTX text; JNA passes a NUL-terminated copy, which cuModuleLoadData requires. */
    int cuModuleLoadData(PointerByReference module, String image);

    int cuModuleGetFunction(PointerByReference hfunc, Pointer hmod, String name);

    int cuModuleUnload(Pointer hmod);

    /** {@code kernelParams}: a block of N pointers, each to the memory holding one argument's value. */
    int cuLaunchKernel(Pointer f, int gridDimX, int gridDimY, int gridDimZ,
                       int blockDimX, int blockDimY, int blockDimZ,
                       int sharedMemBytes, Pointer hStream, Pointer kernelParams, Pointer extra);

    int cuMemGetInfo_v2(LongByReference free, LongByReference total);

    int cuMemAlloc_v2(LongByReference dptr, long bytesize);

    int cuMemFree_v2(long dptr);

    int cuMemsetD32_v2(long dstDevice, int ui, long n);

    int cuMemcpyHtoD_v2(long dstDevice, Pointer srcHost, long byteCount);

    int cuMemcpyDtoH_v2(Pointer dstHost, long srcDevice, long byteCount);

    int cuMemcpyDtoD_v2(long dstDevice, long srcDevice, long byteCount);

    int cuMemcpyHtoDAsync_v2(long dstDevice, Pointer srcHost, long byteCount, Pointer hStream);

    int cuMemcpyDtoHAsync_v2(Pointer dstHost, long srcDevice, long byteCount, Pointer hStream);

    /** Optional ({@link CudaSymbols#PEER}): copies between the memories of two contexts, ordered on {@code hStream}. */
    int cuMemcpyPeerAsync(long dstDevice, Pointer dstContext, long srcDevice, Pointer srcContext, long byteCount,
                          Pointer hStream);

    int cuMemHostAlloc(PointerByReference pp, long bytesize, int flags);

    int cuMemFreeHost(Pointer p);

    int cuStreamCreate(PointerByReference phStream, int flags);

    int cuStreamSynchronize(Pointer hStream);

    int cuStreamDestroy_v2(Pointer hStream);

    /**
     * Optional ({@link CudaSymbols#PEER}): later work on {@code hStream} waits for {@code hEvent}, which may belong to
     * another context or device; flags 0.
     */
    int cuStreamWaitEvent(Pointer hStream, Pointer hEvent, int flags);

    int cuEventCreate(PointerByReference phEvent, int flags);

    int cuEventRecord(Pointer hEvent, Pointer hStream);

    int cuEventSynchronize(Pointer hEvent);

    /** Exported by every driver; the fallback when {@code cuEventElapsedTime_v2} (R570+) is absent. */
    int cuEventElapsedTime(FloatByReference ms, Pointer hStart, Pointer hEnd);

    int cuEventElapsedTime_v2(FloatByReference ms, Pointer hStart, Pointer hEnd);

    int cuEventDestroy_v2(Pointer hEvent);
}
