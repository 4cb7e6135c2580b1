package dev.kiln.cuda;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import dev.kiln.cuda.raw.CudaBinding;
import dev.kiln.cuda.raw.CudaLibrary;

/** The one place a raw {@code CUresult} is judged: success or a {@link CudaException} with the driver's name. */
final class CudaCalls {
    private final CudaBinding binding;

    CudaCalls(CudaBinding binding) {
        this.binding = binding;
    }

    CudaLibrary lib() {
        return binding.library();
    }

    CudaBinding binding() {
        return binding;
    }

    /** Throws when the driver lacks an optional symbol (see {@code CudaSymbols.OPTIONAL}) that a call needs. */
    void require(String symbol) {
        if (!binding.has(symbol)) {
            throw new UnsupportedOperationException("the CUDA driver library " + binding.description()
                    + " does not export " + symbol);
        }
    }

    void check(String function, int rc) {
        if (rc != 0) {
            throw new CudaException(function, rc, errorName(rc), errorString(rc));
        }
    }

    String errorName(int rc) {
        return describe(rc, true);
    }

    String errorString(int rc) {
        return describe(rc, false);
    }

    private String describe(int rc, boolean name) {
        try {
            PointerByReference p = new PointerByReference();
            int r = name ? lib().cuGetErrorName(rc, p) : lib().cuGetErrorString(rc, p);
            Pointer s = p.getValue();
            return r == 0 && s != null ? s.getString(0) : null;
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return null;
        }
    }
}
