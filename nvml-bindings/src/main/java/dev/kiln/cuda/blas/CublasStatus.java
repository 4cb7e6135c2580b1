package dev.kiln.cuda.blas;

import java.util.HashMap;
import java.util.Map;

/**
 * Every {@code cublasStatus_t} Kiln knows (cublas_api.h; the values have not changed since CUDA 10). Codes this build
 * does not know map to {@link #UNRECOGNIZED}; {@link CublasException#status()} keeps the number.
 */
public enum CublasStatus {
    SUCCESS(0),
    NOT_INITIALIZED(1),
    ALLOC_FAILED(3),
    INVALID_VALUE(7),
    ARCH_MISMATCH(8),
    MAPPING_ERROR(11),
    EXECUTION_FAILED(13),
    INTERNAL_ERROR(14),
    NOT_SUPPORTED(15),
    LICENSE_ERROR(16),
    /** A code this build of Kiln does not know (a newer cuBLAS). */
    UNRECOGNIZED(-1);

    private static final Map<Integer, CublasStatus> BY_CODE = new HashMap<>();

    static {
        for (CublasStatus s : values()) {
            BY_CODE.put(s.code, s);
        }
    }

    private final int code;

    CublasStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static CublasStatus of(int code) {
        return BY_CODE.getOrDefault(code, UNRECOGNIZED);
    }

    /** cuBLAS's own spelling, e.g. {@code CUBLAS_STATUS_EXECUTION_FAILED}; {@code CUBLAS_STATUS_<n>} for unknown codes. */
    public static String nameOf(int code) {
        CublasStatus s = of(code);
        return s == UNRECOGNIZED ? "CUBLAS_STATUS_" + code : "CUBLAS_STATUS_" + s.name();
    }
}
