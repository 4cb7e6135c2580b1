package dev.kiln.nvml.raw;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

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
        NativeLibrary nativeLibrary;
        try {
            nativeLibrary = NativeLibrary.getInstance(libraryName);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Unavailable("NVML library not found: " + libraryName
                    + " could not be loaded (" + firstLine(e.getMessage())
                    + "); is the NVIDIA driver installed?");
        }
        Set<String> present = new LinkedHashSet<>();
        List<String> missingRequired = new java.util.ArrayList<>();
        for (String symbol : NvmlSymbols.REQUIRED) {
            if (exports(nativeLibrary, symbol)) {
                present.add(symbol);
            } else {
                missingRequired.add(symbol);
            }
        }
        if (!missingRequired.isEmpty()) {
            return new Unavailable("NVML library " + nativeLibrary.getFile()
                    + " lacks required symbols " + missingRequired.stream().sorted().toList()
                    + "; the driver is too old for Kiln (R450 or newer needed)");
        }
        for (String symbol : NvmlSymbols.OPTIONAL) {
            if (exports(nativeLibrary, symbol)) {
                present.add(symbol);
            }
        }
        NvmlLibrary library = Native.load(libraryName, NvmlLibrary.class);
        String where = nativeLibrary.getFile() != null ? nativeLibrary.getFile().getPath() : libraryName;
        return new Loaded(new NvmlBinding(library, present, where, false));
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
