package dev.kiln.protocol.spec;

import java.util.regex.Pattern;

/** NVIDIA driver versions as specs write them: dotted numbers such as {@code 550.54.15} or {@code 570.124.06}. */
public final class DriverVersions {
    private static final Pattern VERSION = Pattern.compile("\\d{1,6}(\\.\\d{1,6}){0,3}");

    private DriverVersions() {
    }

    /** One to four dot-separated numbers, each at most six digits. */
    public static boolean isValid(String version) {
        return version != null && VERSION.matcher(version).matches();
    }

    /**
     * Numeric, part by part, a missing part counting as 0: {@code 550.54.15 < 550.127.05 < 570.86 < 580}.
     * Both versions must be {@linkplain #isValid valid}.
     */
    public static int compare(String a, String b) {
        if (!isValid(a) || !isValid(b)) {
            throw new IllegalArgumentException("not a driver version: '" + (isValid(a) ? b : a) + "'");
        }
        String[] x = a.split("\\.");
        String[] y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? Long.parseLong(x[i]) : 0;
            long q = i < y.length ? Long.parseLong(y[i]) : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }
}
