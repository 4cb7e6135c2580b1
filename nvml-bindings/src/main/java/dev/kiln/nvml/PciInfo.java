package dev.kiln.nvml;

/** PCI identity of a GPU. IDs are the 32-bit values NVML returns (device id in the high half, vendor low). */
public record PciInfo(String busId, int domain, int bus, int device, int pciDeviceId, int pciSubsystemId) {
}
