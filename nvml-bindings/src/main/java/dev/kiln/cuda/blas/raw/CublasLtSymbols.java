package dev.kiln.cuda.blas.raw;

import java.util.Set;

/**
 * Which exported cuBLASLt symbols Kiln needs ({@link #REQUIRED}) and which it uses when present ({@link #OPTIONAL},
 * probed once at load into the binding's capability set). Every required symbol exists since CUDA 10.1.
 */
public final class CublasLtSymbols {
    private CublasLtSymbols() {
    }

    public static final Set<String> REQUIRED = Set.of(
            "cublasLtCreate", "cublasLtDestroy", "cublasLtGetVersion",
            "cublasLtMatmulDescCreate", "cublasLtMatmulDescDestroy", "cublasLtMatmulDescSetAttribute",
            "cublasLtMatrixLayoutCreate", "cublasLtMatrixLayoutDestroy",
            "cublasLtMatmulPreferenceCreate", "cublasLtMatmulPreferenceDestroy", "cublasLtMatmulPreferenceSetAttribute",
            "cublasLtMatmulAlgoGetHeuristic", "cublasLtMatmul");

    /** Status names and strings (absent in old releases) and the CUDA runtime version it was built for. */
    public static final Set<String> OPTIONAL = Set.of(
            "cublasLtGetStatusName", "cublasLtGetStatusString", "cublasLtGetCudartVersion");
}
