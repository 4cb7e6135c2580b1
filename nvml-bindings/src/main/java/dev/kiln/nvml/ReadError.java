package dev.kiln.nvml;

/** One reading that could not be taken (not "not supported": a real error), kept so it is never shown as data. */
public record ReadError(String field, String function, NvmlReturn result, int rawCode, String message) {
    static ReadError of(String field, NvmlException e) {
        return new ReadError(field, e.function(), e.result(), e.rawCode(), e.getMessage());
    }
}
