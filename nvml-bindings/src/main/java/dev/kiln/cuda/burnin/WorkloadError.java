package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaException;
import dev.kiln.cuda.blas.CublasException;

/**
 * Why a workload ended in {@link Outcome#ERROR}.
 *
 * @param function        the driver call that failed, or "kiln" for a failure of Kiln's own
 * @param code            the raw CUresult (or cublasStatus_t for a cuBLASLt call), 0 when not a library error
 * @param name            the driver's name for it, e.g. CUDA_ERROR_LAUNCH_FAILED (CUBLAS_STATUS_... for cuBLASLt)
 * @param sticky          the context is unusable: the worker process must exit before the GPU is used again
 * @param hardwareSuspect the code points at the GPU itself (uncorrectable ECC, illegal address, launch failure)
 * @param message         the full message
 */
public record WorkloadError(String function, int code, String name, boolean sticky, boolean hardwareSuspect,
                            String message) {
    public static WorkloadError of(CudaException e) {
        return new WorkloadError(e.function(), e.rawCode(), e.errorName(), e.sticky(), e.hardwareSuspect(),
                e.getMessage());
    }

    /** A failed cuBLASLt call: the function and the library's status (e.g. CUBLAS_STATUS_EXECUTION_FAILED). */
    public static WorkloadError of(CublasException e) {
        return new WorkloadError(e.function(), e.status(), e.statusName(), false, false, e.getMessage());
    }

    public static WorkloadError of(RuntimeException e) {
        if (e instanceof CudaException c) {
            return of(c);
        }
        if (e instanceof CublasException c) {
            return of(c);
        }
        return new WorkloadError("kiln", 0, e.getClass().getSimpleName(), false, false, String.valueOf(e.getMessage()));
    }
}
