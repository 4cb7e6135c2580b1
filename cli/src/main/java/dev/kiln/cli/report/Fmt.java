package dev.kiln.cli.report;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Formatting shared by the renderers: UTC, {@link Locale#ROOT}, no locale-dependent output anywhere. */
final class Fmt {
    private static final DateTimeFormatter HUMAN = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter ISO_LOCAL = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss",
            Locale.ROOT).withZone(ZoneOffset.UTC);

    private Fmt() {
    }

    /** {@code 2025-06-01 14:03 UTC}; empty for null. */
    static String time(Instant t) {
        return t == null ? "" : HUMAN.format(t);
    }

    /** ISO 8601 in UTC, {@code 2025-06-01T14:03:07Z} (a fraction only when there is one); empty for null. */
    static String iso(Instant t) {
        return t == null ? "" : DateTimeFormatter.ISO_INSTANT.format(t);
    }

    /** ISO 8601 without a zone (UTC implied), as the Ant JUnit schema wants; empty for null. */
    static String isoLocal(Instant t) {
        return t == null ? "" : ISO_LOCAL.format(t);
    }

    /** {@code 42 s}, {@code 17 min}, {@code 5 h 07 min}, {@code 3 d 4 h}; empty for null. */
    static String duration(Duration d) {
        if (d == null) {
            return "";
        }
        long s = Math.max(0, d.getSeconds());
        if (s < 60) {
            return s + " s";
        }
        long min = s / 60;
        if (min < 60) {
            return min + " min";
        }
        long h = min / 60;
        if (h < 48) {
            return String.format(Locale.ROOT, "%d h %02d min", h, min % 60);
        }
        return (h / 24) + " d " + (h % 24) + " h";
    }

    /** Elapsed seconds as {@code h:mm} for axis labels. */
    static String hmm(long seconds) {
        return String.format(Locale.ROOT, "%d:%02d", seconds / 3600, (seconds % 3600) / 60);
    }

    /** Seconds with millisecond precision for JUnit's {@code time}. */
    static String seconds(Duration d) {
        return d == null ? "0" : String.format(Locale.ROOT, "%.3f", d.toMillis() / 1000.0);
    }

    /** A figure with {@code decimals} places, trailing zeros kept for alignment. */
    static String num(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A coordinate: one decimal, no {@code -0.0}. */
    static String coord(double v) {
        double r = Math.round(v * 10) / 10.0;
        if (r == 0) {
            r = 0;
        }
        return r == Math.rint(r) ? Long.toString((long) r) : Double.toString(r);
    }
}
