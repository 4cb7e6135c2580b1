package dev.kiln.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import static dev.kiln.cli.report.Markup.attr;
import static dev.kiln.cli.report.Markup.esc;

/**
 * The acceptance report as one self-contained HTML file: inline CSS, inline SVG charts, no JavaScript, no external
 * references of any kind (a Content-Security-Policy of {@code default-src 'none'} says so to the browser too).
 * Every string from the data is escaped. The markup is also well-formed XML (void elements closed, only XML's
 * character references), so tests and scripts can parse it with any XML parser.
 *
 * <p>Order: the fleet's acceptance (counts, time to production, throughput) and the chart of nodes accepted over
 * time; the critical path; the GPUs to RMA with serials; per-rack summary; the nodes that are not accepted; then
 * every rack and node: stages, findings, GPUs to RMA, burn-in temperature and power per GPU, fabric heatmap.
 */
public final class HtmlReport {
    /** Time slices per telemetry line; each keeps its lowest and highest reading (about 2x this many points). */
    static final int CHART_BUCKETS = 60;

    private final ReportModel model;
    private final Rollout rollout;
    private final Map<NodeReport, String> nodeIds = new IdentityHashMap<>();
    private final Map<RackReport, String> rackIds = new IdentityHashMap<>();
    private final StringBuilder out = new StringBuilder(1 << 16);

    private HtmlReport(ReportModel model) {
        this.model = model;
        this.rollout = Rollout.of(model);
        int r = 0;
        int n = 0;
        for (RackReport rack : model.racks()) {
            rackIds.put(rack, "rack-" + (++r));
            for (NodeReport node : rack.nodes()) {
                nodeIds.put(node, "node-" + (++n));
            }
        }
    }

    /** The report as a string. */
    public static String render(ReportModel model) {
        return new HtmlReport(model).document();
    }

    /** Writes the report to {@code file} in UTF-8, replacing it. */
    public static void write(ReportModel model, Path file) throws IOException {
        Files.writeString(file, render(model), StandardCharsets.UTF_8);
    }

    private String document() {
        FleetInfo f = model.fleet();
        out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("style-src 'unsafe-inline'; img-src data:\"/>")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>")
                .append("<meta name=\"generator\" content=\"kiln report\"/>")
                .append("<title>").append(esc("Kiln acceptance report: " + f.name())).append("</title>")
                .append("<style>").append(CSS).append("</style></head>\n<body>\n");
        out.append("<header><h1>Acceptance report: ").append(esc(f.name())).append("</h1><p class=\"meta\">Generated ")
                .append(esc(Fmt.time(f.generatedAt())));
        if (!f.runIds().isEmpty()) {
            out.append(" from run").append(f.runIds().size() == 1 ? " " : "s ")
                    .append(esc(String.join(", ", f.runIds())));
        }
        out.append(". ").append(model.racks().size()).append(model.racks().size() == 1 ? " rack, " : " racks, ")
                .append(rollout.fleet().total()).append(rollout.fleet().total() == 1 ? " node." : " nodes.")
                .append("</p></header>\n");
        summary();
        criticalPath();
        rma();
        racks();
        attention();
        nodes();
        out.append("<footer><p>Made by <code>kiln report</code>. Times are UTC. Definitions: see docs/reports.md.</p>")
                .append("</footer>\n</body></html>\n");
        return out.toString();
    }

    // ---- fleet acceptance --------------------------------------------------------------------------------------

    private void summary() {
        Rollout.Counts c = rollout.fleet();
        Rollout.TtpStats t = rollout.timeToProduction();
        out.append("<section id=\"summary\"><h2>Fleet acceptance</h2><div class=\"tiles\">");
        tile("Accepted", c.accepted() + " of " + c.total(), c.total() == 0 ? "" : percent(c.accepted(), c.total()),
                "ok");
        tile("Quarantined", Integer.toString(c.quarantined()), "", c.quarantined() > 0 ? "bad" : "");
        tile("In progress", Integer.toString(c.inProgress()), "", c.inProgress() > 0 ? "open" : "");
        tile("Not started", Integer.toString(c.notStarted()), "", c.notStarted() > 0 ? "open" : "");
        tile("GPUs to RMA", Integer.toString(rollout.rmaGpus()), "", rollout.rmaGpus() > 0 ? "bad" : "");
        tile("Throughput, nodes/h", rollout.throughputPerHour() == null ? "n/a"
                        : Fmt.num(rollout.throughputPerHour(), 2),
                rollout.lastAcceptance() == null ? "no node accepted yet"
                        : "over " + Fmt.duration(Duration.between(rollout.start(), rollout.lastAcceptance())), "");
        tile("Time to production", t.median() == null ? "n/a" : Fmt.duration(t.median()),
                t.p90() == null ? "" : "median; p90 " + Fmt.duration(t.p90()), "");
        tile("Slowest node", t.max() == null ? "n/a" : Fmt.duration(t.max()),
                t.slowest() == null ? "" : t.slowest(), "");
        out.append("</div>");
        out.append("<p class=\"span\">Rollout: first contact ").append(esc(orDash(Fmt.time(rollout.start()))))
                .append(", last acceptance ").append(esc(orDash(Fmt.time(rollout.lastAcceptance())))).append(". ")
                .append(c.complete() ? "Every node has an outcome."
                        : (c.inProgress() + c.notStarted()) + " node" + (c.inProgress() + c.notStarted() == 1 ? "" : "s")
                        + " still open, so the rollout has not finished.")
                .append("</p>");
        acceptedOverTime();
        out.append("</section>\n");
    }

    private void tile(String label, String value, String sub, String tone) {
        out.append("<div class=\"tile").append(tone.isEmpty() ? "" : " t-" + tone).append("\"><div class=\"tk\">")
                .append(esc(label)).append("</div><div class=\"tv\">").append(esc(value)).append("</div>");
        if (!sub.isEmpty()) {
            out.append("<div class=\"ts\">").append(esc(sub)).append("</div>");
        }
        out.append("</div>");
    }

    private void acceptedOverTime() {
        List<Instant> times = model.nodes().map(NodeReport::acceptedAt).filter(Objects::nonNull).sorted().toList();
        if (times.isEmpty() || rollout.start() == null) {
            return;
        }
        // to "now" while nodes are open (the flat end shows the wait); else to the last acceptance
        Instant last = times.get(times.size() - 1);
        Instant end = !rollout.fleet().complete() && rollout.asOf().isAfter(last) ? rollout.asOf() : last;
        double span = seconds(rollout.start(), end);
        List<double[]> pts = new ArrayList<>();
        pts.add(new double[]{0, 0});
        int count = 0;
        for (Instant t : times) {
            double x = seconds(rollout.start(), t);
            pts.add(new double[]{x, count});
            pts.add(new double[]{x, ++count});
        }
        pts.add(new double[]{span, count});
        out.append("<figure class=\"wide\">").append(Svg.lineChart("Nodes accepted over time", "nodes",
                "time since the rollout's first contact (h:mm); first contact " + Fmt.time(rollout.start()),
                List.of(new Svg.Line("accepted", pts)), span, true, true, "chart accepted")).append("</figure>");
    }

    // ---- critical path -----------------------------------------------------------------------------------------

    private void criticalPath() {
        Rollout.CriticalPath p = rollout.criticalPath();
        out.append("<section id=\"critical-path\"><h2>Critical path</h2>");
        if (p == null) {
            out.append("<p>No node has been accepted yet, so there is no finish to trace back from.</p>");
        } else {
            NodeReport node = model.nodes().filter(n -> n.name().equals(p.node())).findFirst().orElseThrow();
            out.append("<p>The rollout ").append(p.complete() ? "finished" : "has so far reached its last acceptance")
                    .append(" when ").append(nodeLink(node)).append(" (rack ").append(esc(p.rack()))
                    .append(") was accepted at ").append(esc(Fmt.time(p.end()))).append(", ")
                    .append(esc(Fmt.duration(p.duration()))).append(" after the first contact with any node. ")
                    .append("That node's chain of waits and stages, traced back from its acceptance, is the ")
                    .append("critical path: shortening anything on it moves the finish.</p>");
            List<Svg.Bar> bars = new ArrayList<>();
            for (Rollout.Segment s : p.segments()) {
                double from = seconds(p.start(), s.start());
                double to = seconds(p.start(), s.end());
                String cls = s.kind() == Rollout.SegmentKind.STAGE ? "st-" + s.state().name() : "wait";
                bars.add(new Svg.Bar(s.name(), cls, from, to, s.name() + ": " + Fmt.duration(s.duration()) + " ("
                        + Fmt.time(s.start()) + " \u2013 " + Fmt.time(s.end()) + ")"));
            }
            out.append("<figure class=\"wide\">").append(Svg.timeline("Critical path through " + p.node(), bars,
                    seconds(p.start(), p.end()))).append("</figure>");
            out.append("<table class=\"cp\"><thead><tr><th>#</th><th>What</th><th>Kind</th><th>From</th><th>To</th>")
                    .append("<th class=\"n\">Duration</th><th class=\"n\">Share</th></tr></thead><tbody>");
            long total = Math.max(1, p.duration().getSeconds());
            int i = 0;
            for (Rollout.Segment s : p.segments()) {
                out.append("<tr><td>").append(++i).append("</td><td>").append(esc(s.name())).append("</td><td>")
                        .append(kindText(s)).append("</td><td>").append(esc(Fmt.time(s.start())))
                        .append("</td><td>").append(esc(Fmt.time(s.end()))).append("</td><td class=\"n\">")
                        .append(esc(Fmt.duration(s.duration()))).append("</td><td class=\"n\">")
                        .append(percent(s.duration().getSeconds(), total)).append("</td></tr>");
            }
            out.append("</tbody></table>");
        }
        if (!rollout.open().isEmpty()) {
            NodeReport oldest = rollout.open().get(0);
            out.append("<p class=\"open-note\">").append(rollout.open().size())
                    .append(rollout.open().size() == 1 ? " node is" : " nodes are")
                    .append(" still open; the finish will move to the last of them. ");
            if (oldest.firstContact() == null) {
                out.append(nodeLink(oldest)).append(" has not been contacted yet.");
            } else {
                out.append("Open longest: ").append(nodeLink(oldest)).append(", first contact ")
                        .append(esc(Fmt.time(oldest.firstContact()))).append(", ")
                        .append(esc(Fmt.duration(oldest.elapsedAsOf(rollout.asOf())))).append(" ago");
                Stage cur = oldest.currentStage();
                if (cur != null) {
                    out.append(", at stage ").append(esc(cur.name())).append(" (").append(cur.state().name())
                            .append(')');
                }
                out.append('.');
            }
            out.append("</p>");
        }
        out.append("</section>\n");
    }

    private static String kindText(Rollout.Segment s) {
        return switch (s.kind()) {
            case BEFORE_CONTACT -> "not reached yet";
            case WAIT -> "wait";
            case SIGN_OFF -> "sign-off";
            case STAGE -> "stage, " + s.state().name();
        };
    }

    // ---- RMA -----------------------------------------------------------------------------------------------------

    private void rma() {
        out.append("<section id=\"rma\"><h2>GPUs to RMA (").append(rollout.rmaGpus()).append(")</h2>");
        if (rollout.rmaGpus() == 0) {
            out.append("<p>No GPU needs to go back.</p></section>\n");
            return;
        }
        out.append("<table><thead><tr><th>Rack</th><th>Node</th><th class=\"n\">GPU</th><th>Serial</th><th>UUID</th>")
                .append("<th>PCI bus id</th><th>Reasons</th></tr></thead><tbody>");
        model.nodes().forEach(n -> n.rma().forEach(g -> {
            out.append("<tr><td>").append(esc(n.rack())).append("</td><td>").append(nodeLink(n))
                    .append("</td><td class=\"n\">").append(g.index()).append("</td><td class=\"serial\">")
                    .append(esc(orDash(g.serial()))).append("</td><td class=\"mono\">").append(esc(orDash(g.uuid())))
                    .append("</td><td class=\"mono\">").append(esc(orDash(g.pciBusId()))).append("</td><td>");
            list(g.reasons());
            out.append("</td></tr>");
        }));
        out.append("</tbody></table></section>\n");
    }

    // ---- racks ---------------------------------------------------------------------------------------------------

    private void racks() {
        out.append("<section id=\"racks\"><h2>Racks</h2><table><thead><tr><th>Rack</th><th class=\"n\">Nodes</th>")
                .append("<th class=\"n\">Accepted</th><th class=\"n\">Quarantined</th><th class=\"n\">In progress</th>")
                .append("<th class=\"n\">Not started</th><th class=\"n\">GPUs to RMA</th>")
                .append("<th class=\"n\">Time to production, median</th><th class=\"n\">max</th>")
                .append("<th>Last acceptance</th></tr></thead><tbody>");
        for (int i = 0; i < model.racks().size(); i++) {
            RackReport rack = model.racks().get(i);
            Rollout.RackSummary s = rollout.racks().get(i);
            Rollout.Counts c = s.counts();
            out.append("<tr><td><a href=\"#").append(rackIds.get(rack)).append("\">").append(esc(rack.name()))
                    .append("</a></td><td class=\"n\">").append(c.total()).append("</td><td class=\"n\">")
                    .append(c.accepted()).append(" <span class=\"dim\">").append(percent(c.accepted(), c.total()))
                    .append("</span></td>");
            count(c.quarantined(), "bad");
            count(c.inProgress(), "open");
            count(c.notStarted(), "open");
            count(s.rmaGpus(), "bad");
            out.append("<td class=\"n\">").append(esc(orDash(Fmt.duration(s.timeToProduction().median()))))
                    .append("</td><td class=\"n\">").append(esc(orDash(Fmt.duration(s.timeToProduction().max()))))
                    .append("</td><td>").append(esc(orDash(Fmt.time(s.lastAcceptance())))).append("</td></tr>");
        }
        out.append("</tbody></table></section>\n");
    }

    private void count(int n, String tone) {
        out.append("<td class=\"n").append(n > 0 ? " c-" + tone : "").append("\">").append(n).append("</td>");
    }

    // ---- nodes needing attention ---------------------------------------------------------------------------------

    private void attention() {
        List<NodeReport> notAccepted = model.nodes().filter(n -> n.verdict() != Verdict.ACCEPTED)
                .sorted(Comparator.comparing(NodeReport::verdict)).toList();
        out.append("<section id=\"attention\"><h2>Not accepted (").append(notAccepted.size()).append(")</h2>");
        if (notAccepted.isEmpty()) {
            out.append("<p>Every node is accepted.</p></section>\n");
            return;
        }
        out.append("<table><thead><tr><th>Node</th><th>Rack</th><th>Verdict</th><th>Stage</th>")
                .append("<th class=\"n\">Time in rollout</th><th>Worst finding</th></tr></thead><tbody>");
        for (NodeReport n : notAccepted) {
            out.append("<tr><td>").append(nodeLink(n)).append("</td><td>").append(esc(n.rack())).append("</td><td>")
                    .append(badge(n.verdict())).append("</td><td>").append(where(n))
                    .append("</td><td class=\"n\">").append(esc(orDash(Fmt.duration(n.elapsedAsOf(rollout.asOf())))))
                    .append("</td><td>");
            if (!n.findings().isEmpty()) {
                Finding f = n.findings().get(0);
                out.append(sev(f.severity())).append(' ').append(esc(f.id())).append(": ").append(esc(f.message()));
                if (n.findings().size() > 1) {
                    out.append(" <span class=\"dim\">(+").append(n.findings().size() - 1).append(" more)</span>");
                }
            }
            out.append("</td></tr>");
        }
        out.append("</tbody></table></section>\n");
    }

    /** Where a node that is not accepted stands: its current stage, the stage that stopped it, or sign-off. */
    private static String where(NodeReport n) {
        Stage cur = n.currentStage();
        if (cur == null && n.verdict() == Verdict.QUARANTINED) {
            cur = n.stages().stream().filter(s -> s.state() == StageState.FAILED || s.state() == StageState.ERROR)
                    .reduce((a, b) -> b).orElse(null);
        }
        if (cur != null) {
            return esc(cur.name()) + " <span class=\"dim\">" + cur.state().name() + "</span>";
        }
        if (n.verdict() == Verdict.IN_PROGRESS && !n.stages().isEmpty()) {
            return "<span class=\"dim\">awaiting sign-off</span>";
        }
        return n.verdict() == Verdict.NOT_STARTED ? "<span class=\"dim\">not contacted</span>" : "";
    }

    // ---- racks and nodes -----------------------------------------------------------------------------------------

    private void nodes() {
        out.append("<section id=\"nodes\"><h2>Nodes</h2>");
        for (RackReport rack : model.racks()) {
            out.append("<section class=\"rack\" id=\"").append(rackIds.get(rack)).append("\"><h3>Rack ")
                    .append(esc(rack.name())).append("</h3>");
            out.append("<table class=\"nodes\"><thead><tr><th>Node</th><th>Verdict</th><th>First contact</th>")
                    .append("<th>Accepted</th><th class=\"n\">Time to production</th><th>Stages</th>")
                    .append("<th class=\"n\">Findings</th><th class=\"n\">GPUs to RMA</th></tr></thead><tbody>");
            for (NodeReport n : rack.nodes()) {
                out.append("<tr><td>").append(nodeLink(n)).append("</td><td>").append(badge(n.verdict()))
                        .append("</td><td>").append(esc(orDash(Fmt.time(n.firstContact())))).append("</td><td>")
                        .append(esc(orDash(Fmt.time(n.acceptedAt())))).append("</td><td class=\"n\">")
                        .append(esc(orDash(Fmt.duration(n.timeToProduction())))).append("</td><td>");
                for (Stage s : n.stages()) {
                    out.append("<span class=\"chip st-").append(s.state().name()).append("\" title=\"")
                            .append(attr(s.name() + ": " + s.state().name())).append("\">").append(esc(s.name()))
                            .append("</span> ");
                }
                out.append("</td>");
                count((int) n.findings().stream().filter(f -> f.severity() != Severity.INFO).count(),
                        n.worst() == Severity.WARN ? "warn" : "bad");
                count(n.rma().size(), "bad");
                out.append("</tr>");
            }
            out.append("</tbody></table>");
            for (NodeReport n : rack.nodes()) {
                node(n);
            }
            out.append("</section>\n");
        }
        out.append("</section>\n");
    }

    private void node(NodeReport n) {
        boolean open = n.verdict() != Verdict.ACCEPTED || n.worst().compareTo(Severity.WARN) >= 0;
        out.append("<details class=\"node\" id=\"").append(nodeIds.get(n)).append('"')
                .append(open ? " open=\"open\"" : "").append("><summary><span class=\"nn\">").append(esc(n.name()))
                .append("</span> ").append(badge(n.verdict()));
        if (n.timeToProduction() != null) {
            out.append(" <span class=\"dim\">time to production ").append(esc(Fmt.duration(n.timeToProduction())))
                    .append("</span>");
        } else if (n.verdict() == Verdict.QUARANTINED) {
            out.append(" <span class=\"dim\">quarantined ").append(esc(Fmt.duration(n.elapsedAsOf(rollout.asOf()))))
                    .append(" after first contact</span>");
        } else if (n.firstContact() != null) {
            out.append(" <span class=\"dim\">").append(esc(Fmt.duration(n.elapsedAsOf(rollout.asOf()))))
                    .append(" since first contact</span>");
        }
        out.append("</summary><div class=\"nb\">");
        // stages
        if (n.stages().isEmpty()) {
            out.append("<p class=\"dim\">No stage has run.</p>");
        } else {
            out.append("<table class=\"stages\"><thead><tr><th>Stage</th><th>State</th><th>Started</th>")
                    .append("<th>Finished</th><th class=\"n\">Duration</th><th>Summary</th></tr></thead><tbody>");
            for (Stage s : n.stages()) {
                out.append("<tr><td>").append(esc(s.name())).append("</td><td><span class=\"chip st-")
                        .append(s.state().name()).append("\">").append(s.state().name()).append("</span></td><td>")
                        .append(esc(Fmt.time(s.startedAt()))).append("</td><td>")
                        .append(esc(Fmt.time(s.finishedAt()))).append("</td><td class=\"n\">")
                        .append(esc(Fmt.duration(s.duration()))).append("</td><td>").append(esc(s.summary()))
                        .append("</td></tr>");
            }
            out.append("</tbody></table>");
        }
        // findings
        if (!n.findings().isEmpty()) {
            out.append("<h4>Findings</h4><table class=\"findings\"><thead><tr><th>Severity</th><th>Check / test</th>")
                    .append("<th>Stage</th><th>Subject</th><th>Message</th><th>Action</th></tr></thead><tbody>");
            for (Finding f : n.findings()) {
                out.append("<tr><td>").append(sev(f.severity())).append("</td><td class=\"mono\">")
                        .append(esc(f.id())).append("</td><td>").append(esc(f.stage())).append("</td><td>")
                        .append(esc(f.subject())).append("</td><td>").append(esc(f.message())).append("</td><td>")
                        .append(esc(f.action())).append("</td></tr>");
            }
            out.append("</tbody></table>");
        }
        // RMA
        if (!n.rma().isEmpty()) {
            out.append("<h4>GPUs to RMA</h4><table class=\"rma\"><thead><tr><th class=\"n\">GPU</th><th>Serial</th>")
                    .append("<th>UUID</th><th>PCI bus id</th><th>Reasons</th></tr></thead><tbody>");
            for (RmaGpu g : n.rma()) {
                out.append("<tr><td class=\"n\">").append(g.index()).append("</td><td class=\"serial\">")
                        .append(esc(orDash(g.serial()))).append("</td><td class=\"mono\">")
                        .append(esc(orDash(g.uuid()))).append("</td><td class=\"mono\">")
                        .append(esc(orDash(g.pciBusId()))).append("</td><td>");
                list(g.reasons());
                out.append("</td></tr>");
            }
            out.append("</tbody></table>");
        }
        // telemetry
        out.append("<h4>Burn-in telemetry</h4>");
        telemetry(n);
        // fabric
        if (!n.fabric().isEmpty()) {
            out.append("<h4>Fabric</h4><figure>").append(FabricSvg.render(n.name(), n.fabric())).append("</figure>");
        }
        out.append("</div></details>\n");
    }

    private void telemetry(NodeReport n) {
        List<GpuSeries> series = n.telemetry().stream().filter(s -> !s.points().isEmpty()).toList();
        if (series.isEmpty()) {
            out.append("<p class=\"no-telemetry dim\">No burn-in telemetry recorded for this node.</p>");
            return;
        }
        Instant t0 = series.stream().map(s -> s.points().get(0).time()).min(Comparator.naturalOrder()).orElseThrow();
        Instant t1 = series.stream().map(s -> s.points().get(s.points().size() - 1).time())
                .max(Comparator.naturalOrder()).orElseThrow();
        double span = seconds(t0, t1);
        String xTitle = "time since burn-in start (h:mm); start " + Fmt.time(t0);
        out.append("<div class=\"charts\">")
                .append(Svg.lineChart("GPU temperature", "\u00b0C", xTitle, lines(series, t0, span,
                        TelemetryPoint::temperatureC), span, false, false, "chart temperature"))
                .append(Svg.lineChart("GPU power", "W", xTitle, lines(series, t0, span, TelemetryPoint::powerW), span,
                        true, false, "chart power"))
                .append("</div>");
    }

    private static List<Svg.Line> lines(List<GpuSeries> series, Instant t0, double span,
                                        Function<TelemetryPoint, Double> value) {
        List<Svg.Line> lines = new ArrayList<>();
        for (GpuSeries s : series) {
            List<double[]> pts = new ArrayList<>(s.points().size());
            for (TelemetryPoint p : s.points()) {
                Double v = value.apply(p);
                pts.add(new double[]{seconds(t0, p.time()), v == null ? Double.NaN : v});
            }
            lines.add(new Svg.Line("GPU " + s.gpuIndex(), Svg.decimate(pts, span, CHART_BUCKETS)));
        }
        return lines;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private String nodeLink(NodeReport n) {
        return "<a href=\"#" + nodeIds.get(n) + "\">" + esc(n.name()) + "</a>";
    }

    private void list(List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        if (items.size() == 1) {
            out.append(esc(items.get(0)));
            return;
        }
        out.append("<ul>");
        items.forEach(i -> out.append("<li>").append(esc(i)).append("</li>"));
        out.append("</ul>");
    }

    private static String badge(Verdict v) {
        return "<span class=\"badge v-" + v.name() + "\">" + v.name().replace('_', ' ') + "</span>";
    }

    private static String sev(Severity s) {
        return "<span class=\"sev s-" + s.name() + "\">" + s.name() + "</span>";
    }

    private static String percent(long part, long whole) {
        return whole == 0 ? "" : Math.round(100.0 * part / whole) + " %";
    }

    private static String orDash(String s) {
        return s == null || s.isEmpty() ? "\u2013" : s;
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toMillis() / 1000.0;
    }

    private static final String CSS = """
            :root{--ok:#1b7f3b;--bad:#b3261e;--warn:#9a6700;--open:#0b5cad;--dim:#5f6368;--line:#d0d7de}
            *{box-sizing:border-box}
            body{font:14px/1.45 "DejaVu Sans",system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;\
            color:#1f2328;margin:0 auto;max-width:1240px;padding:16px 24px;background:#fff}
            h1{font-size:24px;margin:4px 0}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid var(--line);\
            padding-bottom:4px}h3{font-size:16px;margin:22px 0 6px}h4{font-size:14px;margin:14px 0 4px}
            .meta,.dim{color:var(--dim)}.span{margin:8px 0}
            a{color:var(--open);text-decoration:none}a:hover{text-decoration:underline}
            table{border-collapse:collapse;margin:6px 0 10px;width:100%}
            th,td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
            th{background:#f6f8fa;font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
            td ul{margin:0;padding-left:18px}td>a{white-space:nowrap}
            .mono,.serial,code{font-family:"DejaVu Sans Mono",ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}
            .serial{font-weight:700}
            .tiles{display:flex;flex-wrap:wrap;gap:10px}
            .tile{border:1px solid var(--line);border-radius:6px;padding:8px 10px;min-width:118px;flex:1 1 118px}
            .tk{font-size:12px;color:var(--dim)}.tv{font-size:21px;font-weight:700;white-space:nowrap}
            .ts{font-size:12px;color:var(--dim)}.tu{font-size:13px;font-weight:400}
            .t-ok .tv{color:var(--ok)}.t-bad .tv{color:var(--bad)}.t-open .tv{color:var(--open)}
            .c-bad{color:var(--bad);font-weight:700}.c-open{color:var(--open);font-weight:700}
            .c-warn{color:var(--warn);font-weight:700}
            .badge,.sev,.chip{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:700;\
            white-space:nowrap}
            .v-ACCEPTED{background:#dafbe1;color:var(--ok)}.v-QUARANTINED{background:#ffebe9;color:var(--bad)}
            .v-IN_PROGRESS{background:#ddf4ff;color:var(--open)}.v-NOT_STARTED{background:#eaeef2;color:var(--dim)}
            .s-ERROR,.s-FAIL{background:#ffebe9;color:var(--bad)}.s-WARN{background:#fff8c5;color:var(--warn)}
            .s-INFO{background:#eaeef2;color:var(--dim)}
            .chip{font-weight:400;margin:1px 0}
            .chip.st-PASSED{background:#dafbe1}.chip.st-FAILED,.chip.st-ERROR{background:#ffebe9}
            .chip.st-RUNNING{background:#ddf4ff}.chip.st-PENDING,.chip.st-SKIPPED{background:#eaeef2}
            details.node{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:4px 10px}
            details.node>summary{cursor:pointer;padding:4px 0}.nn{font-weight:700}
            figure{margin:8px 0}.charts{display:flex;flex-wrap:wrap;gap:12px}
            svg{max-width:100%;height:auto;font-family:"DejaVu Sans",system-ui,sans-serif}
            svg text{font-size:11px;fill:#1f2328}svg .ct{font-size:13px;font-weight:700}
            svg .yl{text-anchor:end}svg .xl,svg .xt,svg .yu,svg .hh,svg .hv,svg .bl{text-anchor:middle}
            svg .hr{text-anchor:end}svg .hv{pointer-events:none}svg .lg{font-size:11px}
            svg .grid{stroke:#e6e8eb;stroke-width:1}svg .axis,svg .tick{stroke:#57606a;stroke-width:1}
            svg .ln{fill:none;stroke-width:1.6;stroke-linejoin:round}
            .hm-ok{fill:#b7e4c0}.hm-below{fill:#fde68a}.hm-half{fill:#f4a6a6}.hm-low{fill:#fde68a}
            .hm-nop2p{fill:#d0d7de}.hm-self{fill:#f6f8fa}.hm-none{fill:#fff;stroke:#d0d7de}
            .timeline rect{stroke:#fff;stroke-width:1}.timeline .wait{fill:#d0d7de}
            .timeline .st-PASSED{fill:#8fd19e}.timeline .st-FAILED,.timeline .st-ERROR{fill:#f19a94}
            .timeline .st-RUNNING{fill:#9cc7f0}.timeline .st-SKIPPED,.timeline .st-PENDING{fill:#c9d1d9}
            .timeline .bl{font-weight:700}
            .open-note{background:#ddf4ff;border-radius:6px;padding:6px 10px}
            footer{margin-top:30px;color:var(--dim);font-size:12px}
            @media print{details.node{break-inside:avoid}a{color:inherit}}
            """;
}
