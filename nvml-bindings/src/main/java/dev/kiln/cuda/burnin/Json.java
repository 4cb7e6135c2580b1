package dev.kiln.cuda.burnin;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/** Minimal JSON writer for the smoke runner's result records (records, lists, maps, enums, numbers, strings). */
final class Json {
    private Json() {
    }

    static String write(Object o) {
        StringBuilder sb = new StringBuilder();
        append(sb, o);
        return sb.toString();
    }

    private static void append(StringBuilder sb, Object o) {
        switch (o) {
            case null -> sb.append("null");
            case String s -> string(sb, s);
            case Boolean bo -> sb.append(bo);
            case Double d -> sb.append(d.isNaN() || d.isInfinite() ? "null" : String.format("%.4f", d));
            case Float f -> append(sb, f.doubleValue());
            case Number n -> sb.append(n);
            case Enum<?> e -> string(sb, e.name());
            case Duration d -> sb.append(String.format("%.3f", d.toNanos() / 1e9));
            case Collection<?> c -> {
                sb.append('[');
                boolean first = true;
                for (Object x : c) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    append(sb, x);
                }
                sb.append(']');
            }
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    string(sb, String.valueOf(e.getKey()));
                    sb.append(':');
                    append(sb, e.getValue());
                }
                sb.append('}');
            }
            case Record r -> {
                sb.append('{');
                boolean first = true;
                for (RecordComponent rc : r.getClass().getRecordComponents()) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    string(sb, rc.getName());
                    sb.append(':');
                    try {
                        append(sb, rc.getAccessor().invoke(r));
                    } catch (ReflectiveOperationException e) {
                        sb.append("null");
                    }
                }
                sb.append('}');
            }
            default -> string(sb, o.toString());
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
