package dev.kiln.agent.fabric;

import dev.kiln.agent.burnin.BurninBackend;
import dev.kiln.agent.burnin.WorkerJob;
import dev.kiln.agent.burnin.WorkerLine;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The worker's loop for a fabric job, in plain Java so tests run it in-process: reads NVLink counters first,
 * runs the other tests in order (each with an equal share of the job's time), judges NVLinks last so their
 * counter deltas cover the others' traffic, and writes {@link WorkerLine}s (heartbeat, progress, one
 * {@code fabric} line per test, done).
 */
public final class FabricRun {
    private final WorkerJob job;
    private final Map<String, FabricTest> tests;
    private final Consumer<WorkerLine> out;
    private final AtomicLong lastProgress = new AtomicLong(System.nanoTime());
    private volatile double progress;
    private volatile String current;
    private volatile String lastSent;
    private volatile boolean running;

    public FabricRun(WorkerJob job, Map<String, FabricTest> tests, Consumer<WorkerLine> out) {
        this.job = job;
        this.tests = tests;
        this.out = out;
    }

    /** Runs the job; returns PASS or FAIL (FAIL when any test failed or could not run). */
    public String run() throws InterruptedException {
        List<BurninBackend.GpuRef> gpus = job.gpus();
        List<String> order = new ArrayList<>(job.tests());
        boolean nvlink = order.remove(FabricTestIds.NVLINK);
        if (nvlink) {
            order.add(FabricTestIds.NVLINK);
        }
        String gpuName = gpus.isEmpty() ? null : gpus.get(0).name();
        FabricThresholds thresholds = FabricThresholds.resolve(job.fabric() == null ? null : job.fabric().spec(),
                job.specName(), gpuName);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fabric-ticker");
            t.setDaemon(true);
            return t;
        });
        List<String> failed = new ArrayList<>();
        try {
            ticker.scheduleAtFixedRate(this::tick, 0, job.heartbeatMillis(), TimeUnit.MILLISECONDS);
            // Counters are read before the other tests so their deltas cover that traffic; alone, a counter test
            // watches for its own share of the time instead.
            if (nvlink && tests.get(FabricTestIds.NVLINK) instanceof NvlinkTest nv && order.size() > 1) {
                current = "reading NVLink counters";
                nv.begin(gpus.stream().map(BurninBackend.GpuRef::index).toList());
            }
            if (order.indexOf(FabricTestIds.RDMA) > 0 && tests.get(FabricTestIds.RDMA) instanceof RdmaTest rdma) {
                current = "reading InfiniBand port counters";
                rdma.begin();
            }
            Duration share = Duration.ofMillis(Math.max(1, job.durationMillis() / Math.max(1, order.size())));
            // Tests pace themselves to their share; this only stops one that overruns badly (a slow NIC draining its
            // buffers, a tool that ignores -D), well before the supervisor's own deadline kills the worker.
            long deadline = System.nanoTime() + (job.durationMillis() * 2 + 30_000) * 1_000_000L;
            for (int i = 0; i < order.size(); i++) {
                String id = order.get(i);
                int done = i;
                boolean gpuTest = id.equals(FabricTestIds.P2P) || id.equals(FabricTestIds.NCCL)
                        || id.equals(FabricTestIds.NVLINK);
                current = id + (gpus.isEmpty() || !gpuTest ? ""
                        : " on GPUs " + dev.kiln.agent.burnin.BurninRun.describe(gpus));
                running = true;
                lastProgress.set(System.nanoTime());
                FabricTest test = tests.get(id);
                FabricResult r;
                long start = System.nanoTime();
                if (test == null) {
                    r = FabricResult.error(id, "no such fabric test in this worker", 0);
                } else {
                    FabricTest.Context ctx = new FabricTest.Context(job, gpus, share,
                            () -> Thread.currentThread().isInterrupted() || System.nanoTime() > deadline,
                            f -> {
                                lastProgress.set(System.nanoTime());
                                progress = (done + Math.max(0, Math.min(1, f))) / order.size();
                            }, thresholds, describer(gpus));
                    try {
                        r = test.run(ctx);
                    } catch (InterruptedException e) {
                        throw e;
                    } catch (Exception e) {
                        r = FabricResult.error(id, "the test could not run: " + e.getClass().getSimpleName()
                                + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                                (System.nanoTime() - start) / 1_000_000);
                    }
                }
                running = false;
                if ("FAIL".equals(r.verdict()) || "ERROR".equals(r.verdict())) {
                    failed.add(id + " " + r.verdict());
                }
                out.accept(WorkerLine.fabric(r));
                progress = (double) (i + 1) / order.size();
            }
            current = null;
            String verdict = failed.isEmpty() ? "PASS" : "FAIL";
            out.accept(WorkerLine.done(verdict, failed.isEmpty() ? null
                    : "interconnect test(s) did not pass: " + String.join(", ", failed)));
            return verdict;
        } finally {
            ticker.shutdownNow();
            ticker.awaitTermination(1, TimeUnit.SECONDS);
        }
    }

    /** Heartbeat while the running test reports progress; silence once it stalls, so the agent kills a stuck worker. */
    private void tick() {
        if (running && System.nanoTime() - lastProgress.get() > TimeUnit.MILLISECONDS.toNanos(job.stallMillis())) {
            return;
        }
        out.accept(WorkerLine.heartbeat());
        String p = String.format("%.3f|%s", progress, current);
        if (!p.equals(lastSent)) {
            lastSent = p;
            out.accept(WorkerLine.progress(Math.round(progress * 1000) / 1000.0, current));
        }
    }

    static java.util.function.Function<Integer, String> describer(List<BurninBackend.GpuRef> gpus) {
        return index -> gpus.stream().filter(g -> g.index() == index).findFirst()
                .map(g -> "GPU " + index + " (" + (g.pciBusId() == null ? "?" : g.pciBusId())
                        + (g.serial() == null ? "" : ", serial " + g.serial()) + ")")
                .orElse("GPU " + index);
    }
}
