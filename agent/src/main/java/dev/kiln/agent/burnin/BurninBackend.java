package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What actually loads a GPU during a burn-in. It runs inside the burn-in worker process (never in
 * the agent), one call per (test, GPU), each GPU of a test on its own thread. The simulated backend
 * is {@link SimulatedBurninBackend}; a CUDA backend (dev.kiln.cuda) plugs in through {@link WorkerJob#backend()}.
 *
 * <p>A backend measures and reports raw findings (mismatches, throughput); {@link Verdicts} judges them
 * together with the telemetry, so every backend is judged by the same rules.
 */
public interface BurninBackend extends AutoCloseable {

    /** The GPUs this backend can run on, by NVML index. */
    List<GpuRef> gpus();

    /**
     * Runs {@code test} on one GPU for about {@code budget}, returning early when {@code cancel} says so.
     * The result's verdict is PASS, FAIL (the backend itself saw wrong results), ERROR (could not run)
     * or SKIP; metrics use the names documented on {@link GpuTestResult}. Report progress through
     * {@code sink} at least every few hundred milliseconds: the worker stops heart-beating when a backend
     * stops reporting (a stuck driver call), and the agent then kills the worker.
     */
    GpuTestResult run(String test, GpuRef gpu, Duration budget, CancelCheck cancel, ProgressSink sink)
            throws InterruptedException;

    /** One telemetry sample of {@code gpuIndex} now (NVML on real GPUs); deltas since {@link #gpus()} was first read. */
    TelemetrySample sample(int gpuIndex);

    /** Releases contexts and memory; the worker calls it once, after the last test. */
    @Override
    void close();

    /** One GPU's identity, copied into every result. */
    record GpuRef(int index, String uuid, String serial, String pciBusId, String name) {
    }

    /** Polled by a running test; true once the job is cancelled or the test's deadline passed. */
    @FunctionalInterface
    interface CancelCheck {
        boolean cancelled();
    }

    /** Where a running test reports how far it got ({@code fraction} 0..1) and interim numbers. */
    @FunctionalInterface
    interface ProgressSink {
        void progress(double fraction, Map<String, Double> interim);
    }
}
