package dev.kiln.cli.bringup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.spec.BuiltinSpecs;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DryRunRendererTest {

    private static final Instant START = Instant.parse("2026-03-02T08:00:00Z");

    private static WavePlan plan() {
        NodeLoad load = PowerModel.estimate(BuiltinSpecs.get("hgx-h100"), null);
        List<PlanNode> nodes = new ArrayList<>();
        Plans.Power p = new Plans.Power().hall("hall-a", 250).row("row-1", 200);
        for (int r = 1; r <= 3; r++) {
            p.place(Plans.rack(r), r <= 2 ? "row-1" : null, "hall-a").rack(Plans.rack(r), 80);
            for (int n = 1; n <= 6; n++) {
                nodes.add(new PlanNode(String.format("gpu-%d%02d", r, n), Plans.rack(r), load, Plans.TIMES));
            }
        }
        FleetPower power = p.build();
        return WavePlanner.plan(nodes, power, new Limits(8, 3, Duration.ofSeconds(10)));
    }

    @Test
    void tableShowsWavesBudgetsAgainstThe80PercentLimitFinishAndCriticalPath() {
        StringWriter sw = new StringWriter();
        DryRunRenderer.table(plan(), new PrintWriter(sw), false, START);
        String out = sw.toString();
        assertThat(out).contains("dry run, nothing was touched").contains("18 nodes in 3 racks")
                .contains("max-parallel 8, max-per-rack 3, stagger 10 s")
                .contains("at most 80% of each circuit's rating")
                .contains("WAVE").contains("PEAK / 80% LIMIT")
                .contains("BUDGET").contains("LIMIT (80%)")
                .contains("Estimated finish: ").contains("if started at 2026-03-02T08:00:00Z")
                .contains("Critical path (");
        assertThat(out.lines().filter(l -> l.matches("^1\\s+0:00:00.*"))).hasSize(1);
        assertThat(out.lines().filter(l -> l.matches("^hall 'hall-a'\\s+250\\.0 kW\\s+200\\.0 kW\\s+18\\s.*% of limit$")))
                .hasSize(1);
    }

    @Test
    void perNodeTable() {
        StringWriter sw = new StringWriter();
        DryRunRenderer.table(plan(), new PrintWriter(sw), true, null);
        assertThat(sw.toString()).contains("NODE").contains("GPU TESTS END").contains("gpu-101").contains("10.2 kW")
                .doesNotContain("if started at");
    }

    @Test
    void jsonHasEveryNodeBudgetAndWave() throws Exception {
        WavePlan plan = plan();
        StringWriter sw = new StringWriter();
        DryRunRenderer.json(plan, new PrintWriter(sw), START);
        JsonNode j = KilnJson.mapper().readTree(sw.toString());
        assertThat(j.get("kind").asText()).isEqualTo("kiln.bringup.plan");
        assertThat(j.get("dryRun").asBoolean()).isTrue();
        assertThat(j.get("continuousLoadPercent").asInt()).isEqualTo(80);
        assertThat(j.get("limits").get("maxParallel").asInt()).isEqualTo(8);
        assertThat(j.get("limits").get("staggerSeconds").asLong()).isEqualTo(10);
        assertThat(j.get("schedule")).hasSize(18);
        assertThat(j.get("finishSeconds").asLong()).isEqualTo(plan.finish().toSeconds());
        assertThat(j.get("finishAt").asText()).isEqualTo(START.plus(plan.finish()).toString());
        JsonNode hall = j.get("budgets").get(0);
        assertThat(hall.get("budget").asText()).isEqualTo("hall:hall-a");
        assertThat(hall.get("ratingWatts").asLong()).isEqualTo(250_000);
        assertThat(hall.get("limitWatts").asLong()).isEqualTo(200_000);
        assertThat(hall.get("peakWatts").asLong()).isLessThanOrEqualTo(200_000);
        JsonNode first = j.get("schedule").get(0);
        assertThat(first.get("burninWatts").asLong()).isEqualTo(10_200);
        assertThat(first.get("row").asText()).isEqualTo("row-1");
        assertThat(first.get("budgets")).hasSize(3);
        assertThat(j.get("waves").get(0).get("peakWatts").has("hall:hall-a")).isTrue();
        assertThat(j.get("criticalPath").size()).isPositive();
    }

    @Test
    void hms() {
        assertThat(DryRunRenderer.hms(Duration.ofSeconds(0))).isEqualTo("0:00:00");
        assertThat(DryRunRenderer.hms(Duration.ofSeconds(3725))).isEqualTo("1:02:05");
        assertThat(DryRunRenderer.hms(Duration.ofHours(27))).isEqualTo("27:00:00");
    }
}
