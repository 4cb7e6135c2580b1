package dev.kiln.nvml;

import java.util.List;
import java.util.Optional;

/** Current and maximum clocks in MHz, and why clocks are held down right now. */
public record ClockInfo(Optional<Integer> smMhz, Optional<Integer> memoryMhz,
                        Optional<Integer> smMaxMhz, Optional<Integer> memoryMaxMhz,
                        Optional<Long> eventReasonsMask) {
    public static final ClockInfo NONE = new ClockInfo(Optional.empty(), Optional.empty(), Optional.empty(),
            Optional.empty(), Optional.empty());

    public List<ClockEventReason> eventReasons() {
        return eventReasonsMask.map(ClockEventReason::decode).orElse(List.of());
    }
}
