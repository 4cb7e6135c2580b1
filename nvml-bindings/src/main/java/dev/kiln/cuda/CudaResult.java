package dev.kiln.cuda;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Every driver-API {@code CUresult} Kiln knows (cuda.h, CUDA 13). Codes this build does not know map to
 * {@link #UNRECOGNIZED}; {@link CudaException#rawCode()} keeps the number.
 */
public enum CudaResult {
    SUCCESS(0),
    ERROR_INVALID_VALUE(1),
    ERROR_OUT_OF_MEMORY(2),
    ERROR_NOT_INITIALIZED(3),
    ERROR_DEINITIALIZED(4),
    ERROR_PROFILER_DISABLED(5),
    ERROR_STUB_LIBRARY(34),
    ERROR_DEVICE_UNAVAILABLE(46),
    ERROR_NO_DEVICE(100),
    ERROR_INVALID_DEVICE(101),
    ERROR_DEVICE_NOT_LICENSED(102),
    ERROR_INVALID_IMAGE(200),
    ERROR_INVALID_CONTEXT(201),
    ERROR_CONTEXT_ALREADY_CURRENT(202),
    ERROR_MAP_FAILED(205),
    ERROR_UNMAP_FAILED(206),
    ERROR_ARRAY_IS_MAPPED(207),
    ERROR_ALREADY_MAPPED(208),
    ERROR_NO_BINARY_FOR_GPU(209),
    ERROR_ALREADY_ACQUIRED(210),
    ERROR_NOT_MAPPED(211),
    ERROR_NOT_MAPPED_AS_ARRAY(212),
    ERROR_NOT_MAPPED_AS_POINTER(213),
    ERROR_ECC_UNCORRECTABLE(214),
    ERROR_UNSUPPORTED_LIMIT(215),
    ERROR_CONTEXT_ALREADY_IN_USE(216),
    ERROR_PEER_ACCESS_UNSUPPORTED(217),
    ERROR_INVALID_PTX(218),
    ERROR_INVALID_GRAPHICS_CONTEXT(219),
    ERROR_NVLINK_UNCORRECTABLE(220),
    ERROR_JIT_COMPILER_NOT_FOUND(221),
    ERROR_UNSUPPORTED_PTX_VERSION(222),
    ERROR_JIT_COMPILATION_DISABLED(223),
    ERROR_UNSUPPORTED_EXEC_AFFINITY(224),
    ERROR_UNSUPPORTED_DEVSIDE_SYNC(225),
    ERROR_INVALID_SOURCE(300),
    ERROR_FILE_NOT_FOUND(301),
    ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND(302),
    ERROR_SHARED_OBJECT_INIT_FAILED(303),
    ERROR_OPERATING_SYSTEM(304),
    ERROR_INVALID_HANDLE(400),
    ERROR_ILLEGAL_STATE(401),
    ERROR_LOSSY_QUERY(402),
    ERROR_NOT_FOUND(500),
    ERROR_NOT_READY(600),
    ERROR_ILLEGAL_ADDRESS(700),
    ERROR_LAUNCH_OUT_OF_RESOURCES(701),
    ERROR_LAUNCH_TIMEOUT(702),
    ERROR_LAUNCH_INCOMPATIBLE_TEXTURING(703),
    ERROR_PEER_ACCESS_ALREADY_ENABLED(704),
    ERROR_PEER_ACCESS_NOT_ENABLED(705),
    ERROR_PRIMARY_CONTEXT_ACTIVE(708),
    ERROR_CONTEXT_IS_DESTROYED(709),
    ERROR_ASSERT(710),
    ERROR_TOO_MANY_PEERS(711),
    ERROR_HOST_MEMORY_ALREADY_REGISTERED(712),
    ERROR_HOST_MEMORY_NOT_REGISTERED(713),
    ERROR_HARDWARE_STACK_ERROR(714),
    ERROR_ILLEGAL_INSTRUCTION(715),
    ERROR_MISALIGNED_ADDRESS(716),
    ERROR_INVALID_ADDRESS_SPACE(717),
    ERROR_INVALID_PC(718),
    ERROR_LAUNCH_FAILED(719),
    ERROR_COOPERATIVE_LAUNCH_TOO_LARGE(720),
    ERROR_NOT_PERMITTED(800),
    ERROR_NOT_SUPPORTED(801),
    ERROR_SYSTEM_NOT_READY(802),
    ERROR_SYSTEM_DRIVER_MISMATCH(803),
    ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE(804),
    ERROR_UNKNOWN(999),
    /** A code this build of Kiln does not know (a newer driver). */
    UNRECOGNIZED(-1);

    private static final Map<Integer, CudaResult> BY_CODE = new HashMap<>();
    /**
     * Errors after which the context is corrupt: every later call in this process fails the same way, the
     * process must exit (cuda.h: "the context cannot be used ... must be destroyed").
     */
    private static final Set<Integer> STICKY = Set.of(700, 702, 710, 714, 715, 716, 717, 718, 719);
    /** Errors that are a hardware finding about this GPU (or its links), never a software problem. */
    private static final Set<Integer> HARDWARE = Set.of(214, 220, 700, 714, 715, 716, 717, 718, 719);

    static {
        for (CudaResult r : values()) {
            BY_CODE.put(r.code, r);
        }
    }

    private final int code;

    CudaResult(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static CudaResult of(int code) {
        CudaResult r = BY_CODE.get(code);
        return r == null || r == UNRECOGNIZED ? UNRECOGNIZED : r;
    }

    /** True when this error leaves the context unusable until the process exits (700, 719, ...). */
    public static boolean isSticky(int code) {
        return STICKY.contains(code);
    }

    /** True for errors that point at the GPU itself: uncorrectable ECC/NVLink, illegal address, launch failure. */
    public static boolean isHardwareSuspect(int code) {
        return HARDWARE.contains(code);
    }
}
