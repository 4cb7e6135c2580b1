package dev.kiln.nvml;

/** {@code nvmlDeviceArchitecture_t}. */
public enum Architecture {
    KEPLER(2), MAXWELL(3), PASCAL(4), VOLTA(5), TURING(6), AMPERE(7), ADA(8), HOPPER(9), BLACKWELL(10),
    RUBIN(13), UNKNOWN(-1);

    private final int code;

    Architecture(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Architecture of(int code) {
        for (Architecture a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        return UNKNOWN;
    }
}
