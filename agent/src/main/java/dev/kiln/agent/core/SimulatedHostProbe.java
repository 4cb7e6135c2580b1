package dev.kiln.agent.core;

import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.protocol.HostInventory;

import java.util.ArrayList;
import java.util.List;

/** The host of a simulated server, from its preset; each node gets its own hostname, serial and MACs. */
public final class SimulatedHostProbe implements HostProbe {
    private final HostReading reading;

    public SimulatedHostProbe(String nodeName, ServerPreset preset) {
        ServerPreset.HostModel h = preset.host();
        int seed = Math.abs(nodeName.hashCode() % 0xFFFF);
        List<HostInventory.Nic> nics = new ArrayList<>();
        nics.add(new HostInventory.Nic("eno1", mac(0x10, seed, 0), 25_000_000_000L, List.of("10.0.0.1"), 1500, true));
        for (int i = 0; i < h.ibPorts(); i++) {
            nics.add(new HostInventory.Nic("ibp" + i, mac(0x20, seed, i), (long) h.ibRateGbps() * 1_000_000_000L,
                    List.of(), 4092, true));
        }
        HostInventory host = new HostInventory(nodeName, h.vendor(), h.model(), "S" + String.format("%09d", seed * 7919L),
                h.osName(), h.kernel(),
                new HostInventory.Cpu(h.cpuModel(), h.sockets(), h.sockets() * h.coresPerSocket(),
                        h.sockets() * h.coresPerSocket() * h.threadsPerCore()),
                h.memoryBytes(),
                List.of(new HostInventory.Disk("nvme0n1", "SAMSUNG MZQL23T8HCLS-00A07", "S64HNE0T" + seed, 3_840_755_982_336L),
                        new HostInventory.Disk("nvme1n1", "SAMSUNG MZQL23T8HCLS-00A07", "S64HNE1T" + seed, 3_840_755_982_336L)),
                nics);
        this.reading = new HostReading(host, List.of());
    }

    private static String mac(int kind, int seed, int i) {
        return String.format("b8:3f:d2:%02x:%02x:%02x", kind + i, (seed >> 8) & 0xFF, seed & 0xFF);
    }

    @Override
    public HostReading read() {
        return reading;
    }
}
