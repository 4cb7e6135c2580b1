package dev.kiln.agent.fabric;

import dev.kiln.agent.burnin.BurninBackend;
import dev.kiln.agent.burnin.WorkerJob;
import dev.kiln.protocol.fabric.FabricResult;

import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleConsumer;
import java.util.function.Function;

/** One interconnect test, by its stable dotted id ({@link dev.kiln.protocol.fabric.FabricTestIds}); runs in the worker. */
public interface FabricTest {
    String id();

    /**
     * Runs the test and judges it. A test that cannot run answers ERROR or SKIP with the reason; only a bug
     * throws (the run then records ERROR with the exception).
     */
    FabricResult run(Context ctx) throws Exception;

    /**
     * @param budget   this test's share of the job's time
     * @param describe "GPU 3 (00000000:5D:00.0)" for an NVML index
     */
    record Context(WorkerJob job, List<BurninBackend.GpuRef> gpus, Duration budget, BooleanSupplier cancelled,
                   DoubleConsumer progress, FabricThresholds thresholds, Function<Integer, String> describe) {
    }
}
