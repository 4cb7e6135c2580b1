package dev.kiln.agent.core;

import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.IbPort;

import java.util.List;

/** Reads InfiniBand / RoCE ports. */
public interface InfinibandProbe {
    IbReading read();

    record IbReading(List<IbPort> ports, List<ErrorEntry> errors) {
    }
}
