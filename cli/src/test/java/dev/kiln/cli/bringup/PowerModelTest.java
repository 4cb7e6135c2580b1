package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.NodeSpec;
import dev.kiln.protocol.spec.SpecFile;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PowerModelTest {
    private static final NodeSpec H100 = BuiltinSpecs.get("hgx-h100");

    /** An inventory with one GPU per {enforced limit mW, usage mW}; null fields are left out. */
    private static InventoryDocument inventory(Integer[]... gpus) throws Exception {
        StringBuilder json = new StringBuilder("{\"schemaVersion\": 1, \"kind\": \"kiln.inventory\", \"gpus\": [");
        for (int i = 0; i < gpus.length; i++) {
            json.append(i > 0 ? "," : "").append("{\"index\": ").append(i).append(", \"state\": \"ok\"");
            if (gpus[i][0] != null) {
                json.append(", \"powerEnforcedLimitMilliwatts\": ").append(gpus[i][0]);
            }
            if (gpus[i][1] != null) {
                json.append(", \"powerUsageMilliwatts\": ").append(gpus[i][1]);
            }
            json.append('}');
        }
        return KilnJson.mapper().readValue(json.append("]}").toString(), InventoryDocument.class);
    }

    @Test
    void fromTheSpecAlone() {
        NodeLoad l = PowerModel.estimate(H100, null);
        assertThat(l.known()).isTrue();
        assertThat(l.burninWatts()).isEqualTo(8 * 700 + 4600);
        assertThat(l.idleWatts()).isEqualTo(4600 + 8 * 105); // 15% of 700 W per GPU + the host
        assertThat(l.basis()).contains("8 GPUs 5.6 kW").contains("8 x 700 W from spec hgx-h100 gpu.powerLimitWatts")
                .contains("host 4.6 kW (spec hgx-h100 host.overheadWatts)");
    }

    @Test
    void enforcedLimitsFromTheInventoryWinAndMissingGpusCountAtTheSpecLimit() throws Exception {
        // 7 GPUs answer (6 at 700 W, one capped at 500 W, one without a reading); the spec says 8.
        Integer[][] gpus = new Integer[7][];
        for (int i = 0; i < 5; i++) {
            gpus[i] = new Integer[] {700_000, 60_000};
        }
        gpus[5] = new Integer[] {500_000, 50_000};
        gpus[6] = new Integer[] {null, null};
        NodeLoad l = PowerModel.estimate(H100, inventory(gpus));
        assertThat(l.burninWatts()).isEqualTo(5 * 700 + 500 + 700 + 700 + 4600);
        assertThat(l.idleWatts()).isEqualTo(4600 + 5 * 60 + 50 + 105 + 105);
        assertThat(l.basis()).contains("8 GPUs").contains("6 enforced limits from inventory")
                .contains("2 x 700 W from spec hgx-h100").contains("measured");
    }

    @Test
    void unknownWithoutAnOverheadOrLimits() throws Exception {
        NodeSpec noOverhead = SpecFile.parse("x.yaml", "spec: x\ngpu: {count: 8, powerLimitWatts: 700}\n");
        assertThat(PowerModel.estimate(noOverhead, null).problem()).contains("spec x sets no host.overheadWatts");
        assertThat(PowerModel.estimate(null, inventory(new Integer[] {700_000, null})).problem())
                .contains("no spec");
        NodeSpec noLimit = SpecFile.parse("x.yaml", "spec: x\ngpu: {count: 8}\nhost: {overheadWatts: 1000}\n");
        assertThat(PowerModel.estimate(noLimit, null).problem()).contains("gpu.powerLimitWatts");
        NodeSpec noCount = SpecFile.parse("x.yaml", "spec: x\ngpu: {powerLimitWatts: 300}\nhost: {overheadWatts: 1000}\n");
        assertThat(PowerModel.estimate(noCount, null).problem()).contains("gpu.count");
        // The inventory fills in what the spec lacks.
        NodeLoad l = PowerModel.estimate(noLimit, inventory(new Integer[][] {
                {400_000, null}, {400_000, null}, {400_000, null}, {400_000, null},
                {400_000, null}, {400_000, null}, {400_000, null}, {400_000, null}}));
        assertThat(l.burninWatts()).isEqualTo(8 * 400 + 1000);
    }

    @Test
    void limitIs80PercentOfTheRatingRoundedDown() {
        assertThat(PowerModel.limitWatts(40_000)).isEqualTo(32_000);
        assertThat(PowerModel.limitWatts(17_301)).isEqualTo(13_840);
        PowerBudget b = new PowerBudget(PowerBudget.Scope.ROW, "row-1", 250_000, 3);
        assertThat(PowerModel.describe(b)).isEqualTo("row 'row-1' (80% of its 250.0 kW rating = 200.0 kW)");
    }

    @Test
    void nodesOutsideTheRolloutCountAtFullDraw() {
        FleetPower power = new Plans.Power().rack("r1", 50).hall("h", 500).place("r1", null, "h").place("r2", null, "h")
                .build();
        var outside = PowerModel.outsideLoad(power, List.of(Plans.node("x", "r1", 10_000, 1_000),
                Plans.node("y", "r2", 8_000, 1_000), Plans.node("z", "r9", 8_000, 1_000)));
        assertThat(outside).containsEntry("rack:r1", 10_000L).containsEntry("hall:h", 18_000L).hasSize(2);
        assertThatThrownBy(() -> PowerModel.outsideLoad(power, List.of(new PlanNode("u", "r2",
                NodeLoad.unknown("no spec"), Plans.TIMES))))
                .isInstanceOf(InfeasiblePlanException.class).hasMessageContaining("node 'u'")
                .hasMessageContaining("hall 'h' (80% of its 500.0 kW rating = 400.0 kW)");
    }
}
