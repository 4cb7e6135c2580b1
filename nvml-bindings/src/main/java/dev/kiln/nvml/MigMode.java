package dev.kiln.nvml;

/** Multi-Instance GPU mode; {@code pending} differs from {@code current} until the next GPU reset. */
public record MigMode(boolean current, boolean pending) {
}
