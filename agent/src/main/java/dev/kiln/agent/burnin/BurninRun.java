package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The burn-in worker's loop, in plain Java so tests can run it in-process on any backend: runs each
 * test on every GPU at once, with a settle pause between tests, samples telemetry, repeats a test
 * whose throughput is low to confirm it, judges each result ({@link Verdicts}) and writes
 * {@link WorkerLine}s: heartbeat and progress from a ticker, telemetry from a sampler, result and done.
 */
public final class BurninRun {
    private final WorkerJob job;
    private final BurninBackend backend;
    private final Consumer<WorkerLine> out;
    /** Start time (nanos) of each running (test, GPU) call's last progress report. */
    private final Map<String, AtomicLong> active = new ConcurrentHashMap<>();
    /** Per GPU, the running test's telemetry folded for judging (never the samples themselves). */
    private final Map<Integer, Verdicts.Window> window = new HashMap<>();   // guarded by itself
    private volatile double progress;
    private volatile String current;
    private volatile String lastProgressSent;

    public BurninRun(WorkerJob job, BurninBackend backend, Consumer<WorkerLine> out) {
        this.job = job;
        this.backend = backend;
        this.out = out;
    }

    /** Runs the job; returns PASS or FAIL over all results. */
    public String run() throws InterruptedException {
        List<BurninBackend.GpuRef> gpus = job.gpus();
        List<String> tests = job.tests();
        for (BurninBackend.GpuRef g : gpus) {
            window.put(g.index(), new Verdicts.Window());
        }
        Map<Integer, Verdicts.Baseline> baselines = new HashMap<>();
        ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "burnin-ticker");
            t.setDaemon(true);
            return t;
        });
        ExecutorService perGpu = Executors.newFixedThreadPool(Math.max(1, gpus.size()), r -> {
            Thread t = new Thread(r, "burnin-gpu");
            t.setDaemon(true);
            return t;
        });
        boolean anyFail = false;
        try {
            ticker.scheduleAtFixedRate(this::tick, 0, job.heartbeatMillis(), TimeUnit.MILLISECONDS);
            java.util.concurrent.ScheduledFuture<?> sampling = ticker.scheduleAtFixedRate(this::sampleAll,
                    job.telemetryMillis(), job.telemetryMillis(), TimeUnit.MILLISECONDS);
            Duration share = Duration.ofMillis(Math.max(1, job.durationMillis() / Math.max(1, tests.size())));
            for (int i = 0; i < tests.size(); i++) {
                String test = tests.get(i);
                current = "settling before " + test;
                if (i > 0 && job.settleMillis() > 0) {
                    Thread.sleep(job.settleMillis());
                }
                current = test + " on GPU" + (gpus.size() == 1 ? " " : "s ") + describe(gpus);
                int done = i;
                Map<Integer, Double> fractions = new ConcurrentHashMap<>();
                List<Future<GpuTestResult>> running = new ArrayList<>();
                for (BurninBackend.GpuRef g : gpus) {
                    running.add(perGpu.submit(() -> runOne(test, g, share, f -> {
                        fractions.put(g.index(), f);
                        progress = (done + fractions.values().stream().mapToDouble(d -> d).sum() / gpus.size())
                                / tests.size();
                    })));
                }
                Map<Integer, GpuTestResult> raw = new LinkedHashMap<>();
                for (int k = 0; k < gpus.size(); k++) {
                    raw.put(gpus.get(k).index(), get(running.get(k), test, gpus.get(k)));
                }
                sampleAll();   // every GPU's state at the end of the test is judged too
                // Confirming repeats for every GPU below its minimum run together, so a repeat sees the
                // same contention (power, heat, host bandwidth) as the first run, and k low GPUs cost one
                // repeat's time, not k.
                Map<Integer, Map<String, BurninThresholds.Minimum>> minimaByGpu = new LinkedHashMap<>();
                Map<Integer, Future<GpuTestResult>> repeats = new LinkedHashMap<>();
                for (BurninBackend.GpuRef g : gpus) {
                    Map<String, BurninThresholds.Minimum> minima = BurninThresholds.minima(test, g.name(),
                            job.burnin(), job.specName());
                    minimaByGpu.put(g.index(), minima);
                    if (Verdicts.belowMinimum(raw.get(g.index()), minima).isPresent()) {
                        repeats.put(g.index(), perGpu.submit(() -> runOne(test, g, share, f -> { })));
                    }
                }
                if (!repeats.isEmpty()) {
                    current = test + " (confirming repeat on GPU " + repeats.keySet() + ")";
                }
                Map<Integer, GpuTestResult> repeated = new LinkedHashMap<>();
                for (BurninBackend.GpuRef g : gpus) {
                    if (repeats.containsKey(g.index())) {
                        repeated.put(g.index(), get(repeats.get(g.index()), test, g));
                    }
                }
                if (i == tests.size() - 1) {
                    // Last test: stop background sampling and take the final sample ourselves, so no sample
                    // (and no Xid in it) lands after this judgement, where nothing would ever judge it.
                    sampling.cancel(false);
                    sampleAll(); // takes sampleLock: waits out a sample the ticker had already started
                }
                for (BurninBackend.GpuRef g : gpus) {
                    GpuTestResult r = raw.get(g.index());
                    Map<String, BurninThresholds.Minimum> minima = minimaByGpu.get(g.index());
                    Optional<String> low = Verdicts.belowMinimum(r, minima);
                    if (low.isPresent()) {
                        GpuTestResult again = repeated.get(g.index());
                        Optional<String> lowAgain = Verdicts.belowMinimum(again, minima);
                        List<String> findings = new ArrayList<>(again.findings());
                        findings.add("first run: " + low.get());
                        if (lowAgain.isPresent()) {
                            findings.add("confirming repeat: " + lowAgain.get());
                            r = new GpuTestResult(again.gpuIndex(), again.uuid(), again.serial(), again.pciBusId(),
                                    test, "FAIL", "throughput below the minimum in two runs: " + lowAgain.get(),
                                    again.metrics(), List.copyOf(findings), r.durationMs() + again.durationMs());
                        } else {
                            findings.add("confirming repeat reached the minimum; the repeat's figures are reported");
                            r = new GpuTestResult(again.gpuIndex(), again.uuid(), again.serial(), again.pciBusId(),
                                    test, again.verdict(), again.reason(), again.metrics(), List.copyOf(findings),
                                    r.durationMs() + again.durationMs());
                        }
                    }
                    r = Verdicts.withMinima(r, minima, g.name());
                    Verdicts.Window during;
                    synchronized (window) {
                        during = window.put(g.index(), new Verdicts.Window());
                    }
                    Verdicts.Baseline before = baselines.getOrDefault(g.index(), Verdicts.Baseline.ZERO);
                    GpuTestResult judged = withTelemetryGaps(Verdicts.judge(r, during, before), during,
                            sampleFailures.remove(g.index()), lastSampleFailure.remove(g.index()));
                    baselines.put(g.index(), Verdicts.after(before, during));
                    anyFail |= !"PASS".equals(judged.verdict()) && !"SKIP".equals(judged.verdict());
                    out.accept(WorkerLine.result(judged));
                }
                progress = (double) (i + 1) / tests.size();
            }
            current = null;
            String verdict = anyFail ? "FAIL" : "PASS";
            out.accept(WorkerLine.done(verdict));
            return verdict;
        } finally {
            ticker.shutdownNow();
            perGpu.shutdownNow();
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        }
    }

    private GpuTestResult runOne(String test, BurninBackend.GpuRef g, Duration budget,
                                 java.util.function.DoubleConsumer fraction) throws InterruptedException {
        String key = test + "#" + g.index();
        AtomicLong last = new AtomicLong(System.nanoTime());
        active.put(key, last);
        long deadline = System.nanoTime() + budget.toNanos();
        try {
            return backend.run(test, g, budget, () -> System.nanoTime() >= deadline, (f, interim) -> {
                last.set(System.nanoTime());
                fraction.accept(f);
            });
        } finally {
            active.remove(key);
            fraction.accept(1.0);
        }
    }

    private static GpuTestResult get(Future<GpuTestResult> f, String test, BurninBackend.GpuRef g)
            throws InterruptedException {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable c = e.getCause();
            return new GpuTestResult(g.index(), g.uuid(), g.serial(), g.pciBusId(), test, "ERROR",
                    "the test could not run: " + c.getClass().getSimpleName()
                            + (c.getMessage() == null ? "" : ": " + c.getMessage()), Map.of(), List.of(), 0);
        }
    }

    /** Heartbeat, unless a running test has stopped reporting progress (a stuck call): then nothing. */
    private void tick() {
        long now = System.nanoTime();
        long stall = TimeUnit.MILLISECONDS.toNanos(job.stallMillis());
        for (AtomicLong last : active.values()) {
            if (now - last.get() > stall) {
                return;
            }
        }
        out.accept(WorkerLine.heartbeat());
        String p = String.format("%.3f|%s", progress, current);
        if (!p.equals(lastProgressSent)) {
            lastProgressSent = p;
            out.accept(WorkerLine.progress(Math.round(progress * 1000) / 1000.0, current));
        }
    }

    private final Map<Integer, Integer> sampleFailures = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<Integer, String> lastSampleFailure = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Thermal, ECC and Xid rules need telemetry: a test with no sample at all cannot PASS (ERROR),
     * and failed samples are named in the findings.
     */
    static GpuTestResult withTelemetryGaps(GpuTestResult r, List<TelemetrySample> during, Integer failures,
                                           String lastFailure) {
        return withTelemetryGaps(r, Verdicts.Window.of(during), failures, lastFailure);
    }

    static GpuTestResult withTelemetryGaps(GpuTestResult r, Verdicts.Window during, Integer failures,
                                           String lastFailure) {
        List<String> findings = new ArrayList<>(r.findings());
        String verdict = r.verdict();
        String reason = r.reason();
        if (failures != null && failures > 0) {
            findings.add(failures + " telemetry sample(s) failed during the test, last: " + lastFailure);
        }
        if (during.isEmpty() && ("PASS".equals(verdict))) {
            verdict = "ERROR";
            reason = "no telemetry could be sampled during the test, so thermal, ECC and Xid rules could not be applied";
            findings.add(reason);
        }
        if (findings.size() == r.findings().size()) {
            return r;
        }
        return new GpuTestResult(r.gpuIndex(), r.uuid(), r.serial(), r.pciBusId(), r.test(), verdict, reason,
                r.metrics(), List.copyOf(findings), r.durationMs());
    }

    /** Held while sampling, so the last test can wait out a sample the ticker already started. */
    private final Object sampleLock = new Object();

    private void sampleAll() {
        synchronized (sampleLock) {
            sampleAllNow();
        }
    }

    private void sampleAllNow() {
        for (BurninBackend.GpuRef g : job.gpus()) {
            TelemetrySample s;
            try {
                s = backend.sample(g.index());
            } catch (RuntimeException e) {
                // No reading, but never silently: the test's result says telemetry failed.
                sampleFailures.merge(g.index(), 1, Integer::sum);
                lastSampleFailure.put(g.index(), e.toString());
                continue;
            }
            synchronized (window) {
                window.get(g.index()).add(s);
            }
            out.accept(WorkerLine.telemetry(s));
        }
    }

    /** "0-7", "0,2,5", "3". */
    public static String describe(List<BurninBackend.GpuRef> gpus) {
        List<Integer> idx = gpus.stream().map(BurninBackend.GpuRef::index).sorted().toList();
        if (idx.size() > 2 && idx.get(idx.size() - 1) - idx.get(0) == idx.size() - 1) {
            return idx.get(0) + "-" + idx.get(idx.size() - 1);
        }
        return String.join(",", idx.stream().map(String::valueOf).toList());
    }
}
