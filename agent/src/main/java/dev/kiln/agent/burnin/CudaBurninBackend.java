package dev.kiln.agent.burnin;

import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaSession;
import dev.kiln.cuda.burnin.ComputeStress;
import dev.kiln.cuda.burnin.HbmBandwidth;
import dev.kiln.cuda.burnin.MemoryTest;
import dev.kiln.cuda.burnin.Outcome;
import dev.kiln.cuda.burnin.PcieBandwidth;
import dev.kiln.cuda.burnin.Workload;
import dev.kiln.cuda.burnin.WorkloadError;
import dev.kiln.cuda.burnin.WorkloadResult;
import dev.kiln.cuda.raw.CudaLoader;
import dev.kiln.nvml.GpuDevice;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The burn-in on real GPUs: the workloads of {@code dev.kiln.cuda.burnin} on CUDA devices, telemetry from NVML.
 *
 * <p>GPUs are named by NVML index (the agent's inventory); each is matched to its CUDA device by PCI bus id, never by
 * ordinal (CUDA orders devices fastest-first unless {@code CUDA_DEVICE_ORDER=PCI_BUS_ID}, and
 * {@code CUDA_VISIBLE_DEVICES} renumbers them). A GPU CUDA cannot see gets ERROR results, never passes.
 *
 * <p>Each result carries the raw figures under the metric names {@link SimulatedBurninBackend} uses, so
 * {@link Verdicts} judges both backends alike; energy is the delta of NVML's total-energy counter over the test.
 * A workload that could not run is ERROR with the driver's words; after a sticky CUDA error (the context is
 * unusable until the process exits) every later test on that GPU is ERROR without touching it again.
 *
 * <p>Progress: the workloads report after each round or pass (seconds apart); between reports this backend keeps the
 * worker's heartbeat alive every {@value #KEEPALIVE_MILLIS} ms for at most {@link #maxSilenceMillis} after the last
 * report, so a long kernel is not mistaken for a stuck driver call, while a call stuck longer still stops the
 * heartbeat and the agent kills the worker.
 */
public final class CudaBurninBackend implements BurninBackend {
    static final long KEEPALIVE_MILLIS = 250;
    /** Cancellation that arrives this close to the end of a test's budget is the budget ending, not a cancel. */
    static final long CANCEL_SLACK_NANOS = 200_000_000L;
    /** Memory mismatches listed one per finding; the rest are counted in one more finding. */
    static final int MAX_LISTED_MISMATCHES = 32;

    private final List<GpuRef> gpus;
    private final Map<Integer, CudaDevice> devices;
    private final Map<Integer, String> unmapped;
    private final CudaSession cuda;
    private final NvmlBurninTelemetry telemetry;
    private final long maxSilenceMillis;
    private final Map<String, Workload> workloads;
    /** GPUs whose context a sticky error ruined, with that error. */
    private final Map<Integer, String> sticky = new ConcurrentHashMap<>();
    private final ScheduledExecutorService keepalive = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "burnin-cuda-keepalive");
        t.setDaemon(true);
        return t;
    });

    CudaBurninBackend(List<GpuRef> gpus, Map<Integer, CudaDevice> devices, Map<Integer, String> unmapped,
                      CudaSession cuda, NvmlBurninTelemetry telemetry, long maxSilenceMillis,
                      Map<String, Workload> workloads) {
        this.gpus = List.copyOf(gpus);
        this.devices = Map.copyOf(devices);
        this.unmapped = Map.copyOf(unmapped);
        this.cuda = cuda;
        this.telemetry = telemetry;
        this.maxSilenceMillis = maxSilenceMillis;
        this.workloads = Map.copyOf(workloads);
    }

    /** The workloads, by burn-in test id, with their default settings. */
    static Map<String, Workload> defaultWorkloads() {
        return Map.of(BurninTestIds.COMPUTE, new ComputeStress(), BurninTestIds.MEMORY, new MemoryTest(),
                BurninTestIds.HBM_BANDWIDTH, new HbmBandwidth(), BurninTestIds.PCIE, new PcieBandwidth());
    }

    /**
     * Opens the system's libcuda and NVML and matches {@code gpus} to CUDA devices.
     *
     * @throws IllegalStateException with the loader's reason when libcuda or NVML cannot be loaded, or when
     *                               {@code cuInit} or {@code nvmlInit} fails; the worker turns it into an
     *                               {@code error} line and the job ends ERROR
     */
    public static CudaBurninBackend open(WorkerJob job) {
        return open(job.gpus(), CudaLoader.system(), NvmlLoader.system(), maxSilence(job));
    }

    /** How long after a workload's last report the heartbeat is kept alive: the stall time, at least 30 s. */
    static long maxSilence(WorkerJob job) {
        return Math.max(30_000, job.stallMillis());
    }

    static CudaBurninBackend open(List<GpuRef> gpus, CudaLoader.Result cudaLib, NvmlLoader.Result nvmlLib,
                                  long maxSilenceMillis) {
        if (cudaLib instanceof CudaLoader.Unavailable u) {
            throw new IllegalStateException("the CUDA driver (libcuda) is not available: " + u.reason());
        }
        if (nvmlLib instanceof NvmlLoader.Unavailable u) {
            throw new IllegalStateException("NVML (libnvidia-ml) is not available: " + u.reason());
        }
        NvmlSession nvml = null;
        NvmlBurninTelemetry telemetry = null;
        try {
            nvml = NvmlSession.open(((NvmlLoader.Loaded) nvmlLib).binding());
            CudaSession cuda = CudaSession.open(((CudaLoader.Loaded) cudaLib).binding());
            Map<Integer, String> nvmlBusIds = new LinkedHashMap<>();
            for (GpuRef g : gpus) {
                GpuDevice d = nvml.device(g.index());
                Optional<String> uuid = d.uuid();
                if (uuid.isPresent() && g.uuid() != null && !uuid.get().equals(g.uuid())) {
                    throw new IllegalStateException("NVML GPU " + g.index() + " is now " + uuid.get()
                            + ", not " + g.uuid() + " the job was made for; the GPU list changed");
                }
                nvmlBusIds.put(g.index(), d.pciInfo().map(p -> p.busId()).orElse(g.pciBusId()));
            }
            List<CudaDevice> cudaDevices = cuda.devices();
            Map<String, Integer> cudaBusIds = new HashMap<>();
            for (CudaDevice c : cudaDevices) {
                cudaBusIds.put(c.pciBusId(), c.ordinal());
            }
            Mapping m = mapByBusId(nvmlBusIds, cudaBusIds);
            Map<Integer, CudaDevice> devices = new HashMap<>();
            m.ordinals().forEach((index, ordinal) -> devices.put(index, cudaDevices.stream()
                    .filter(c -> c.ordinal() == ordinal).findFirst().orElseThrow()));
            telemetry = new NvmlBurninTelemetry(nvml, gpus.stream().map(GpuRef::index).toList());
            return new CudaBurninBackend(gpus, devices, m.unmapped(), cuda, telemetry, maxSilenceMillis,
                    defaultWorkloads());
        } catch (RuntimeException e) {
            if (telemetry != null) {
                telemetry.close();
            }
            if (nvml != null) {
                nvml.close();
            }
            throw e instanceof IllegalStateException ? e : new IllegalStateException(e.getMessage(), e);
        }
    }

    /**
     * NVML index -> CUDA ordinal by normalised PCI bus id, and why each GPU without a CUDA device has none.
     */
    record Mapping(Map<Integer, Integer> ordinals, Map<Integer, String> unmapped) {
    }

    /**
     * Matches NVML GPUs ({@code index -> bus id}) to CUDA devices ({@code bus id -> ordinal}); both sides'
     * ids are normalised ({@link CudaDevice#normalizeBusId}) so {@code 0000:18:00.0} matches {@code 00000000:18:00.0}.
     */
    static Mapping mapByBusId(Map<Integer, String> nvmlBusIds, Map<String, Integer> cudaBusIds) {
        Map<String, Integer> cuda = new HashMap<>();
        cudaBusIds.forEach((bus, ordinal) -> cuda.put(CudaDevice.normalizeBusId(bus), ordinal));
        Map<Integer, Integer> ordinals = new LinkedHashMap<>();
        Map<Integer, String> unmapped = new LinkedHashMap<>();
        nvmlBusIds.forEach((index, bus) -> {
            if (bus == null || bus.isBlank()) {
                unmapped.put(index, "NVML reports no PCI bus id for GPU " + index);
                return;
            }
            Integer ordinal = cuda.get(CudaDevice.normalizeBusId(bus));
            if (ordinal == null) {
                unmapped.put(index, "CUDA does not see GPU " + index + " (" + bus + "; CUDA sees "
                        + (cuda.isEmpty() ? "no devices" : String.join(", ", cuda.keySet().stream().sorted().toList()))
                        + "; check CUDA_VISIBLE_DEVICES)");
            } else {
                ordinals.put(index, ordinal);
            }
        });
        return new Mapping(Collections.unmodifiableMap(ordinals), Collections.unmodifiableMap(unmapped));
    }

    @Override
    public List<GpuRef> gpus() {
        return gpus;
    }

    /** The CUDA ordinal GPU {@code index} runs on, if CUDA sees it. */
    Optional<Integer> ordinalOf(int index) {
        return Optional.ofNullable(devices.get(index)).map(CudaDevice::ordinal);
    }

    @Override
    public GpuTestResult run(String test, GpuRef gpu, Duration budget, CancelCheck cancel, ProgressSink sink)
            throws InterruptedException {
        Workload w = workloads.get(test);
        if (w == null) {
            throw new IllegalArgumentException("unknown burn-in test '" + test + "'");
        }
        long t0 = System.nanoTime();
        if (unmapped.containsKey(gpu.index())) {
            return error(gpu, test, unmapped.get(gpu.index()), t0);
        }
        if (sticky.containsKey(gpu.index())) {
            return error(gpu, test, "not run: an earlier sticky CUDA error (" + sticky.get(gpu.index())
                    + ") left this GPU's context unusable until the worker exits", t0);
        }
        CudaDevice device = devices.get(gpu.index());
        if (device == null) {
            throw new IllegalArgumentException("GPU " + gpu.index() + " is not part of this burn-in");
        }
        Optional<Long> energyBefore = energy(gpu.index());
        long budgetNanos = budget.toNanos();
        AtomicLong lastReport = new AtomicLong(System.nanoTime());
        AtomicLong maxTemp = new AtomicLong(Long.MIN_VALUE);
        Runnable keep = () -> {
            long now = System.nanoTime();
            telemetry.temperatureCelsius(gpu.index()).ifPresent(t -> maxTemp.accumulateAndGet(t, Math::max));
            if (now - lastReport.get() <= TimeUnit.MILLISECONDS.toNanos(maxSilenceMillis)) {
                sink.progress(fraction(now - t0, budgetNanos), Map.of());
            }
        };
        ScheduledFuture<?> ticker = keepalive.scheduleAtFixedRate(() -> {
            try {
                keep.run();
            } catch (RuntimeException e) {
                // a failed NVML read is no reading; the sampler reports the GPU's state
            }
        }, 0, KEEPALIVE_MILLIS, TimeUnit.MILLISECONDS);
        WorkloadResult r;
        try {
            r = w.run(device, budget,
                    () -> cancel.cancelled() && System.nanoTime() - t0 < budgetNanos - CANCEL_SLACK_NANOS,
                    p -> {
                        lastReport.set(System.nanoTime());
                        sink.progress(p.fraction(), Map.of());
                    });
        } finally {
            ticker.cancel(false);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("burn-in test interrupted");
        }
        Optional<Long> energyAfter = energy(gpu.index());
        Double joules = energyBefore.isPresent() && energyAfter.isPresent()
                ? Math.max(0, energyAfter.get() - energyBefore.get()) / 1000.0 : null;
        Double temp = maxTemp.get() == Long.MIN_VALUE ? null : (double) maxTemp.get();
        WorkloadError err = r.error();
        if (err != null && err.sticky()) {
            sticky.putIfAbsent(gpu.index(), err.name());
        }
        return convert(gpu, test, r, joules, temp, (System.nanoTime() - t0) / 1_000_000);
    }

    private Optional<Long> energy(int index) {
        try {
            return telemetry.energyMillijoules(index);
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    private static double fraction(long elapsed, long budget) {
        return budget <= 0 ? 1.0 : Math.min(1.0, (double) elapsed / budget);
    }

    private static GpuTestResult error(GpuRef gpu, String test, String reason, long t0) {
        return new GpuTestResult(gpu.index(), gpu.uuid(), gpu.serial(), gpu.pciBusId(), test, "ERROR", reason,
                Map.of(), List.of(), (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * One workload result as a raw {@link GpuTestResult}: the metrics {@link SimulatedBurninBackend} reports, under
     * the same names, plus a few the real workloads add ({@code passes}, {@code copyGbps}, ...). PASSED -> PASS,
     * FAILED -> FAIL, ERROR and CANCELLED -> ERROR (never a pass).
     *
     * @param energyJoules   NVML energy-counter delta over the test, null when the GPU has no counter
     * @param maxTemperature hottest GPU temperature read during the test, null when none was read
     */
    static GpuTestResult convert(GpuRef gpu, String test, WorkloadResult r, Double energyJoules, Double maxTemperature,
                                 long durationMs) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        List<String> findings = new ArrayList<>();
        String verdict = switch (r.outcome()) {
            case PASSED -> "PASS";
            case FAILED -> "FAIL";
            case ERROR, CANCELLED -> "ERROR";
        };
        String reason = null;
        double seconds = Math.max(1e-9, r.elapsed().toNanos() / 1e9);
        switch (r) {
            case ComputeStress.Result c -> {
                ComputeStress.KindResult fma = c.kind(ComputeStress.Kind.FP32_FMA);
                ComputeStress.KindResult tensor = c.kind(ComputeStress.Kind.TENSOR_BF16);
                if (fma != null && fma.launches() > 0) {
                    metrics.put("tflops", round(fma.tflops()));
                }
                if (tensor != null && tensor.launches() > 0) {
                    metrics.put("tensorTflops", round(tensor.tflops()));
                }
                // The optional cuBLASLt GEMM kind (reported, not judged: Kiln has no per-model GEMM minimum yet).
                ComputeStress.KindResult gemm = c.kind(ComputeStress.Kind.GEMM_CUBLASLT);
                if (gemm != null && gemm.launches() > 0) {
                    metrics.put("gemmTflops", round(gemm.tflops()));
                }
                metrics.put("mismatches", (double) c.mismatches());
                metrics.put("nanCount", (double) c.nans());
                long comparisons = c.kinds().stream().mapToLong(ComputeStress.KindResult::comparisons).sum();
                metrics.put("comparisons", (double) comparisons);
                if (energyJoules != null && energyJoules > 0 && metrics.containsKey("tensorTflops")) {
                    double avgW = energyJoules / seconds;
                    metrics.put("gflopsPerWatt", round(metrics.get("tensorTflops") * 1000 / Math.max(1, avgW)));
                }
                if (c.mismatches() > 0 || c.nans() > 0) {
                    for (ComputeStress.KindResult k : c.kinds()) {
                        if (k.mismatches() > 0 || k.nans() > 0) {
                            findings.add(k.kind() + ": " + k.mismatches() + " element(s) differed from the reference"
                                    + " and " + k.nans() + " NaN(s) in " + k.comparisons() + " comparison(s)"
                                    + (k.kind() == ComputeStress.Kind.GEMM_CUBLASLT ? " of the GEMM output"
                                    : " of " + c.slotBytes() / 4 + " elements"));
                        }
                    }
                    reason = c.mismatches() > 0
                            ? "wrong results: " + c.mismatches() + " mismatched elements between identical repeats"
                            : "wrong results: " + c.nans() + " NaN(s)";
                }
            }
            case MemoryTest.Result m -> {
                metrics.put("testedBytes", (double) m.bytesTested());
                metrics.put("mismatches", (double) m.mismatches());
                metrics.put("passes", (double) m.passes());
                metrics.put("verifyGbps", round(m.verifyGBps()));
                List<MemoryTest.Mismatch> listed = m.recorded().subList(0, Math.min(m.recorded().size(),
                        MAX_LISTED_MISMATCHES));
                for (MemoryTest.Mismatch x : listed) {
                    findings.add(String.format("mismatch at 0x%x: expected 0x%08x, got 0x%08x (%s)", x.address(),
                            x.expected(), x.actual(), x.pattern()));
                }
                if (m.mismatches() > listed.size()) {
                    findings.add((m.mismatches() - listed.size()) + " more mismatch(es) not listed");
                }
                if (m.mismatches() > 0) {
                    reason = m.mismatches() + " memory mismatch(es)";
                }
            }
            case HbmBandwidth.Result h -> {
                if (h.copyRuns() > 0) {
                    metrics.put("gbps", round(h.copyGBps()));
                    metrics.put("copyGbps", round(h.copyGBps()));
                }
                if (h.triadRuns() > 0) {
                    metrics.put("triadGbps", round(h.triadGBps()));
                }
            }
            case PcieBandwidth.Result p -> {
                if (p.h2dRuns() > 0) {
                    metrics.put("h2dGbps", round(p.h2dGBps()));
                }
                if (p.d2hRuns() > 0) {
                    metrics.put("d2hGbps", round(p.d2hGBps()));
                }
                if (p.h2dRuns() > 0 && p.d2hRuns() > 0) {
                    metrics.put("gbps", round(Math.min(p.h2dGBps(), p.d2hGBps())));
                }
            }
        }
        if (energyJoules != null) {
            metrics.put("energyJoules", round(energyJoules));
        }
        if (maxTemperature != null) {
            metrics.put("maxTemperatureCelsius", round(maxTemperature));
        }
        WorkloadError err = r.error();
        if (err != null) {
            String words = describe(err);
            findings.add(words);
            if (reason == null) {
                reason = words;
            }
        }
        if (r.outcome() == Outcome.CANCELLED && reason == null) {
            reason = "cancelled before the test finished; nothing was verified to the end";
        }
        return new GpuTestResult(gpu.index(), gpu.uuid(), gpu.serial(), gpu.pciBusId(), test, verdict, reason,
                Collections.unmodifiableMap(metrics), List.copyOf(findings), durationMs);
    }

    /** "CUDA_ERROR_ILLEGAL_ADDRESS (700) in cuCtxSynchronize, sticky: ...". */
    static String describe(WorkloadError e) {
        StringBuilder s = new StringBuilder();
        if ("kiln".equals(e.function())) {
            s.append(e.message());
        } else {
            s.append(e.name()).append(" (").append(e.code()).append(") in ").append(e.function());
            if (e.sticky()) {
                s.append(", sticky: the GPU's context is unusable until the worker exits");
            }
            if (e.hardwareSuspect()) {
                s.append(", points at the GPU itself");
            }
            if (e.message() != null && !e.message().isBlank()) {
                s.append(": ").append(e.message());
            }
        }
        return s.toString();
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    @Override
    public TelemetrySample sample(int gpuIndex) {
        return telemetry.sample(gpuIndex);
    }

    @Override
    public void close() {
        keepalive.shutdownNow();
        telemetry.close();
        if (cuda != null) {
            cuda.close();
        }
        telemetry.session().close();
    }
}
