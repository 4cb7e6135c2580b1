package dev.kiln.nvml.raw;

import java.util.Objects;
import java.util.Set;

/**
 * A loaded NVML: the raw library plus the set of optional symbols it exports.
 *
 * @param library     the raw calls (JNA proxy or simulator)
 * @param symbols     every symbol from {@link NvmlSymbols} that this library exports
 * @param description where it came from, e.g. the library path or "simulator hgx-h100"
 * @param simulated   true when no real GPU is behind it
 */
public record NvmlBinding(NvmlLibrary library, Set<String> symbols, String description, boolean simulated) {
    public NvmlBinding {
        Objects.requireNonNull(library, "library");
        symbols = Set.copyOf(symbols);
    }

    public boolean has(String symbol) {
        return symbols.contains(symbol);
    }
}
