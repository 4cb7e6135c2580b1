package dev.kiln.nvml.raw;

import com.sun.jna.Structure;

/**
 * {@code nvmlFieldValue_t} (40 bytes): the caller sets {@code fieldId} (and {@code scopeId} for
 * per-link fields); {@code nvmlDeviceGetFieldValues} fills the rest. {@code nvmlReturn} is this
 * field's own result: the call as a whole can succeed while one field is unsupported.
 *
 * <p>The {@code nvmlValue_t} union is kept as its 8 raw bytes in {@link #value}; {@link #valueType}
 * ({@code nvmlValueType_t}) says which member is live and {@link #integerValue()} /
 * {@link #doubleValue()} decode it. Narrow members sit in the low bytes, as on every
 * little-endian target NVML ships for (x86_64, aarch64).
 */
@Structure.FieldOrder({"fieldId", "scopeId", "timestamp", "latencyUsec", "valueType", "nvmlReturn", "value"})
public class NvmlFieldValue extends Structure {
    public int fieldId;
    public int scopeId;
    public long timestamp;
    public long latencyUsec;
    public int valueType;
    public int nvmlReturn;
    public long value;

    /** True when {@link #valueType} is NVML_VALUE_TYPE_DOUBLE. */
    public boolean isDouble() {
        return valueType == NvmlConstants.VALUE_TYPE_DOUBLE;
    }

    /** The union's {@code dVal}. */
    public double doubleValue() {
        return Double.longBitsToDouble(value);
    }

    /**
     * The union as an integer per {@link #valueType}: unsigned members are zero-extended, signed
     * ones sign-extended, a double is truncated. Unsigned 64-bit values above {@code Long.MAX_VALUE}
     * come back negative (read them with {@link Long#toUnsignedString(long)}).
     */
    public long integerValue() {
        return switch (valueType) {
            case NvmlConstants.VALUE_TYPE_DOUBLE -> (long) doubleValue();
            case NvmlConstants.VALUE_TYPE_UNSIGNED_INT -> value & 0xFFFF_FFFFL;
            case NvmlConstants.VALUE_TYPE_SIGNED_INT -> (int) value;
            case NvmlConstants.VALUE_TYPE_UNSIGNED_SHORT -> value & 0xFFFFL;
            default -> value; // unsigned long (64-bit on LP64), unsigned/signed long long
        };
    }
}
