package dev.kiln.agent.core;

import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.protocol.IbPort;

import java.util.ArrayList;
import java.util.List;

/** The InfiniBand ports of a simulated server: all up at the preset's rate. */
public final class SimulatedInfinibandProbe implements InfinibandProbe {
    private final IbReading reading;

    public SimulatedInfinibandProbe(String nodeName, ServerPreset preset) {
        ServerPreset.HostModel h = preset.host();
        String rateName = h.ibRateGbps() >= 400 ? "4X NDR" : h.ibRateGbps() >= 200 ? "4X HDR" : "4X EDR";
        int seed = Math.abs(nodeName.hashCode() % 0xFFFF);
        List<IbPort> ports = new ArrayList<>();
        for (int i = 0; i < h.ibPorts(); i++) {
            ports.add(new IbPort(h.ibDevicePrefix() + i, 1, "ACTIVE", 4, "LinkUp", 5, (double) h.ibRateGbps(),
                    h.ibRateGbps() + " Gb/sec (" + rateName + ")", "InfiniBand", "28.39.1002",
                    String.format("a088:c203:00%02x:%04x", i, seed)));
        }
        this.reading = new IbReading(List.copyOf(ports), List.of());
    }

    @Override
    public IbReading read() {
        return reading;
    }
}
