package dev.kiln.cli.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.DoubleSummaryStatistics;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The report as JSON, shape {@code docs/schema/report.schema.json} (kind {@code kiln.report}, schema version 1):
 * the fleet, the computed rollout figures, a flat RMA list, then racks -> nodes with stages, findings, GPUs to RMA,
 * a per-GPU telemetry summary and the fabric pairs. Times are ISO 8601 UTC, durations whole seconds; every field is
 * always present (null when unknown) and keys come in a fixed order, so the same model gives the same bytes.
 * Telemetry series are summarised (count, span, min/mean/max); {@link #render(ReportModel, boolean)} with
 * {@code true} adds every point.
 */
public final class JsonReport {
    public static final String KIND = "kiln.report";
    public static final int SCHEMA_VERSION = 1;
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectWriter WRITER = KilnJson.mapper().writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private JsonReport() {
    }

    /** The report with telemetry summarised per GPU. */
    public static String render(ReportModel model) {
        return render(model, false);
    }

    /** The report; with {@code series}, each GPU's telemetry also carries all its points. */
    public static String render(ReportModel model, boolean series) {
        try {
            return WRITER.writeValueAsString(tree(model, series)) + "\n";
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void write(ReportModel model, boolean series, Path file) throws IOException {
        Files.writeString(file, render(model, series), StandardCharsets.UTF_8);
    }

    /** The report as a Jackson tree. */
    public static ObjectNode tree(ReportModel model, boolean series) {
        Rollout r = Rollout.of(model);
        ObjectNode root = F.objectNode();
        root.put("schemaVersion", SCHEMA_VERSION);
        root.put("kind", KIND);
        ObjectNode fleet = root.putObject("fleet");
        fleet.put("name", model.fleet().name());
        fleet.put("generatedAt", Fmt.iso(model.fleet().generatedAt()));
        ArrayNode runs = fleet.putArray("runIds");
        model.fleet().runIds().forEach(runs::add);

        ObjectNode summary = root.putObject("summary");
        summary.set("nodes", counts(r.fleet()));
        summary.put("complete", r.fleet().complete());
        time(summary, "rolloutStart", r.start());
        time(summary, "lastAcceptance", r.lastAcceptance());
        seconds(summary, "spanSeconds", r.start() == null || r.lastAcceptance() == null ? null
                : Duration.between(r.start(), r.lastAcceptance()));
        if (r.throughputPerHour() == null) {
            summary.putNull("throughputNodesPerHour");
        } else {
            summary.put("throughputNodesPerHour", Math.round(r.throughputPerHour() * 1000) / 1000.0);
        }
        summary.set("timeToProduction", ttp(r.timeToProduction()));
        summary.put("rmaGpus", r.rmaGpus());
        ArrayNode open = summary.putArray("openNodes");
        r.open().forEach(n -> open.add(n.name()));

        Rollout.CriticalPath p = r.criticalPath();
        if (p == null) {
            root.putNull("criticalPath");
        } else {
            ObjectNode cp = root.putObject("criticalPath");
            cp.put("node", p.node());
            cp.put("rack", p.rack());
            time(cp, "start", p.start());
            time(cp, "end", p.end());
            seconds(cp, "durationSeconds", p.duration());
            cp.put("complete", p.complete());
            ArrayNode segs = cp.putArray("segments");
            for (Rollout.Segment s : p.segments()) {
                ObjectNode o = segs.addObject();
                o.put("kind", s.kind().name());
                o.put("name", s.name());
                o.put("state", s.state() == null ? null : s.state().name());
                time(o, "start", s.start());
                time(o, "end", s.end());
                seconds(o, "durationSeconds", s.duration());
            }
        }

        ArrayNode rma = root.putArray("rma");
        model.nodes().forEach(n -> n.rma().forEach(g -> {
            ObjectNode o = rma.addObject();
            o.put("rack", n.rack());
            o.put("node", n.name());
            gpu(o, g);
        }));

        ArrayNode racks = root.putArray("racks");
        for (int i = 0; i < model.racks().size(); i++) {
            RackReport rack = model.racks().get(i);
            Rollout.RackSummary s = r.racks().get(i);
            ObjectNode ro = racks.addObject();
            ro.put("name", rack.name());
            ObjectNode rs = ro.putObject("summary");
            rs.set("nodes", counts(s.counts()));
            rs.set("timeToProduction", ttp(s.timeToProduction()));
            time(rs, "firstContact", s.firstContact());
            time(rs, "lastAcceptance", s.lastAcceptance());
            rs.put("rmaGpus", s.rmaGpus());
            ArrayNode nodes = ro.putArray("nodes");
            for (NodeReport n : rack.nodes()) {
                nodes.add(node(n, r.asOf(), series));
            }
        }
        return root;
    }

    private static ObjectNode node(NodeReport n, Instant asOf, boolean series) {
        ObjectNode o = F.objectNode();
        o.put("name", n.name());
        o.put("rack", n.rack());
        o.put("verdict", n.verdict().name());
        time(o, "firstContact", n.firstContact());
        time(o, "acceptedAt", n.acceptedAt());
        seconds(o, "timeToProductionSeconds", n.timeToProduction());
        seconds(o, "elapsedSeconds", n.elapsedAsOf(asOf));
        ArrayNode stages = o.putArray("stages");
        for (Stage s : n.stages()) {
            ObjectNode so = stages.addObject();
            so.put("name", s.name());
            so.put("state", s.state().name());
            time(so, "startedAt", s.startedAt());
            time(so, "finishedAt", s.finishedAt());
            seconds(so, "durationSeconds", s.duration());
            so.put("summary", s.summary());
        }
        ArrayNode findings = o.putArray("findings");
        for (Finding f : n.findings()) {
            ObjectNode fo = findings.addObject();
            fo.put("severity", f.severity().name());
            fo.put("stage", f.stage());
            fo.put("id", f.id());
            fo.put("subject", f.subject());
            fo.put("message", f.message());
            fo.put("action", f.action());
        }
        ArrayNode rma = o.putArray("rmaGpus");
        n.rma().forEach(g -> gpu(rma.addObject(), g));
        ArrayNode telemetry = o.putArray("telemetry");
        for (GpuSeries s : n.telemetry()) {
            ObjectNode t = telemetry.addObject();
            t.put("gpuIndex", s.gpuIndex());
            t.put("samples", s.points().size());
            time(t, "from", s.points().isEmpty() ? null : s.points().get(0).time());
            time(t, "to", s.points().isEmpty() ? null : s.points().get(s.points().size() - 1).time());
            t.set("temperatureC", stats(s.points(), TelemetryPoint::temperatureC));
            t.set("powerW", stats(s.points(), TelemetryPoint::powerW));
            t.set("smClockMHz", stats(s.points(), p -> p.smClockMHz() == null ? null : p.smClockMHz().doubleValue()));
            if (series) {
                ArrayNode pts = t.putArray("points");
                for (TelemetryPoint p : s.points()) {
                    ObjectNode po = pts.addObject();
                    time(po, "time", p.time());
                    number(po, "temperatureC", p.temperatureC());
                    number(po, "powerW", p.powerW());
                    if (p.smClockMHz() == null) {
                        po.putNull("smClockMHz");
                    } else {
                        po.put("smClockMHz", p.smClockMHz());
                    }
                }
            }
        }
        ArrayNode fabric = o.putArray("fabric");
        for (PairBandwidth p : n.fabric()) {
            ObjectNode po = fabric.addObject();
            po.put("gpuA", p.gpuA());
            po.put("gpuB", p.gpuB());
            po.put("pciBusIdA", p.pciBusIdA());
            po.put("pciBusIdB", p.pciBusIdB());
            po.put("path", p.path());
            po.put("p2p", p.p2p());
            number(po, "abGBps", p.abGBps());
            number(po, "baGBps", p.baGBps());
            number(po, "bidirGBps", p.bidirGBps());
            number(po, "latencyUs", p.latencyUs());
            number(po, "expectedGBps", p.expectedGBps());
            po.put("minimumSource", p.minimumSource());
        }
        return o;
    }

    private static void gpu(ObjectNode o, RmaGpu g) {
        o.put("gpuIndex", g.index());
        o.put("serial", g.serial());
        o.put("uuid", g.uuid());
        o.put("pciBusId", g.pciBusId());
        ArrayNode reasons = o.putArray("reasons");
        g.reasons().forEach(reasons::add);
    }

    private static ObjectNode counts(Rollout.Counts c) {
        ObjectNode o = F.objectNode();
        o.put("total", c.total());
        o.put("accepted", c.accepted());
        o.put("quarantined", c.quarantined());
        o.put("inProgress", c.inProgress());
        o.put("notStarted", c.notStarted());
        return o;
    }

    private static ObjectNode ttp(Rollout.TtpStats t) {
        ObjectNode o = F.objectNode();
        o.put("accepted", t.accepted());
        seconds(o, "medianSeconds", t.median());
        seconds(o, "p90Seconds", t.p90());
        seconds(o, "maxSeconds", t.max());
        o.put("slowestNode", t.slowest());
        return o;
    }

    private static ObjectNode stats(List<TelemetryPoint> points, Function<TelemetryPoint, Double> value) {
        DoubleSummaryStatistics st = points.stream().map(value).filter(Objects::nonNull)
                .mapToDouble(Double::doubleValue).summaryStatistics();
        ObjectNode o = F.objectNode();
        if (st.getCount() == 0) {
            o.putNull("min");
            o.putNull("mean");
            o.putNull("max");
        } else {
            o.put("min", round(st.getMin()));
            o.put("mean", round(st.getAverage()));
            o.put("max", round(st.getMax()));
        }
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    private static void time(ObjectNode o, String field, Instant t) {
        if (t == null) {
            o.putNull(field);
        } else {
            o.put(field, Fmt.iso(t));
        }
    }

    private static void seconds(ObjectNode o, String field, Duration d) {
        if (d == null) {
            o.putNull(field);
        } else {
            o.put(field, d.getSeconds());
        }
    }

    private static void number(ObjectNode o, String field, Double v) {
        if (v == null || v.isNaN() || v.isInfinite()) {
            o.putNull(field);
        } else {
            o.put(field, v);
        }
    }
}
