package dev.kiln.cli.report;

import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.check.GpuRef;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.kiln.cli.report.ReportFixtures.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RolloutTest {

    @Test
    void countsTimeToProductionAndThroughput() {
        Rollout r = Rollout.of(ReportFixtures.small());

        assertThat(r.fleet()).isEqualTo(new Rollout.Counts(5, 2, 1, 1, 1));
        assertThat(r.fleet().complete()).isFalse();
        assertThat(r.start()).isEqualTo(at("06:00"));
        assertThat(r.lastAcceptance()).isEqualTo(at("09:30"));
        // 2 accepted over 06:00 .. 09:30
        assertThat(r.throughputPerHour()).isCloseTo(2 / 3.5, within(1e-9));
        assertThat(r.timeToProduction().accepted()).isEqualTo(2);
        assertThat(r.timeToProduction().median()).isEqualTo(Duration.ofMinutes(150 + 165).dividedBy(2));
        assertThat(r.timeToProduction().p90()).isEqualTo(Duration.ofMinutes(165));
        assertThat(r.timeToProduction().max()).isEqualTo(Duration.ofMinutes(165));
        assertThat(r.timeToProduction().slowest()).isEqualTo("node-01");
        assertThat(r.rmaGpus()).isEqualTo(2);
        assertThat(r.open()).extracting(NodeReport::name).as("never contacted first, then oldest contact")
                .containsExactly("node-04", "node-03");
        assertThat(r.racks()).extracting(Rollout.RackSummary::rack).containsExactly("rack-a", "rack-b");
        assertThat(r.racks().get(0).counts()).isEqualTo(new Rollout.Counts(3, 2, 1, 0, 0));
        assertThat(r.racks().get(1).timeToProduction().median()).isNull();
        assertThat(r.racks().get(0).rmaGpus()).isEqualTo(2);
    }

    @Test
    void criticalPathIsTheLastAcceptedNodesChainAndAddsUpToTheSpan() {
        Rollout.CriticalPath p = Rollout.of(ReportFixtures.small()).criticalPath();

        assertThat(p.node()).isEqualTo("node-10");
        assertThat(p.complete()).isFalse();
        assertThat(p.segments()).extracting(Rollout.Segment::kind, Rollout.Segment::name).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Rollout.SegmentKind.BEFORE_CONTACT, "before first contact"),
                org.assertj.core.groups.Tuple.tuple(Rollout.SegmentKind.STAGE, "inventory"),
                org.assertj.core.groups.Tuple.tuple(Rollout.SegmentKind.WAIT, "waiting"),
                org.assertj.core.groups.Tuple.tuple(Rollout.SegmentKind.STAGE, "checks"),
                org.assertj.core.groups.Tuple.tuple(Rollout.SegmentKind.WAIT, "waiting"),
                org.assertj.core.groups.Tuple.tuple(Rollout.SegmentKind.STAGE, "fabric"),
                org.assertj.core.groups.Tuple.tuple(Rollout.SegmentKind.SIGN_OFF, "until accepted"));
        assertThat(p.segments().get(0).duration()).isEqualTo(Duration.ofHours(1));
        assertThat(p.segments().get(6).duration()).isEqualTo(Duration.ofMinutes(30));
        Duration sum = p.segments().stream().map(Rollout.Segment::duration).reduce(Duration.ZERO, Duration::plus);
        assertThat(sum).isEqualTo(p.duration()).isEqualTo(Duration.ofMinutes(210));
        for (int i = 1; i < p.segments().size(); i++) {
            assertThat(p.segments().get(i).start()).as("contiguous").isEqualTo(p.segments().get(i - 1).end());
        }
    }

    @Test
    void overlappingStagesKeepTheOneThatEndedLast() {
        List<Stage> stages = List.of(
                new Stage("a", StageState.PASSED, at("06:00"), at("07:00"), null),
                new Stage("b", StageState.PASSED, at("06:30"), at("06:45"), null),
                new Stage("c", StageState.PASSED, at("06:50"), at("08:00"), null));
        NodeReport n = new NodeReport("n", "r", Verdict.ACCEPTED, at("06:00"), at("08:00"), stages, null, null, null,
                null);
        Rollout.CriticalPath p = Rollout.criticalPath(n, at("06:00"), true);

        // c started before a ended: the chain is c, then whatever ended last before c's start (b at 06:45).
        assertThat(p.segments()).extracting(Rollout.Segment::name)
                .containsExactly("waiting", "b", "waiting", "c");
        assertThat(p.segments().get(0).duration()).isEqualTo(Duration.ofMinutes(30));
    }

    @Test
    void noAcceptanceNoPathAndNoThroughput() {
        ReportModel m = ReportModel.of(ReportFixtures.fleet(ReportFixtures.NOW),
                List.of(ReportFixtures.node02(), ReportFixtures.node03()));
        Rollout r = Rollout.of(m);

        assertThat(r.criticalPath()).isNull();
        assertThat(r.throughputPerHour()).isNull();
        assertThat(r.lastAcceptance()).isNull();
        assertThat(r.timeToProduction().median()).isNull();
    }

    @Test
    void aCompleteRolloutSaysSo() {
        Rollout r = Rollout.of(ReportFixtures.complete(ReportFixtures.NOW));

        assertThat(r.fleet().complete()).isTrue();
        assertThat(r.criticalPath().complete()).isTrue();
        assertThat(r.open()).isEmpty();
    }

    @Test
    void modelSortsNaturallyAndRefusesInconsistentNodes() {
        List<NodeReport> nodes = new ArrayList<>(List.of(ReportFixtures.node01(), ReportFixtures.node02(),
                ReportFixtures.node10(), ReportFixtures.node03(), ReportFixtures.node04()));
        Collections.reverse(nodes);
        ReportModel m = ReportModel.of(ReportFixtures.fleet(ReportFixtures.NOW), nodes);

        assertThat(m.nodes().map(NodeReport::name)).containsExactly("node-01", "node-02", "node-10", "node-03",
                "node-04");
        assertThat(m).isEqualTo(ReportFixtures.small());
        assertThat(ReportFixtures.node10().stages()).extracting(Stage::name).as("by start")
                .containsExactly("inventory", "checks", "burnin", "fabric");
        assertThat(ReportFixtures.node02().findings()).extracting(Finding::severity).as("worst first")
                .containsExactly(Severity.FAIL, Severity.FAIL, Severity.WARN);
        assertThat(ReportFixtures.node02().rma()).extracting(RmaGpu::index).containsExactly(1, 3);
        assertThat(m.onlyRacks(List.of("rack-b")).nodes().map(NodeReport::name)).containsExactly("node-03",
                "node-04");
        assertThatThrownBy(() -> m.onlyRacks(List.of("rack-z"))).hasMessageContaining("no rack named rack-z");
        assertThatThrownBy(() -> new NodeReport("x", "r", Verdict.ACCEPTED, at("06:00"), null, null, null, null,
                null, null)).hasMessageContaining("acceptedAt");
        assertThatThrownBy(() -> ReportModel.of(ReportFixtures.fleet(ReportFixtures.NOW),
                List.of(ReportFixtures.node01(), ReportFixtures.node01()))).hasMessageContaining("twice");
        assertThat(NaturalOrder.INSTANCE.compare("node-2", "node-10")).isNegative();
        assertThat(NaturalOrder.INSTANCE.compare("node-010", "node-9")).isPositive();
        assertThat(NaturalOrder.INSTANCE.compare("a", "a1")).isNegative();
    }

    @Test
    void agentSamplesBecomeSeriesInWatts() {
        List<GpuSeries> s = GpuSeries.fromSamples(ReportFixtures.samples(at("08:00"), 3, 2));

        assertThat(s).extracting(GpuSeries::gpuIndex).containsExactly(0, 1);
        assertThat(s.get(1).points()).hasSize(3);
        assertThat(s.get(1).points().get(0).powerW()).isEqualTo(601.0);
        assertThat(s.get(0).points().get(2).time()).isEqualTo(at("08:01"));
        assertThat(s.get(0).points().get(0).temperatureC()).isEqualTo(40.0);
    }

    @Test
    void checkResultsBecomeFindings() {
        CheckResult r = new CheckResult("gpu.pcie.link", CheckStatus.FAIL,
                new GpuRef(5, "GPU-5", "1650000000005", "0000:9A:00.0"), null, "Gen4 x8", "Gen5 x16",
                "PCIe link below spec", "reseat GPU 5", 3);
        Finding f = Finding.of("checks", r);

        assertThat(f.severity()).isEqualTo(Severity.FAIL);
        assertThat(f.subject()).isEqualTo("GPU 5 (serial 1650000000005)");
        assertThat(f.message()).isEqualTo("PCIe link below spec (observed Gen4 x8, expected Gen5 x16)");
        assertThat(f.action()).isEqualTo("reseat GPU 5");

        Finding fabric = Finding.of("fabric", new dev.kiln.protocol.fabric.FabricFinding("fabric.p2p", "FAIL", "gpu",
                List.of("GPU 3 (00000000:5D:00.0)"), "118 GB/s", ">= 335 GB/s (hgx-h100)",
                "GPU 3 is slow with every peer", "reseat GPU 3"));
        assertThat(fabric).isEqualTo(new Finding(Severity.FAIL, "fabric", "fabric.p2p", "gpu: GPU 3 (00000000:5D:00.0)",
                "GPU 3 is slow with every peer (observed 118 GB/s, expected >= 335 GB/s (hgx-h100))", "reseat GPU 3"));
        Finding burnin = Finding.of("burnin", new dev.kiln.protocol.burnin.GpuTestResult(2, "GPU-2", "165", "bus",
                "burnin.memory", "FAIL", null, java.util.Map.of(), List.of("mismatch at 0x10", "mismatch at 0x20"), 5));
        assertThat(burnin.severity()).isEqualTo(Severity.FAIL);
        assertThat(burnin.subject()).isEqualTo("GPU 2 (serial 165)");
        assertThat(burnin.message()).isEqualTo("mismatch at 0x10; mismatch at 0x20");
    }
}
