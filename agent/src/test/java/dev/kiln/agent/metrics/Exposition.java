package dev.kiln.agent.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A strict reader of the Prometheus text format 0.0.4, for tests: it fails (with the line) on anything a
 * Prometheus server would reject or that our own rules forbid: a sample before its family's HELP and TYPE,
 * a family split in two, a bad name, a bad escape, a duplicate series, an unparseable value.
 */
final class Exposition {
    record Sample(String name, Map<String, String> labels, double value) {
        String label(String name) {
            return labels.get(name);
        }
    }

    final Map<String, String> help = new LinkedHashMap<>();
    final Map<String, String> type = new LinkedHashMap<>();
    final List<Sample> samples = new ArrayList<>();

    private Exposition() {
    }

    static Exposition parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new AssertionError("exposition does not end with a line feed");
        }
        Exposition e = new Exposition();
        Set<String> closed = new HashSet<>();
        Set<String> series = new HashSet<>();
        String current = null;
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                    String rest = line.substring(7);
                    int sp = rest.indexOf(' ');
                    String name = sp < 0 ? rest : rest.substring(0, sp);
                    String value = sp < 0 ? "" : rest.substring(sp + 1);
                    checkName(name);
                    if (closed.contains(name) || (!name.equals(current) && e.samples.stream().anyMatch(s -> s.name().equals(name)))) {
                        throw new AssertionError("family " + name + " declared after its samples or split in two");
                    }
                    Map<String, String> target = line.startsWith("# HELP ") ? e.help : e.type;
                    if (target.put(name, value) != null) {
                        throw new AssertionError("second " + line.substring(2, 6) + " for " + name);
                    }
                    if (target == e.type && !Set.of("counter", "gauge", "histogram", "summary", "untyped").contains(value)) {
                        throw new AssertionError("unknown type " + value);
                    }
                    if (current != null && !current.equals(name)) {
                        closed.add(current);
                    }
                    current = name;
                    continue;
                }
                if (line.startsWith("#")) {
                    continue;
                }
                Sample s = sample(line);
                if (closed.contains(s.name())) {
                    throw new AssertionError("family " + s.name() + " split in two");
                }
                if (current != null && !current.equals(s.name())) {
                    closed.add(current);
                }
                current = s.name();
                if (!e.help.containsKey(s.name()) || !e.type.containsKey(s.name())) {
                    throw new AssertionError("sample of " + s.name() + " without HELP and TYPE before it");
                }
                if (!series.add(s.name() + new TreeMap<>(s.labels()))) {
                    throw new AssertionError("duplicate series " + s.name() + s.labels());
                }
                e.samples.add(s);
            } catch (AssertionError | RuntimeException ex) {
                throw new AssertionError("line " + n + ": " + line + ": " + ex.getMessage(), ex);
            }
        }
        return e;
    }

    private static void checkName(String name) {
        if (!TextExposition.METRIC_NAME.matcher(name).matches()) {
            throw new AssertionError("bad metric name '" + name + "'");
        }
    }

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        checkName(name);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                String label = line.substring(i, eq);
                if (!TextExposition.LABEL_NAME.matcher(label).matches()) {
                    throw new AssertionError("bad label name '" + label + "'");
                }
                if (line.charAt(eq + 1) != '"') {
                    throw new AssertionError("label value of " + label + " not quoted");
                }
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char next = line.charAt(++j);
                        v.append(switch (next) {
                            case '\\' -> '\\';
                            case '"' -> '"';
                            case 'n' -> '\n';
                            default -> throw new AssertionError("bad escape \\" + next);
                        });
                    } else {
                        v.append(c);
                    }
                }
                if (labels.put(label, v.toString()) != null) {
                    throw new AssertionError("label " + label + " twice");
                }
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        if (line.charAt(i) != ' ') {
            throw new AssertionError("no space before the value");
        }
        String[] rest = line.substring(i + 1).split(" ");
        if (rest.length > 2) {
            throw new AssertionError("trailing text after value and timestamp");
        }
        double value = switch (rest[0]) {
            case "NaN" -> Double.NaN;
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            default -> Double.parseDouble(rest[0]);
        };
        return new Sample(name, labels, value);
    }

    List<Sample> of(String name) {
        return samples.stream().filter(s -> s.name().equals(name)).toList();
    }

    /** The one sample of {@code name} whose labels include all of {@code match} (name/value pairs). */
    Optional<Sample> find(String name, String... match) {
        Map<String, String> want = new HashMap<>();
        for (int i = 0; i < match.length; i += 2) {
            want.put(match[i], match[i + 1]);
        }
        List<Sample> found = of(name).stream()
                .filter(s -> want.entrySet().stream().allMatch(w -> w.getValue().equals(s.labels().get(w.getKey()))))
                .toList();
        if (found.size() > 1) {
            throw new AssertionError(found.size() + " samples of " + name + " match " + want);
        }
        return found.stream().findFirst();
    }

    double value(String name, String... match) {
        return find(name, match).orElseThrow(() -> new AssertionError("no sample " + name + " " + List.of(match)))
                .value();
    }
}
