package dev.kiln.nvml;

import java.util.Optional;

/**
 * ECC mode and error counts. Volatile counts reset at driver load; aggregate counts are lifetime
 * (judge those as deltas over a test window, not as absolute values).
 */
public record EccInfo(boolean enabled, boolean pendingEnabled,
                      Optional<Long> volatileCorrected, Optional<Long> volatileUncorrected,
                      Optional<Long> aggregateCorrected, Optional<Long> aggregateUncorrected) {
}
