package dev.kiln.agent.checks;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every built-in check, in report order. Adding a check means adding it here. */
public final class CheckRegistry {
    private final Map<String, Check> byId = new LinkedHashMap<>();

    public CheckRegistry(List<Check> checks) {
        for (Check c : checks) {
            if (byId.put(c.id(), c) != null) {
                throw new IllegalArgumentException("two checks share the id " + c.id());
            }
        }
    }

    public static CheckRegistry builtIn() {
        return new CheckRegistry(List.of(
                new GpuIdentityChecks.Count(),
                new GpuIdentityChecks.Lost(),
                new GpuIdentityChecks.Recovery(),
                new GpuIdentityChecks.Model(),
                new GpuIdentityChecks.Memory(),
                new NodeChecks.DriverVersion(),
                new GpuIdentityChecks.Vbios(),
                new GpuLinkChecks.Pcie(),
                new GpuLinkChecks.NvLinks(),
                new GpuMemoryHealthChecks.EccMode(),
                new GpuMemoryHealthChecks.EccUncorrectable(),
                new GpuMemoryHealthChecks.RemapPending(),
                new GpuMemoryHealthChecks.RemapFailure(),
                new NodeChecks.XidRecent(),
                new GpuOperatingChecks.Thermal(),
                new GpuOperatingChecks.ClockEvents(),
                new GpuOperatingChecks.PowerLimit(),
                new GpuOperatingChecks.Persistence(),
                new GpuOperatingChecks.Mig(),
                new GpuOperatingChecks.Processes(),
                new NodeChecks.IbPortState(),
                new NodeChecks.IbPortRate(),
                new NodeChecks.HostMemory(),
                new NodeChecks.HostCpu()));
    }

    public List<Check> all() {
        return List.copyOf(byId.values());
    }

    public List<String> ids() {
        return List.copyOf(byId.keySet());
    }

    public Optional<Check> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }
}
