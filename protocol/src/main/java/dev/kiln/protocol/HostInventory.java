package dev.kiln.protocol;

import java.util.List;

/** The server around the GPUs, read through OSHI (or from the simulator preset). */
public record HostInventory(
        String hostname,
        String manufacturer,
        String model,
        String serialNumber,
        String osName,
        String kernelVersion,
        Cpu cpu,
        Long memoryTotalBytes,
        List<Disk> disks,
        List<Nic> nics) {

    public record Cpu(String model, Integer sockets, Integer physicalCores, Integer logicalCores) {
    }

    public record Disk(String name, String model, String serialNumber, Long sizeBytes) {
    }

    /** {@code speedBitsPerSecond} is null when the kernel does not report a speed (link down, virtual NIC). */
    public record Nic(String name, String macAddress, Long speedBitsPerSecond, List<String> ipv4Addresses,
                      Integer mtu, Boolean up) {
    }
}
