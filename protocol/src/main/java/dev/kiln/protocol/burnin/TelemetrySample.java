package dev.kiln.protocol.burnin;

import java.time.Instant;
import java.util.List;

/** One NVML sample of one GPU during a burn-in (every second). Deltas are since the job started. */
public record TelemetrySample(Instant time, int gpuIndex, Integer temperatureCelsius, Integer memoryTemperatureCelsius,
                              Integer powerMilliwatts, Integer smClockMhz, List<String> clockEventReasons,
                              Long eccUncorrectableDelta, Long remappedRowsDelta, Long pcieReplayDelta) {
}
