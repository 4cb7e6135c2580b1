package dev.kiln.agent.checks;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.RecoveryAction;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.NodeSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every fault the simulator can inject is reported by the right check on the right GPU, and
 * nothing else is reported; healthy nodes of every preset report nothing (zero false positives).
 */
class FaultMatrixTest {
    private static final int SLOT = 2;

    /** One row: a fault, the checks allowed (and required) to report it, and the worst status expected. */
    record Row(String name, Fault fault, Set<String> reportingChecks, CheckStatus status, boolean perGpu) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Row> rows(ServerPreset preset) {
        List<Row> rows = new ArrayList<>(List.of(
                new Row("gpu-missing", new Fault.GpuMissing(SLOT), Set.of("gpu.count"), CheckStatus.FAIL, false),
                new Row("ecc-uncorrectable", new Fault.EccUncorrectable(SLOT, 2), Set.of("gpu.ecc.uncorrectable"),
                        CheckStatus.FAIL, true),
                new Row("remap-pending", new Fault.RemapPending(SLOT), Set.of("gpu.remap.pending"), CheckStatus.FAIL, true),
                new Row("remap-failure", new Fault.RemapFailure(SLOT), Set.of("gpu.remap.failure"), CheckStatus.FAIL, true),
                new Row("pcie-width", new Fault.PcieDowntrained(SLOT, Optional.of(4), Optional.of(8)),
                        Set.of("gpu.pcie.link"), CheckStatus.FAIL, true),
                new Row("pcie-generation-idle", new Fault.PcieDowntrained(SLOT, Optional.of(preset.gpu().pcieGeneration() - 1),
                        Optional.empty()), Set.of("gpu.pcie.link"), CheckStatus.WARN, true),
                new Row("thermal-slowdown", new Fault.ThermalSlowdown(SLOT), Set.of("gpu.thermal", "gpu.clocks.events"),
                        CheckStatus.FAIL, true),
                new Row("gpu-lost", new Fault.GpuLost(SLOT, 0, Duration.ZERO), Set.of("gpu.lost"), CheckStatus.FAIL, true),
                new Row("old-driver", new Fault.MissingSymbol(List.of("nvmlDeviceGetRemappedRows"), Optional.of("470.57.02")),
                        Set.of("driver.version"), CheckStatus.FAIL, false),
                new Row("missing-symbol", new Fault.MissingSymbol(List.of("nvmlDeviceGetTotalEnergyConsumption"),
                        Optional.empty()), Set.of("driver.version"), CheckStatus.WARN, false),
                new Row("wrong-vbios", new Fault.WrongVbios(SLOT, "96.00.5E.00.02"), Set.of("gpu.vbios"), CheckStatus.FAIL, true),
                new Row("process-running", new Fault.ProcessRunning(SLOT, 31337, 1L << 30), Set.of("gpu.processes"),
                        CheckStatus.WARN, true)));
        rows.add(new Row("xid-74-nvlink", new Fault.Xid(SLOT, 74, Duration.ZERO), Set.of("gpu.xid.recent"),
                CheckStatus.FAIL, true));
        rows.add(new Row("xid-48-double-bit-ecc", new Fault.Xid(SLOT, 48, Duration.ZERO),
                Set.of("gpu.xid.recent", "gpu.ecc.uncorrectable"), CheckStatus.FAIL, true));
        rows.add(new Row("xid-63-remap", new Fault.Xid(SLOT, 63, Duration.ZERO),
                Set.of("gpu.xid.recent", "gpu.remap.pending"), CheckStatus.FAIL, true));
        rows.add(new Row("recovery-action", new Fault.DriverRecoveryAction(SLOT, RecoveryAction.GPU_RESET),
                Set.of("gpu.recovery.action", "gpu.xid.recent"), CheckStatus.FAIL, true));
        if (preset.nvlinksPerGpu() > 0) {
            rows.add(new Row("nvlink-down", new Fault.NvlinkDown(SLOT, List.of(3, 7)), Set.of("gpu.nvlink.links"),
                    CheckStatus.FAIL, true));
        }
        return rows;
    }

    static Stream<Arguments> matrix() {
        return ServerPresets.ids().stream().map(ServerPresets::get)
                .flatMap(p -> rows(p).stream().map(r -> Arguments.of(p.id(), r)));
    }

    static Stream<String> presets() {
        return ServerPresets.ids().stream();
    }

    @ParameterizedTest(name = "{0} healthy: no findings")
    @MethodSource("presets")
    void healthyNodesReportNothing(String presetId) {
        ServerPreset preset = ServerPresets.get(presetId);
        CheckReport report;
        try (NodeAgent agent = NodeAgent.simulated("node-001", preset, FaultPlan.NONE, 1, true)) {
            report = agent.check(CheckHarness.spec(preset), List.of(), List.of());
        }
        assertThat(CheckHarness.notPassing(report)).isEmpty();
        assertThat(report.verdict()).isEqualTo(CheckStatus.PASS);
        assertThat(report.results()).extracting(CheckResult::id).containsAll(CheckRegistry.builtIn().ids());
        if (preset.nvlinksPerGpu() == 0) {
            assertThat(report.results()).filteredOn(r -> r.id().equals("gpu.nvlink.links"))
                    .singleElement().satisfies(r -> {
                        assertThat(r.status()).isEqualTo(CheckStatus.SKIP);
                        assertThat(r.message()).contains("PCIe SKU");
                    });
        }
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("matrix")
    void eachFaultIsReportedByTheRightCheckOnTheRightGpu(String presetId, Row row) {
        ServerPreset preset = ServerPresets.get(presetId);
        NodeSpec spec = CheckHarness.spec(preset);
        String slotBusId = preset.gpuBusIds().get(SLOT);
        CheckReport report;
        boolean lost = row.fault() instanceof Fault.GpuLost;
        // The agent's own path: fresh inventory, its event log, the standard runner.
        try (NodeAgent agent = NodeAgent.simulated("node-001", preset, lost ? FaultPlan.NONE : FaultPlan.of(row.fault()),
                1, true)) {
            if (lost) {
                // Lose it after a first good read, as in the field, so the report can still name the board.
                agent.inventory(true);
                agent.simulatedServer().gpu(SLOT).loseNow();
            }
            report = agent.check(spec, List.of(), List.of());
        }
        List<CheckResult> findings = CheckHarness.notPassing(report);

        assertThat(findings).as("findings %s", describe(findings)).isNotEmpty();
        assertThat(findings).extracting(CheckResult::id).as("only the expected checks report")
                .allMatch(row.reportingChecks()::contains);
        assertThat(findings.stream().map(CheckResult::id).collect(Collectors.toSet()))
                .as("every expected check reports").containsAll(row.reportingChecks());
        assertThat(report.verdict()).isEqualTo(row.status());
        for (CheckResult f : findings) {
            assertThat(f.message()).isNotBlank();
            assertThat(f.action()).as("action of %s", f.id()).isNotBlank();
            if (row.perGpu()) {
                assertThat(f.gpu()).as("GPU of %s", f.id()).isNotNull();
                assertThat(f.gpu().pciBusId()).isEqualTo(slotBusId);
                assertThat(f.gpu().serial()).isNotBlank();
                assertThat(f.gpu().uuid()).startsWith("GPU-");
            }
        }
        if (row.fault() instanceof Fault.GpuMissing) {
            assertThat(findings).extracting(CheckResult::subject).containsExactly(slotBusId);
        }
    }

    private static String describe(List<CheckResult> findings) {
        return findings.stream().map(r -> r.id() + "=" + r.status() + "(" + r.message() + ")").toList().toString();
    }
}
