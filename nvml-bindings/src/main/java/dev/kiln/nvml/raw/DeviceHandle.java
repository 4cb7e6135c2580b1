package dev.kiln.nvml.raw;

import com.sun.jna.Pointer;
import com.sun.jna.PointerType;

/** {@code nvmlDevice_t}: an opaque pointer owned by NVML; valid only inside one init/shutdown scope. */
public final class DeviceHandle extends PointerType {
    public DeviceHandle() {
    }

    public DeviceHandle(Pointer p) {
        super(p);
    }
}
