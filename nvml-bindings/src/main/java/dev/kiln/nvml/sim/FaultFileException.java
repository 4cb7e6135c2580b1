package dev.kiln.nvml.sim;

/** A faults file that cannot be used; the message names the file, line and field. */
public final class FaultFileException extends RuntimeException {
    public FaultFileException(String message) {
        super(message);
    }
}
