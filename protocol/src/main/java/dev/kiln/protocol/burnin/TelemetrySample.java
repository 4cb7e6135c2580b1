package dev.kiln.protocol.burnin;

import java.time.Instant;
import java.util.List;

/**
 * One NVML sample of one GPU during a burn-in (every second). Deltas are since the job started.
 *
 * @param xids Xid codes the driver reported for this GPU since the previous sample (empty: none)
 */
public record TelemetrySample(Instant time, int gpuIndex, Integer temperatureCelsius, Integer memoryTemperatureCelsius,
                              Integer powerMilliwatts, Integer smClockMhz, List<String> clockEventReasons,
                              Long eccUncorrectableDelta, Long remappedRowsDelta, Long pcieReplayDelta,
                              List<Integer> xids) {
    public TelemetrySample {
        clockEventReasons = clockEventReasons == null ? List.of() : List.copyOf(clockEventReasons);
        xids = xids == null ? List.of() : List.copyOf(xids);
    }
}
