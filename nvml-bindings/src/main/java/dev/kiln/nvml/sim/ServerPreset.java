package dev.kiln.nvml.sim;

import java.util.List;

/**
 * A whole simulated server: its GPUs, their interconnect and the host around them.
 *
 * @param gpuBusIds      PCI bus ids of the GPU slots, in NVML index order
 * @param nvlinksPerGpu  0 for PCIe servers without NVLink
 * @param nvswitchBusIds far ends of the NVLinks (links are spread over these round-robin)
 */
public record ServerPreset(
        String id,
        String description,
        GpuModel gpu,
        List<String> gpuBusIds,
        int nvlinksPerGpu,
        List<String> nvswitchBusIds,
        String driverVersion,
        String nvmlVersion,
        int cudaDriverVersion,
        HostModel host) {

    public ServerPreset {
        gpuBusIds = List.copyOf(gpuBusIds);
        nvswitchBusIds = List.copyOf(nvswitchBusIds);
    }

    public int gpuCount() {
        return gpuBusIds.size();
    }

    /** The host side of the server, for simulated host and InfiniBand inventory. */
    public record HostModel(String vendor, String model, String cpuModel, int sockets, int coresPerSocket,
                            int threadsPerCore, long memoryBytes, int ibPorts, int ibRateGbps, String ibDevicePrefix,
                            String osName, String kernel) {
    }
}
