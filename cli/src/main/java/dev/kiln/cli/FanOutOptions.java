package dev.kiln.cli;

import dev.kiln.cli.fleet.Fleet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.time.Duration;
import java.util.Locale;

/** How the fan-out runs: {@code --timeout} and {@code --max-in-flight}. */
public final class FanOutOptions {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_IN_FLIGHT = 256;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Per-node request timeout, e.g. 5s, 800ms, 1m (default: the fleet file's "
                    + "defaults.timeoutMs, else 5s; 30s for 'kiln check', which reads the hardware and runs "
                    + "every check; 10s for each request of 'kiln burnin' and 'kiln fabric').")
    Duration timeout;

    private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;

    @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "256",
            description = "At most N requests at once across the fleet (default: ${DEFAULT-VALUE}).")
    void setMaxInFlight(int n) {
        if (n < 1 || n > 65_536) {
            throw new CommandLine.ParameterException(mixee.commandLine(),
                    "--max-in-flight must be between 1 and 65536, got " + n);
        }
        maxInFlight = n;
    }

    public int maxInFlight() {
        return maxInFlight;
    }

    /** {@code --timeout}, else the fleet file's default, else 5 s. */
    public Duration timeout(Fleet fleet) {
        return timeout(fleet, DEFAULT_TIMEOUT);
    }

    /** {@code --timeout}, else the fleet file's default, else {@code fallback}. */
    public Duration timeout(Fleet fleet, Duration fallback) {
        if (timeout != null) {
            return timeout;
        }
        return fleet.timeout().orElse(fallback);
    }

    /** {@code 5s}, {@code 800ms}, {@code 1m}, {@code 1.5s}, or a bare number of milliseconds. */
    public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            double n;
            long factor;
            try {
                if (v.endsWith("ms")) {
                    n = Double.parseDouble(v.substring(0, v.length() - 2));
                    factor = 1;
                } else if (v.endsWith("s")) {
                    n = Double.parseDouble(v.substring(0, v.length() - 1));
                    factor = 1000;
                } else if (v.endsWith("m")) {
                    n = Double.parseDouble(v.substring(0, v.length() - 1));
                    factor = 60_000;
                } else {
                    n = Double.parseDouble(v);
                    factor = 1;
                }
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration; write e.g. 5s, "
                        + "800ms or 1m");
            }
            long ms = Math.round(n * factor);
            if (!(n > 0) || ms < 1 || ms > 3_600_000) {
                throw new CommandLine.TypeConversionException("'" + value + "' is out of range; use 1ms to 60m");
            }
            return Duration.ofMillis(ms);
        }
    }
}
