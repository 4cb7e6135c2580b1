package dev.kiln.cuda.blas.raw;

import com.sun.jna.Native;
import dev.kiln.nativelib.SymbolProbe;

import java.util.ArrayList;
import java.util.List;

/**
 * Loads cuBLASLt on first use (never in a static initializer of an interface) and answers a binding or the reason
 * there is none. cuBLASLt is not part of the driver: a node has it only with a CUDA toolkit, a container image or a
 * Python wheel (PyTorch's {@code nvidia/cublas/lib/libcublasLt.so.12}), so absence is normal and never throws.
 *
 * <p>Tried in order: the file named by the system property {@value #PATH_PROPERTY} or else the environment
 * variable {@value #PATH_ENV}; then {@code libcublasLt.so.13}, {@code .so.12}, {@code .so.11} and the unversioned
 * {@code libcublasLt.so} on the linker's path. The first that loads with every required symbol wins; the reason of
 * an {@link Unavailable} names every candidate and what the linker said about it.
 */
public final class CublasLtLoader {
    /** System property naming the library file to try first (tests point it at a C fake). */
    public static final String PATH_PROPERTY = "kiln.cublaslt.path";
    /** Environment variable naming the library file to try first when the property is not set. */
    public static final String PATH_ENV = "KILN_CUBLASLT_PATH";
    /** Sonames tried after the explicit path, newest CUDA first. */
    public static final List<String> SONAMES = List.of(
            "libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so.11", "libcublasLt.so");

    private CublasLtLoader() {
    }

    /** Outcome of a load: a binding, or why there is none. */
    public sealed interface Result permits Loaded, Unavailable {
    }

    public record Loaded(CublasLtBinding binding) implements Result {
    }

    public record Unavailable(String reason) implements Result {
    }

    private static final class DefaultHolder {
        static final Result RESULT = loadFirst(candidates(System.getProperty(PATH_PROPERTY), System.getenv(PATH_ENV)));
    }

    /** The process-wide cuBLASLt, looked for once, lazily. */
    public static Result system() {
        return DefaultHolder.RESULT;
    }

    /** The explicit path (the property, else the environment variable; blank counts as unset), then {@link #SONAMES}. */
    public static List<String> candidates(String property, String env) {
        List<String> out = new ArrayList<>();
        if (property != null && !property.isBlank()) {
            out.add(property.trim());
        } else if (env != null && !env.isBlank()) {
            out.add(env.trim());
        }
        out.addAll(SONAMES);
        return List.copyOf(out);
    }

    /** Tries each name (a soname or a path) in order; the first usable one wins. */
    public static Result loadFirst(List<String> names) {
        List<String> tried = new ArrayList<>();
        for (String name : names) {
            switch (load(name)) {
                case Loaded l -> {
                    return l;
                }
                case Unavailable u -> tried.add(u.reason());
            }
        }
        return new Unavailable("no usable cuBLASLt (tried " + String.join("; ", tried) + "); set " + PATH_ENV
                + " or -D" + PATH_PROPERTY + " to a libcublasLt.so.N, e.g. PyTorch's nvidia/cublas/lib/libcublasLt.so.12");
    }

    /** Loads one library (a soname or a path) and probes its symbols. */
    public static Result load(String libraryName) {
        return switch (SymbolProbe.probe(libraryName, CublasLtSymbols.REQUIRED, CublasLtSymbols.OPTIONAL)) {
            case SymbolProbe.NotFound n -> new Unavailable(libraryName + ": " + n.detail());
            case SymbolProbe.TooOld t -> new Unavailable(libraryName + ": " + t.file() + " lacks required symbols "
                    + t.missing());
            case SymbolProbe.Opened o -> bind(libraryName, o);
        };
    }

    private static Result bind(String libraryName, SymbolProbe.Opened o) {
        try {
            CublasLtLibrary lib = Native.load(libraryName, CublasLtLibrary.class);
            long cudart = o.present().contains("cublasLtGetCudartVersion") ? lib.cublasLtGetCudartVersion() : 0;
            return new Loaded(new CublasLtBinding(lib, o.present(), o.where(), lib.cublasLtGetVersion(), cudart));
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            return new Unavailable(libraryName + ": " + o.where() + " opened but could not be bound: " + e.getMessage());
        }
    }
}
