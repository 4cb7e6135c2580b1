package dev.kiln.cli.bringup;

import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.fabric.FabricAttribution;
import dev.kiln.protocol.fabric.FabricFinding;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The network-fabric stage's verdict for one node, from the attribution of every pair the rollout has measured so
 * far: a bad node (slow with peers that are fine with others) fails; a node fine with {@link #MIN_PEERS} peers passes;
 * otherwise it waits for more pairs, or, at the end, is judged on what exists and says so. Pure: the engine keeps
 * the pairing, the agent calls and the records.
 */
final class NetworkJudging {
    /** Peers a node must be fine with, as {@code kiln fabric} plans: what tells a bad node from a bad path. */
    static final int MIN_PEERS = dev.kiln.cli.fabric.FabricPlan.MIN_PEERS;

    private NetworkJudging() {
    }

    /**
     * The node's outcome, and a note to show when it passed or skipped on fewer peers than wanted.
     *
     * @param note null, or what the operator should read about a thin verdict
     */
    record Decision(StageOutcome outcome, String note) {
    }

    /**
     * @param node       the node judged
     * @param attribution every pair of the rollout so far, judged together
     * @param tested     the peers the node has been paired with
     * @param jobIdOf    the latest agent job of a pair (driver, server), or null
     * @param end        nothing more will be measured: judge on what exists instead of waiting
     * @param noMorePeers why no further peer could be tested (used only with {@code end})
     * @return null while the node needs more pairs
     */
    static Decision judge(String node, FabricAttribution.Result attribution, Set<String> tested,
                          BiFunction<String, String, String> jobIdOf, boolean end, String noMorePeers) {
        List<FabricAttribution.JudgedPair> mine = attribution.pairs().stream()
                .filter(p -> p.driver().equals(node) || p.server().equals(node)).toList();
        Set<String> good = new LinkedHashSet<>();
        Set<String> slow = new LinkedHashSet<>();
        for (FabricAttribution.JudgedPair p : mine) {
            String other = p.driver().equals(node) ? p.server() : p.driver();
            (p.slow() ? slow : good).add(other);
        }
        boolean bad = attribution.badNodes().contains(node);
        if (!bad && good.size() < MIN_PEERS && !end) {
            return null; // undecided: needs more pairs
        }
        List<FabricFinding> about = attribution.findings().stream()
                .filter(f -> f.ends().stream().anyMatch(e -> e.equals(node) || e.startsWith(node + " ")))
                .toList();
        Map<String, Object> evidence = evidence(node, attribution, mine, about, tested, jobIdOf);
        if (bad) {
            FabricFinding f = about.stream().filter(x -> "node".equals(x.subject())).findFirst()
                    .orElse(about.isEmpty() ? null : about.getFirst());
            String why = f == null ? "slow with " + String.join(", ", slow) : f.culprit();
            return new Decision(new StageOutcome(AttemptState.FAILED, "FAIL", why, evidence, about,
                    List.of(Stage.NETWORK_FABRIC.id() + ": " + why), f == null || f.action() == null ? List.of()
                    : List.of(f.action()), List.of(), false), null);
        }
        if (good.size() >= MIN_PEERS) {
            List<String> notes = new ArrayList<>();
            for (String s : slow) {
                notes.add(Stage.NETWORK_FABRIC.id() + ": slow with " + s + " (" + blame(mine, s)
                        + "), fine with " + String.join(", ", good));
            }
            return new Decision(new StageOutcome(AttemptState.PASSED, slow.isEmpty() ? "PASS" : "WARN", "fine with "
                    + String.join(", ", good) + (slow.isEmpty() ? "" : "; slow with " + String.join(", ", slow)),
                    evidence, about, notes, List.of(), List.of(), false), null);
        }
        return withWhatExists(node, good, slow, about, evidence, noMorePeers);
    }

    /** At the end, or when nothing else can move: fewer than {@link #MIN_PEERS} peers were there. Says so. */
    private static Decision withWhatExists(String node, Set<String> good, Set<String> slow, List<FabricFinding> about,
                                           Map<String, Object> evidence, String why) {
        if (good.isEmpty() && slow.isEmpty()) {
            String note = Stage.NETWORK_FABRIC.id() + ": not tested: no peer; " + why;
            return new Decision(new StageOutcome(AttemptState.SKIPPED, "SKIP", "not tested: no peer (" + why + ")",
                    evidence, List.of(), List.of(note), List.of(), List.of(), false), note);
        }
        if (!good.isEmpty()) {
            String note = Stage.NETWORK_FABRIC.id() + ": tested against only " + good.size() + " peer"
                    + (good.size() == 1 ? "" : "s") + " (" + String.join(", ", good) + "), fewer than "
                    + MIN_PEERS + ": " + why + (slow.isEmpty() ? "" : "; slow with " + String.join(", ", slow));
            return new Decision(new StageOutcome(AttemptState.PASSED, slow.isEmpty() ? "PASS" : "WARN",
                    "fine with " + String.join(", ", good) + " (only)", evidence, about, List.of(note), List.of(),
                    List.of(), false), note);
        }
        FabricFinding f = about.isEmpty() ? null : about.getFirst();
        String text = "slow with " + String.join(", ", slow) + " and no peer to compare with (" + why + "): "
                + (f == null ? "the node or the path" : f.culprit());
        return new Decision(new StageOutcome(AttemptState.FAILED, "FAIL", text, evidence, about,
                List.of(Stage.NETWORK_FABRIC.id() + ": " + text), List.of("rerun the network tests with more "
                + "peers: kiln fabric --tests fabric.network --node " + node + ",<two known-good nodes>"),
                List.of(), false), null);
    }

    private static String blame(List<FabricAttribution.JudgedPair> mine, String other) {
        for (FabricAttribution.JudgedPair p : mine) {
            if ((p.driver().equals(other) || p.server().equals(other)) && p.slow()) {
                return p.blame() == null ? "slow" : "blamed on " + p.blame();
            }
        }
        return "slow";
    }

    /** The stage's evidence: the threshold, each of the node's pairs with its figure and blame, the findings. */
    private static Map<String, Object> evidence(String node, FabricAttribution.Result a,
                                                List<FabricAttribution.JudgedPair> mine, List<FabricFinding> about,
                                                Set<String> tested, BiFunction<String, String, String> jobIdOf) {
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("threshold", a.threshold());
        List<Map<String, Object>> ps = new ArrayList<>();
        for (FabricAttribution.JudgedPair p : mine) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("driver", p.driver());
            m.put("server", p.server());
            m.put("jobId", jobIdOf.apply(p.driver(), p.server()));
            m.put("gbps", p.gbps());
            m.put("slow", p.slow());
            m.put("blame", p.blame());
            m.put("failure", p.failure());
            m.put("result", p.result());
            ps.add(m);
        }
        ev.put("pairs", ps);
        ev.put("findings", about);
        ev.put("peersTested", tested);
        return ev;
    }
}
