package dev.kiln.agent.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Prometheus text exposition format 0.0.4, written by hand (no client library: the agent renders a
 * snapshot per scrape, it keeps no registry). Each family gets its {@code # HELP} and {@code # TYPE}
 * lines before its samples, all samples of a family stay together, label values are escaped, and a
 * series that repeats an earlier one (same name and labels) is dropped and counted, never written twice.
 * A family without samples is left out entirely.
 */
public final class TextExposition {
    /** Metric names: {@code [a-zA-Z_:][a-zA-Z0-9_:]*}. */
    public static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    /** Label names: {@code [a-zA-Z_][a-zA-Z0-9_]*}, and not starting with {@code __} (reserved). */
    public static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    public enum Type {
        GAUGE("gauge"), COUNTER("counter");

        final String text;

        Type(String text) {
            this.text = text;
        }
    }

    private final Map<String, Family> families = new LinkedHashMap<>();
    private int duplicatesDropped;

    /** The family {@code name}, created on first use; asking again with another type or help is a programming error. */
    public Family family(String name, Type type, String help) {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid metric name '" + name + "'");
        }
        Family f = families.computeIfAbsent(name, n -> new Family(n, type, help));
        if (f.type != type || !f.help.equals(help)) {
            throw new IllegalArgumentException("metric " + name + " declared twice with different type or help");
        }
        return f;
    }

    /** Series dropped because they repeated one already written (0 unless a caller has a bug). */
    public int duplicatesDropped() {
        return duplicatesDropped;
    }

    /** The exposition: every non-empty family in the order first declared, ending with a newline. */
    public String render() {
        StringBuilder out = new StringBuilder(8192);
        for (Family f : families.values()) {
            if (f.samples.isEmpty()) {
                continue;
            }
            out.append("# HELP ").append(f.name).append(' ').append(escapeHelp(f.help)).append('\n');
            out.append("# TYPE ").append(f.name).append(' ').append(f.type.text).append('\n');
            for (String s : f.samples) {
                out.append(s).append('\n');
            }
        }
        return out.toString();
    }

    /** One metric family: a name, a type, a help text and its samples. */
    public final class Family {
        private final String name;
        private final Type type;
        private final String help;
        private final List<String> samples = new ArrayList<>();
        private final Set<String> seen = new HashSet<>();

        private Family(String name, Type type, String help) {
            this.name = name;
            this.type = type;
            this.help = help;
        }

        /** Adds a sample; {@code labels} are name/value pairs. A null value adds nothing ("not supported here"). */
        public Family add(Number value, String... labels) {
            if (value == null) {
                return this;
            }
            if (labels.length % 2 != 0) {
                throw new IllegalArgumentException("labels must be name/value pairs: " + List.of(labels));
            }
            StringBuilder series = new StringBuilder(name);
            if (labels.length > 0) {
                series.append('{');
                for (int i = 0; i < labels.length; i += 2) {
                    String label = labels[i];
                    if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                        throw new IllegalArgumentException("invalid label name '" + label + "' on " + name);
                    }
                    if (i > 0) {
                        series.append(',');
                    }
                    series.append(label).append("=\"").append(escapeLabelValue(labels[i + 1])).append('"');
                }
                series.append('}');
            }
            String key = series.toString();
            if (!seen.add(key)) {
                duplicatesDropped++;
                return this;
            }
            samples.add(key + ' ' + formatValue(value));
            return this;
        }
    }

    /** Label values escape backslash, double quote and line feed; null becomes the empty string. */
    public static String escapeLabelValue(String v) {
        if (v == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(v.length() + 8);
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** HELP text escapes backslash and line feed. */
    public static String escapeHelp(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /** Integers as integers (a long keeps every digit of a large counter), others as Go's ParseFloat reads them. */
    public static String formatValue(Number value) {
        if (value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return Long.toString(value.longValue());
        }
        double d = value.doubleValue();
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "+Inf" : "-Inf";
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
