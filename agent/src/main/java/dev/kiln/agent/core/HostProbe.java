package dev.kiln.agent.core;

import dev.kiln.protocol.HostInventory;

/** Reads the host around the GPUs. Errors are reported in the result, never thrown for one bad field. */
public interface HostProbe {
    HostReading read();

    record HostReading(HostInventory host, java.util.List<dev.kiln.protocol.ErrorEntry> errors) {
    }
}
