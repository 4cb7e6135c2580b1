package dev.kiln.agent.burnin;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.GpuModel;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A burn-in on simulated GPUs: plausible throughput per GPU model ({@link BurninThresholds#NOMINAL}),
 * temperature and power that rise under load toward the model's limits, and the burn-in faults of
 * {@link Fault.Burnin}. Times of faults count from the backend's creation (the worker's start).
 *
 * <p>{@code worker-crash} halts the process as a native crash would; {@code worker-hang} blocks the
 * running test forever without reporting progress, as a stuck driver call would. Both act inside a
 * running test.
 */
public final class SimulatedBurninBackend implements BurninBackend {
    private static final long STEP_MS = 25;
    /** Exit status of a simulated native crash (128 + SIGABRT). */
    static final int CRASH_EXIT = 134;

    private final ServerPreset preset;
    private final List<GpuRef> gpus;
    private final List<Fault> faults;
    private final long startNanos = System.nanoTime();
    private final BurninThresholds nominal;
    /** Thermal time constant: how fast a GPU approaches its loaded temperature (scaled to the job). */
    private final double tauSeconds;
    private final Map<Integer, GpuState> state = new HashMap<>();

    /** Per-GPU load and thermal state; guarded by itself. */
    private static final class GpuState {
        double load;            // 0 idle .. 1 full tensor load
        double temperature;
        double power;           // watts
        long lastNanos;
        boolean xidReported;
        boolean lost;
    }

    /**
     * @param jobSeconds the job's length; the thermal model is scaled to it so a 2-second test run
     *                   warms up like a 30-minute one (at most a 60 s time constant)
     */
    public SimulatedBurninBackend(ServerPreset preset, List<GpuRef> gpus, List<Fault> faults, double jobSeconds) {
        this.preset = preset;
        this.gpus = List.copyOf(gpus);
        this.faults = faults.stream().filter(f -> f instanceof Fault.Burnin).toList();
        this.nominal = BurninThresholds.nominal(preset.gpu().name()).orElse(BurninThresholds.NOMINAL.get("H100"));
        this.tauSeconds = Math.min(60, Math.max(0.2, jobSeconds / 6));
        GpuModel m = preset.gpu();
        for (GpuRef g : gpus) {
            GpuState s = new GpuState();
            s.temperature = m.idleCelsius() + (g.index() * 3) % 7;
            s.power = m.idlePowerMilliwatts() / 1000.0 + g.index() * 1.25;
            s.lastNanos = startNanos;
            state.put(g.index(), s);
        }
    }

    @Override
    public List<GpuRef> gpus() {
        return gpus;
    }

    private double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private boolean due(Duration after) {
        return elapsedSeconds() >= after.toNanos() / 1e9;
    }

    private <T extends Fault> List<T> faults(Class<T> type) {
        return faults.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private boolean thermal(int gpu) {
        return faults(Fault.BurninThermal.class).stream().anyMatch(f -> f.gpu() == gpu && due(f.after()));
    }

    /** The Xid due on {@code gpu}, if any. */
    private Fault.BurninXid xid(int gpu) {
        return faults(Fault.BurninXid.class).stream().filter(f -> f.gpu() == gpu && due(f.after())).findFirst()
                .orElse(null);
    }

    private void workerFaults() throws InterruptedException {
        for (Fault.WorkerCrash c : faults(Fault.WorkerCrash.class)) {
            if (due(c.after())) {
                System.err.println("simulated worker crash (fault worker-crash) after " + c.after().toMillis() + " ms");
                System.err.flush();
                Runtime.getRuntime().halt(CRASH_EXIT);
            }
        }
        for (Fault.WorkerHang h : faults(Fault.WorkerHang.class)) {
            if (due(h.after())) {
                System.err.println("simulated worker hang (fault worker-hang) after " + h.after().toMillis() + " ms");
                System.err.flush();
                Object never = new Object();
                while (true) {
                    try {
                        synchronized (never) {
                            never.wait();
                        }
                    } catch (InterruptedException e) {
                        // A stuck driver call does not notice interrupts either.
                    }
                }
            }
        }
    }

    /** Advances the GPU's temperature and power toward what {@code load} drives them to. */
    private void advance(int gpu, GpuState s) {
        GpuModel m = preset.gpu();
        long now = System.nanoTime();
        double dt = (now - s.lastNanos) / 1e9;
        s.lastNanos = now;
        double idleW = m.idlePowerMilliwatts() / 1000.0;
        double limitW = m.powerLimitMilliwatts() / 1000.0;
        double targetPower = idleW + (limitW * 0.98 - idleW) * s.load;
        double targetTemp = m.idleCelsius() + (m.slowdownCelsius() - 14 - m.idleCelsius()) * s.load;
        if (thermal(gpu)) {
            targetTemp = m.slowdownCelsius() + 3;
        }
        double a = 1 - Math.exp(-dt / tauSeconds);
        double p = 1 - Math.exp(-dt / (tauSeconds / 5));
        s.temperature += (targetTemp - s.temperature) * a;
        s.power += (targetPower - s.power) * p;
        if (thermal(gpu) && s.temperature < m.slowdownCelsius() + 1) {
            s.temperature = m.slowdownCelsius() + 1;   // the fault is a slowdown now, not a slow warm-up
        }
    }

    private GpuState stateOf(int gpu) {
        GpuState s = state.get(gpu);
        if (s == null) {
            throw new IllegalArgumentException("GPU " + gpu + " is not part of this burn-in");
        }
        return s;
    }

    @Override
    public TelemetrySample sample(int gpuIndex) {
        GpuState s = stateOf(gpuIndex);
        GpuModel m = preset.gpu();
        List<Integer> xids = List.of();
        synchronized (s) {
            Fault.BurninXid x = xid(gpuIndex);
            if (x != null && !s.xidReported) {
                s.xidReported = true;
                xids = List.of(x.code());
                if (x.code() == 79) {
                    s.lost = true;
                }
            }
            if (s.lost) {
                // A GPU that fell off the bus answers nothing.
                return new TelemetrySample(Instant.now(), gpuIndex, null, null, null, null, List.of(), null, null,
                        null, xids);
            }
            advance(gpuIndex, s);
            List<String> reasons = new ArrayList<>();
            int sm = (int) Math.round(m.smIdleMhz() + (m.smMaxMhz() - m.smIdleMhz()) * Math.min(1, s.load * 1.5));
            if (s.load == 0) {
                reasons.add("gpu_idle");
            }
            if (s.power >= m.powerLimitMilliwatts() / 1000.0 * 0.95) {
                reasons.add("sw_power_cap");
                sm = (int) Math.round(m.smMaxMhz() * 0.93);
            }
            if (thermal(gpuIndex)) {
                reasons.add("sw_thermal_slowdown");
                reasons.add("hw_thermal_slowdown");
                sm = m.smMaxMhz() / 2;
            }
            return new TelemetrySample(Instant.now(), gpuIndex, (int) Math.round(s.temperature),
                    (int) Math.round(s.temperature) + 6, (int) Math.round(s.power * 1000), sm, reasons, 0L, 0L, 0L,
                    xids);
        }
    }

    private static double loadOf(String test) {
        return switch (test) {
            case BurninTestIds.COMPUTE -> 1.0;
            case BurninTestIds.MEMORY -> 0.7;
            case BurninTestIds.HBM_BANDWIDTH -> 0.75;
            case BurninTestIds.PCIE -> 0.3;
            default -> throw new IllegalArgumentException("unknown burn-in test '" + test + "'");
        };
    }

    @Override
    public GpuTestResult run(String test, GpuRef gpu, Duration budget, CancelCheck cancel, ProgressSink sink)
            throws InterruptedException {
        double load = loadOf(test);
        GpuState s = stateOf(gpu.index());
        long t0 = System.nanoTime();
        long budgetNanos = Math.max(1, budget.toNanos());
        double energy = 0;
        double maxTemp = 0;
        double slow = 1;   // throughput factor from clocks
        synchronized (s) {
            s.load = load;
        }
        try {
            while (true) {
                workerFaults();
                long elapsed = System.nanoTime() - t0;
                synchronized (s) {
                    if (s.lost) {
                        return result(gpu, test, "ERROR", "GPU " + gpu.index() + " fell off the bus during the test "
                                + "(CUDA_ERROR_LAUNCH_FAILED after Xid 79)", Map.of(), List.of(), t0);
                    }
                    advance(gpu.index(), s);
                    energy += s.power * STEP_MS / 1000.0;
                    maxTemp = Math.max(maxTemp, s.temperature);
                    if (thermal(gpu.index())) {
                        slow = Math.min(slow, 0.5);
                    }
                }
                if (elapsed >= budgetNanos || cancel.cancelled()) {
                    break;
                }
                sink.progress(Math.min(1, (double) elapsed / budgetNanos), Map.of());
                Thread.sleep(STEP_MS);
            }
        } finally {
            synchronized (s) {
                s.load = 0;
            }
        }
        Random jitter = new Random((gpu.uuid() + "/" + test).hashCode());
        double j = 0.97 + jitter.nextDouble() * 0.04;
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Double> metrics = new LinkedHashMap<>();
        List<String> findings = new ArrayList<>();
        String verdict = "PASS";
        String reason = null;
        switch (test) {
            case BurninTestIds.COMPUTE -> {
                double tflops = nominal.tflops() * j * slow;
                double tensor = nominal.tensorTflops() * j * slow;
                metrics.put("tflops", round(tflops));
                metrics.put("tensorTflops", round(tensor));
                long mismatches = 0;
                if (faults(Fault.BurninWrongResults.class).stream().anyMatch(f -> f.gpu() == gpu.index())) {
                    mismatches = 3 + jitter.nextInt(40);
                    long first = jitter.nextInt(1 << 24);
                    findings.add("repeat 2 differs from repeat 1 in " + mismatches + " of 16777216 elements (first at "
                            + "element " + first + ": 4096.0 vs 4096.0039)");
                    verdict = "FAIL";
                    reason = "wrong results: " + mismatches + " mismatched elements between identical repeats";
                }
                metrics.put("mismatches", (double) mismatches);
                metrics.put("nanCount", 0.0);
                double avgW = energy / Math.max(1e-9, seconds);
                metrics.put("gflopsPerWatt", round(tensor * 1000 / Math.max(1, avgW)));
            }
            case BurninTestIds.MEMORY -> {
                GpuModel m = preset.gpu();
                double tested = Math.floor((m.memoryBytes() - m.reservedMemoryBytes()) * 0.92);
                metrics.put("testedBytes", tested);
                List<Long> bad = faults(Fault.BurninMemoryErrors.class).stream()
                        .filter(f -> f.gpu() == gpu.index()).flatMap(f -> f.addresses().stream()).toList();
                for (long addr : bad) {
                    long expected = 0xffffffffL;
                    long actual = expected ^ (1L << (int) (Long.remainderUnsigned(addr >>> 2, 32)));
                    findings.add(String.format("mismatch at 0x%x: expected 0x%08x, got 0x%08x (walking ones)", addr,
                            expected, actual));
                }
                metrics.put("mismatches", (double) bad.size());
                if (!bad.isEmpty()) {
                    verdict = "FAIL";
                    reason = bad.size() + " memory mismatch(es)";
                }
            }
            case BurninTestIds.HBM_BANDWIDTH -> metrics.put("gbps", round(nominal.hbmGbps() * j * slow));
            case BurninTestIds.PCIE -> {
                double h2d = nominal.pcieGbps() * j;
                double d2h = nominal.pcieGbps() * (j - 0.01);
                metrics.put("h2dGbps", round(h2d));
                metrics.put("d2hGbps", round(d2h));
                metrics.put("gbps", round(Math.min(h2d, d2h)));
            }
            default -> throw new IllegalStateException(test);
        }
        metrics.put("energyJoules", round(energy));
        metrics.put("maxTemperatureCelsius", round(maxTemp));
        return result(gpu, test, verdict, reason, metrics, findings, t0);
    }

    private static GpuTestResult result(GpuRef gpu, String test, String verdict, String reason,
                                        Map<String, Double> metrics, List<String> findings, long t0) {
        return new GpuTestResult(gpu.index(), gpu.uuid(), gpu.serial(), gpu.pciBusId(), test, verdict, reason,
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics)), List.copyOf(findings), (System.nanoTime() - t0) / 1_000_000);
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    @Override
    public void close() {
        // Nothing held.
    }
}
