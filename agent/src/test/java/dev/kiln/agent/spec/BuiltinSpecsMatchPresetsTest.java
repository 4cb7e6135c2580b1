package dev.kiln.agent.spec;

import dev.kiln.agent.checks.CheckContext;
import dev.kiln.agent.checks.CheckRegistry;
import dev.kiln.agent.checks.CheckRunner;
import dev.kiln.agent.checks.RecentEvents;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.GpuModel;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.event.GpuEvent;
import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.DriverVersions;
import dev.kiln.protocol.spec.NodeSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in specs (protocol resources) describe the simulator presets (nvml-bindings) exactly, so a
 * healthy simulated node passes every check against its built-in spec. The protocol module cannot see
 * the presets, hence this test lives here.
 */
class BuiltinSpecsMatchPresetsTest {
    private static final long MIB = 1024L * 1024;
    private static final long GIB = 1024L * MIB;

    static Stream<String> presets() {
        return ServerPresets.ids().stream();
    }

    @Test
    void oneBuiltinSpecPerPreset() {
        assertThat(BuiltinSpecs.names()).containsExactlyInAnyOrderElementsOf(ServerPresets.ids());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void specValuesAreThePresets(String id) {
        ServerPreset preset = ServerPresets.get(id);
        GpuModel model = preset.gpu();
        NodeSpec spec = BuiltinSpecs.get(id);
        NodeSpec.GpuSpec gpu = spec.gpu();

        assertThat(spec.name()).isEqualTo(preset.id());
        assertThat(gpu.count()).isEqualTo(preset.gpuCount());
        assertThat(gpu.model()).isEqualTo(model.name());
        assertThat(model.memoryBytes() % MIB).isZero();
        assertThat(gpu.memoryMiB()).isEqualTo(model.memoryBytes() / MIB);
        assertThat(gpu.busIds()).containsExactlyElementsOf(preset.gpuBusIds());
        assertThat(gpu.vbios()).containsExactly(model.vbiosVersion());
        assertThat(gpu.pcieGeneration()).isEqualTo(model.pcieGeneration());
        assertThat(gpu.pcieWidth()).isEqualTo(model.pcieWidth());
        assertThat(gpu.nvlinks()).isEqualTo(preset.nvlinksPerGpu());
        assertThat(model.powerLimitMilliwatts() % 1000).isZero();
        assertThat(gpu.powerLimitWatts()).isEqualTo(model.powerLimitMilliwatts() / 1000);
        assertThat(gpu.ecc()).isTrue();
        assertThat(gpu.persistence()).isTrue();
        assertThat(gpu.mig()).isFalse();

        assertThat(DriverVersions.compare(spec.driver().min(), preset.driverVersion())).as("driver.min").isLessThanOrEqualTo(0);
        assertThat(DriverVersions.compare(preset.driverVersion(), spec.driver().max())).as("driver.max").isLessThanOrEqualTo(0);

        ServerPreset.HostModel host = preset.host();
        assertThat(spec.infiniband().ports()).isEqualTo(host.ibPorts());
        assertThat(spec.infiniband().rateGbps()).isEqualTo((double) host.ibRateGbps());
        assertThat(spec.infiniband().state()).isEqualTo("ACTIVE");
        assertThat(spec.host().cpuSockets()).isEqualTo(host.sockets());
        assertThat(host.memoryBytes() % GIB).isZero();
        assertThat(spec.host().memoryGiB()).isEqualTo(host.memoryBytes() / GIB);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("presets")
    void aHealthySimulatedNodePassesEveryCheck(String id) {
        ServerPreset preset = ServerPresets.get(id);
        NodeSpec spec = BuiltinSpecs.get(id);
        InventoryDocument inv;
        try (NodeAgent agent = NodeAgent.simulated("node-001", preset, FaultPlan.NONE, 1, true)) {
            inv = agent.inventory(true);
        }
        CheckRunner runner = new CheckRunner(CheckRegistry.builtIn(), Duration.ofSeconds(10));
        CheckReport report = runner.run(inv.node(), new CheckContext(inv, spec, NO_EVENTS, Instant.now()),
                runner.select(List.of(), List.of(), spec.disabledChecks()));

        assertThat(report.results()).filteredOn(r -> r.status() != CheckStatus.PASS && r.status() != CheckStatus.SKIP)
                .as("findings on a healthy %s", id).isEmpty();
        assertThat(report.verdict()).isEqualTo(CheckStatus.PASS);
        // Nothing is skipped for want of an expectation: the built-in spec sets them all.
        assertThat(report.results()).filteredOn(r -> r.status() == CheckStatus.SKIP)
                .extracting(CheckResult::message)
                .noneMatch(m -> m.contains("does not set"));
    }

    /** An event watcher that runs and has seen nothing. */
    private static final RecentEvents NO_EVENTS = new RecentEvents() {
        public boolean watching() {
            return true;
        }

        public String reason() {
            return null;
        }

        public List<GpuEvent> thisBoot() {
            return List.of();
        }

        public List<GpuEvent> since(Instant since) {
            return List.of();
        }
    };
}
