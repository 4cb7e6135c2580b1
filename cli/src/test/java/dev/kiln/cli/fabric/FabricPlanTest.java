package dev.kiln.cli.fabric;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FabricPlanTest {

    /** {@code racks} nodes per rack: node-001.. in rack order, racks rack-01... */
    static List<FabricPlan.Node> fleet(int... racks) {
        List<FabricPlan.Node> nodes = new ArrayList<>();
        int n = 1;
        for (int r = 0; r < racks.length; r++) {
            for (int i = 0; i < racks[r]; i++) {
                nodes.add(new FabricPlan.Node(String.format("node-%03d", n++), String.format("rack-%02d", r + 1)));
            }
        }
        return nodes;
    }

    static void assertSound(FabricPlan plan) {
        int n = plan.nodes().size();
        // Every node has >= 2 distinct peers once there are 3 nodes; with 2, each other.
        Map<String, Set<String>> peers = plan.peers();
        if (n >= 3) {
            assertThat(peers).allSatisfy((node, p) -> assertThat(p).as(node + "'s peers in " + plan.pairings())
                    .hasSizeGreaterThanOrEqualTo(FabricPlan.MIN_PEERS));
        }
        // No pair twice, no self pair.
        Set<String> keys = new HashSet<>();
        for (FabricPlan.Pairing p : plan.pairings()) {
            assertThat(p.driver()).isNotEqualTo(p.server());
            String key = p.driver().compareTo(p.server()) < 0 ? p.driver() + "|" + p.server()
                    : p.server() + "|" + p.driver();
            assertThat(keys.add(key)).as("pair " + p + " twice").isTrue();
        }
        // Rounds hold every pairing once, no node twice in a round, at most maxParallel per round.
        List<FabricPlan.Pairing> scheduled = new ArrayList<>();
        for (List<FabricPlan.Pairing> round : plan.rounds()) {
            assertThat(round).isNotEmpty().hasSizeLessThanOrEqualTo(plan.maxParallel());
            Set<String> busy = new HashSet<>();
            for (FabricPlan.Pairing p : round) {
                assertThat(busy.add(p.driver())).as(p.driver() + " twice in round " + round).isTrue();
                assertThat(busy.add(p.server())).as(p.server() + " twice in round " + round).isTrue();
            }
            scheduled.addAll(round);
        }
        assertThat(scheduled).containsExactlyInAnyOrderElementsOf(plan.pairings());
    }

    @Test
    void smallSetsTestEveryPairAndShareTheDrivingEvenly() {
        FabricPlan plan = FabricPlan.plan(fleet(3, 2), 64);

        assertThat(plan.strategy()).isEqualTo(FabricPlan.ALL_PAIRS);
        assertThat(plan.pairings()).hasSize(10).allMatch(p -> p.kind().equals(FabricPlan.KIND_ALL_PAIRS));
        assertThat(plan.peers()).allSatisfy((node, p) -> assertThat(p).hasSize(4));
        Map<String, Long> drives = new java.util.TreeMap<>();
        plan.pairings().forEach(p -> drives.merge(p.driver(), 1L, Long::sum));
        assertThat(drives.values()).allSatisfy(d -> assertThat(d).isBetween(1L, 3L));
        assertSound(plan);
        // 5 nodes: each round holds at most 2 pairs, so at least 5 rounds.
        assertThat(plan.rounds()).hasSizeGreaterThanOrEqualTo(5);
    }

    @Test
    void twoNodesAreOnePairAndOneNodeIsNone() {
        FabricPlan two = FabricPlan.plan(fleet(1, 1), 64);
        assertThat(two.pairings()).singleElement().satisfies(p -> assertThat(p.involves("node-001")
                && p.involves("node-002")).isTrue());
        FabricPlan one = FabricPlan.plan(fleet(1), 64);
        assertThat(one.pairings()).isEmpty();
        assertThat(one.strategy()).isEqualTo(FabricPlan.NONE);
        assertThat(one.describe()).isEqualTo("no pairs (1 node)");
    }

    @Test
    void twelveNodesInThreeRacksGetRingsAndCrossRackPairs() {
        FabricPlan plan = FabricPlan.plan(fleet(4, 4, 4), 64);

        assertThat(plan.strategy()).isEqualTo(FabricPlan.RACK_RINGS);
        assertSound(plan);
        assertThat(plan.pairings()).filteredOn(p -> p.kind().equals(FabricPlan.KIND_RING)).hasSize(12)
                .contains(new FabricPlan.Pairing("node-001", "node-002", FabricPlan.KIND_RING),
                        new FabricPlan.Pairing("node-004", "node-001", FabricPlan.KIND_RING));
        // Node k of each rack with node k of the next (the racks in a ring).
        assertThat(plan.pairings()).filteredOn(p -> p.kind().equals(FabricPlan.KIND_CROSS_RACK)).hasSize(12)
                .contains(new FabricPlan.Pairing("node-003", "node-007", FabricPlan.KIND_CROSS_RACK),
                        new FabricPlan.Pairing("node-007", "node-011", FabricPlan.KIND_CROSS_RACK),
                        new FabricPlan.Pairing("node-011", "node-003", FabricPlan.KIND_CROSS_RACK));
        assertThat(plan.peers()).allSatisfy((node, p) -> assertThat(p).hasSize(4));
        // Every node has a peer in another rack.
        assertThat(plan.pairings()).filteredOn(p -> p.kind().equals(FabricPlan.KIND_EXTRA)).isEmpty();
        assertThat(plan.describe()).startsWith("rack-rings: 24 pairs in ");
    }

    @Test
    void maxParallelCapsEachRound() {
        FabricPlan plan = FabricPlan.plan(fleet(4, 4, 4), 3);
        assertSound(plan);
        assertThat(plan.rounds()).allSatisfy(r -> assertThat(r).hasSizeLessThanOrEqualTo(3));
        assertThat(plan.rounds()).hasSizeGreaterThanOrEqualTo(8);
        assertThatThrownBy(() -> FabricPlan.plan(fleet(2), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void racksOfOneAndTwoGetPartnersInOtherRacks() {
        for (int[] racks : new int[][]{{1, 7}, {2, 5, 1}, {1, 1, 1, 1, 1, 1, 1}, {2, 2, 2, 2}, {7}, {3, 1, 3},
                {1, 9}, {2, 6}}) {
            FabricPlan plan = FabricPlan.plan(fleet(racks), 64);
            assertSound(plan);
        }
        FabricPlan lonely = FabricPlan.plan(fleet(1, 7), 64);
        // node-001 (alone in rack-01) meets two nodes of rack-02.
        assertThat(lonely.peers().get("node-001")).hasSize(2).allMatch(p -> p.compareTo("node-002") >= 0);
    }

    @Test
    void manyShapesAreSoundAndTheSameEveryTime() {
        Random random = new Random(42);
        for (int trial = 0; trial < 300; trial++) {
            int racks = 1 + random.nextInt(8);
            int[] sizes = new int[racks];
            for (int r = 0; r < racks; r++) {
                sizes[r] = 1 + random.nextInt(9);
            }
            int cap = 1 + random.nextInt(20);
            FabricPlan a = FabricPlan.plan(fleet(sizes), cap);
            assertSound(a);
            assertThat(FabricPlan.plan(fleet(sizes), cap)).as("deterministic").isEqualTo(a);
        }
    }

    @Test
    void aThousandNodesPlanWithFewRounds() {
        int[] racks = new int[32];
        java.util.Arrays.fill(racks, 32);
        FabricPlan plan = FabricPlan.plan(fleet(racks), 10_000);
        assertSound(plan);
        // Each node has 4 peers; the greedy colouring needs at most 2*4-1 rounds.
        assertThat(plan.rounds()).hasSizeLessThanOrEqualTo(7);
    }

    @Test
    void duplicateNamesAreRejected() {
        assertThatThrownBy(() -> FabricPlan.plan(List.of(new FabricPlan.Node("a", "r"), new FabricPlan.Node("a", "r")),
                4)).hasMessageContaining("'a' appears twice");
    }
}
