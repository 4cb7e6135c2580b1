package dev.kiln.agent.checks;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.event.GpuEvent;
import dev.kiln.protocol.spec.NodeSpec;
import dev.kiln.protocol.spec.SpecCapture;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Builds simulated inventories, specs captured from healthy twins, and runs checks over them. */
final class CheckHarness {
    static final Instant NOW = Instant.parse("2026-11-27T12:00:00Z");

    private CheckHarness() {
    }

    static InventoryDocument inventory(ServerPreset preset, Fault... faults) {
        try (NodeAgent agent = NodeAgent.simulated("node-001", preset, FaultPlan.of(faults), 1, true)) {
            return agent.inventory(true);
        }
    }

    /** The spec a technician would capture from a healthy node of this preset. */
    static NodeSpec spec(ServerPreset preset) {
        SpecCapture.Captured c = SpecCapture.capture(preset.id(), inventory(preset));
        if (!c.deviations().isEmpty()) {
            throw new AssertionError("healthy preset " + preset.id() + " captured with deviations " + c.deviations());
        }
        return c.spec();
    }

    static NodeSpec withGpu(NodeSpec s, UnaryOperator<NodeSpec.GpuSpec> change) {
        return new NodeSpec(s.name(), s.description(), change.apply(s.gpu()), s.driver(), s.infiniband(), s.host(),
                s.thresholds(), s.disabledChecks(), s.burnin());
    }

    static NodeSpec withoutGpuExpectations(NodeSpec s) {
        return withGpu(s, g -> new NodeSpec.GpuSpec(null, null, null, null, null, null, null, null, null, null, null, null));
    }

    static RecentEvents events(GpuEvent... events) {
        return new RecentEvents() {
            public boolean watching() {
                return true;
            }

            public String reason() {
                return null;
            }

            public List<GpuEvent> thisBoot() {
                return List.of(events).stream().filter(e -> "boot-now".equals(e.bootId())).toList();
            }

            public List<GpuEvent> since(Instant since) {
                return List.of(events).stream().filter(e -> !e.time().isBefore(since)).toList();
            }
        };
    }

    static GpuEvent xid(int gpu, long code, Instant time, String bootId) {
        return new GpuEvent(time, bootId, gpu, "GPU-x" + gpu, null, "xid", code, null, "Xid " + code);
    }

    static CheckReport run(InventoryDocument inv, NodeSpec spec, RecentEvents events, String... only) {
        CheckRunner runner = new CheckRunner(CheckRegistry.builtIn(), Duration.ofSeconds(5));
        return runner.run(inv.node(), new CheckContext(inv, spec, events, NOW),
                runner.select(List.of(only), List.of(), Set.of()));
    }

    static List<CheckResult> notPassing(CheckReport report) {
        return report.results().stream()
                .filter(r -> r.status() != CheckStatus.PASS && r.status() != CheckStatus.SKIP).toList();
    }
}
