package dev.kiln.nvml.raw;

import com.sun.jna.Pointer;
import com.sun.jna.PointerType;

/**
 * {@code nvmlEventSet_t}: an opaque pointer owned by NVML, from {@code nvmlEventSetCreate} until
 * {@code nvmlEventSetFree}; valid only inside one init/shutdown scope.
 */
public final class EventSetHandle extends PointerType {
    public EventSetHandle() {
    }

    public EventSetHandle(Pointer p) {
        super(p);
    }
}
