package dev.kiln.nvml;

import dev.kiln.nvml.raw.NvmlBinding;

/**
 * The one place a raw return code is judged: success, absent (NOT_SUPPORTED or a symbol this
 * driver lacks), GPU unavailable (its own exception type), or an error.
 */
final class NvmlCalls {
    private final NvmlBinding binding;

    NvmlCalls(NvmlBinding binding) {
        this.binding = binding;
    }

    NvmlBinding binding() {
        return binding;
    }

    boolean has(String symbol) {
        return binding.has(symbol);
    }

    /** True on success, false when NVML says this reading is not supported; throws otherwise. */
    boolean check(String function, int rc) {
        if (rc == NvmlReturn.SUCCESS.code()) {
            return true;
        }
        NvmlReturn r = NvmlReturn.of(rc);
        if (r == NvmlReturn.ERROR_NOT_SUPPORTED) {
            return false;
        }
        String detail = errorString(rc);
        if (r.gpuUnavailable()) {
            throw new GpuUnavailableException(function, rc, detail);
        }
        throw new NvmlException(function, rc, detail);
    }

    /** Like {@link #check} but NOT_SUPPORTED is an error too (for calls every GPU must answer). */
    void require(String function, int rc) {
        if (!check(function, rc)) {
            throw new NvmlException(function, rc, errorString(rc));
        }
    }

    private String errorString(int rc) {
        try {
            return binding.library().nvmlErrorString(rc);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return null;
        }
    }
}
