package dev.kiln.cli.report;

import dev.kiln.protocol.check.CheckStatus;

/** How bad a finding is, best to worst. ERROR: the check or test could not run (never a pass). */
public enum Severity {
    INFO, WARN, FAIL, ERROR;

    /** A check status as a severity: PASS and SKIP are INFO. */
    public static Severity of(CheckStatus status) {
        return switch (status) {
            case PASS, SKIP -> INFO;
            case WARN -> WARN;
            case FAIL -> FAIL;
            case ERROR -> ERROR;
        };
    }

    /** A verdict or severity word as the agents write it ({@code PASS}, {@code WARN}, {@code FAIL}, {@code ERROR}, ...). */
    public static Severity parse(String word) {
        if (word == null) {
            return INFO;
        }
        return switch (word.trim().toUpperCase(java.util.Locale.ROOT)) {
            case "WARN", "WARNING" -> WARN;
            case "FAIL", "FAILED" -> FAIL;
            case "ERROR" -> ERROR;
            default -> INFO;
        };
    }
}
