package dev.kiln.nvml;

import java.util.Optional;

/** Current GPU temperature and the driver's thresholds, all in degrees Celsius. */
public record Temperatures(Optional<Integer> gpuCelsius, Optional<Integer> slowdownCelsius,
                           Optional<Integer> shutdownCelsius, Optional<Integer> memoryMaxCelsius,
                           Optional<Integer> gpuMaxCelsius) {
    public static final Temperatures NONE = new Temperatures(Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty(), Optional.empty());
}
