package dev.kiln.protocol.check;

/**
 * Outcome of one check. ERROR means the check itself could not run and is never shown as PASS;
 * SKIP always carries its reason. Ordered from best to worst for a node's verdict (SKIP counts as PASS).
 */
public enum CheckStatus {
    PASS, SKIP, WARN, FAIL, ERROR;

    /** The worse of two statuses for a verdict (ERROR > FAIL > WARN > PASS/SKIP). */
    public static CheckStatus worse(CheckStatus a, CheckStatus b) {
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(CheckStatus s) {
        return switch (s) {
            case PASS, SKIP -> 0;
            case WARN -> 1;
            case FAIL -> 2;
            case ERROR -> 3;
        };
    }
}
