package dev.kiln.nvml.raw;

import com.sun.jna.Native;
import com.sun.jna.Structure;

/** {@code nvmlPciInfo_t} (68 bytes). Mutable JNA structure: never handed to callers. */
@Structure.FieldOrder({"busIdLegacy", "domain", "bus", "device", "pciDeviceId", "pciSubSystemId", "busId"})
public class NvmlPciInfo extends Structure {
    public byte[] busIdLegacy = new byte[NvmlConstants.PCI_BUS_ID_BUFFER_V2_SIZE];
    public int domain;
    public int bus;
    public int device;
    public int pciDeviceId;
    public int pciSubSystemId;
    public byte[] busId = new byte[NvmlConstants.PCI_BUS_ID_BUFFER_SIZE];

    public String busIdString() {
        return Native.toString(busId);
    }
}
