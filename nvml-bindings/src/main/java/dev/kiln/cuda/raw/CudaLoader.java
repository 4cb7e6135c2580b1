package dev.kiln.cuda.raw;

import com.sun.jna.Native;
import dev.kiln.nativelib.SymbolProbe;

/**
 * Loads {@code libcuda.so.1} on first use (never in a static initializer of an interface), probes its
 * symbols, and answers a binding or the reason there is none.
 */
public final class CudaLoader {
    /** System property naming the library file to load instead of the driver's (tests use a C fake). */
    public static final String LIBRARY_PROPERTY = "kiln.cuda.library";
    /** The soname the driver installs; the unversioned libcuda.so only exists with development packages. */
    public static final String DEFAULT_LIBRARY = "libcuda.so.1";

    private CudaLoader() {
    }

    /** Outcome of a load: a binding, or why there is none. */
    public sealed interface Result permits Loaded, Unavailable {
    }

    public record Loaded(CudaBinding binding) implements Result {
    }

    public record Unavailable(String reason) implements Result {
    }

    private static final class DefaultHolder {
        static final Result RESULT = load(System.getProperty(LIBRARY_PROPERTY, DEFAULT_LIBRARY));
    }

    /** The process-wide driver library, loaded once, lazily. */
    public static Result system() {
        return DefaultHolder.RESULT;
    }

    /** Loads the named library (a soname or a path) and probes its symbols. */
    public static Result load(String libraryName) {
        return switch (SymbolProbe.probe(libraryName, CudaSymbols.REQUIRED, CudaSymbols.OPTIONAL)) {
            case SymbolProbe.NotFound n -> new Unavailable("CUDA driver library not found: " + libraryName
                    + " could not be loaded (" + n.detail() + "); is the NVIDIA driver installed?");
            case SymbolProbe.TooOld t -> new Unavailable("CUDA driver library " + t.file() + " lacks required symbols "
                    + t.missing() + "; the driver is too old for Kiln's burn-in");
            case SymbolProbe.Opened o -> new Loaded(new CudaBinding(Native.load(libraryName, CudaLibrary.class),
                    o.present(), o.where()));
        };
    }
}
