package dev.kiln.cli.fabric;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which nodes test TCP against which, and in what order: the pairings of {@code kiln fabric}'s network
 * phase. Pure and deterministic: the same nodes in the same order give the same plan.
 *
 * <p>Pairings: every pair when the set is small ({@value #ALL_PAIRS_MAX} nodes or fewer); otherwise a ring
 * within each rack of three or more ({@code i -> i+1}, wrapping), the two nodes of a rack of two as a pair,
 * and across racks node {@code k} of each rack with node {@code k} of the next rack (racks in a ring when
 * there are three or more). A node left with fewer than two distinct peers (a rack of one, say) gets extra
 * partners, from other racks first, least-paired first. So with three or more nodes every node is tested
 * against at least two peers, which is what lets {@link FabricAttribution} tell a bad node (slow with
 * every peer) from a bad pair (slow only with each other).
 *
 * <p>Rounds: pairings in order, each into the first round in which neither of its nodes is already
 * testing and that holds fewer than {@code maxParallel} tests (a greedy edge colouring), so no node ever
 * takes part in two tests at once and a round never loads the network with more than
 * {@code maxParallel} streams of tests.
 *
 * @param strategy {@code all-pairs}, {@code rack-rings}, or {@code none} (fewer than two nodes)
 */
public record FabricPlan(String strategy, List<Node> nodes, List<Pairing> pairings, List<List<Pairing>> rounds,
                         int maxParallel) {
    /** Up to this many nodes, every pair is tested. */
    public static final int ALL_PAIRS_MAX = 6;
    /** Distinct peers each node gets when at least three nodes take part. */
    public static final int MIN_PEERS = 2;

    public static final String ALL_PAIRS = "all-pairs";
    public static final String RACK_RINGS = "rack-rings";
    public static final String NONE = "none";

    // Why a pairing was chosen.
    public static final String KIND_ALL_PAIRS = "all-pairs";
    public static final String KIND_RING = "ring";
    public static final String KIND_RACK_PAIR = "rack-pair";
    public static final String KIND_CROSS_RACK = "cross-rack";
    public static final String KIND_EXTRA = "extra";

    public FabricPlan {
        nodes = List.copyOf(nodes);
        pairings = List.copyOf(pairings);
        rounds = rounds.stream().map(List::copyOf).toList();
    }

    /** A node as the plan sees it. */
    public record Node(String name, String rack) {
        public Node {
            Objects.requireNonNull(name, "name");
            rack = rack == null ? "" : rack;
        }
    }

    /**
     * One TCP test: {@code server} opens a session ({@code POST /v1/fabric/sessions}), {@code driver} runs a
     * {@code fabric.network} job against it. Both directions are measured either way.
     *
     * @param kind why this pair was chosen: {@code all-pairs}, {@code ring}, {@code rack-pair},
     *             {@code cross-rack} or {@code extra}
     */
    public record Pairing(String driver, String server, String kind) {
        public boolean involves(String node) {
            return driver.equals(node) || server.equals(node);
        }

        /** The other end; {@code node} must be one of the two. */
        public String other(String node) {
            return driver.equals(node) ? server : driver;
        }

        @Override
        public String toString() {
            return driver + " -> " + server;
        }
    }

    /**
     * Plans pairings and rounds for {@code nodes} (names unique; fleet-file order).
     *
     * @param maxParallel at most this many tests in one round (1 or more)
     */
    public static FabricPlan plan(List<Node> nodes, int maxParallel) {
        if (maxParallel < 1) {
            throw new IllegalArgumentException("maxParallel must be at least 1, got " + maxParallel);
        }
        Set<String> seen = new LinkedHashSet<>();
        for (Node n : nodes) {
            if (!seen.add(n.name())) {
                throw new IllegalArgumentException("node '" + n.name() + "' appears twice");
            }
        }
        if (nodes.size() < 2) {
            return new FabricPlan(NONE, nodes, List.of(), List.of(), maxParallel);
        }
        Builder b = new Builder(nodes);
        String strategy;
        if (nodes.size() <= ALL_PAIRS_MAX) {
            strategy = ALL_PAIRS;
            for (int i = 0; i < nodes.size(); i++) {
                for (int j = i + 1; j < nodes.size(); j++) {
                    // Alternate who drives, so every node drives about as often as it serves.
                    boolean iDrives = (i + j) % 2 == 1;
                    b.add(nodes.get(iDrives ? i : j).name(), nodes.get(iDrives ? j : i).name(), KIND_ALL_PAIRS);
                }
            }
        } else {
            strategy = RACK_RINGS;
            Map<String, List<Node>> racks = new LinkedHashMap<>();
            for (Node n : nodes) {
                racks.computeIfAbsent(n.rack(), r -> new ArrayList<>()).add(n);
            }
            for (List<Node> members : racks.values()) {
                int s = members.size();
                if (s >= 3) {
                    for (int i = 0; i < s; i++) {
                        b.add(members.get(i).name(), members.get((i + 1) % s).name(), KIND_RING);
                    }
                } else if (s == 2) {
                    b.add(members.get(0).name(), members.get(1).name(), KIND_RACK_PAIR);
                }
            }
            List<List<Node>> rackList = new ArrayList<>(racks.values());
            int r = rackList.size();
            if (r >= 2) {
                int links = r == 2 ? 1 : r;
                for (int i = 0; i < links; i++) {
                    List<Node> a = rackList.get(i);
                    List<Node> c = rackList.get((i + 1) % r);
                    for (int k = 0; k < Math.min(a.size(), c.size()); k++) {
                        b.add(a.get(k).name(), c.get(k).name(), KIND_CROSS_RACK);
                    }
                }
            }
        }
        if (nodes.size() >= 3) {
            b.topUp();
        }
        return new FabricPlan(strategy, nodes, b.pairings, rounds(b.pairings, maxParallel), maxParallel);
    }

    /** Greedy edge colouring: each pairing into the first round where both ends are free and there is room. */
    static List<List<Pairing>> rounds(List<Pairing> pairings, int maxParallel) {
        List<List<Pairing>> rounds = new ArrayList<>();
        List<Set<String>> busy = new ArrayList<>();
        for (Pairing p : pairings) {
            int chosen = -1;
            for (int i = 0; i < rounds.size(); i++) {
                if (rounds.get(i).size() < maxParallel && !busy.get(i).contains(p.driver())
                        && !busy.get(i).contains(p.server())) {
                    chosen = i;
                    break;
                }
            }
            if (chosen < 0) {
                rounds.add(new ArrayList<>());
                busy.add(new HashSet<>());
                chosen = rounds.size() - 1;
            }
            rounds.get(chosen).add(p);
            busy.get(chosen).add(p.driver());
            busy.get(chosen).add(p.server());
        }
        return rounds;
    }

    /** Each node's distinct peers, in plan order. */
    public Map<String, Set<String>> peers() {
        Map<String, Set<String>> peers = new LinkedHashMap<>();
        for (Node n : nodes) {
            peers.put(n.name(), new LinkedHashSet<>());
        }
        for (Pairing p : pairings) {
            peers.get(p.driver()).add(p.server());
            peers.get(p.server()).add(p.driver());
        }
        return peers;
    }

    /** {@code rack-rings: 24 pairs in 5 rounds (at most 64 at once)}. */
    public String describe() {
        if (pairings.isEmpty()) {
            return "no pairs (" + nodes.size() + " node" + (nodes.size() == 1 ? "" : "s") + ")";
        }
        return strategy + ": " + pairings.size() + " pair" + (pairings.size() == 1 ? "" : "s") + " in "
                + rounds.size() + " round" + (rounds.size() == 1 ? "" : "s") + " (at most " + maxParallel
                + " at once)";
    }

    private static final class Builder {
        final List<Node> nodes;
        final Map<String, Node> byName = new HashMap<>();
        final Map<String, Integer> order = new HashMap<>();
        final List<Pairing> pairings = new ArrayList<>();
        final Map<String, Set<String>> peers = new HashMap<>();

        Builder(List<Node> nodes) {
            this.nodes = nodes;
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                byName.put(n.name(), n);
                order.put(n.name(), i);
                peers.put(n.name(), new LinkedHashSet<>());
            }
        }

        void add(String driver, String server, String kind) {
            if (driver.equals(server) || peers.get(driver).contains(server)) {
                return;
            }
            pairings.add(new Pairing(driver, server, kind));
            peers.get(driver).add(server);
            peers.get(server).add(driver);
        }

        /** Gives every node with fewer than {@link #MIN_PEERS} peers more: other racks first, least paired first. */
        void topUp() {
            for (Node n : nodes) {
                while (peers.get(n.name()).size() < MIN_PEERS) {
                    Node partner = nodes.stream()
                            .filter(c -> !c.name().equals(n.name()) && !peers.get(n.name()).contains(c.name()))
                            .min(Comparator.<Node>comparingInt(c -> c.rack().equals(n.rack()) ? 1 : 0)
                                    .thenComparingInt(c -> peers.get(c.name()).size())
                                    .thenComparingInt(c -> order.get(c.name())))
                            .orElse(null);
                    if (partner == null) {
                        break; // fewer than three nodes
                    }
                    add(n.name(), partner.name(), KIND_EXTRA);
                }
            }
        }
    }
}
