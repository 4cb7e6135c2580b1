package dev.kiln.cuda.blas.raw;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * The raw cuBLASLt boundary: exactly the exported symbols of {@code libcublasLt.so.N} that Kiln uses (see
 * shared/reference/cuda-driver-abi.md, "cuBLAS / cuBLASLt through JNA"). Every method but the version and name
 * queries returns the raw {@code cublasStatus_t}; {@code dev.kiln.cuda.blas.CublasLt} judges it.
 *
 * <p>Types: the opaque handles ({@code cublasLtHandle_t}, {@code cublasLtMatmulDesc_t},
 * {@code cublasLtMatrixLayout_t}, {@code cublasLtMatmulPreference_t}) and {@code cudaStream_t} are
 * {@link Pointer}s; enums ({@code cublasComputeType_t}, {@code cudaDataType_t}, attribute ids) are {@code int};
 * {@code size_t}, {@code uint64_t} and {@code int64_t} are {@code long} (LP64 only). Device pointers
 * ({@code const void *A}, {@code void *D}, the workspace) are passed as their 64-bit address ({@code long}),
 * as {@code CUdeviceptr} is in the driver binding; host pointers (alpha, beta, attribute values) are
 * {@link Pointer}s. Symbols in {@link CublasLtSymbols#OPTIONAL} may be missing: call them only when the
 * binding's capability set has them.
 */
public interface CublasLtLibrary extends Library {
    int cublasLtCreate(PointerByReference lightHandle);

    int cublasLtDestroy(Pointer lightHandle);

    /** {@code size_t cublasLtGetVersion(void)}: major * 10000 + minor * 100 + patch (e.g. 120805). */
    long cublasLtGetVersion();

    /** Optional: {@code size_t cublasLtGetCudartVersion(void)}, the CUDA runtime it was built against (12080). */
    long cublasLtGetCudartVersion();

    /** Optional: {@code const char *cublasLtGetStatusName(cublasStatus_t)}, e.g. "CUBLAS_STATUS_NOT_SUPPORTED". */
    String cublasLtGetStatusName(int status);

    /** Optional: {@code const char *cublasLtGetStatusString(cublasStatus_t)}, a description. */
    String cublasLtGetStatusString(int status);

    int cublasLtMatmulDescCreate(PointerByReference matmulDesc, int computeType, int scaleType);

    int cublasLtMatmulDescDestroy(Pointer matmulDesc);

    int cublasLtMatmulDescSetAttribute(Pointer matmulDesc, int attr, Pointer buf, long sizeInBytes);

    int cublasLtMatrixLayoutCreate(PointerByReference matLayout, int type, long rows, long cols, long ld);

    int cublasLtMatrixLayoutDestroy(Pointer matLayout);

    int cublasLtMatmulPreferenceCreate(PointerByReference pref);

    int cublasLtMatmulPreferenceDestroy(Pointer pref);

    int cublasLtMatmulPreferenceSetAttribute(Pointer pref, int attr, Pointer buf, long sizeInBytes);

    /**
     * {@code heuristicResultsArray}: {@code requestedAlgoCount} contiguous results (one {@link HeuristicResult},
     * or {@code Structure.toArray}); JNA writes them before and reads them back after the call.
     */
    int cublasLtMatmulAlgoGetHeuristic(Pointer lightHandle, Pointer operationDesc, Pointer aDesc, Pointer bDesc,
                                       Pointer cDesc, Pointer dDesc, Pointer preference, int requestedAlgoCount,
                                       HeuristicResult heuristicResultsArray, IntByReference returnAlgoCount);

    /**
     * {@code algo}: a {@code const cublasLtMatmulAlgo_t *}, i.e. the start of a {@link HeuristicResult}'s memory.
     * {@code stream}: null for the default (legacy null) stream.
     */
    int cublasLtMatmul(Pointer lightHandle, Pointer computeDesc, Pointer alpha, long a, Pointer aDesc, long b,
                       Pointer bDesc, Pointer beta, long c, Pointer cDesc, long d, Pointer dDesc, Pointer algo,
                       long workspace, long workspaceSizeInBytes, Pointer stream);
}
