package dev.kiln.agent.checks;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.HostInventory;
import dev.kiln.protocol.IbPort;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.spec.NodeSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** For every check id: a passing case, a failing case and a cannot-run case, on simulated servers. */
class EveryCheckTest {
    private static final dev.kiln.nvml.sim.ServerPreset H100 = ServerPresets.HGX_H100;
    private static NodeSpec spec;
    private static InventoryDocument healthy;
    private static InventoryDocument noDriver;

    /** What a case runs the check on. */
    record Setup(InventoryDocument inventory, NodeSpec spec, RecentEvents events) {
    }

    @BeforeAll
    static void setUp(@TempDir Path sysfs) {
        spec = CheckHarness.spec(H100);
        healthy = CheckHarness.inventory(H100);
        try (NodeAgent agent = NodeAgent.real("no-driver", NvmlLoader.load("/nonexistent/libnvidia-ml.so.1"), sysfs)) {
            noDriver = agent.inventory(true);
        }
    }

    static List<String> ids() {
        return CheckRegistry.builtIn().ids();
    }

    private static CheckReport run(String id, Setup s) {
        return CheckHarness.run(s.inventory(), s.spec(), s.events(), id);
    }

    // --- cases ---------------------------------------------------------------------------

    private static Map<String, Supplier<Setup>> failing() {
        Map<String, Supplier<Setup>> m = new LinkedHashMap<>();
        m.put("gpu.count", () -> new Setup(CheckHarness.inventory(H100, new Fault.GpuMissing(5)), spec, CheckHarness.events()));
        m.put("gpu.lost", () -> new Setup(CheckHarness.inventory(H100, new Fault.GpuLost(1, 0, java.time.Duration.ZERO)),
                spec, CheckHarness.events()));
        m.put("gpu.recovery.action", () -> new Setup(CheckHarness.inventory(H100,
                new Fault.DriverRecoveryAction(1, dev.kiln.nvml.RecoveryAction.NODE_REBOOT)), spec, CheckHarness.events()));
        m.put("gpu.model", () -> new Setup(healthy, CheckHarness.withGpu(spec, g -> gpu(g, "NVIDIA H200", null, null, null,
                null, null, null, null)), CheckHarness.events()));
        m.put("gpu.memory", () -> new Setup(healthy, CheckHarness.withGpu(spec, g -> gpu(g, null, 143771L, null, null, null,
                null, null, null)), CheckHarness.events()));
        m.put("driver.version", () -> new Setup(healthy, new NodeSpec(spec.name(), null, spec.gpu(),
                new NodeSpec.DriverSpec("560.0", null), spec.infiniband(), spec.host(), spec.thresholds(), Set.of(), null),
                CheckHarness.events()));
        m.put("gpu.vbios", () -> new Setup(CheckHarness.inventory(H100, new Fault.WrongVbios(0, "1.2.3")), spec,
                CheckHarness.events()));
        m.put("gpu.pcie.link", () -> new Setup(CheckHarness.inventory(H100, new Fault.PcieDowntrained(0, Optional.empty(),
                Optional.of(4))), spec, CheckHarness.events()));
        m.put("gpu.nvlink.links", () -> new Setup(CheckHarness.inventory(H100, new Fault.NvlinkDown(0, List.of())), spec,
                CheckHarness.events()));
        m.put("gpu.ecc.mode", () -> new Setup(healthy, CheckHarness.withGpu(spec, g -> gpu(g, null, null, false, null, null,
                null, null, null)), CheckHarness.events()));
        m.put("gpu.ecc.uncorrectable", () -> new Setup(CheckHarness.inventory(H100, new Fault.EccUncorrectable(0, 1)), spec,
                CheckHarness.events()));
        m.put("gpu.remap.pending", () -> new Setup(CheckHarness.inventory(H100, new Fault.RemapPending(0)), spec,
                CheckHarness.events()));
        m.put("gpu.remap.failure", () -> new Setup(CheckHarness.inventory(H100, new Fault.RemapFailure(0)), spec,
                CheckHarness.events()));
        m.put("gpu.xid.recent", () -> new Setup(healthy, spec, CheckHarness.events(
                CheckHarness.xid(3, 79, CheckHarness.NOW.minusSeconds(60), "boot-now"))));
        m.put("gpu.thermal", () -> new Setup(CheckHarness.inventory(H100, new Fault.ThermalSlowdown(0)), spec,
                CheckHarness.events()));
        m.put("gpu.clocks.events", () -> new Setup(CheckHarness.inventory(H100, new Fault.ThermalSlowdown(0)), spec,
                CheckHarness.events()));
        m.put("gpu.power.limit", () -> new Setup(healthy, CheckHarness.withGpu(spec, g -> gpu(g, null, null, null, null,
                null, 800, null, null)), CheckHarness.events()));
        m.put("gpu.persistence", () -> new Setup(healthy, CheckHarness.withGpu(spec, g -> gpu(g, null, null, null, false,
                null, null, null, null)), CheckHarness.events()));
        m.put("gpu.mig", () -> new Setup(healthy, CheckHarness.withGpu(spec, g -> gpu(g, null, null, null, null, true,
                null, null, null)), CheckHarness.events()));
        m.put("gpu.processes", () -> new Setup(CheckHarness.inventory(H100, new Fault.ProcessRunning(0, 99, 1 << 20)), spec,
                CheckHarness.events()));
        m.put("ib.port.state", () -> new Setup(withIb(healthy, 1, "DOWN", 400.0), spec, CheckHarness.events()));
        m.put("ib.port.rate", () -> new Setup(withIb(healthy, 1, "ACTIVE", 200.0), spec, CheckHarness.events()));
        m.put("host.memory", () -> new Setup(healthy, new NodeSpec(spec.name(), null, spec.gpu(), spec.driver(),
                spec.infiniband(), new NodeSpec.HostSpec(2, 4096L), spec.thresholds(), Set.of(), null), CheckHarness.events()));
        m.put("host.cpu", () -> new Setup(healthy, new NodeSpec(spec.name(), null, spec.gpu(), spec.driver(),
                spec.infiniband(), new NodeSpec.HostSpec(4, null), spec.thresholds(), Set.of(), null), CheckHarness.events()));
        return m;
    }

    /** Cannot run: the reading is unavailable (ERROR) or the spec says nothing to judge (SKIP with the field). */
    private static Map<String, Supplier<Setup>> cannotRun() {
        Map<String, Supplier<Setup>> m = new LinkedHashMap<>();
        for (String id : ids()) {
            if (id.startsWith("gpu.") || id.equals("driver.version")) {
                m.put(id, () -> new Setup(noDriver, spec, CheckHarness.events()));
            }
        }
        m.put("gpu.xid.recent", () -> new Setup(healthy, spec, RecentEvents.NONE));
        m.put("ib.port.state", () -> new Setup(healthy, new NodeSpec(spec.name(), null, spec.gpu(), spec.driver(), null,
                spec.host(), spec.thresholds(), Set.of(), null), CheckHarness.events()));
        m.put("ib.port.rate", () -> new Setup(withIb(healthy, 0, "ACTIVE", null), spec, CheckHarness.events()));
        m.put("host.memory", () -> new Setup(withHostMemory(healthy, null), spec, CheckHarness.events()));
        m.put("host.cpu", () -> new Setup(healthy, new NodeSpec(spec.name(), null, spec.gpu(), spec.driver(),
                spec.infiniband(), null, spec.thresholds(), Set.of(), null), CheckHarness.events()));
        return m;
    }

    // --- tests ---------------------------------------------------------------------------

    @Test
    void everyCheckHasAFailingAndACannotRunCase() {
        assertThat(failing().keySet()).containsExactlyInAnyOrderElementsOf(ids());
        assertThat(cannotRun().keySet()).containsExactlyInAnyOrderElementsOf(ids());
    }

    @ParameterizedTest(name = "{0} passes on a healthy node")
    @MethodSource("ids")
    void passes(String id) {
        CheckReport r = run(id, new Setup(healthy, spec, CheckHarness.events()));
        assertThat(r.results()).isNotEmpty().allMatch(x -> x.id().equals(id))
                .allMatch(x -> x.status() == CheckStatus.PASS, "all PASS");
        assertThat(r.verdict()).isEqualTo(CheckStatus.PASS);
    }

    @ParameterizedTest(name = "{0} fails on a broken node")
    @MethodSource("ids")
    void fails(String id) {
        CheckReport r = run(id, failing().get(id).get());
        // A busy GPU is someone's job, not a defect: reported, but as WARN.
        CheckStatus expected = id.equals("gpu.processes") ? CheckStatus.WARN : CheckStatus.FAIL;
        assertThat(r.verdict()).isEqualTo(expected);
        assertThat(r.results()).anyMatch(x -> x.status() == expected);
        for (CheckResult x : r.results()) {
            if (x.status() == expected) {
                assertThat(x.message()).isNotBlank();
                assertThat(x.action()).isNotBlank();
                assertThat(x.observed()).isNotBlank();
                assertThat(x.expected()).isNotBlank();
            }
        }
    }

    @ParameterizedTest(name = "{0} says why it cannot run")
    @MethodSource("ids")
    void cannotRunIsNeverAPass(String id) {
        CheckReport r = run(id, cannotRun().get(id).get());
        assertThat(r.results()).isNotEmpty()
                .anyMatch(x -> x.status() == CheckStatus.ERROR || x.status() == CheckStatus.SKIP)
                .allMatch(x -> x.status() != CheckStatus.ERROR && x.status() != CheckStatus.SKIP
                        || x.message() != null && !x.message().isBlank(), "every SKIP/ERROR has a reason");
        if (cannotRun().get(id).get().inventory() == noDriver) {
            assertThat(r.results()).allMatch(x -> x.status() == CheckStatus.ERROR, "NVML unavailable is ERROR, never PASS")
                    .allMatch(x -> x.message().contains("NVML library not found"));
        }
    }

    static List<String> perGpuIds() {
        return CheckRegistry.builtIn().all().stream().filter(c -> c instanceof PerGpuCheck).map(Check::id).toList();
    }

    /** A reading NVML failed to give (not "not supported") makes that GPU's result ERROR, never PASS or SKIP. */
    @ParameterizedTest(name = "{0}: an unreadable reading is an ERROR on that GPU only")
    @MethodSource("perGpuIds")
    void anUnreadableReadingIsAnErrorForThatGpu(String id) {
        PerGpuCheck check = (PerGpuCheck) CheckRegistry.builtIn().find(id).orElseThrow();
        String field = check.readings().iterator().next();
        java.util.List<dev.kiln.protocol.ErrorEntry> errors = new java.util.ArrayList<>(healthy.errors());
        errors.add(new dev.kiln.protocol.ErrorEntry("gpu", 5, field, "ERROR_UNKNOWN",
                "nvmlDeviceGetSomething failed: ERROR_UNKNOWN (999)"));
        InventoryDocument broken = new InventoryDocument(healthy.schemaVersion(), healthy.kind(), healthy.collectedAt(),
                healthy.node(), healthy.host(), healthy.nvml(), healthy.gpus(), healthy.infiniband(), errors);
        CheckReport r = run(id, new Setup(broken, spec, CheckHarness.events()));
        assertThat(r.results()).filteredOn(x -> x.gpu() != null && x.gpu().index() == 5).singleElement().satisfies(x -> {
            assertThat(x.status()).isEqualTo(CheckStatus.ERROR);
            assertThat(x.message()).contains("could not read " + field).contains("ERROR_UNKNOWN");
        });
        assertThat(r.results()).filteredOn(x -> x.gpu() != null && x.gpu().index() != 5)
                .allMatch(x -> x.status() == CheckStatus.PASS);
        assertThat(r.verdict()).isEqualTo(CheckStatus.ERROR);
    }

    @Test
    void aNodeWideGpuUnavailableEventFailsTheXidCheckWithoutNamingAGpu() {
        dev.kiln.protocol.event.GpuEvent lost = new dev.kiln.protocol.event.GpuEvent(CheckHarness.NOW.minusSeconds(5),
                "boot-now", -1, null, null, "gpu_unavailable", null, "fail", "NVML event wait reported ERROR_GPU_IS_LOST");
        CheckReport r = CheckHarness.run(healthy, spec, CheckHarness.events(lost), "gpu.xid.recent");
        assertThat(r.results()).singleElement().satisfies(x -> {
            assertThat(x.status()).isEqualTo(CheckStatus.FAIL);
            assertThat(x.gpu()).isNull();
            assertThat(x.subject()).isEqualTo("node");
        });
    }

    @Test
    void pcieGenerationBelowSpecIsAFailureWhenTheGpuIsBusy() {
        InventoryDocument inv = CheckHarness.inventory(H100, new Fault.PcieDowntrained(0, Optional.of(3), Optional.empty()),
                new Fault.ProcessRunning(0, 7, 1 << 20));
        CheckReport r = CheckHarness.run(inv, spec, CheckHarness.events(), "gpu.pcie.link");
        assertThat(r.results().get(0).status()).isEqualTo(CheckStatus.FAIL);
        assertThat(r.results().get(0).observed()).startsWith("Gen3 x16");
    }

    @Test
    void thermalWarnsWithinTheMarginOfSlowdown() {
        NodeSpec wide = new NodeSpec(spec.name(), null, spec.gpu(), spec.driver(), spec.infiniband(), spec.host(),
                new NodeSpec.Thresholds(60, 0L, null), Set.of(), null);
        CheckReport r = CheckHarness.run(healthy, wide, CheckHarness.events(), "gpu.thermal");
        assertThat(r.results()).allMatch(x -> x.status() == CheckStatus.WARN);
    }

    @Test
    void xidPolicyJudgesOnlyThisBootOrTheWindow() {
        Instant old = CheckHarness.NOW.minusSeconds(7200);
        RecentEvents ev = CheckHarness.events(CheckHarness.xid(0, 79, old, "boot-before"),
                CheckHarness.xid(1, 63, CheckHarness.NOW.minusSeconds(30), "boot-now"),
                CheckHarness.xid(2, 13, CheckHarness.NOW.minusSeconds(30), "boot-now"));
        CheckReport thisBoot = CheckHarness.run(healthy, spec, ev, "gpu.xid.recent");
        assertThat(thisBoot.verdict()).isEqualTo(CheckStatus.WARN);
        assertThat(thisBoot.results()).singleElement().satisfies(x -> {
            assertThat(x.gpu().index()).isEqualTo(1);
            assertThat(x.observed()).contains("Xid 63");
        });
        NodeSpec window = new NodeSpec(spec.name(), null, spec.gpu(), spec.driver(), spec.infiniband(), spec.host(),
                new NodeSpec.Thresholds(10, 0L, new NodeSpec.XidPolicy(Set.of(79), Set.of(), 180)), Set.of(), null);
        CheckReport lastThreeHours = CheckHarness.run(healthy, window, ev, "gpu.xid.recent");
        assertThat(lastThreeHours.verdict()).isEqualTo(CheckStatus.FAIL);
        assertThat(lastThreeHours.results()).filteredOn(x -> x.status() == CheckStatus.FAIL)
                .singleElement().satisfies(x -> assertThat(x.gpu().index()).isZero());
    }

    // --- inventory and spec variations ---------------------------------------------------

    static NodeSpec.GpuSpec gpu(NodeSpec.GpuSpec g, String model, Long memoryMiB, Boolean ecc, Boolean persistence,
                                Boolean mig, Integer powerWatts, Integer pcieGen, Integer nvlinks) {
        return new NodeSpec.GpuSpec(g.count(), model != null ? model : g.model(), memoryMiB != null ? memoryMiB : g.memoryMiB(),
                g.busIds(), g.vbios(), pcieGen != null ? pcieGen : g.pcieGeneration(), g.pcieWidth(),
                nvlinks != null ? nvlinks : g.nvlinks(), ecc != null ? ecc : g.ecc(),
                persistence != null ? persistence : g.persistence(), mig != null ? mig : g.mig(),
                powerWatts != null ? powerWatts : g.powerLimitWatts());
    }

    /** Port {@code index} changed to the given state and rate. */
    static InventoryDocument withIb(InventoryDocument d, int index, String state, Double rate) {
        List<IbPort> ports = new java.util.ArrayList<>(d.infiniband());
        IbPort p = ports.get(index);
        ports.set(index, new IbPort(p.device(), p.port(), state, "DOWN".equals(state) ? 1 : 4,
                "DOWN".equals(state) ? "Polling" : "LinkUp", 5, rate, rate == null ? "?" : rate + " Gb/sec", p.linkLayer(),
                p.firmwareVersion(), p.nodeGuid()));
        return new InventoryDocument(d.schemaVersion(), d.kind(), d.collectedAt(), d.node(), d.host(), d.nvml(), d.gpus(),
                ports, d.errors());
    }

    static InventoryDocument withHostMemory(InventoryDocument d, Long bytes) {
        HostInventory h = d.host();
        HostInventory changed = new HostInventory(h.hostname(), h.manufacturer(), h.model(), h.serialNumber(), h.osName(),
                h.kernelVersion(), h.cpu(), bytes, h.disks(), h.nics());
        return new InventoryDocument(d.schemaVersion(), d.kind(), d.collectedAt(), d.node(), changed, d.nvml(), d.gpus(),
                d.infiniband(), d.errors());
    }
}
