package dev.kiln.cli.report;

import java.time.Instant;
import java.util.Objects;

/** One reading of one GPU during burn-in; a null figure was not read (drawn as a gap). */
public record TelemetryPoint(Instant time, Double temperatureC, Double powerW, Integer smClockMHz) {
    public TelemetryPoint {
        Objects.requireNonNull(time, "time");
    }
}
