package dev.kiln.cli.fabric;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Judges the network pairs of a {@code kiln fabric} run and says where the fault is: a bad node, or a bad
 * path between two nodes. Pure.
 *
 * <p>A pair's figure is the slower of its two directions. A pair is slow when that figure is below the
 * absolute minimum, if one is given (a spec's {@code fabric.networkGbitps}, or {@code --min-network-gbps}),
 * else below {@value #MEDIAN_FRACTION} times the median over every measured pair. A pair whose test ran but
 * failed (the driver could not reach its peer's session, say) counts as slow.
 *
 * <p>Attribution. A node is to blame when it is slow with two or more distinct peers and at least two of
 * those peers (or, when it is slow with every peer, at least one) are fine with someone else: the peers are
 * demonstrably healthy, so the common end is not. A slow pair neither of whose ends is to blame, and each of
 * whose ends is fine with another peer, is a bad path: the cables, switch ports or switches between the two.
 * When every pair is slow and no node stands out, the fault is the fabric as a whole (or the minimum), and one
 * finding says so. Anything else (a slow pair whose ends have no healthy comparison) is reported as such: it
 * cannot be told apart from the data.
 */
public final class FabricAttribution {
    /** Without an absolute minimum, a pair below this fraction of the fleet's median is slow. */
    public static final double MEDIAN_FRACTION = 0.5;

    public static final String SOURCE_AGENT = "agent";
    public static final String SOURCE_KILN = "kiln";

    private FabricAttribution() {
    }

    /**
     * One planned TCP test as it came back: measured ({@code result}) or run and failed ({@code failure}, the
     * agent's reason). Tests that never ran (a node unreachable over HTTP) are not judged and do not belong here.
     */
    public record PairOutcome(String driver, String server, NetworkResult result, String failure) {
        public PairOutcome {
            Objects.requireNonNull(driver, "driver");
            Objects.requireNonNull(server, "server");
            if ((result == null) == (failure == null)) {
                throw new IllegalArgumentException("a pair outcome is either a result or a failure");
            }
        }

        public static PairOutcome measured(String driver, String server, NetworkResult result) {
            return new PairOutcome(driver, server, result, null);
        }

        public static PairOutcome failed(String driver, String server, String failure) {
            return new PairOutcome(driver, server, null, failure);
        }

        /** The slower direction in Gbit/s, or null when the test failed. */
        public Double gbps() {
            return result == null ? null : Math.min(result.sendGbps(), result.receiveGbps());
        }
    }

    /**
     * What a pair is judged against.
     *
     * @param gbps       pairs below this many Gbit/s (each direction) are slow; null: no pair was measured and no
     *                   minimum given, so only failed tests are slow
     * @param source     where it came from, for people
     * @param medianGbps the median over the measured pairs (null when none was)
     */
    public record Threshold(Double gbps, String source, Double medianGbps) {
        /** {@code >= 46.0 Gbit/s each way (half the fleet median, 92.0 Gbit/s over 24 pairs)}. */
        public String expected() {
            return gbps == null ? "a completed test" : ">= " + gbit(gbps) + " each way (" + source + ")";
        }
    }

    /**
     * One pair as judged.
     *
     * @param gbps    the slower direction, Gbit/s; null when the test failed
     * @param slow    below the threshold, or failed
     * @param blame   for a slow pair, what it is put down to: {@code node <name>} (one or both ends are bad nodes),
     *                {@code path}, {@code fabric} (every pair is slow) or {@code unclear}; null for a pair that is
     *                fine
     */
    public record JudgedPair(String driver, String server, NetworkResult result, String failure, Double gbps,
                             boolean slow, String blame) {
    }

    /**
     * @param pairs    every pair, in the order given
     * @param findings one per bad node, then one per bad path or unclear slow pair
     * @param badNodes the nodes blamed
     */
    public record Result(Threshold threshold, List<JudgedPair> pairs, List<FabricFinding> findings,
                         List<String> badNodes) {
        public Result {
            pairs = List.copyOf(pairs);
            findings = List.copyOf(findings);
            badNodes = List.copyOf(badNodes);
        }

        public long slowPairs() {
            return pairs.stream().filter(JudgedPair::slow).count();
        }
    }

    /**
     * Judges the pairs and attributes the slow ones.
     *
     * @param minimumGbps   an absolute minimum each way, or null: judge against the fleet's median
     * @param minimumSource where the minimum came from ({@code spec hgx-h100}, {@code --min-network-gbps})
     * @param rackOf        each node's rack (may be empty): a rack whose every tested node is bad is named
     */
    public static Result attribute(List<PairOutcome> outcomes, Double minimumGbps, String minimumSource,
                                   Map<String, String> rackOf) {
        Threshold threshold = threshold(outcomes, minimumGbps, minimumSource);
        // Judge every pair.
        List<Judged> judged = new ArrayList<>();
        for (PairOutcome o : outcomes) {
            Double g = o.gbps();
            boolean slow = g == null || (threshold.gbps() != null && g < threshold.gbps());
            judged.add(new Judged(o, slow));
        }
        // Per node: its peers, and whether it is slow with each (any slow test between them counts).
        Map<String, Map<String, Boolean>> slowWith = new LinkedHashMap<>();
        for (Judged j : judged) {
            mark(slowWith, j.o.driver(), j.o.server(), j.slow);
            mark(slowWith, j.o.server(), j.o.driver(), j.slow);
        }
        // Bad nodes: slow with >= 2 peers, and those peers are fine with someone else.
        Set<String> bad = new LinkedHashSet<>();
        for (var e : slowWith.entrySet()) {
            String n = e.getKey();
            List<String> slowPeers = e.getValue().entrySet().stream().filter(Map.Entry::getValue)
                    .map(Map.Entry::getKey).toList();
            long corroborated = slowPeers.stream().filter(p -> fineWithAnotherThan(slowWith, p, n)).count();
            boolean allSlow = slowPeers.size() == e.getValue().size();
            if (slowPeers.size() >= 2 && (corroborated >= 2 || (allSlow && corroborated >= 1))) {
                bad.add(n);
            }
        }
        List<FabricFinding> findings = new ArrayList<>();
        Map<String, List<String>> badByRack = new TreeMap<>();
        for (String n : bad) {
            badByRack.computeIfAbsent(rackOf.getOrDefault(n, ""), r -> new ArrayList<>()).add(n);
        }
        for (String n : bad) {
            findings.add(nodeFinding(n, slowWith, judged, threshold, rackNote(n, rackOf, badByRack, slowWith)));
        }
        // Every pair slow and no node to blame: the fabric as a whole (or the minimum), not one node or path.
        boolean everything = judged.size() >= 3 && bad.isEmpty() && judged.stream().allMatch(j -> j.slow);
        if (everything) {
            findings.add(fabricFinding(judged, threshold));
        }
        // Slow pairs: explained by a bad end, a bad path, or unclear.
        List<JudgedPair> pairs = new ArrayList<>();
        Set<String> reportedPairs = new LinkedHashSet<>();
        for (Judged j : judged) {
            String a = j.o.driver();
            String b = j.o.server();
            String blame = null;
            if (j.slow) {
                List<String> badEnds = new ArrayList<>();
                if (bad.contains(a)) {
                    badEnds.add(a);
                }
                if (bad.contains(b)) {
                    badEnds.add(b);
                }
                if (!badEnds.isEmpty()) {
                    blame = "node " + String.join(", ", badEnds);
                } else if (everything) {
                    blame = "fabric";
                } else {
                    boolean path = fineWithAnotherThan(slowWith, a, b) && fineWithAnotherThan(slowWith, b, a);
                    blame = path ? "path" : "unclear";
                    if (reportedPairs.add(key(a, b))) {
                        findings.add(pairFinding(j, judged, slowWith, threshold, path));
                    }
                }
            }
            pairs.add(new JudgedPair(a, b, j.o.result(), j.o.failure(), j.o.gbps(), j.slow, blame));
        }
        return new Result(threshold, pairs, findings, List.copyOf(bad));
    }

    static Threshold threshold(List<PairOutcome> outcomes, Double minimumGbps, String minimumSource) {
        List<Double> measured = outcomes.stream().map(PairOutcome::gbps).filter(Objects::nonNull).sorted().toList();
        Double median = measured.isEmpty() ? null : median(measured);
        if (minimumGbps != null) {
            return new Threshold(minimumGbps, minimumSource == null ? "the given minimum" : minimumSource, median);
        }
        if (median == null) {
            return new Threshold(null, "no pair was measured", null);
        }
        return new Threshold(median * MEDIAN_FRACTION, (MEDIAN_FRACTION == 0.5 ? "half" : MEDIAN_FRACTION + " x")
                + " the fleet median, " + gbit(median) + " over " + measured.size() + " pair"
                + (measured.size() == 1 ? "" : "s"), median);
    }

    private static double median(List<Double> sorted) {
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static void mark(Map<String, Map<String, Boolean>> slowWith, String node, String peer, boolean slow) {
        slowWith.computeIfAbsent(node, k -> new LinkedHashMap<>()).merge(peer, slow, Boolean::logicalOr);
    }

    /** Whether {@code node} has a good test with some peer other than {@code except}. */
    private static boolean fineWithAnotherThan(Map<String, Map<String, Boolean>> slowWith, String node,
                                               String except) {
        return slowWith.getOrDefault(node, Map.of()).entrySet().stream()
                .anyMatch(e -> !e.getKey().equals(except) && !e.getValue());
    }

    private static List<String> fineOthers(Map<String, Map<String, Boolean>> slowWith, String node, String except) {
        return slowWith.getOrDefault(node, Map.of()).entrySet().stream()
                .filter(e -> !e.getKey().equals(except) && !e.getValue()).map(Map.Entry::getKey).sorted().toList();
    }

    private static String rackNote(String node, Map<String, String> rackOf, Map<String, List<String>> badByRack,
                                   Map<String, Map<String, Boolean>> slowWith) {
        String rack = rackOf.get(node);
        if (rack == null || rack.isEmpty()) {
            return "";
        }
        long tested = slowWith.keySet().stream().filter(n -> rack.equals(rackOf.get(n))).count();
        List<String> badHere = badByRack.getOrDefault(rack, List.of());
        if (tested >= 2 && badHere.size() == tested) {
            return "; every tested node of " + rack + " is slow, so check " + rack + "'s switch and uplinks first";
        }
        return "";
    }

    private static FabricFinding nodeFinding(String n, Map<String, Map<String, Boolean>> slowWith,
                                             List<Judged> judged, Threshold threshold, String rackNote) {
        Map<String, Boolean> peers = slowWith.get(n);
        List<String> slowPeers = peers.entrySet().stream().filter(Map.Entry::getValue).map(Map.Entry::getKey)
                .sorted().toList();
        List<String> finePeers = peers.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey)
                .sorted().toList();
        List<String> figures = new ArrayList<>();
        for (String p : slowPeers) {
            figures.add(p + " " + worst(judged, n, p));
        }
        String observed = "slow with " + slowPeers.size() + " of " + peers.size() + " peers: "
                + String.join(", ", figures);
        String culprit;
        if (finePeers.isEmpty()) {
            culprit = n + "'s NIC, cable or switch port: slow with every peer (" + String.join(", ", slowPeers)
                    + "), while those peers are fine with others" + rackNote;
        } else {
            culprit = n + "'s network path: slow with " + String.join(", ", slowPeers) + " but fine with "
                    + String.join(", ", finePeers) + ", while those slow peers are fine with others" + rackNote;
        }
        List<String> rerun = new ArrayList<>();
        rerun.add(n);
        rerun.addAll(slowPeers.subList(0, Math.min(2, slowPeers.size())));
        String action = "check " + n + "'s link (ethtool: speed, duplex, error counters), reseat or swap its cable, "
                + "try another switch port; then rerun 'kiln fabric --tests fabric.network --node "
                + String.join(",", rerun) + "'";
        return new FabricFinding(FabricTestIds.NETWORK, FabricFinding.FAIL, "node", List.of(n), observed,
                threshold.expected(), culprit, action);
    }

    private static FabricFinding fabricFinding(List<Judged> judged, Threshold threshold) {
        List<Double> figures = judged.stream().map(j -> j.o.gbps()).filter(Objects::nonNull).sorted().toList();
        long failed = judged.size() - figures.size();
        String observed = "all " + judged.size() + " pairs slow" + (figures.isEmpty() ? ""
                : ": " + gbit(figures.get(0)) + (figures.size() > 1 ? " to " + gbit(figures.get(figures.size() - 1))
                : "")) + (failed == 0 ? "" : " (" + failed + " failed)");
        Set<String> nodes = new LinkedHashSet<>();
        judged.forEach(j -> {
            nodes.add(j.o.driver());
            nodes.add(j.o.server());
        });
        return new FabricFinding(FabricTestIds.NETWORK, FabricFinding.FAIL, "fabric", List.copyOf(nodes), observed,
                threshold.expected(), "the network as a whole, not one node or cable: no node is fine with any "
                + "peer, so a shared switch, its settings (port speed, MTU, flow control), the NICs' firmware "
                + "across the fleet, or a minimum set too high",
                "check the switches' port speeds and error counters and compare with a known-good rack; check the "
                + "minimum (--min-network-gbps, or the spec's fabric.networkGbitps)");
    }

    private static FabricFinding pairFinding(Judged j, List<Judged> judged,
                                             Map<String, Map<String, Boolean>> slowWith, Threshold threshold,
                                             boolean path) {
        String a = j.o.driver();
        String b = j.o.server();
        String observed = describe(judged, a, b);
        String culprit;
        String action;
        if (path) {
            culprit = "the path between " + a + " and " + b + ": both are fine with other peers (" + a + " with "
                    + String.join(", ", fineOthers(slowWith, a, b)) + "; " + b + " with "
                    + String.join(", ", fineOthers(slowWith, b, a)) + ")";
            action = "check the switch ports and cables between " + a + " and " + b + " (and the switch links "
                    + "between their racks); then rerun 'kiln fabric --tests fabric.network --node " + a + "," + b + "'";
        } else {
            List<String> alone = new ArrayList<>();
            if (!fineWithAnotherThan(slowWith, a, b)) {
                alone.add(a);
            }
            if (!fineWithAnotherThan(slowWith, b, a)) {
                alone.add(b);
            }
            culprit = a + ", " + b + " or the path between them: " + String.join(" and ", alone)
                    + (alone.size() == 1 ? " has" : " have") + " no good test with another peer to compare with";
            action = "rerun with more peers for " + String.join(" and ", alone) + " (e.g. 'kiln fabric --tests "
                    + "fabric.network --node " + a + "," + b + ",<a healthy node>') to tell a bad node from a bad path";
        }
        return new FabricFinding(FabricTestIds.NETWORK, FabricFinding.FAIL, "node-pair", List.of(a, b), observed,
                threshold.expected(), culprit, action);
    }

    /** The slowest figure between two nodes: {@code 4.1 Gbit/s}, or {@code failed (reason)}. */
    private static String worst(List<Judged> judged, String a, String b) {
        Double min = null;
        String failure = null;
        for (Judged j : judged) {
            if (!(j.o.driver().equals(a) && j.o.server().equals(b) || j.o.driver().equals(b) && j.o.server().equals(a))) {
                continue;
            }
            if (j.o.failure() != null) {
                failure = j.o.failure();
            } else if (min == null || j.o.gbps() < min) {
                min = j.o.gbps();
            }
        }
        return failure != null ? "failed (" + failure + ")" : gbit(min);
    }

    /** {@code 4.2 Gbit/s: node-003 -> node-011 4.2, back 88.1; rtt p50 45 us}, or the failure. */
    private static String describe(List<Judged> judged, String a, String b) {
        List<String> parts = new ArrayList<>();
        for (Judged j : judged) {
            PairOutcome o = j.o;
            if (!(o.driver().equals(a) && o.server().equals(b) || o.driver().equals(b) && o.server().equals(a))) {
                continue;
            }
            if (o.failure() != null) {
                parts.add("test " + o.driver() + " -> " + o.server() + " failed: " + o.failure());
            } else {
                NetworkResult r = o.result();
                parts.add(gbit(o.gbps()) + ": " + o.driver() + " -> " + o.server() + " " + num(r.sendGbps()) + ", "
                        + o.server() + " -> " + o.driver() + " " + num(r.receiveGbps()) + "; rtt p50 "
                        + num(r.rttP50Us()) + " us");
            }
        }
        return String.join("; ", parts);
    }

    private static String key(String a, String b) {
        return a.compareTo(b) < 0 ? a + "\n" + b : b + "\n" + a;
    }

    private record Judged(PairOutcome o, boolean slow) {
    }

    // --- merging ----------------------------------------------------------------------------------------

    /**
     * A finding with where it was found: {@code node} is the node whose agent reported it, or null for kiln's
     * own fleet-wide findings (whose ends name the nodes).
     *
     * @param source {@value #SOURCE_AGENT} or {@value #SOURCE_KILN}
     */
    public record Located(String node, String source, FabricFinding finding) {
    }

    /**
     * One list of every finding: the agents' own (per node, in node order; a result judged FAIL without a
     * finding, or that could not run (ERROR), gets one that says so), then kiln's from {@link #attribute}.
     * FAIL first, then ERROR, then WARN. The agents' {@code fabric.network} results are left out: kiln judges
     * the pairs across the fleet instead.
     */
    public static List<Located> merge(Map<String, List<FabricResult>> perNode, Collection<FabricFinding> kiln) {
        List<Located> all = new ArrayList<>();
        for (var e : perNode.entrySet()) {
            String node = e.getKey();
            for (FabricResult r : e.getValue()) {
                if (r == null || FabricTestIds.NETWORK.equals(r.test())) {
                    continue;
                }
                String verdict = r.verdict() == null ? "ERROR" : r.verdict().toUpperCase(Locale.ROOT);
                boolean failFinding = false;
                for (FabricFinding f : r.findings()) {
                    all.add(new Located(node, SOURCE_AGENT, f));
                    failFinding |= FabricFinding.FAIL.equals(f.severity());
                }
                if ("FAIL".equals(verdict) && !failFinding) {
                    all.add(new Located(node, SOURCE_AGENT, new FabricFinding(r.test(), FabricFinding.FAIL, "node",
                            List.of(node), null, null, r.reason() == null ? "the agent judged " + r.test()
                            + " FAIL without saying why" : r.reason(), "see the full result: kiln fabric --node "
                            + node + " -o json")));
                } else if ("ERROR".equals(verdict)) {
                    all.add(new Located(node, SOURCE_AGENT, couldNotRun(node, r.test(), r.reason())));
                }
            }
        }
        for (FabricFinding f : kiln) {
            all.add(new Located(null, SOURCE_KILN, f));
        }
        all.sort(Comparator.comparingInt(l -> severityRank(l.finding().severity())));
        return all;
    }

    /** A test that could not run: never a pass. */
    public static FabricFinding couldNotRun(String node, String test, String reason) {
        return new FabricFinding(test, "ERROR", "test", List.of(node), "could not run", "a completed test",
                reason == null ? "the agent gave no reason" : reason,
                "fix what stopped it, then rerun 'kiln fabric --node " + node + " --tests " + test + "'");
    }

    public static int severityRank(String severity) {
        return switch (severity == null ? "" : severity.toUpperCase(Locale.ROOT)) {
            case "FAIL" -> 0;
            case "ERROR" -> 1;
            case "WARN" -> 2;
            default -> 3;
        };
    }

    /** Whether a finding fails the run (exit 3): FAIL, or ERROR (a test that could not run is never a pass). */
    public static boolean failing(FabricFinding f) {
        return severityRank(f.severity()) <= 1;
    }

    static String gbit(Double v) {
        return v == null ? "?" : num(v) + " Gbit/s";
    }

    static String num(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
