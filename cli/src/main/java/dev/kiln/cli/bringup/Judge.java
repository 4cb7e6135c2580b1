package dev.kiln.cli.bringup;

import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.NodeVerdict.RmaPart;
import dev.kiln.cli.fabric.FabricAttribution;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.check.GpuRef;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.spec.CheckIds;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns what an agent answered into a {@link StageOutcome}: the stage's state, a summary, the findings, and for a
 * node that is quarantined the reasons, the recommended actions and the GPUs to RMA (a GPU named by a failing
 * burn-in result or a failing check). Pure.
 */
public final class Judge {
    /**
     * The inventory-vs-spec checks ({@link Stage#INVENTORY}): what the hardware is. Every other check of
     * {@link CheckIds#ALL} is a health check ({@link Stage#HEALTH}): what state it is in.
     */
    public static final List<String> INVENTORY_CHECKS = List.of(CheckIds.GPU_COUNT, CheckIds.GPU_MODEL,
            CheckIds.GPU_MEMORY, CheckIds.DRIVER_VERSION, CheckIds.GPU_VBIOS, CheckIds.GPU_PCIE_LINK,
            CheckIds.GPU_NVLINK_LINKS, CheckIds.GPU_POWER_LIMIT, CheckIds.GPU_ECC_MODE, CheckIds.GPU_PERSISTENCE,
            CheckIds.GPU_MIG, CheckIds.IB_PORT_STATE, CheckIds.IB_PORT_RATE, CheckIds.HOST_MEMORY, CheckIds.HOST_CPU);
    public static final List<String> HEALTH_CHECKS = CheckIds.ALL.stream().filter(id -> !INVENTORY_CHECKS.contains(id))
            .toList();

    /** What to do about a node kiln cannot reach. */
    public static final String UNREACHABLE_ACTION = "check the node's power, its network and that kiln-agent runs "
            + "(systemctl status kiln-agent), then run 'kiln status --node <node>'";

    private Judge() {
    }

    /** {@link Stage#REACHABLE}: the agent answered; a real node must see its GPUs through NVML. */
    public static StageOutcome reachable(NodeInfo info) {
        String summary = "kiln-agent " + info.kilnVersion() + ", " + info.mode()
                + (info.simulatorPreset() == null ? "" : " " + info.simulatorPreset()) + ", " + info.gpuCount() + " GPU"
                + (info.gpuCount() == 1 ? "" : "s");
        if (NodeInfo.MODE_REAL.equals(info.mode()) && !info.nvml().available()) {
            String why = "NVML unavailable: " + (info.nvml().reason() == null ? "no reason given" : info.nvml().reason());
            return new StageOutcome(AttemptState.FAILED, "FAIL", why, info, List.of(why),
                    List.of(Stage.REACHABLE.id() + ": " + why),
                    List.of("install or repair the NVIDIA driver (nvidia-smi must work), then rerun"), List.of(), false);
        }
        return new StageOutcome(AttemptState.PASSED, "PASS", summary, info, List.of(), List.of(), List.of(), List.of(),
                false);
    }

    /** {@link Stage#INVENTORY} and {@link Stage#HEALTH}: a check report's verdict is the stage's. */
    public static StageOutcome checks(Stage stage, CheckReport report, Object evidence) {
        List<CheckResult> findings = report.results().stream()
                .filter(r -> r.status() != CheckStatus.PASS && r.status() != CheckStatus.SKIP).toList();
        AttemptState state = switch (report.verdict()) {
            case PASS, SKIP, WARN -> AttemptState.PASSED;
            case FAIL -> AttemptState.FAILED;
            case ERROR -> AttemptState.ERROR;
        };
        List<CheckResult> bad = report.results().stream()
                .filter(r -> r.status() == CheckStatus.FAIL || r.status() == CheckStatus.ERROR).toList();
        String summary;
        if (bad.isEmpty()) {
            summary = counts(report.results());
        } else {
            summary = describe(bad.getFirst()) + (bad.size() > 1 ? " (+" + (bad.size() - 1) + " more)" : "");
        }
        List<String> reasons = new ArrayList<>();
        Set<String> actions = new LinkedHashSet<>();
        List<RmaPart> rma = new ArrayList<>();
        if (state != AttemptState.PASSED) {
            for (CheckResult r : bad) {
                reasons.add(stage.id() + ": " + describe(r));
                if (r.action() != null && !r.action().isBlank()) {
                    actions.add(r.action());
                } else if (r.status() == CheckStatus.ERROR) {
                    actions.add("fix what stopped check " + r.id() + ", then rerun 'kiln check --node <node> --only "
                            + r.id() + "'");
                }
                GpuRef g = r.gpu();
                if (r.status() == CheckStatus.FAIL && g != null && (g.serial() != null || g.index() != null)) {
                    rma.add(new RmaPart(g.index(), g.serial(), g.uuid(), r.id() + ": " + r.message()));
                }
            }
        }
        return new StageOutcome(state, report.verdict().name(), summary, evidence, findings, reasons,
                List.copyOf(actions), mergeRma(rma), false);
    }

    /** {@code gpu.count FAIL on GPU 5 (serial 1654...): <message> (observed 7, expected 8)}. */
    static String describe(CheckResult r) {
        StringBuilder b = new StringBuilder(r.id()).append(' ').append(r.status());
        GpuRef g = r.gpu();
        if (g != null) {
            b.append(" on GPU ").append(g.index() == null ? "?" : g.index());
            if (g.serial() != null) {
                b.append(" (serial ").append(g.serial()).append(')');
            }
        } else if (r.subject() != null) {
            b.append(" on ").append(r.subject());
        }
        if (r.message() != null) {
            b.append(": ").append(r.message());
        }
        if (r.observed() != null || r.expected() != null) {
            b.append(" (observed ").append(r.observed() == null ? "-" : r.observed()).append(", expected ")
                    .append(r.expected() == null ? "-" : r.expected()).append(')');
        }
        return b.toString();
    }

    private static String counts(List<CheckResult> results) {
        Map<CheckStatus, Integer> n = new LinkedHashMap<>();
        for (CheckResult r : results) {
            n.merge(r.status(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        n.forEach((s, c) -> parts.add(c + " " + s));
        return results.size() + " result" + (results.size() == 1 ? "" : "s") + ": " + String.join(", ", parts);
    }

    /**
     * {@link Stage#BURNIN}: PASSED passes; FAILED fails with every GPU and test that did not pass (the agent
     * already confirmed low throughput by a repeat, so a FAIL is final); ERROR, INTERRUPTED and CANCELLED could not
     * be judged and quarantine the node with the job's reason.
     */
    public static StageOutcome burnin(JobStatus s) {
        List<GpuTestResult> bad = s.results().stream()
                .filter(r -> !"PASS".equalsIgnoreCase(r.verdict()) && !"SKIP".equalsIgnoreCase(r.verdict())).toList();
        String counts = verdictCounts(s.results());
        if (s.state() == JobState.PASSED) {
            return new StageOutcome(AttemptState.PASSED, s.state().name(), "job " + s.id() + ": " + counts, s, bad,
                    List.of(), List.of(), List.of(), false);
        }
        List<String> reasons = new ArrayList<>();
        Set<String> actions = new LinkedHashSet<>();
        List<RmaPart> rma = new ArrayList<>();
        for (GpuTestResult r : bad) {
            String first = r.findings() == null || r.findings().isEmpty() ? r.reason() : r.findings().getFirst();
            String gpu = "GPU " + r.gpuIndex() + (r.serial() == null ? "" : " (serial " + r.serial() + ")");
            reasons.add(Stage.BURNIN.id() + ": " + gpu + " " + r.test() + " " + r.verdict()
                    + (first == null ? "" : ": " + first));
            if ("FAIL".equalsIgnoreCase(r.verdict())) {
                rma.add(new RmaPart(r.gpuIndex(), r.serial(), r.uuid(), r.test() + ": " + (first == null
                        ? "failed" : first)));
                actions.add("replace GPU " + r.gpuIndex() + (r.serial() == null ? "" : " (serial " + r.serial()
                        + ")") + " and rerun the bring-up of this node");
            } else {
                actions.add("find why " + r.test() + " could not run on GPU " + r.gpuIndex() + " (" + r.reason()
                        + "), then rerun the bring-up of this node");
            }
        }
        String why = s.reason() != null ? s.reason() : bad.isEmpty() ? "the job ended " + s.state() : reasons.getFirst();
        if (bad.isEmpty() || s.state() != JobState.FAILED) {
            reasons.addFirst(Stage.BURNIN.id() + ": job " + s.id() + " " + s.state() + (s.reason() == null ? ""
                    : ": " + s.reason()));
            if (actions.isEmpty()) {
                actions.add("rerun the bring-up of this node; if the burn-in ends " + s.state() + " again, read the "
                        + "agent's worker log (jobs/" + s.id() + ".worker.log under its state directory) and dmesg");
            }
        }
        AttemptState state = s.state() == JobState.FAILED ? AttemptState.FAILED : AttemptState.ERROR;
        return new StageOutcome(state, s.state().name(), "job " + s.id() + " " + s.state() + ": " + why
                + (counts.isEmpty() ? "" : " (" + counts + ")"), s, bad, reasons, List.copyOf(actions), mergeRma(rma),
                false);
    }

    /** {@link Stage#GPU_FABRIC}: the node-local fabric job; every failing finding is a reason. */
    public static StageOutcome gpuFabric(String node, JobStatus s) {
        List<FabricAttribution.Located> merged = FabricAttribution.merge(Map.of(node, s.fabric()), List.of());
        List<FabricFinding> findings = merged.stream().map(FabricAttribution.Located::finding).toList();
        String verdicts = s.fabric().isEmpty() ? "no results" : String.join(", ", s.fabric().stream()
                .map(r -> r.test() + " " + r.verdict()).toList());
        if (s.state() == JobState.PASSED) {
            return new StageOutcome(AttemptState.PASSED, s.state().name(), "job " + s.id() + ": " + verdicts, s,
                    findings, List.of(), List.of(), List.of(), false);
        }
        List<String> reasons = new ArrayList<>();
        Set<String> actions = new LinkedHashSet<>();
        for (FabricFinding f : findings) {
            if (FabricAttribution.failing(f)) {
                reasons.add(Stage.GPU_FABRIC.id() + ": " + f.test() + " " + f.severity() + " " + String.join(" | ",
                        f.ends()) + (f.observed() == null ? "" : ": " + f.observed()) + (f.culprit() == null ? ""
                        : " (" + f.culprit() + ")"));
                if (f.action() != null) {
                    actions.add(f.action());
                }
            }
        }
        if (reasons.isEmpty()) {
            reasons.add(Stage.GPU_FABRIC.id() + ": job " + s.id() + " " + s.state() + (s.reason() == null ? ""
                    : ": " + s.reason()));
            actions.add("rerun the bring-up of this node; if the fabric job ends " + s.state() + " again, read the "
                    + "agent's worker log (jobs/" + s.id() + ".worker.log under its state directory)");
        }
        AttemptState state = s.state() == JobState.FAILED ? AttemptState.FAILED : AttemptState.ERROR;
        return new StageOutcome(state, s.state().name(), "job " + s.id() + " " + s.state() + ": " + verdicts
                + (s.reason() == null ? "" : " (" + s.reason() + ")"), s, findings, reasons, List.copyOf(actions),
                List.of(), false);
    }

    /** {@code 31 PASS, 1 FAIL}. */
    static String verdictCounts(List<GpuTestResult> results) {
        Map<String, Integer> n = new LinkedHashMap<>();
        for (GpuTestResult r : results) {
            n.merge(r.verdict().toUpperCase(Locale.ROOT), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        n.forEach((v, c) -> parts.add(c + " " + v));
        return String.join(", ", parts);
    }

    /** One RMA entry per GPU, the reasons joined. */
    static List<RmaPart> mergeRma(List<RmaPart> parts) {
        Map<String, RmaPart> byGpu = new LinkedHashMap<>();
        for (RmaPart p : parts) {
            String key = p.gpuIndex() + "/" + p.serial();
            RmaPart prior = byGpu.get(key);
            byGpu.put(key, prior == null ? p : new RmaPart(p.gpuIndex(), p.serial(), p.uuid() != null ? p.uuid()
                    : prior.uuid(), prior.reason().contains(p.reason()) ? prior.reason() : prior.reason() + "; "
                    + p.reason()));
        }
        return List.copyOf(byGpu.values());
    }

    /** The fabric result of one test, if the job reported it. */
    static FabricResult result(JobStatus s, String test) {
        for (FabricResult r : s.fabric()) {
            if (test.equals(r.test())) {
                return r;
            }
        }
        return null;
    }
}
