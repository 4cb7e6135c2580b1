package dev.kiln.nvml;

import java.util.ArrayList;
import java.util.List;

/** Bits of {@code nvmlClocksEventReason*}; names are stable wire identifiers. */
public enum ClockEventReason {
    GPU_IDLE(0x1L, "gpu_idle"),
    APPLICATIONS_CLOCKS_SETTING(0x2L, "applications_clocks_setting"),
    SW_POWER_CAP(0x4L, "sw_power_cap"),
    HW_SLOWDOWN(0x8L, "hw_slowdown"),
    SYNC_BOOST(0x10L, "sync_boost"),
    SW_THERMAL_SLOWDOWN(0x20L, "sw_thermal_slowdown"),
    HW_THERMAL_SLOWDOWN(0x40L, "hw_thermal_slowdown"),
    HW_POWER_BRAKE_SLOWDOWN(0x80L, "hw_power_brake_slowdown"),
    DISPLAY_CLOCK_SETTING(0x100L, "display_clock_setting");

    private final long bit;
    private final String id;

    ClockEventReason(long bit, String id) {
        this.bit = bit;
        this.id = id;
    }

    public long bit() {
        return bit;
    }

    public String id() {
        return id;
    }

    public static List<ClockEventReason> decode(long mask) {
        List<ClockEventReason> out = new ArrayList<>();
        for (ClockEventReason r : values()) {
            if ((mask & r.bit) != 0) {
                out.add(r);
            }
        }
        return List.copyOf(out);
    }
}
