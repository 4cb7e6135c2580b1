package dev.kiln.agent.metrics;

import dev.kiln.agent.core.GpuProbe;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.core.SimulatedHostProbe;
import dev.kiln.agent.core.SimulatedInfinibandProbe;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeIdentity;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.check.GpuRef;
import dev.kiln.protocol.spec.BuiltinSpecs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code GET /metrics}'s text: dcgm-exporter's names and labels with this node's values, and Kiln's own state. */
class PrometheusMetricsTest {
    static final int ECC_GPU = 2;
    static final int XID_GPU = 5;
    static final int REMAP_GPU = 1;
    private static NodeAgent faulty;
    private static String text;
    private static Exposition metrics;

    /** An 8-GPU H100 node with an uncorrectable ECC error, a pending row remap and an Xid 74 (NVLink), checked once. */
    static NodeAgent faultyAgent() {
        return NodeAgent.simulated("node-metrics", ServerPresets.HGX_H100, FaultPlan.of(
                new Fault.EccUncorrectable(ECC_GPU, 3), new Fault.RemapPending(REMAP_GPU),
                new Fault.Xid(XID_GPU, 74, Duration.ZERO)), 1, true);
    }

    @BeforeAll
    static void scrape() {
        faulty = faultyAgent();
        faulty.check(BuiltinSpecs.get("hgx-h100"), List.of(), List.of());
        text = PrometheusMetrics.scrape(faulty);
        metrics = Exposition.parse(text);
    }

    @AfterAll
    static void close() {
        faulty.close();
    }

    @Test
    void everySampleHasHelpAndTypeValidNamesAndNoSeriesRepeats() {
        // Exposition.parse fails on a sample without HELP/TYPE before it, a split family, a bad name or escape,
        // or a duplicate series; here we also check the writer never had to drop one.
        assertThat(PrometheusMetrics.exposition(PrometheusMetrics.read(faulty)).duplicatesDropped()).isZero();
        assertThat(metrics.samples).hasSizeGreaterThan(100);
        assertThat(metrics.help.keySet()).isEqualTo(metrics.type.keySet());
        for (String name : metrics.help.keySet()) {
            assertThat(metrics.of(name)).as("an empty family is left out: %s", name).isNotEmpty();
            assertThat(metrics.help.get(name)).as("help of %s", name).isNotBlank();
        }
        assertThat(text).doesNotContain("\r", "\t");
    }

    @Test
    void gpuReadingsUseDcgmExporterNamesLabelsAndUnits() {
        ServerPreset preset = ServerPresets.HGX_H100;
        InventoryDocument inv = faulty.inventory(false);
        for (GpuInventory g : inv.gpus()) {
            String gpu = Integer.toString(g.index());
            Exposition.Sample temp = metrics.find("DCGM_FI_DEV_GPU_TEMP", "gpu", gpu).orElseThrow();
            assertThat(temp.labels()).containsOnlyKeys("gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname",
                    "DCGM_FI_DRIVER_VERSION");
            assertThat(temp.label("UUID")).isEqualTo(g.uuid()).startsWith("GPU-");
            assertThat(temp.label("pci_bus_id")).isEqualTo(preset.gpuBusIds().get(g.index()));
            assertThat(temp.label("device")).isEqualTo("nvidia" + gpu);
            assertThat(temp.label("modelName")).isEqualTo(g.name()).contains("H100");
            assertThat(temp.label("Hostname")).isEqualTo(inv.host().hostname());
            assertThat(temp.label("DCGM_FI_DRIVER_VERSION")).isEqualTo(preset.driverVersion());
            assertThat(temp.value()).as("degrees C").isEqualTo(g.temperatureCelsius().doubleValue());
            assertThat(metrics.value("DCGM_FI_DEV_POWER_USAGE", "gpu", gpu)).as("watts")
                    .isCloseTo(g.powerUsageMilliwatts() / 1000.0, within(1e-9)).isBetween(10.0, 1000.0);
            assertThat(metrics.value("DCGM_FI_DEV_POWER_MGMT_LIMIT", "gpu", gpu)).as("watts")
                    .isEqualTo(g.powerLimitMilliwatts() / 1000.0);
            assertThat(metrics.value("DCGM_FI_DEV_SM_CLOCK", "gpu", gpu)).isEqualTo(g.clockSmMhz().doubleValue());
            assertThat(metrics.value("DCGM_FI_DEV_MEM_CLOCK", "gpu", gpu)).isEqualTo(g.clockMemoryMhz().doubleValue());
            assertThat(metrics.value("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "gpu", gpu)).as("mJ")
                    .isEqualTo(g.energyConsumedMillijoules().doubleValue());
            double total = metrics.value("DCGM_FI_DEV_FB_TOTAL", "gpu", gpu);
            assertThat(total).as("MiB").isEqualTo(Math.floor(g.memoryTotalBytes() / 1048576.0)).isGreaterThan(80_000);
            assertThat(metrics.value("DCGM_FI_DEV_FB_USED", "gpu", gpu) + metrics.value("DCGM_FI_DEV_FB_FREE", "gpu", gpu))
                    .isLessThanOrEqualTo(total);
            assertThat(metrics.value("DCGM_FI_DEV_PCIE_LINK_GEN", "gpu", gpu)).isEqualTo(5);
            assertThat(metrics.value("DCGM_FI_DEV_PCIE_LINK_WIDTH", "gpu", gpu)).isEqualTo(16);
            assertThat(metrics.value("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "gpu", gpu)).isNotNegative();
            assertThat(metrics.value("kiln_gpu_up", "gpu", gpu)).isEqualTo(1);
        }
        assertThat(metrics.type).containsEntry("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "counter")
                .containsEntry("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "counter")
                .containsEntry("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", "counter")
                .containsEntry("DCGM_FI_DEV_XID_ERRORS", "gauge")
                .containsEntry("DCGM_FI_DEV_GPU_TEMP", "gauge");
        assertThat(metrics.help).containsEntry("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).")
                .containsEntry("DCGM_FI_DEV_XID_ERRORS", "Value of the last XID error encountered.");
    }

    @Test
    void faultsShowAsNonZeroEccRemapAndXidValuesOnTheirGpuOnly() {
        assertThat(metrics.value("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "gpu", "" + ECC_GPU)).isEqualTo(3);
        assertThat(metrics.value("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", "gpu", "" + ECC_GPU)).isGreaterThanOrEqualTo(3);
        assertThat(metrics.value("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "gpu", "0")).isZero();
        assertThat(metrics.value("DCGM_FI_DEV_ROW_REMAP_PENDING", "gpu", "" + REMAP_GPU)).isEqualTo(1);
        assertThat(metrics.value("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", "gpu", "" + REMAP_GPU)).isEqualTo(1);
        assertThat(metrics.value("DCGM_FI_DEV_ROW_REMAP_PENDING", "gpu", "0")).isZero();
        assertThat(metrics.value("DCGM_FI_DEV_ROW_REMAP_FAILURE", "gpu", "0")).isZero();
        // DCGM semantics: the last Xid's code, not a count; 0 on a GPU that had none.
        assertThat(metrics.value("DCGM_FI_DEV_XID_ERRORS", "gpu", "" + XID_GPU)).isEqualTo(74);
        assertThat(metrics.value("DCGM_FI_DEV_XID_ERRORS", "gpu", "0")).isZero();
        assertThat(metrics.value("kiln_events_total", "type", "xid")).isEqualTo(1);
        assertThat(metrics.value("kiln_events_total", "type", "ecc_double_bit")).isZero();
        assertThat(metrics.of("kiln_events_total")).extracting(s -> s.label("type"))
                .containsAll(PrometheusMetrics.EVENT_TYPES);
        assertThat(metrics.value("kiln_events_watched")).isEqualTo(1);
    }

    @Test
    void kilnStateComesFromTheLastCheckReportNeverFromANewRun() {
        assertThat(metrics.value("kiln_agent_info", "mode", NodeInfo.MODE_SIMULATED, "preset", "hgx-h100")).isEqualTo(1);
        assertThat(metrics.value("kiln_nvml_up")).isEqualTo(1);
        assertThat(metrics.value("kiln_gpus")).isEqualTo(8);
        assertThat(metrics.value("kiln_check_status", "check", "gpu.ecc.uncorrectable", "gpu", "" + ECC_GPU))
                .isEqualTo(3);
        assertThat(metrics.value("kiln_check_status", "check", "gpu.ecc.uncorrectable", "gpu", "0")).isZero();
        assertThat(metrics.value("kiln_check_status", "check", "gpu.count", "gpu", "")).as("a node-level check")
                .isZero();
        assertThat(metrics.value("kiln_check_verdict", "spec", "hgx-h100")).isEqualTo(3);
        assertThat(metrics.value("kiln_check_last_run_timestamp_seconds"))
                .isCloseTo(Instant.now().getEpochSecond(), within(600.0));
        assertThat(metrics.value("kiln_job_running")).isZero();
        assertThat(metrics.of("kiln_job_state")).isEmpty();
        assertThat(metrics.help).doesNotContainKey("kiln_burnin_last_verdict");

        try (NodeAgent unchecked = NodeAgent.simulated("node-unchecked", ServerPresets.HGX_H100, FaultPlan.NONE, 1, true)) {
            Exposition e = Exposition.parse(PrometheusMetrics.scrape(unchecked));
            assertThat(e.of("kiln_check_status")).as("no check has run, and a scrape runs none").isEmpty();
            assertThat(unchecked.lastCheckReport()).isEmpty();
        }
    }

    @Test
    void jobsShowTheirStateAndTheLastEndedBurninItsVerdicts() {
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        BurninRequest burnin = new BurninRequest(BurninRequest.TYPE, List.of(), List.of(), 60, false, null);
        BurninRequest fabric = new BurninRequest(BurninRequest.FABRIC, List.of(), List.of(), 60, false, null);
        List<JobStatus> jobs = List.of(
                job("burnin-old", burnin, JobState.PASSED, t0, t0.plusSeconds(60), 1.0,
                        List.of(result(0, "burnin.compute", "PASS"))),
                job("burnin-last", burnin, JobState.FAILED, t0.plusSeconds(100), t0.plusSeconds(200), 1.0, List.of(
                        result(0, "burnin.compute", "PASS"), result(1, "burnin.compute", "FAIL"),
                        result(1, "burnin.memory", "ERROR"), result(2, "burnin.memory", "SKIP"))),
                job("fabric-later", fabric, JobState.PASSED, t0.plusSeconds(300), t0.plusSeconds(400), 1.0, List.of()),
                job("burnin-now", burnin, JobState.RUNNING, t0.plusSeconds(500), null, 0.25, List.of()));
        Exposition e = Exposition.parse(PrometheusMetrics.render(source(jobs, null)));
        assertThat(e.value("kiln_job_state", "job", "burnin-now", "type", "burnin")).isEqualTo(1);
        assertThat(e.value("kiln_job_state", "job", "burnin-last")).isEqualTo(3);
        assertThat(e.value("kiln_job_state", "job", "fabric-later", "type", "fabric")).isEqualTo(2);
        assertThat(e.value("kiln_job_progress_ratio", "job", "burnin-now")).isEqualTo(0.25);
        assertThat(e.value("kiln_job_running")).isEqualTo(1);
        // The last burn-in that ended (a fabric job or a running burn-in is not one).
        assertThat(e.of("kiln_burnin_last_verdict")).hasSize(4);
        assertThat(e.value("kiln_burnin_last_verdict", "gpu", "0", "test", "burnin.compute")).isZero();
        assertThat(e.value("kiln_burnin_last_verdict", "gpu", "1", "test", "burnin.compute")).isEqualTo(3);
        assertThat(e.value("kiln_burnin_last_verdict", "gpu", "1", "test", "burnin.memory")).isEqualTo(4);
        assertThat(e.value("kiln_burnin_last_verdict", "gpu", "2", "test", "burnin.memory")).isEqualTo(1);
        assertThat(e.value("kiln_burnin_last_finished_timestamp_seconds"))
                .isEqualTo(t0.plusSeconds(200).getEpochSecond());
    }

    @Test
    void onlyTheMostRecentJobsAreSeriesSoCardinalityStaysBounded() {
        BurninRequest burnin = new BurninRequest(BurninRequest.TYPE, List.of(), List.of(), 60, false, null);
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        List<JobStatus> jobs = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            jobs.add(job("burnin-" + i, burnin, JobState.PASSED, t0.plusSeconds(i * 100L), t0.plusSeconds(i * 100L + 50),
                    1.0, List.of()));
        }
        Exposition e = Exposition.parse(PrometheusMetrics.render(source(jobs, null)));
        assertThat(e.of("kiln_job_state")).hasSize(PrometheusMetrics.JOBS_SHOWN);
        assertThat(e.find("kiln_job_state", "job", "burnin-49")).isPresent();
        assertThat(e.find("kiln_job_state", "job", "burnin-0")).isEmpty();
    }

    @Test
    void labelValuesAreEscapedAndReadBackExactly() {
        String nasty = "spec \"quoted\" with \\backslash\\ and\nnewline";
        CheckReport report = new CheckReport(1, CheckReport.KIND, null, nasty, Instant.now(), 5, CheckStatus.WARN,
                List.of(new CheckResult("gpu.thermal", CheckStatus.WARN, new GpuRef(0, null, null, null), null, null,
                        null, "warm", null, 1),
                        new CheckResult("gpu.thermal", CheckStatus.PASS, new GpuRef(0, null, null, null), null, null,
                                null, "ok", null, 1),
                        new CheckResult("ib.port.state", CheckStatus.FAIL, null, "mlx5_0/1", null, null, "down", "reseat", 1),
                        new CheckResult("ib.port.state", CheckStatus.PASS, null, "mlx5_1/1", null, null, "up", null, 1)));
        String out = PrometheusMetrics.render(source(List.of(), report));
        assertThat(out).contains("spec=\"spec \\\"quoted\\\" with \\\\backslash\\\\ and\\nnewline\"");
        Exposition e = Exposition.parse(out);
        assertThat(e.find("kiln_check_verdict").orElseThrow().label("spec")).isEqualTo(nasty);
        assertThat(e.value("kiln_check_verdict")).isEqualTo(2);
        assertThat(e.value("kiln_check_status", "check", "gpu.thermal", "gpu", "0")).as("worst per check and GPU")
                .isEqualTo(2);
        assertThat(e.value("kiln_check_status", "check", "ib.port.state", "gpu", "")).as("worst of the ports")
                .isEqualTo(3);
        assertThat(TextExposition.escapeHelp("a\\b\nc")).isEqualTo("a\\\\b\\nc");
        assertThat(TextExposition.formatValue(Double.NaN)).isEqualTo("NaN");
        assertThat(TextExposition.formatValue(Double.NEGATIVE_INFINITY)).isEqualTo("-Inf");
        assertThat(TextExposition.formatValue(Long.MAX_VALUE)).isEqualTo("9223372036854775807");
        assertThat(TextExposition.formatValue(0.25)).isEqualTo("0.25");
        assertThat(TextExposition.formatValue(700.0)).isEqualTo("700");
    }

    @Test
    void theWriterRefusesBadNamesAndDropsARepeatedSeries() {
        TextExposition out = new TextExposition();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> out.family("1bad", TextExposition.Type.GAUGE, "x"))
                .isInstanceOf(IllegalArgumentException.class);
        TextExposition.Family f = out.family("ok_metric", TextExposition.Type.GAUGE, "x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.add(1, "bad-label", "v"))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.add(1, "__reserved", "v"))
                .isInstanceOf(IllegalArgumentException.class);
        f.add(1, "a", "1").add(2, "a", "1").add(null, "a", "2");
        assertThat(out.duplicatesDropped()).isEqualTo(1);
        assertThat(out.render()).isEqualTo("# HELP ok_metric x\n# TYPE ok_metric gauge\nok_metric{a=\"1\"} 1\n");
    }

    @Test
    void aNodeWithoutTheDriverSaysNvmlIsDownAndHasNoGpuSeries(@TempDir Path sysfs) {
        try (NodeAgent agent = NodeAgent.real("n1", NvmlLoader.load("/nonexistent/libnvidia-ml.so.1"), sysfs)) {
            Exposition e = Exposition.parse(PrometheusMetrics.scrape(agent));
            assertThat(e.value("kiln_nvml_up")).isZero();
            assertThat(e.value("kiln_gpus")).isZero();
            assertThat(e.value("kiln_agent_info", "mode", NodeInfo.MODE_REAL, "preset", "")).isEqualTo(1);
            assertThat(e.samples).noneMatch(s -> s.name().startsWith("DCGM_"));
        }
    }

    @Test
    void aBurstOfScrapesCostsAtMostOneNvmlWalk() {
        // Long lifetimes so the count is exact: the first scrape reads NVML, the next 200 reuse that reading.
        ServerPreset preset = ServerPresets.HGX_H100;
        SimulatedServer server = new SimulatedServer("node-scrape", preset);
        Duration hour = Duration.ofHours(1);
        try (NodeAgent agent = new NodeAgent("node-scrape", NodeInfo.MODE_SIMULATED, preset.id(),
                new SimulatedHostProbe("node-scrape", preset), GpuProbe.of(server.binding()),
                new SimulatedInfinibandProbe("node-scrape", preset), new NodeAgent.Lifetimes(hour, hour, hour),
                Clock.systemUTC(), "b", server)) {
            long before = server.gpu(0).readCount();
            PrometheusMetrics.scrape(agent);
            long oneWalk = server.gpu(0).readCount() - before;
            assertThat(oneWalk).isPositive();
            long start = server.gpu(0).readCount();
            for (int i = 0; i < 200; i++) {
                PrometheusMetrics.scrape(agent);
            }
            assertThat(server.gpu(0).readCount() - start).as("NVML calls on GPU 0 for 200 scrapes").isZero();
            assertThat(agent.lastCheckReport()).as("a scrape never runs the checks").isEmpty();
        }
    }

    private static PrometheusMetrics.Source source(List<JobStatus> jobs, CheckReport report) {
        InventoryDocument inv = new InventoryDocument(1, InventoryDocument.KIND, Instant.now(),
                new NodeIdentity("n", "n.example", NodeInfo.MODE_SIMULATED, "hgx-h100", "0.1.0", "boot"), null,
                null, List.of(), List.of(), List.of());
        return new PrometheusMetrics.Source(inv, report, jobs, false, List.of(), Map.of());
    }

    private static JobStatus job(String id, BurninRequest request, JobState state, Instant created, Instant finished,
                                 double progress, List<GpuTestResult> results) {
        return new JobStatus(1, JobStatus.KIND, id, "n", request, state, created, created, finished, progress, null,
                null, results, List.of(), List.of());
    }

    private static GpuTestResult result(int gpu, String test, String verdict) {
        return new GpuTestResult(gpu, "GPU-" + gpu, "s" + gpu, null, test, verdict, null, Map.of(), List.of(), 10);
    }
}
