package dev.kiln.cuda.blas.raw;

import java.util.Objects;
import java.util.Set;

/**
 * A loaded cuBLASLt: the raw calls plus every symbol of {@link CublasLtSymbols} it exports.
 *
 * @param library       the raw calls (JNA proxy)
 * @param symbols       the exported symbols found by the probe
 * @param description   where it came from (the library file)
 * @param version       {@code cublasLtGetVersion()}: major * 10000 + minor * 100 + patch
 * @param cudartVersion {@code cublasLtGetCudartVersion()} (e.g. 12080), 0 when the symbol is absent
 */
public record CublasLtBinding(CublasLtLibrary library, Set<String> symbols, String description, long version,
                              long cudartVersion) {
    public CublasLtBinding {
        Objects.requireNonNull(library, "library");
        symbols = Set.copyOf(symbols);
    }

    public boolean has(String symbol) {
        return symbols.contains(symbol);
    }

    /** "12.8.5" from 120805. */
    public String versionString() {
        return (version / 10000) + "." + (version / 100 % 100) + "." + (version % 100);
    }
}
