package dev.kiln.nvml.raw;

import com.sun.jna.Native;
import dev.kiln.nativelib.SymbolProbe;

/**
 * Loads {@code libnvidia-ml.so.1} on first use, never in a static initializer of an interface,
 * so classes load on machines without a GPU. A failed load is a value with a reason, not a crash.
 */
public final class NvmlLoader {
    /** System property naming the library file to load instead of the driver's (tests use a C fake). */
    public static final String LIBRARY_PROPERTY = "kiln.nvml.library";
    /** The soname the driver installs; the unversioned .so only exists with development packages. */
    public static final String DEFAULT_LIBRARY = "libnvidia-ml.so.1";

    private NvmlLoader() {
    }

    /** Outcome of a load: a binding, or why there is none. */
    public sealed interface Result permits Loaded, Unavailable {
    }

    public record Loaded(NvmlBinding binding) implements Result {
    }

    public record Unavailable(String reason) implements Result {
    }

    private static final class DefaultHolder {
        static final Result RESULT = load(System.getProperty(LIBRARY_PROPERTY, DEFAULT_LIBRARY));
    }

    /** The process-wide real NVML, loaded once, lazily. */
    public static Result system() {
        return DefaultHolder.RESULT;
    }

    /** Loads the named library (a soname or a path) and probes its symbols. */
    public static Result load(String libraryName) {
        return switch (SymbolProbe.probe(libraryName, NvmlSymbols.REQUIRED, NvmlSymbols.OPTIONAL)) {
            case SymbolProbe.NotFound n -> new Unavailable("NVML library not found: " + libraryName
                    + " could not be loaded (" + n.detail() + "); is the NVIDIA driver installed?");
            case SymbolProbe.TooOld t -> new Unavailable("NVML library " + t.file() + " lacks required symbols "
                    + t.missing() + "; the driver is too old for Kiln (R450 or newer needed)");
            case SymbolProbe.Opened o -> new Loaded(new NvmlBinding(Native.load(libraryName, NvmlLibrary.class),
                    o.present(), o.where(), false));
        };
    }
}
