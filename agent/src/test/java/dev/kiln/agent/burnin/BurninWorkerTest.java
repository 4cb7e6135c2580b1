package dev.kiln.agent.burnin;

import dev.kiln.cuda.raw.CudaLoader;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.BurninTestIds;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The worker's body in-process: job file in, JSON lines out. */
class BurninWorkerTest {
    private static List<WorkerLine> run(Path dir, WorkerJob job, int expectedExit) throws Exception {
        Path file = dir.resolve("job.json");
        Files.write(file, KilnJson.mapper().writeValueAsBytes(job));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int exit = BurninWorker.run(file, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        assertThat(exit).isEqualTo(expectedExit);
        List<WorkerLine> lines = new java.util.ArrayList<>();
        for (String line : bytes.toString(StandardCharsets.UTF_8).split("\n")) {
            lines.add(KilnJson.mapper().readValue(line, WorkerLine.class));
        }
        return lines;
    }

    @Test
    void aSimulatedJobFileRunsAndEndsWithDone(@TempDir Path dir) throws Exception {
        Path faults = dir.resolve("f.yaml");
        Files.writeString(faults, "faults:\n  - type: burnin-wrong-results\n    gpu: 0\n");
        WorkerJob job = new WorkerJob(1, "j", "node-1", null, WorkerJob.SIMULATED, "hgx-h100", faults.toString(),
                BurninRunTest.gpus(1), List.of(BurninTestIds.COMPUTE), 200, 10, 100, 50, 1000);
        List<WorkerLine> lines = run(dir, job, 0);
        assertThat(lines.getLast().type()).isEqualTo(WorkerLine.DONE);
        assertThat(lines.getLast().verdict()).isEqualTo("FAIL");
        assertThat(lines).filteredOn(l -> WorkerLine.RESULT.equals(l.type())).singleElement()
                .satisfies(l -> assertThat(l.result().verdict()).isEqualTo("FAIL"));
    }

    @Test
    void theSpecsMinimumsTravelInTheJobFile(@TempDir Path dir) throws Exception {
        WorkerJob job = new WorkerJob(1, "j", "node-1", null, WorkerJob.SIMULATED, "hgx-h100", null,
                BurninRunTest.gpus(1), List.of(BurninTestIds.HBM_BANDWIDTH), 200, 10, 100, 50, 1000, "impossible",
                new dev.kiln.protocol.spec.NodeSpec.BurninSpec(null, null, 999999.0, null));
        List<WorkerLine> lines = run(dir, job, 0);
        assertThat(lines.getLast().verdict()).isEqualTo("FAIL");
        assertThat(lines).filteredOn(l -> WorkerLine.RESULT.equals(l.type())).singleElement().satisfies(l -> {
            assertThat(l.result().verdict()).isEqualTo("FAIL");
            assertThat(l.result().reason()).contains("(from spec impossible)");
        });
    }

    @Test
    void aCudaJobWithoutLibcudaEndsWithTheLoadersReason(@TempDir Path dir) throws Exception {
        CudaLoader.Result loader = CudaLoader.system();
        assumeTrue(loader instanceof CudaLoader.Unavailable, "this host has a usable libcuda");
        WorkerJob job = new WorkerJob(1, "j", "node-1", null, WorkerJob.CUDA, null, null, BurninRunTest.gpus(1),
                List.of(BurninTestIds.PCIE), 200, 10, 100, 50, 1000);
        List<WorkerLine> lines = run(dir, job, 2);
        assertThat(lines).singleElement().satisfies(l -> {
            assertThat(l.type()).isEqualTo(WorkerLine.ERROR);
            assertThat(l.message()).contains("the CUDA driver (libcuda) is not available")
                    .contains(((CudaLoader.Unavailable) loader).reason());
        });
    }
}
