package dev.kiln.cuda.raw;

import java.util.Objects;
import java.util.Set;

/**
 * A loaded CUDA driver library: the raw calls plus every symbol of {@link CudaSymbols} it exports.
 *
 * @param library     the raw calls (JNA proxy)
 * @param symbols     the exported symbols found by the probe
 * @param description where it came from (the library path)
 */
public record CudaBinding(CudaLibrary library, Set<String> symbols, String description) {
    public CudaBinding {
        Objects.requireNonNull(library, "library");
        symbols = Set.copyOf(symbols);
    }

    public boolean has(String symbol) {
        return symbols.contains(symbol);
    }
}
