package dev.kiln.cuda.raw;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
        NativeLibrary nativeLibrary;
        try {
            nativeLibrary = NativeLibrary.getInstance(libraryName);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Unavailable("CUDA driver library not found: " + libraryName + " could not be loaded ("
                    + firstLine(e.getMessage()) + "); is the NVIDIA driver installed?");
        }
        Set<String> present = new LinkedHashSet<>();
        List<String> missing = new ArrayList<>();
        for (String symbol : CudaSymbols.REQUIRED) {
            if (exports(nativeLibrary, symbol)) {
                present.add(symbol);
            } else {
                missing.add(symbol);
            }
        }
        if (!missing.isEmpty()) {
            return new Unavailable("CUDA driver library " + nativeLibrary.getFile() + " lacks required symbols "
                    + missing.stream().sorted().toList() + "; the driver is too old for Kiln's burn-in");
        }
        for (String symbol : CudaSymbols.OPTIONAL) {
            if (exports(nativeLibrary, symbol)) {
                present.add(symbol);
            }
        }
        CudaLibrary library = Native.load(libraryName, CudaLibrary.class);
        String where = nativeLibrary.getFile() != null ? nativeLibrary.getFile().getPath() : libraryName;
        return new Loaded(new CudaBinding(library, present, where));
    }

    private static boolean exports(NativeLibrary library, String symbol) {
        try {
            library.getFunction(symbol);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no reason given";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
