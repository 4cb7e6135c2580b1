package dev.kiln.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

import static dev.kiln.cli.report.Markup.attr;
import static dev.kiln.cli.report.Markup.esc;

/**
 * The report as JUnit XML, so CI systems (Jenkins, GitLab, GitHub test reporters) show acceptance like test results:
 * {@code <testsuites>} for the fleet, a {@code <testsuite>} per rack, and per node a test case {@code acceptance}
 * plus one {@code stage <name>} test case per stage, all with {@code classname="<rack>.<node>"}.
 *
 * <ul>
 * <li>acceptance: ACCEPTED passes; QUARANTINED is a {@code <failure>} listing every finding and GPU to RMA;
 * IN_PROGRESS and NOT_STARTED are {@code <skipped>} with where the node is.</li>
 * <li>a stage: PASSED passes; FAILED is a {@code <failure>} and ERROR an {@code <error>} with that stage's
 * findings; PENDING, RUNNING and SKIPPED are {@code <skipped>}.</li>
 * <li>{@code time}: seconds; a node's from first contact to its outcome (or the report's time while open), a
 * stage's duration, a rack's from its first contact to its last outcome. {@code timestamp}: UTC, no zone
 * (the Ant schema's form).</li>
 * </ul>
 * The shape follows the common JUnit schema (Ant's {@code junit.xsd} as Jenkins and most CI tools read it).
 */
public final class JunitReport {
    private JunitReport() {
    }

    public static String render(ReportModel model) {
        Instant asOf = model.fleet().generatedAt();
        List<Suite> suites = new ArrayList<>();
        for (RackReport rack : model.racks()) {
            suites.add(suite(rack, asOf));
        }
        int tests = suites.stream().mapToInt(s -> s.tests).sum();
        int failures = suites.stream().mapToInt(s -> s.failures).sum();
        int errors = suites.stream().mapToInt(s -> s.errors).sum();
        int skipped = suites.stream().mapToInt(s -> s.skipped).sum();
        Rollout r = Rollout.of(model);
        Instant end = model.nodes().map(n -> n.endAsOf(asOf)).filter(Objects::nonNull)
                .max(Comparator.naturalOrder()).orElse(null);
        Duration span = r.start() == null || end == null ? Duration.ZERO : Duration.between(r.start(), end);
        StringBuilder b = new StringBuilder(1 << 14);
        b.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        b.append("<testsuites name=\"").append(attr("kiln acceptance: " + model.fleet().name())).append("\" tests=\"")
                .append(tests).append("\" failures=\"").append(failures).append("\" errors=\"").append(errors)
                .append("\" skipped=\"").append(skipped).append("\" time=\"").append(Fmt.seconds(span))
                .append("\" timestamp=\"").append(Fmt.isoLocal(r.start() == null ? asOf : r.start())).append("\">\n");
        int id = 0;
        for (Suite s : suites) {
            b.append("  <testsuite name=\"").append(attr(s.rack.name())).append("\" tests=\"").append(s.tests)
                    .append("\" failures=\"").append(s.failures).append("\" errors=\"").append(s.errors)
                    .append("\" skipped=\"").append(s.skipped).append("\" time=\"").append(Fmt.seconds(s.time))
                    .append("\" timestamp=\"").append(Fmt.isoLocal(s.timestamp)).append("\" id=\"").append(id++)
                    .append("\" package=\"").append(attr(model.fleet().name())).append("\">\n");
            b.append("    <properties>\n");
            property(b, "kiln.fleet", model.fleet().name());
            property(b, "kiln.generatedAt", Fmt.iso(model.fleet().generatedAt()));
            property(b, "kiln.runIds", String.join(",", model.fleet().runIds()));
            b.append("    </properties>\n");
            b.append(s.cases);
            b.append("  </testsuite>\n");
        }
        b.append("</testsuites>\n");
        return b.toString();
    }

    public static void write(ReportModel model, Path file) throws IOException {
        Files.writeString(file, render(model), StandardCharsets.UTF_8);
    }

    private static final class Suite {
        RackReport rack;
        int tests;
        int failures;
        int errors;
        int skipped;
        Duration time;
        Instant timestamp;
        final StringBuilder cases = new StringBuilder();
    }

    private static Suite suite(RackReport rack, Instant asOf) {
        Suite s = new Suite();
        s.rack = rack;
        Instant first = rack.nodes().stream().map(NodeReport::firstContact).filter(Objects::nonNull)
                .min(Comparator.naturalOrder()).orElse(null);
        Instant last = rack.nodes().stream().map(n -> n.endAsOf(asOf)).filter(Objects::nonNull)
                .max(Comparator.naturalOrder()).orElse(null);
        s.timestamp = first == null ? asOf : first;
        s.time = first == null || last == null || last.isBefore(first) ? Duration.ZERO : Duration.between(first, last);
        for (NodeReport n : rack.nodes()) {
            String cls = rack.name() + "." + n.name();
            // the node's acceptance
            s.tests++;
            open(s.cases, cls, "acceptance", n.elapsedAsOf(asOf));
            switch (n.verdict()) {
                case ACCEPTED -> {
                    List<Finding> notes = n.findings().stream().filter(f -> f.severity() != Severity.INFO).toList();
                    if (!notes.isEmpty()) {
                        s.cases.append("      <system-out>").append(esc(findings(notes))).append("</system-out>\n");
                    }
                }
                case QUARANTINED -> {
                    s.failures++;
                    String message = "quarantined" + (n.findings().isEmpty() ? ""
                            : ": " + n.findings().get(0).id() + ": " + n.findings().get(0).message())
                            + (n.rma().isEmpty() ? "" : "; " + n.rma().size() + " GPU" + (n.rma().size() == 1 ? "" : "s")
                            + " to RMA");
                    StringBuilder text = new StringBuilder(findings(n.findings()));
                    for (RmaGpu g : n.rma()) {
                        text.append("RMA GPU ").append(g.index()).append(" serial ").append(g.serial())
                                .append(" uuid ").append(g.uuid()).append(" bus ").append(g.pciBusId()).append(": ")
                                .append(String.join("; ", g.reasons())).append('\n');
                    }
                    s.cases.append("      <failure type=\"QUARANTINED\" message=\"").append(attr(message))
                            .append("\">").append(esc(text.toString())).append("</failure>\n");
                }
                case IN_PROGRESS -> {
                    s.skipped++;
                    Stage cur = n.currentStage();
                    s.cases.append("      <skipped message=\"").append(attr("in progress" + (cur == null ? ""
                            : ": stage " + cur.name() + " " + cur.state().name()))).append("\"/>\n");
                }
                case NOT_STARTED -> {
                    s.skipped++;
                    s.cases.append("      <skipped message=\"not started: never contacted\"/>\n");
                }
            }
            s.cases.append("    </testcase>\n");
            // its stages
            for (Stage st : n.stages()) {
                s.tests++;
                open(s.cases, cls, "stage " + st.name(), st.duration());
                List<Finding> mine = n.findings().stream().filter(f -> st.name().equals(f.stage())).toList();
                String message = st.summary() != null ? st.summary()
                        : mine.isEmpty() ? st.state().name() : mine.get(0).message();
                switch (st.state()) {
                    case PASSED -> {
                        if (st.summary() != null || !mine.isEmpty()) {
                            s.cases.append("      <system-out>").append(esc((st.summary() == null ? ""
                                    : st.summary() + "\n") + findings(mine))).append("</system-out>\n");
                        }
                    }
                    case FAILED -> {
                        s.failures++;
                        s.cases.append("      <failure type=\"FAILED\" message=\"").append(attr(message)).append("\">")
                                .append(esc(findings(mine))).append("</failure>\n");
                    }
                    case ERROR -> {
                        s.errors++;
                        s.cases.append("      <error type=\"ERROR\" message=\"").append(attr(message)).append("\">")
                                .append(esc(findings(mine))).append("</error>\n");
                    }
                    case PENDING, RUNNING, SKIPPED -> {
                        s.skipped++;
                        s.cases.append("      <skipped message=\"").append(attr(st.state().name().toLowerCase(
                                java.util.Locale.ROOT) + (st.summary() == null ? "" : ": " + st.summary())))
                                .append("\"/>\n");
                    }
                }
                s.cases.append("    </testcase>\n");
            }
        }
        return s;
    }

    private static void open(StringBuilder b, String cls, String name, Duration time) {
        b.append("    <testcase classname=\"").append(attr(cls)).append("\" name=\"").append(attr(name))
                .append("\" time=\"").append(Fmt.seconds(time)).append("\">\n");
    }

    private static void property(StringBuilder b, String name, String value) {
        b.append("      <property name=\"").append(attr(name)).append("\" value=\"").append(attr(value))
                .append("\"/>\n");
    }

    private static String findings(List<Finding> findings) {
        StringBuilder b = new StringBuilder();
        for (Finding f : findings) {
            b.append(f.severity()).append(' ').append(f.id());
            if (f.subject() != null) {
                b.append(" [").append(f.subject()).append(']');
            }
            b.append(": ").append(f.message());
            if (f.action() != null) {
                b.append(" -> ").append(f.action());
            }
            b.append('\n');
        }
        return b.toString();
    }
}
