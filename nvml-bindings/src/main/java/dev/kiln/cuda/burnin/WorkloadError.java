package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaException;

/**
 * Why a workload ended in {@link Outcome#ERROR}.
 *
 * @param function        the driver call that failed, or "kiln" for a failure of Kiln's own
 * @param code            the raw CUresult, 0 when not a driver error
 * @param name            the driver's name for it, e.g. CUDA_ERROR_LAUNCH_FAILED
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

    public static WorkloadError of(RuntimeException e) {
        if (e instanceof CudaException c) {
            return of(c);
        }
        return new WorkloadError("kiln", 0, e.getClass().getSimpleName(), false, false, String.valueOf(e.getMessage()));
    }
}
