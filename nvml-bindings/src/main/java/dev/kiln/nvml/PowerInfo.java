package dev.kiln.nvml;

import java.util.Optional;

/** Power draw and limits in milliwatts; energy in millijoules since the driver loaded. */
public record PowerInfo(Optional<Integer> usageMilliwatts, Optional<Integer> limitMilliwatts,
                        Optional<Integer> enforcedLimitMilliwatts, Optional<Integer> defaultLimitMilliwatts,
                        Optional<Long> totalEnergyMillijoules) {
    public static final PowerInfo NONE = new PowerInfo(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty());
}
