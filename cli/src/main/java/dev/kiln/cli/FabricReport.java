package dev.kiln.cli;

import dev.kiln.cli.fabric.FabricAttribution;
import dev.kiln.cli.fabric.FabricPlan;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Everything one {@code kiln fabric} run learnt: each node's node-local job, the network plan and its pairs,
 * and, after {@link #finish}, the judged pairs, every finding and the exit code.
 */
final class FabricReport {
    /** How a node came out of the run. */
    enum NodeOutcome {
        PASSED, FAILED, UNREACHABLE;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    final List<String> tests;
    final List<FleetNode> nodes;
    /** Each node's node-local job, by name; empty when only {@code fabric.network} was asked for. */
    final Map<String, BurninJob> local = new LinkedHashMap<>();
    final boolean networkSelected;
    FabricPlan plan;
    /** Why the network phase did not run, when it was selected but did not. */
    String networkNote;
    final List<FabricPair> pairs = new ArrayList<>();
    /** Jobs beyond the node-local ones whose results count as their node's (nccl-tests across nodes). */
    final List<BurninJob> extra = new ArrayList<>();

    // Set by finish().
    FabricAttribution.Result attribution;
    List<FabricAttribution.Located> findings = List.of();
    final Set<String> notQueried = new LinkedHashSet<>();

    FabricReport(List<String> tests, List<FleetNode> nodes, boolean networkSelected) {
        this.tests = List.copyOf(tests);
        this.nodes = List.copyOf(nodes);
        this.networkSelected = networkSelected;
    }

    /** The node-local tests asked for, in run order. */
    List<String> localTests() {
        return tests.stream().filter(t -> !dev.kiln.protocol.fabric.FabricTestIds.NEED_PEER.contains(t)).toList();
    }

    /**
     * Settles every pair, judges them, and gathers every finding.
     *
     * @param minimumGbps   the network pairs' absolute minimum (null: judged against the fleet median)
     * @param minimumSource where it came from
     */
    void finish(Double minimumGbps, String minimumSource) {
        Map<String, List<FabricResult>> perNode = new LinkedHashMap<>();
        List<FabricAttribution.Located> jobProblems = new ArrayList<>();
        for (FleetNode n : nodes) {
            BurninJob j = local.get(n.name());
            if (j == null) {
                continue;
            }
            if (j.outcome.notQueried()) {
                notQueried.add(n.name());
                continue;
            }
            perNode.put(n.name(), new ArrayList<>(results(j)));
            jobProblems.addAll(jobProblems(j));
        }
        for (BurninJob j : extra) {
            if (j.outcome.notQueried()) {
                continue;
            }
            perNode.computeIfAbsent(j.node.name(), k -> new ArrayList<>()).addAll(results(j));
            jobProblems.addAll(jobProblems(j));
        }
        List<FabricAttribution.PairOutcome> judged = new ArrayList<>();
        Map<String, String> rackOf = new LinkedHashMap<>();
        for (FleetNode n : nodes) {
            rackOf.put(n.name(), n.rack());
        }
        for (FabricPair p : pairs) {
            p.settle();
            if (p.unqueried != null) {
                notQueried.add(p.unqueried.name());
            }
            if (!p.otherResults().isEmpty()) {
                perNode.computeIfAbsent(p.driver.name(), k -> new ArrayList<>()).addAll(p.otherResults());
            }
            FabricAttribution.PairOutcome o = p.judged();
            if (o != null) {
                judged.add(o);
            }
        }
        attribution = pairs.isEmpty() ? null
                : FabricAttribution.attribute(judged, minimumGbps, minimumSource, rackOf);
        List<FabricAttribution.Located> all = new ArrayList<>(FabricAttribution.merge(perNode,
                attribution == null ? List.of() : attribution.findings()));
        all.addAll(jobProblems);
        all.sort(java.util.Comparator.comparingInt(l -> FabricAttribution.severityRank(l.finding().severity())));
        findings = List.copyOf(all);
    }

    /** The fabric results of a node-local job (the last status the agent sent). */
    static List<FabricResult> results(BurninJob j) {
        return j.status == null ? List.of() : j.status.fabric().stream().filter(Objects::nonNull).toList();
    }

    /**
     * A job that did not pass, where no result says why (the worker died, the agent restarted, someone
     * cancelled it, kiln gave up waiting): one ERROR finding with the agent's reason.
     */
    private static List<FabricAttribution.Located> jobProblems(BurninJob j) {
        if (j.status == null || j.status.state() == JobState.PASSED) {
            return List.of();
        }
        boolean explained = results(j).stream().anyMatch(r -> "FAIL".equals(r.verdict())
                || "ERROR".equals(r.verdict()));
        if (explained && j.status.state() == JobState.FAILED) {
            return List.of();
        }
        String name = j.node.name();
        return List.of(new FabricAttribution.Located(name, FabricAttribution.SOURCE_AGENT, new FabricFinding(
                "fabric", "ERROR", "node", List.of(name), "job " + j.status.state(), "job PASSED",
                j.status.reason() == null ? "the job ended " + j.status.state() + " without a reason"
                        : j.status.reason(), "rerun 'kiln fabric --node " + name + "'; if it recurs, read the "
                + "agent's log (journalctl -u kiln-agent)")));
    }

    NodeOutcome outcome(FleetNode n) {
        if (notQueried.contains(n.name())) {
            return NodeOutcome.UNREACHABLE;
        }
        if (failing(n.name())) {
            return NodeOutcome.FAILED;
        }
        return NodeOutcome.PASSED;
    }

    /** Whether the node has a FAIL or ERROR finding of its own, or kiln blames it for slow network pairs. */
    boolean failing(String node) {
        if (attribution != null && attribution.badNodes().contains(node)) {
            return true;
        }
        return findings.stream().anyMatch(l -> node.equals(l.node()) && FabricAttribution.failing(l.finding()));
    }

    /** The judged pair of {@code p}, or null when it did not run. */
    FabricAttribution.JudgedPair judged(FabricPair p) {
        if (attribution == null) {
            return null;
        }
        for (FabricAttribution.JudgedPair j : attribution.pairs()) {
            if (j.driver().equals(p.driver.name()) && j.server().equals(p.server.name())) {
                return j;
            }
        }
        return null;
    }

    /** 4 when a node could not be queried, 3 on any FAIL or ERROR finding, else 0. */
    int exitCode() {
        long failingFindings = findings.stream().filter(l -> FabricAttribution.failing(l.finding())).count();
        return ExitCodes.forRun(notQueried.size(), (int) failingFindings);
    }

    /**
     * {@code 12 nodes: 11 passed, 1 failed; network: 24 pairs in 6 rounds, 20 ok, 4 slow; 2 findings: 1 FAIL, 1 WARN}.
     */
    String summary() {
        Map<NodeOutcome, Integer> counts = new java.util.EnumMap<>(NodeOutcome.class);
        for (FleetNode n : nodes) {
            counts.merge(outcome(n), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((o, c) -> parts.add(c + " " + o.id()));
        StringBuilder b = new StringBuilder().append(nodes.size()).append(nodes.size() == 1 ? " node: " : " nodes: ")
                .append(String.join(", ", parts));
        if (networkSelected) {
            b.append("; network: ");
            if (plan == null || plan.pairings().isEmpty()) {
                b.append(networkNote == null ? "no pairs" : networkNote);
            } else {
                long ran = pairs.size();
                long notRun = pairs.stream().filter(p -> FabricPair.NOT_RUN.equals(p.outcome)).count();
                long slow = attribution == null ? 0 : attribution.slowPairs();
                b.append(ran).append(ran == 1 ? " pair" : " pairs").append(" in ").append(plan.rounds().size())
                        .append(plan.rounds().size() == 1 ? " round" : " rounds").append(", ")
                        .append(ran - notRun - slow).append(" ok, ").append(slow).append(" slow");
                if (notRun > 0) {
                    b.append(", ").append(notRun).append(" not run");
                }
            }
        }
        Map<String, Integer> bySeverity = new java.util.TreeMap<>(java.util.Comparator
                .comparingInt(FabricAttribution::severityRank).thenComparing(java.util.Comparator.naturalOrder()));
        findings.forEach(l -> bySeverity.merge(String.valueOf(l.finding().severity()), 1, Integer::sum));
        b.append("; ").append(findings.size()).append(findings.size() == 1 ? " finding" : " findings");
        if (!bySeverity.isEmpty()) {
            List<String> s = new ArrayList<>();
            bySeverity.forEach((k, v) -> s.add(v + " " + k));
            b.append(": ").append(String.join(", ", s));
        }
        return b.toString();
    }
}
