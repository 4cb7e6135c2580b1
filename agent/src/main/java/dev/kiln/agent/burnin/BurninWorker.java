package dev.kiln.agent.burnin;

import dev.kiln.nvml.sim.FaultFile;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.KilnJson;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The worker process's body ({@code kiln-agent burnin-worker --job FILE}): reads the job file, builds
 * the backend, runs {@link BurninRun} and writes {@link WorkerLine}s as JSON lines to {@code out}.
 * Exit status: 0 when the job ran (whatever the verdict), 2 when it could not run (an {@code error} line says why).
 */
public final class BurninWorker {
    private BurninWorker() {
    }

    public static int run(Path jobFile, PrintStream out) {
        Object lock = new Object();
        java.util.function.Consumer<WorkerLine> sink = line -> {
            String json = KilnJson.write(line);
            synchronized (lock) {
                out.println(json);
                out.flush();
            }
        };
        // First of all: cuInit/nvmlInit can hang on a wedged GPU, and a worker must never outlive its agent.
        watchParent();
        WorkerJob job;
        BurninBackend backend;
        try {
            job = KilnJson.mapper().readValue(Files.readAllBytes(jobFile), WorkerJob.class);
        } catch (IOException | RuntimeException e) {
            sink.accept(WorkerLine.error("cannot read the job file " + jobFile + ": " + e.getMessage()));
            return 2;
        }
        if (job.fabricJob()) {
            try {
                dev.kiln.agent.fabric.FabricWorker.run(job, sink);
                return 0;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                sink.accept(WorkerLine.error("the fabric worker was interrupted"));
                return 2;
            } catch (RuntimeException e) {
                sink.accept(WorkerLine.error("the fabric tests could not run: " + e.getMessage()));
                return 2;
            }
        }
        try {
            backend = backend(job);
        } catch (RuntimeException e) {
            sink.accept(WorkerLine.error("cannot start the burn-in: " + e.getMessage()));
            return 2;
        }
        try (backend) {
            new BurninRun(job, backend, sink).run();
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sink.accept(WorkerLine.error("the burn-in worker was interrupted"));
            return 2;
        } catch (RuntimeException e) {
            sink.accept(WorkerLine.error("the burn-in failed: " + e));
            return 2;
        }
    }

    /** Exits (status 3) once the agent that started this worker is gone, so no orphan keeps loading the GPUs. */
    private static void watchParent() {
        java.util.Optional<ProcessHandle> parent = ProcessHandle.current().parent();
        if (parent.isEmpty()) {
            return;
        }
        ProcessHandle agent = parent.get();
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                if (!agent.isAlive()) {
                    System.err.println("the agent (pid " + agent.pid() + ") is gone; the burn-in worker stops");
                    Runtime.getRuntime().halt(3);
                }
            }
        }, "burnin-parent-watch");
        t.setDaemon(true);
        t.start();
    }

    /** The backend the job names. */
    static BurninBackend backend(WorkerJob job) {
        if (job.gpus().isEmpty() || job.tests().isEmpty()) {
            throw new IllegalArgumentException("the job names no GPUs or no tests");
        }
        return switch (job.backend() == null ? "" : job.backend()) {
            case WorkerJob.SIMULATED -> {
                FaultPlan plan = job.faultsFile() == null ? FaultPlan.NONE : FaultFile.load(Path.of(job.faultsFile()));
                yield new SimulatedBurninBackend(ServerPresets.get(job.preset()), job.gpus(), plan.forNode(job.node(), 1),
                        job.durationMillis() / 1000.0);
            }
            case WorkerJob.CUDA -> CudaBurninBackend.open(job);
            default -> throw new IllegalArgumentException("unknown burn-in backend '" + job.backend() + "'");
        };
    }
}
