package dev.kiln.nvml.raw;

import com.sun.jna.Structure;

/** {@code nvmlTemperature_t} (12 bytes); {@code version} must be {@link NvmlConstants#TEMPERATURE_V1_VERSION}. */
@Structure.FieldOrder({"version", "sensorType", "temperature"})
public class NvmlTemperature extends Structure {
    public int version = NvmlConstants.TEMPERATURE_V1_VERSION;
    public int sensorType;
    public int temperature;
}
