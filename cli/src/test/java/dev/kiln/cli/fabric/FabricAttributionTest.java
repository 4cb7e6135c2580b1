package dev.kiln.cli.fabric;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

class FabricAttributionTest {
    static final FabricPlan PLAN = FabricPlan.plan(FabricPlanTest.fleet(4, 4, 4), 64);
    static final Map<String, String> RACKS = new LinkedHashMap<>();

    static {
        PLAN.nodes().forEach(n -> RACKS.put(n.name(), n.rack()));
    }

    /** Every planned pair measured at {@code gbps(driver, server)} both ways. */
    static List<FabricAttribution.PairOutcome> measure(FabricPlan plan, BiFunction<String, String, Double> gbps) {
        List<FabricAttribution.PairOutcome> out = new ArrayList<>();
        for (FabricPlan.Pairing p : plan.pairings()) {
            double g = gbps.apply(p.driver(), p.server());
            out.add(FabricAttribution.PairOutcome.measured(p.driver(), p.server(), new NetworkResult(p.driver(),
                    p.server(), "10.0.0.1", g, g * 1.01, 40, 90, 1L << 30, 4, 5000)));
        }
        return out;
    }

    static FabricAttribution.Result attribute(BiFunction<String, String, Double> gbps) {
        return FabricAttribution.attribute(measure(PLAN, gbps), null, null, RACKS);
    }

    @Test
    void aHealthyFleetHasNoFindings() {
        FabricAttribution.Result r = attribute((a, b) -> 90.0 + (a.hashCode() + b.hashCode()) % 5);

        assertThat(r.findings()).isEmpty();
        assertThat(r.badNodes()).isEmpty();
        assertThat(r.slowPairs()).isZero();
        assertThat(r.pairs()).hasSize(24).allMatch(p -> !p.slow() && p.blame() == null);
        assertThat(r.threshold().gbps()).isBetween(42.5, 47.5);
        assertThat(r.threshold().expected()).startsWith(">= 4").contains("half the fleet median")
                .contains("over 24 pairs");
    }

    @Test
    void oneBadNodeIsBlamedAndNotItsPeers() {
        FabricAttribution.Result r = attribute((a, b) -> a.equals("node-007") || b.equals("node-007") ? 4.0 : 92.0);

        assertThat(r.badNodes()).containsExactly("node-007");
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.test()).isEqualTo(FabricTestIds.NETWORK);
            assertThat(f.severity()).isEqualTo(FabricFinding.FAIL);
            assertThat(f.subject()).isEqualTo("node");
            assertThat(f.ends()).containsExactly("node-007");
            assertThat(f.observed()).startsWith("slow with 4 of 4 peers: node-003 4.0 Gbit/s, node-006 4.0 Gbit/s")
                    .contains("node-008").contains("node-003").contains("node-011");
            assertThat(f.expected()).isEqualTo(">= 46.0 Gbit/s each way (half the fleet median, 92.0 Gbit/s over "
                    + "24 pairs)");
            assertThat(f.culprit()).startsWith("node-007's NIC, cable or switch port: slow with every peer")
                    .doesNotContain("rack-02's switch");
            assertThat(f.action()).contains("--node node-007,");
        });
        assertThat(r.pairs()).filteredOn(FabricAttribution.JudgedPair::slow).hasSize(4)
                .allMatch(p -> p.blame().equals("node node-007"));
    }

    @Test
    void oneBadPairIsBlamedOnThePathAndNeitherNode() {
        // node-011 -> node-003 is a cross-rack pair of the plan.
        FabricAttribution.Result r = attribute((a, b) -> Set.of(a, b).equals(Set.of("node-003", "node-011"))
                ? 9.5 : 92.0);

        assertThat(r.badNodes()).isEmpty();
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.subject()).isEqualTo("node-pair");
            assertThat(f.ends()).containsExactly("node-011", "node-003");
            assertThat(f.observed()).isEqualTo("9.5 Gbit/s: node-011 -> node-003 9.5, node-003 -> node-011 9.6; "
                    + "rtt p50 40.0 us");
            assertThat(f.expected()).startsWith(">= 46.0 Gbit/s each way");
            assertThat(f.culprit()).isEqualTo("the path between node-011 and node-003: both are fine with other "
                    + "peers (node-011 with node-007, node-010, node-012; node-003 with node-002, node-004, node-007)");
            assertThat(f.action()).contains("switch ports and cables between node-011 and node-003")
                    .contains("--node node-011,node-003");
        });
        assertThat(r.pairs()).filteredOn(FabricAttribution.JudgedPair::slow).singleElement()
                .satisfies(p -> assertThat(p.blame()).isEqualTo("path"));
    }

    @Test
    void aNodeThatNoPeerCanReachIsBlamedWithTheFailures() {
        List<FabricAttribution.PairOutcome> outcomes = new ArrayList<>();
        for (FabricAttribution.PairOutcome o : measure(PLAN, (a, b) -> 92.0)) {
            outcomes.add(o.driver().equals("node-010") || o.server().equals("node-010")
                    ? FabricAttribution.PairOutcome.failed(o.driver(), o.server(), "connect to 10.0.3.2:40123: "
                    + "connection refused") : o);
        }
        FabricAttribution.Result r = FabricAttribution.attribute(outcomes, null, null, RACKS);

        assertThat(r.badNodes()).containsExactly("node-010");
        assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f.observed())
                .contains("failed (connect to 10.0.3.2:40123: connection refused)"));
        assertThat(r.threshold().medianGbps()).isEqualTo(92.0);
    }

    @Test
    void anAbsoluteMinimumJudgesInsteadOfTheMedian() {
        FabricAttribution.Result r = FabricAttribution.attribute(measure(PLAN, (a, b) ->
                a.equals("node-001") || b.equals("node-001") ? 80.0 : 120.0), 100.0, "spec lab, fabric.networkGbitps",
                RACKS);

        assertThat(r.threshold().expected()).isEqualTo(">= 100 Gbit/s each way (spec lab, fabric.networkGbitps)");
        assertThat(r.badNodes()).containsExactly("node-001");
    }

    @Test
    void everyPairSlowIsOneFindingAboutTheFabric() {
        FabricAttribution.Result r = FabricAttribution.attribute(measure(PLAN, (a, b) -> 40.0), 100.0, "--min",
                RACKS);

        assertThat(r.badNodes()).isEmpty();
        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.subject()).isEqualTo("fabric");
            assertThat(f.observed()).isEqualTo("all 24 pairs slow: 40.0 Gbit/s to 40.0 Gbit/s");
            assertThat(f.culprit()).startsWith("the network as a whole");
        });
        assertThat(r.pairs()).allMatch(p -> p.slow() && p.blame().equals("fabric"));
    }

    @Test
    void aWholeBadRackNamesTheRacksSwitch() {
        // Only cross-rack traffic of rack-03 is slow: its uplink.
        FabricAttribution.Result r = attribute((a, b) -> RACKS.get(a).equals(RACKS.get(b))
                || !RACKS.get(a).equals("rack-03") && !RACKS.get(b).equals("rack-03") ? 92.0 : 3.0);

        // Rack-03's nodes are fine with each other (ring) but slow with both cross-rack peers.
        assertThat(r.badNodes()).containsExactly("node-009", "node-010", "node-011", "node-012");
        assertThat(r.findings()).hasSize(4).allSatisfy(f -> assertThat(f.culprit())
                .contains("'s network path: slow with").contains("every tested node of rack-03 is slow, so check "
                        + "rack-03's switch and uplinks first"));
    }

    @Test
    void aSlowPairWithoutHealthyComparisonsIsReportedAsUnclear() {
        FabricPlan two = FabricPlan.plan(FabricPlanTest.fleet(1, 1, 1), 64);
        // Three nodes, all pairs; only node-001 <-> node-002 measured slow, node-003's tests did not run.
        List<FabricAttribution.PairOutcome> outcomes = new ArrayList<>(measure(two, (a, b) -> 90.0));
        outcomes.removeIf(o -> o.driver().equals("node-003") || o.server().equals("node-003"));
        outcomes.add(FabricAttribution.PairOutcome.failed("node-001", "node-002", "timed out"));
        FabricAttribution.Result r = FabricAttribution.attribute(outcomes, null, null, Map.of());

        assertThat(r.findings()).singleElement().satisfies(f -> {
            assertThat(f.subject()).isEqualTo("node-pair");
            assertThat(f.culprit()).contains("or the path between them").contains("no good test with another peer");
        });
    }

    @Test
    void mergeListsAgentFindingsPerNodeThenKilnsFailFirst() {
        FabricFinding link = new FabricFinding(FabricTestIds.NVLINK, FabricFinding.FAIL, "nvlink",
                List.of("GPU 3 (00000000:5D:00.0) link 7", "NVSwitch 0000:05:00.0"), "inactive", "active",
                "the NVLink of GPU 3 link 7", "reseat the GPU baseboard");
        FabricFinding warn = new FabricFinding(FabricTestIds.NVLINK, FabricFinding.WARN, "nvlink",
                List.of("GPU 1 link 2"), "12 replay errors", "0", "a marginal link", "watch it");
        Map<String, List<FabricResult>> perNode = new LinkedHashMap<>();
        perNode.put("node-001", List.of(new FabricResult(FabricTestIds.NVLINK, "PASS", null, 10, null, null, null,
                null, null, null, List.of(warn))));
        perNode.put("node-002", List.of(new FabricResult(FabricTestIds.NVLINK, "FAIL", null, 10, null, null, null,
                null, null, null, List.of(link)), FabricResult.error(FabricTestIds.P2P, "CUDA unavailable", 5),
                FabricResult.skipped(FabricTestIds.NCCL, "nccl-tests not installed"),
                new FabricResult(FabricTestIds.RDMA, "FAIL", "port mlx5_0/1 symbol errors", 10, null, null, null,
                        null, null, null, null)));
        FabricFinding kiln = new FabricFinding(FabricTestIds.NETWORK, FabricFinding.FAIL, "node-pair",
                List.of("node-001", "node-002"), "1 Gbit/s", ">= 40 Gbit/s", "the path", "check cables");

        List<FabricAttribution.Located> all = FabricAttribution.merge(perNode, List.of(kiln));

        assertThat(all).extracting(l -> l.node() + " " + l.finding().severity() + " " + l.finding().test())
                .containsExactly("node-002 FAIL fabric.nvlink", "node-002 FAIL fabric.rdma",
                        "null FAIL fabric.network", "node-002 ERROR fabric.p2p", "node-001 WARN fabric.nvlink");
        assertThat(all.get(1).finding().culprit()).isEqualTo("port mlx5_0/1 symbol errors");
        assertThat(all.get(3).finding().culprit()).isEqualTo("CUDA unavailable");
        assertThat(all).filteredOn(l -> FabricAttribution.failing(l.finding())).hasSize(4);
        assertThat(all.get(2).source()).isEqualTo(FabricAttribution.SOURCE_KILN);
    }
}
