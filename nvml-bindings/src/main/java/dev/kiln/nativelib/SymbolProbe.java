package dev.kiln.nativelib;

import com.sun.jna.NativeLibrary;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Opens a native library and probes which of the symbols a binding needs it exports, once, so a
 * missing optional symbol is a capability and a missing required one is a clear "driver too old"
 * instead of an UnsatisfiedLinkError at the first call. Shared by the NVML and CUDA loaders.
 */
public final class SymbolProbe {
    private SymbolProbe() {
    }

    public sealed interface Outcome permits Opened, NotFound, TooOld {
    }

    /** @param present every required and optional symbol the library exports; @param where its file */
    public record Opened(NativeLibrary library, Set<String> present, String where) implements Outcome {
    }

    /** The library could not be loaded; {@code detail} is the first line of the linker's message. */
    public record NotFound(String detail) implements Outcome {
    }

    /** Loaded, but required symbols are missing (sorted). */
    public record TooOld(String file, List<String> missing) implements Outcome {
    }

    public static Outcome probe(String libraryName, Set<String> required, Set<String> optional) {
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(libraryName);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new NotFound(firstLine(e.getMessage()));
        }
        Set<String> present = new LinkedHashSet<>();
        List<String> missing = new ArrayList<>();
        for (String symbol : required) {
            if (exports(lib, symbol)) {
                present.add(symbol);
            } else {
                missing.add(symbol);
            }
        }
        String where = lib.getFile() != null ? lib.getFile().getPath() : libraryName;
        if (!missing.isEmpty()) {
            return new TooOld(where, missing.stream().sorted().toList());
        }
        for (String symbol : optional) {
            if (exports(lib, symbol)) {
                present.add(symbol);
            }
        }
        return new Opened(lib, present, where);
    }

    private static boolean exports(NativeLibrary library, String symbol) {
        try {
            library.getFunction(symbol);
            return true;
        } catch (UnsatisfiedLinkError e) {
            return false;
        }
    }

    static String firstLine(String s) {
        if (s == null) {
            return "no reason given";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
