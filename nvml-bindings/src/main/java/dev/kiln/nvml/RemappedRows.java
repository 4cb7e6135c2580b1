package dev.kiln.nvml;

/** HBM row remapping (Ampere and newer): counts of remapped rows and whether a remap waits for a reset. */
public record RemappedRows(int correctable, int uncorrectable, boolean pending, boolean failureOccurred) {
}
