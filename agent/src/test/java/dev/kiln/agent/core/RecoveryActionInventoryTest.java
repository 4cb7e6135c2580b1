package dev.kiln.agent.core;

import dev.kiln.agent.Schemas;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** NVML's recovery-action field (230) on the wire, from simulated faults. */
class RecoveryActionInventoryTest {

    private static InventoryDocument inventory(Fault... faults) {
        try (NodeAgent a = NodeAgent.simulated("node-ra", ServerPresets.HGX_H100, FaultPlan.of(faults), 1, true)) {
            return a.inventory(true);
        }
    }

    @Test
    void theDriversRecommendationIsMappedPerGpu() {
        InventoryDocument doc = inventory(new Fault.DriverRecoveryAction(3, RecoveryAction.DRAIN_AND_RESET),
                new Fault.DriverRecoveryAction(5, RecoveryAction.RECOVER_IMEX_DOMAIN));
        assertThat(doc.gpus()).extracting(GpuInventory::recoveryAction).containsExactly("none", "none", "none",
                "drain_and_reset", "none", "recover_imex_domain", "none", "none");
        assertThat(Schemas.errors(Schemas.INVENTORY, doc)).isEmpty();
    }

    @Test
    void absentOnADriverWithoutFieldValuesAndOnALostGpu() {
        InventoryDocument old = inventory(new Fault.MissingSymbol(List.of("nvmlDeviceGetFieldValues"), Optional.empty()));
        assertThat(old.gpus()).allSatisfy(g -> assertThat(g.recoveryAction()).isNull());
        assertThat(Schemas.errors(Schemas.INVENTORY, old)).isEmpty();

        InventoryDocument lost = inventory(new Fault.Xid(2, 79, Duration.ZERO));
        assertThat(lost.gpus().get(2).state()).isEqualTo(GpuInventory.STATE_LOST);
        assertThat(lost.gpus().get(2).recoveryAction()).isNull();
        assertThat(Schemas.errors(Schemas.INVENTORY, lost)).isEmpty();
    }

    @Test
    void everyActionHasASchemaValue() {
        for (RecoveryAction a : RecoveryAction.values()) {
            if (a == RecoveryAction.UNKNOWN) {
                continue;
            }
            InventoryDocument doc = inventory(new Fault.DriverRecoveryAction(0, a));
            assertThat(doc.gpus().get(0).recoveryAction()).isEqualTo(a.wireName());
            assertThat(Schemas.errors(Schemas.INVENTORY, doc)).as(a.wireName()).isEmpty();
        }
    }
}
