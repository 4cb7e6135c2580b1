package dev.kiln.cli.report;

/**
 * Escaping for HTML and XML text and attribute values (always written in double quotes). Characters that XML 1.0
 * forbids (controls other than tab, newline and carriage return; lone surrogates; U+FFFE, U+FFFF) become U+FFFD, so
 * whatever a node name or a message holds, the HTML report still parses as XML and the JUnit file stays well-formed.
 */
final class Markup {
    private Markup() {
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String rep = switch (c) {
                case '&' -> "&amp;";
                case '<' -> "&lt;";
                case '>' -> "&gt;";
                case '"' -> "&quot;";
                case '\'' -> "&#39;";
                default -> null;
            };
            if (rep == null && !allowed(s, i)) {
                rep = "\uFFFD";
            }
            if (rep != null && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (rep != null) {
                    b.append(rep);
                } else {
                    b.append(c);
                }
            }
        }
        return b == null ? s : b.toString();
    }

    /** Attribute values: as {@link #esc}, and line breaks and tabs as character references so they survive. */
    static String attr(String s) {
        return esc(s).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;");
    }

    private static boolean allowed(String s, int i) {
        char c = s.charAt(i);
        if (c == '\t' || c == '\n' || c == '\r') {
            return true;
        }
        if (c < 0x20 || c == 0xFFFE || c == 0xFFFF || (c >= 0x7F && c <= 0x9F)) {
            return false;
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        if (Character.isLowSurrogate(c)) {
            return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
        }
        return true;
    }
}
