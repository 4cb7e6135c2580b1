package dev.kiln.agent.burnin;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;
import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.NodeSpec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The worker's loop in-process on the simulated backend: verdicts per fault, per GPU. */
class BurninRunTest {
    static List<BurninBackend.GpuRef> gpus(int n) {
        List<BurninBackend.GpuRef> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new BurninBackend.GpuRef(i, "GPU-uuid-" + i, "1654900000" + i, "00000000:1" + i + ":00.0",
                    "NVIDIA H100 80GB HBM3"));
        }
        return out;
    }

    static WorkerJob job(int gpus, long durationMillis, List<String> tests) {
        return new WorkerJob(1, "test-job", "node-1", null, WorkerJob.SIMULATED, "hgx-h100", null, gpus(gpus), tests,
                durationMillis, 20, 100, 50, 1_000);
    }

    record Run(String verdict, List<WorkerLine> lines) {
        List<GpuTestResult> results() {
            return lines.stream().filter(l -> WorkerLine.RESULT.equals(l.type())).map(WorkerLine::result).toList();
        }

        GpuTestResult result(int gpu, String test) {
            return results().stream().filter(r -> r.gpuIndex() == gpu && r.test().equals(test)).findFirst()
                    .orElseThrow();
        }

        List<TelemetrySample> telemetry() {
            return lines.stream().filter(l -> WorkerLine.TELEMETRY.equals(l.type())).map(WorkerLine::telemetry).toList();
        }
    }

    static Run run(WorkerJob job, BurninBackend backend) throws InterruptedException {
        List<WorkerLine> lines = Collections.synchronizedList(new ArrayList<>());
        String verdict = new BurninRun(job, backend, lines::add).run();
        return new Run(verdict, List.copyOf(lines));
    }

    static Run sim(int gpus, long millis, List<String> tests, Fault... faults) throws InterruptedException {
        WorkerJob job = job(gpus, millis, tests);
        return run(job, new SimulatedBurninBackend(ServerPresets.HGX_H100, job.gpus(), List.of(faults), millis / 1000.0));
    }

    @Test
    void aHealthyH100PassesAllFourTestsWithPlausibleFiguresAndRisingTelemetry() throws Exception {
        Run r = sim(2, 1_200, BurninTestIds.DEFAULT_ORDER);
        assertThat(r.verdict()).isEqualTo("PASS");
        assertThat(r.results()).hasSize(8).allSatisfy(x -> assertThat(x.verdict()).as(x.toString()).isEqualTo("PASS"));
        assertThat(r.results().stream().map(GpuTestResult::test).distinct().toList())
                .containsExactlyElementsOf(BurninTestIds.DEFAULT_ORDER);
        GpuTestResult compute = r.result(1, BurninTestIds.COMPUTE);
        assertThat(compute.metrics().get("tflops")).isBetween(45.0, 55.0);
        assertThat(compute.metrics().get("tensorTflops")).isBetween(540.0, 660.0);
        assertThat(compute.metrics().get("mismatches")).isZero();
        assertThat(compute.metrics().get("energyJoules")).isPositive();
        assertThat(compute.metrics().get("gflopsPerWatt")).isPositive();
        assertThat(compute.uuid()).isEqualTo("GPU-uuid-1");
        assertThat(r.result(0, BurninTestIds.HBM_BANDWIDTH).metrics().get("gbps")).isBetween(2600.0, 3100.0);
        assertThat(r.result(0, BurninTestIds.PCIE).metrics().get("gbps")).isBetween(50.0, 60.0);
        assertThat(r.result(0, BurninTestIds.MEMORY).metrics().get("testedBytes")).isGreaterThan(70e9);
        List<TelemetrySample> gpu0 = r.telemetry().stream().filter(s -> s.gpuIndex() == 0).toList();
        assertThat(gpu0).hasSizeGreaterThan(4);
        int first = gpu0.get(0).temperatureCelsius();
        int max = gpu0.stream().mapToInt(TelemetrySample::temperatureCelsius).max().orElseThrow();
        assertThat(max).isGreaterThan(first).isLessThan(87);
        assertThat(gpu0.stream().mapToInt(TelemetrySample::powerMilliwatts).max().orElseThrow())
                .isGreaterThan(300_000).isLessThanOrEqualTo(700_000);
        // Compute drives the GPU to its power limit: noted, not failed.
        assertThat(compute.findings()).anySatisfy(f -> assertThat(f).contains("software power cap"));
        assertThat(r.lines().getLast().type()).isEqualTo(WorkerLine.DONE);
        assertThat(r.lines()).anySatisfy(l -> assertThat(l.type()).isEqualTo(WorkerLine.HEARTBEAT));
        assertThat(r.lines()).anySatisfy(l -> assertThat(l.type()).isEqualTo(WorkerLine.PROGRESS));
    }

    @Test
    void wrongResultsFailOnlyThatGpusComputeTest() throws Exception {
        Run r = sim(3, 400, List.of(BurninTestIds.COMPUTE), new Fault.BurninWrongResults(2));
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(r.result(2, BurninTestIds.COMPUTE).verdict()).isEqualTo("FAIL");
        assertThat(r.result(2, BurninTestIds.COMPUTE).reason()).contains("wrong results");
        assertThat(r.result(0, BurninTestIds.COMPUTE).verdict()).isEqualTo("PASS");
        assertThat(r.result(1, BurninTestIds.COMPUTE).verdict()).isEqualTo("PASS");
    }

    @Test
    void memoryErrorsFailWithEveryAddressInTheFindings() throws Exception {
        Run r = sim(2, 300, List.of(BurninTestIds.MEMORY),
                new Fault.BurninMemoryErrors(1, List.of(0x7f3a00001000L, 0x7f3a00002040L)));
        GpuTestResult bad = r.result(1, BurninTestIds.MEMORY);
        assertThat(bad.verdict()).isEqualTo("FAIL");
        assertThat(bad.metrics().get("mismatches")).isEqualTo(2.0);
        assertThat(String.join("\n", bad.findings())).contains("mismatch at 0x7f3a00001000: expected 0xffffffff",
                "mismatch at 0x7f3a00002040");
        assertThat(r.result(0, BurninTestIds.MEMORY).verdict()).isEqualTo("PASS");
    }

    @Test
    void hardwareThermalSlowdownDuringTheRunFails() throws Exception {
        Run r = sim(2, 800, List.of(BurninTestIds.HBM_BANDWIDTH, BurninTestIds.COMPUTE),
                new Fault.BurninThermal(0, Duration.ofMillis(200)));
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(r.results().stream().filter(x -> x.gpuIndex() == 0))
                .anySatisfy(x -> assertThat(x.reason()).contains("hw_thermal_slowdown"));
        assertThat(r.results().stream().filter(x -> x.gpuIndex() == 1))
                .allSatisfy(x -> assertThat(x.verdict()).isEqualTo("PASS"));
        assertThat(r.telemetry()).anySatisfy(s -> {
            assertThat(s.gpuIndex()).isZero();
            assertThat(s.clockEventReasons()).contains("hw_thermal_slowdown");
            assertThat(s.temperatureCelsius()).isGreaterThanOrEqualTo(88);
        });
    }

    @Test
    void xid79MidRunFailsThatGpu() throws Exception {
        Run r = sim(2, 800, List.of(BurninTestIds.HBM_BANDWIDTH, BurninTestIds.COMPUTE),
                new Fault.BurninXid(1, 79, Duration.ofMillis(150)));
        assertThat(r.verdict()).isEqualTo("FAIL");
        List<GpuTestResult> gpu1 = r.results().stream().filter(x -> x.gpuIndex() == 1).toList();
        assertThat(gpu1).anySatisfy(x -> {
            assertThat(x.verdict()).isEqualTo("FAIL");
            assertThat(x.reason()).contains("Xid 79").contains("fell off the bus");
        });
        assertThat(gpu1).noneSatisfy(x -> assertThat(x.verdict()).isEqualTo("PASS"));
        assertThat(r.results().stream().filter(x -> x.gpuIndex() == 0))
                .allSatisfy(x -> assertThat(x.verdict()).isEqualTo("PASS"));
    }

    /** A backend whose HBM bandwidth is low on the first {@code lowRuns} runs. */
    private static BurninBackend slowFor(int lowRuns, AtomicInteger runs) {
        return new BurninBackend() {
            public List<GpuRef> gpus() {
                return BurninRunTest.gpus(1);
            }

            public GpuTestResult run(String test, GpuRef gpu, Duration budget, CancelCheck cancel, ProgressSink sink) {
                double gbps = runs.getAndIncrement() < lowRuns ? 1000 : 2900;
                return new GpuTestResult(gpu.index(), gpu.uuid(), gpu.serial(), gpu.pciBusId(), test, "PASS", null,
                        Map.of("gbps", gbps), List.of(), 10);
            }

            public TelemetrySample sample(int gpuIndex) {
                return new TelemetrySample(java.time.Instant.now(), gpuIndex, 40, 46, 300_000, 1980, List.of(), 0L, 0L,
                        0L, List.of());
            }

            public void close() {
            }
        };
    }

    @Test
    void lowThroughputFailsOnlyWhenTheConfirmingRepeatIsLowToo() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Run confirmed = run(job(1, 100, List.of(BurninTestIds.HBM_BANDWIDTH)), slowFor(2, runs));
        assertThat(runs.get()).isEqualTo(2);
        GpuTestResult r = confirmed.result(0, BurninTestIds.HBM_BANDWIDTH);
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(r.reason()).contains("two runs", "gbps 1000.0 below the minimum 2465.0");

        AtomicInteger runs2 = new AtomicInteger();
        Run once = run(job(1, 100, List.of(BurninTestIds.HBM_BANDWIDTH)), slowFor(1, runs2));
        assertThat(runs2.get()).isEqualTo(2);
        GpuTestResult ok = once.result(0, BurninTestIds.HBM_BANDWIDTH);
        assertThat(ok.verdict()).isEqualTo("PASS");
        assertThat(ok.metrics().get("gbps")).isEqualTo(2900.0);
        assertThat(ok.findings()).anySatisfy(f -> assertThat(f).startsWith("first run: gbps 1000.0"));
    }

    /** A simulated H100 job judged by the burn-in minimums of {@code spec} (named {@code specName}). */
    static Run simWithSpec(String specName, NodeSpec.BurninSpec spec, List<String> tests) throws InterruptedException {
        WorkerJob job = new WorkerJob(1, "test-job", "node-1", null, WorkerJob.SIMULATED, "hgx-h100", null, gpus(1),
                tests, 300, 20, 100, 50, 1_000, specName, spec);
        return run(job, new SimulatedBurninBackend(ServerPresets.HGX_H100, job.gpus(), List.of(), 0.3));
    }

    @Test
    void anImpossibleMinimumFromTheSpecFailsAfterTheConfirmingRepeat() throws Exception {
        Run r = simWithSpec("impossible", new NodeSpec.BurninSpec(null, null, 999999.0, null),
                List.of(BurninTestIds.HBM_BANDWIDTH, BurninTestIds.PCIE));
        assertThat(r.verdict()).isEqualTo("FAIL");
        GpuTestResult hbm = r.result(0, BurninTestIds.HBM_BANDWIDTH);
        assertThat(hbm.verdict()).isEqualTo("FAIL");
        assertThat(hbm.reason()).contains("two runs", "below the minimum 999999.0 (from spec impossible)");
        assertThat(hbm.findings()).anySatisfy(f -> assertThat(f).startsWith("first run: gbps"))
                .anySatisfy(f -> assertThat(f).startsWith("confirming repeat: gbps"))
                .contains("minimum from spec impossible");
        assertThat(hbm.metrics()).containsEntry("minimumGbps", 999999.0);
        // The spec sets no PCIe minimum: Kiln's default for the model judges it, and says so.
        GpuTestResult pcie = r.result(0, BurninTestIds.PCIE);
        assertThat(pcie.verdict()).isEqualTo("PASS");
        assertThat(pcie.metrics()).containsEntry("minimumGbps", 55 * BurninThresholds.PASS_FRACTION);
        assertThat(pcie.findings()).contains("minimum from Kiln's default for H100");
    }

    @Test
    void confirmingRepeatsOfSeveralLowGpusRunTogether() throws Exception {
        WorkerJob job = new WorkerJob(1, "test-job", "node-1", null, WorkerJob.SIMULATED, "hgx-h100", null, gpus(4),
                List.of(BurninTestIds.HBM_BANDWIDTH), 300, 20, 100, 50, 1_000, "impossible",
                new NodeSpec.BurninSpec(null, null, 999999.0, null));
        BurninBackend sim = new SimulatedBurninBackend(ServerPresets.HGX_H100, job.gpus(), List.of(), 0.3);
        java.util.Map<Integer, java.util.concurrent.atomic.AtomicInteger> calls = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicInteger repeatsNow = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger maxRepeatsAtOnce = new java.util.concurrent.atomic.AtomicInteger();
        BurninBackend counting = new BurninBackend() {
            public List<GpuRef> gpus() {
                return sim.gpus();
            }

            public GpuTestResult run(String test, GpuRef gpu, java.time.Duration budget, CancelCheck cancel,
                                     ProgressSink sink) throws InterruptedException {
                boolean repeat = calls.computeIfAbsent(gpu.index(), k -> new java.util.concurrent.atomic.AtomicInteger())
                        .incrementAndGet() > 1;
                if (repeat) {
                    maxRepeatsAtOnce.accumulateAndGet(repeatsNow.incrementAndGet(), Math::max);
                }
                try {
                    return sim.run(test, gpu, budget, cancel, sink);
                } finally {
                    if (repeat) {
                        repeatsNow.decrementAndGet();
                    }
                }
            }

            public dev.kiln.protocol.burnin.TelemetrySample sample(int gpuIndex) {
                return sim.sample(gpuIndex);
            }

            public void close() {
                sim.close();
            }
        };
        Run r = run(job, counting);
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(calls.values()).hasSize(4).allMatch(c -> c.get() == 2);
        assertThat(maxRepeatsAtOnce.get()).as("the four confirming repeats overlap").isEqualTo(4);
    }

    @Test
    void theBuiltInSpecsMinimumsPassAHealthyNodeAndAreNamed() throws Exception {
        NodeSpec spec = BuiltinSpecs.get("hgx-h100");
        Run r = simWithSpec(spec.name(), spec.burnin(), List.of(BurninTestIds.COMPUTE, BurninTestIds.HBM_BANDWIDTH,
                BurninTestIds.PCIE));
        assertThat(r.verdict()).isEqualTo("PASS");
        assertThat(r.results()).hasSize(3).allSatisfy(x -> {
            assertThat(x.verdict()).as(x.toString()).isEqualTo("PASS");
            assertThat(x.findings()).as(x.toString()).anySatisfy(f -> assertThat(f).endsWith("from spec hgx-h100"));
        });
        assertThat(r.result(0, BurninTestIds.HBM_BANDWIDTH).metrics()).containsEntry("minimumGbps", 2465.0);
        assertThat(r.result(0, BurninTestIds.COMPUTE).metrics()).containsEntry("minimumTflops", 42.5)
                .containsEntry("minimumTensorTflops", 510.0);
        assertThat(r.result(0, BurninTestIds.COMPUTE).findings()).contains("minimums from spec hgx-h100");
        // The built-in minimums are Kiln's defaults for the model: the same judgement with or without the spec.
        for (String test : List.of(BurninTestIds.COMPUTE, BurninTestIds.HBM_BANDWIDTH, BurninTestIds.PCIE)) {
            Map<String, BurninThresholds.Minimum> fromSpec = BurninThresholds.minima(test, "NVIDIA H100 80GB HBM3",
                    spec.burnin(), spec.name());
            BurninThresholds.forGpu("NVIDIA H100 80GB HBM3").orElseThrow().minimaFor(test).forEach((metric, v) ->
                    assertThat(fromSpec.get(metric).value()).as(test + " " + metric).isEqualTo(v));
        }
    }

    @Test
    void builtInSpecsCarryKilnsDefaultsForTheirModel() {
        for (String name : BuiltinSpecs.names()) {
            NodeSpec spec = BuiltinSpecs.get(name);
            BurninThresholds model = BurninThresholds.forGpu(spec.gpu().model()).orElseThrow();
            assertThat(spec.burnin()).as(name).isEqualTo(new NodeSpec.BurninSpec(model.tflops(), model.tensorTflops(),
                    model.hbmGbps(), model.pcieGbps()));
        }
    }

    @Test
    void aGpuWithNoMinimumIsNotJudgedOnThroughputAndTheResultSaysSo() throws Exception {
        WorkerJob job = new WorkerJob(1, "test-job", "node-1", null, WorkerJob.SIMULATED, "hgx-h100", null,
                List.of(new BurninBackend.GpuRef(0, "GPU-x", "1", "00000000:18:00.0", "NVIDIA Mystery 9000")),
                List.of(BurninTestIds.HBM_BANDWIDTH), 200, 20, 100, 50, 1_000);
        Run r = run(job, new SimulatedBurninBackend(ServerPresets.HGX_H100, job.gpus(), List.of(), 0.2));
        GpuTestResult hbm = r.result(0, BurninTestIds.HBM_BANDWIDTH);
        assertThat(hbm.verdict()).isEqualTo("PASS");
        assertThat(hbm.metrics()).doesNotContainKey("minimumGbps");
        assertThat(hbm.findings()).anySatisfy(f -> assertThat(f)
                .startsWith("no throughput minimum for this GPU (NVIDIA Mystery 9000): throughput not judged"));
        // A spec minimum judges even a model Kiln does not know; the metric it does not set is named as unjudged.
        Map<String, BurninThresholds.Minimum> partial = BurninThresholds.minima(BurninTestIds.COMPUTE,
                "NVIDIA Mystery 9000", new NodeSpec.BurninSpec(10.0, null, null, null), "mine");
        assertThat(partial).containsOnlyKeys("tflops");
        GpuTestResult judged = Verdicts.withMinima(new GpuTestResult(0, "u", "s", "b", BurninTestIds.COMPUTE, "PASS",
                null, Map.of("tflops", 12.0), List.of(), 1), partial, "NVIDIA Mystery 9000");
        assertThat(judged.findings()).containsExactly("minimum from spec mine",
                "no minimum for tensorTflops on this GPU (NVIDIA Mystery 9000): not judged");
        assertThat(judged.metrics()).containsEntry("minimumTflops", 10.0).doesNotContainKey("minimumTensorTflops");
    }
}
