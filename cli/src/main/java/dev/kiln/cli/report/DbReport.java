package dev.kiln.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.db.NodeVerdict;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.RunRecord;
import dev.kiln.cli.db.StageAttempt;
import dev.kiln.cli.db.VerdictRecord;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@link ReportModel} from the results database: every node with a record (and, given, the fleet file's
 * nodes without one as NOT_STARTED). Per node: its latest verdict across runs, the stages of the latest run that
 * touched it (one per stage: the latest attempt), its first contact (earliest attempt of any run), findings from
 * the stages' findings and evidence, burn-in telemetry and the GPU-pair matrix from the jobs' evidence, and the
 * GPUs to RMA from the verdict.
 */
public final class DbReport {
    private DbReport() {
    }

    /** A node the fleet file names: its rack, so nodes without records are listed as not started. */
    public record FleetEntry(String node, String rack) {
    }

    /**
     * Opens the database at {@code url} and builds the report; an unusable database or an unknown run is an
     * {@link IllegalArgumentException} with the reason (a usage error for the command).
     */
    public static ReportModel load(String url, String name, List<String> runIds, List<FleetEntry> fleet, Instant now) {
        try (ResultsDb results = ResultsDb.open(url)) {
            return build(results, name, runIds, fleet, now);
        } catch (dev.kiln.cli.db.ResultsDbException e) {
            if (e.reason().userFixable()) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            throw e;
        }
    }

    /** The database the flag names, else {@code $KILN_DB}, else the default SQLite file. */
    public static String resolveUrl(String flag) {
        return ResultsDb.resolveUrl(flag, null);
    }

    /** The URL without credentials, for messages. */
    public static String redact(String url) {
        return ResultsDb.redact(url);
    }

    /**
     * @param runIds only these runs (empty: every run in the database)
     * @param fleet  the fleet file's nodes (may be empty)
     */
    public static ReportModel build(ResultsDb db, String name, List<String> runIds, List<FleetEntry> fleet,
                                    Instant now) {
        List<RunRecord> runs = runIds.isEmpty() ? db.recentRuns(Integer.MAX_VALUE)
                : runIds.stream().map(id -> db.run(id).orElseThrow(() -> new IllegalArgumentException(
                "no run '" + id + "' in " + db.url() + "; see kiln history --node N for run ids"))).toList();
        runs = runs.stream().sorted(Comparator.comparing(RunRecord::startedAt)).toList();
        Map<String, List<StageAttempt>> byNode = new LinkedHashMap<>();
        Map<String, VerdictRecord> verdicts = new LinkedHashMap<>();
        Map<String, String> rackOf = new LinkedHashMap<>();
        for (RunRecord run : runs) {
            for (StageAttempt a : db.attempts(run.id())) {
                byNode.computeIfAbsent(a.node(), k -> new ArrayList<>()).add(a);
                if (a.rack() != null) {
                    rackOf.put(a.node(), a.rack());
                }
            }
            for (VerdictRecord v : db.verdicts(run.id())) {
                VerdictRecord had = verdicts.get(v.verdict().node());
                if (had == null || !v.decidedAt().isBefore(had.decidedAt())) {
                    verdicts.put(v.verdict().node(), v);
                }
                if (v.verdict().rack() != null) {
                    rackOf.put(v.verdict().node(), v.verdict().rack());
                }
            }
        }
        List<NodeReport> nodes = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (Map.Entry<String, List<StageAttempt>> e : byNode.entrySet()) {
            seen.add(e.getKey());
            nodes.add(node(e.getKey(), rackOf.getOrDefault(e.getKey(), "unknown"), e.getValue(),
                    verdicts.get(e.getKey())));
        }
        for (VerdictRecord v : verdicts.values()) {
            if (seen.add(v.verdict().node())) {
                nodes.add(node(v.verdict().node(), rackOf.getOrDefault(v.verdict().node(), "unknown"), List.of(), v));
            }
        }
        for (FleetEntry f : fleet) {
            if (seen.add(f.node())) {
                nodes.add(new NodeReport(f.node(), f.rack(), Verdict.NOT_STARTED, null, null, null, null, null, null,
                        null));
            }
        }
        return ReportModel.of(new FleetInfo(name, now, runs.stream().map(RunRecord::id).toList()), nodes);
    }

    static NodeReport node(String name, String rack, List<StageAttempt> attempts, VerdictRecord verdict) {
        Instant firstContact = attempts.stream().map(a -> a.startedAt() != null ? a.startedAt() : a.createdAt())
                .filter(t -> t != null).min(Comparator.naturalOrder())
                .orElse(verdict == null ? null : verdict.decidedAt());
        // The stages of the latest run that touched the node, the latest attempt of each.
        String lastRun = attempts.isEmpty() ? null : attempts.get(attempts.size() - 1).runId();
        Map<String, StageAttempt> latest = new LinkedHashMap<>();
        for (StageAttempt a : attempts) {
            if (a.runId().equals(lastRun)) {
                latest.put(a.stage(), a);
            }
        }
        List<Stage> stages = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        List<GpuSeries> telemetry = new ArrayList<>();
        List<PairBandwidth> fabric = new ArrayList<>();
        for (StageAttempt a : latest.values()) {
            stages.add(new Stage(a.stage(), StageState.valueOf(a.state().name()), a.startedAt(), a.finishedAt(),
                    a.summary()));
            // The stage's recorded findings; without any, what its evidence (check report, job) says.
            List<Finding> recorded = findings(a.stage(), a.findingsJson());
            Evidence ev = evidence(a.stage(), a.evidenceJson());
            findings.addAll(recorded.isEmpty() ? ev.findings : recorded);
            telemetry.addAll(ev.telemetry);
            fabric.addAll(ev.pairs);
        }
        Verdict v;
        Instant acceptedAt = null;
        List<RmaGpu> rma = new ArrayList<>();
        if (verdict == null) {
            v = attempts.isEmpty() ? Verdict.NOT_STARTED : Verdict.IN_PROGRESS;
        } else if (verdict.verdict().outcome() == NodeVerdict.Outcome.ACCEPTED) {
            v = Verdict.ACCEPTED;
            acceptedAt = verdict.decidedAt();
        } else {
            v = Verdict.QUARANTINED;
            Map<String, List<String>> reasons = new LinkedHashMap<>();
            Map<String, NodeVerdict.RmaPart> parts = new LinkedHashMap<>();
            for (NodeVerdict.RmaPart p : verdict.verdict().rma()) {
                String key = p.gpuIndex() + "/" + p.serial();
                parts.putIfAbsent(key, p);
                reasons.computeIfAbsent(key, k -> new ArrayList<>()).add(p.reason());
            }
            parts.forEach((k, p) -> rma.add(new RmaGpu(p.gpuIndex() == null ? -1 : p.gpuIndex(), p.serial(), p.uuid(),
                    null, reasons.get(k))));
            if (findings.isEmpty()) {
                for (String r : verdict.verdict().reasons()) {
                    findings.add(new Finding(Severity.FAIL, null, "verdict", name, r,
                            verdict.verdict().actions().isEmpty() ? null : verdict.verdict().actions().get(0)));
                }
            }
        }
        if (firstContact == null && v != Verdict.NOT_STARTED) {
            firstContact = verdict.decidedAt();
        }
        return new NodeReport(name, rack, v, firstContact, acceptedAt, stages, findings, rma, telemetry, fabric);
    }

    private record Evidence(List<Finding> findings, List<GpuSeries> telemetry, List<PairBandwidth> pairs) {
    }

    /** What a stage's evidence (the agent's JSON: a check report or a job) says. */
    static Evidence evidence(String stage, String json) {
        List<Finding> findings = new ArrayList<>();
        List<GpuSeries> telemetry = new ArrayList<>();
        List<PairBandwidth> pairs = new ArrayList<>();
        JsonNode n = tree(json);
        if (n == null) {
            return new Evidence(findings, telemetry, pairs);
        }
        for (JsonNode doc : n.isArray() ? n : List.of(n)) {
            String kind = doc.path("kind").asText("");
            try {
                if (CheckReport.KIND.equals(kind)) {
                    CheckReport r = KilnJson.mapper().treeToValue(doc, CheckReport.class);
                    for (CheckResult c : r.results()) {
                        if (c.status() != CheckStatus.PASS && c.status() != CheckStatus.SKIP) {
                            findings.add(Finding.of(stage, c));
                        }
                    }
                } else if (JobStatus.KIND.equals(kind)) {
                    JobStatus j = KilnJson.mapper().treeToValue(doc, JobStatus.class);
                    for (GpuTestResult r : j.results()) {
                        if (!"PASS".equals(r.verdict()) && !"SKIP".equals(r.verdict())) {
                            findings.add(Finding.of(stage, r));
                        }
                    }
                    if (!j.telemetry().isEmpty()) {
                        telemetry.addAll(GpuSeries.fromSamples(j.telemetry()));
                    }
                    for (FabricResult f : j.fabric()) {
                        pairs.addAll(f.pairs());
                        for (FabricFinding ff : f.findings()) {
                            findings.add(Finding.of(stage, ff));
                        }
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                findings.add(new Finding(Severity.WARN, stage, "evidence", null,
                        "the recorded evidence could not be read: " + e.getMessage(), null));
            }
        }
        return new Evidence(findings, telemetry, pairs);
    }

    /**
     * A stage's findings as recorded: a JSON array of report findings ({@code severity, id, subject, message,
     * action}), check results ({@code status}), fabric findings ({@code ends, observed}) or GPU test results
     * ({@code verdict, test}), whichever shape the recorder used.
     */
    static List<Finding> findings(String stage, String json) {
        List<Finding> out = new ArrayList<>();
        JsonNode n = tree(json);
        if (n == null || !n.isArray()) {
            return out;
        }
        for (JsonNode f : n) {
            try {
                if (f.has("status") && f.has("id")) {
                    out.add(Finding.of(stage, KilnJson.mapper().treeToValue(f, CheckResult.class)));
                } else if (f.has("ends") || f.has("culprit")) {
                    out.add(Finding.of(stage, KilnJson.mapper().treeToValue(f, FabricFinding.class)));
                } else if (f.has("verdict") && f.has("test")) {
                    out.add(Finding.of(stage, KilnJson.mapper().treeToValue(f, GpuTestResult.class)));
                } else if (f.isTextual()) {
                    out.add(new Finding(Severity.FAIL, stage, stage, null, f.asText(), null));
                } else {
                    out.add(new Finding(Severity.parse(f.path("severity").asText("FAIL")), stage,
                            f.path("id").asText(stage), text(f, "subject"), f.path("message").asText(f.toString()),
                            text(f, "action")));
                }
            } catch (IOException | IllegalArgumentException e) {
                out.add(new Finding(Severity.WARN, stage, "finding", null, f.toString(), null));
            }
        }
        return out;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private static JsonNode tree(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            return KilnJson.mapper().readTree(json);
        } catch (IOException e) {
            return null;
        }
    }
}
