package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.ToolRun;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * perftest and nccl-tests adapters against recorded outputs (test resources under {@code fabric/}), replayed by
 * fake executables: small shell scripts written into a temporary tools directory. No RDMA, no GPU.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ToolAdaptersTest {
    @TempDir
    Path tools;

    /** Only the temp tools directory, and a PATH with sh's helpers (cat, sleep) but no perftest or nccl-tests. */
    private ToolRunner runner() {
        return new ToolRunner(List.of(tools), "/usr/bin:/bin", ToolRunner.DEFAULT_MAX_OUTPUT);
    }

    private static Path resource(String name) {
        try {
            return Path.of(Objects.requireNonNull(ToolAdaptersTest.class.getResource("/fabric/" + name), name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A fake tool: records its arguments in {@code <name>.args}, then runs {@code body}. */
    private Path fake(String name, String body) throws IOException {
        Path p = tools.resolve(name);
        Files.writeString(p, "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + tools.resolve(name + ".args") + "'\n" + body + "\n");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    private Path replay(String name, String resource, int exit) throws IOException {
        return fake(name, "cat '" + resource(resource) + "'\nexit " + exit);
    }

    private List<String> args(String name) throws IOException {
        return Files.readAllLines(tools.resolve(name + ".args"));
    }

    // --- ib_write_bw ---

    @Test
    void ibWriteBwCommands() {
        assertThat(IbWriteBw.serverCommand("mlx5_0", 18515, 5)).containsExactly("ib_write_bw", "-d", "mlx5_0", "-p",
                "18515", "-D", "5", "--report_gbits", "-F");
        assertThat(IbWriteBw.clientCommand("mlx5_2", 18515, 5, "10.0.0.7")).containsExactly("ib_write_bw", "-d",
                "mlx5_2", "-p", "18515", "-D", "5", "--report_gbits", "-F", "10.0.0.7");
    }

    @Test
    void ibWriteBwTimedRunOnNdrPasses() throws IOException {
        replay("ib_write_bw", "ib_write_bw-ndr-timed.txt", 0);
        ToolOutcome o = new IbWriteBw(runner()).runClient("node-001", "mlx5_0", "node-007", "mlx5_0", "10.0.0.7",
                18515, 5, 350.0, "spec hgx-h100", () -> false);
        ToolRun run = o.run();
        assertThat(run.verdict()).isEqualTo("PASS");
        assertThat(run.tool()).isEqualTo("ib_write_bw");
        assertThat(run.command()).containsExactly("ib_write_bw", "-d", "mlx5_0", "-p", "18515", "-D", "5",
                "--report_gbits", "-F", "10.0.0.7");
        assertThat(run.metrics()).containsOnlyKeys("bwAvgGbps", "msgRateMpps") // peak is 0.00 in a timed run: absent
                .containsEntry("bwAvgGbps", 392.34).containsEntry("msgRateMpps", 0.748331);
        assertThat(run.outputTail()).contains("BW average[Gb/sec]");
        assertThat(o.findings()).isEmpty();
        assertThat(args("ib_write_bw")).isEqualTo(run.command().subList(1, run.command().size()));
    }

    @Test
    void ibWriteBwBelowItsMinimumFails() throws IOException {
        replay("ib_write_bw", "ib_write_bw-degraded-iterations.txt", 0);
        ToolOutcome o = new IbWriteBw(runner()).runClient("node-001", "mlx5_3", "node-007", "mlx5_3", "10.0.0.7",
                18515, 5, 350.0, "spec hgx-h100", () -> false);
        assertThat(o.verdict()).isEqualTo("FAIL");
        assertThat(o.run().metrics()).containsEntry("bwPeakGbps", 187.93).containsEntry("bwAvgGbps", 187.61);
        assertThat(o.run().reason()).contains("187.61 Gbit/s", "at least 350 Gbit/s (spec hgx-h100)",
                "node-001 mlx5_3 -> node-007 mlx5_3 (10.0.0.7:18515)");
        assertThat(o.findings()).singleElement().satisfies(f -> {
            assertThat(f.test()).isEqualTo(FabricTestIds.RDMA);
            assertThat(f.severity()).isEqualTo(FabricFinding.FAIL);
            assertThat(f.ends()).containsExactly("node-001 mlx5_3", "node-007 mlx5_3");
            assertThat(f.performance()).isTrue();
        });
    }

    @Test
    void ibWriteBwAgainstAPeersSession() throws IOException {
        replay("ib_write_bw", "ib_write_bw-ndr-timed.txt", 0);
        IbWriteBw bw = new IbWriteBw(runner());
        FabricPeer withServer = new FabricPeer("node-007", "10.0.0.7", 41234, "t", "mlx5_4", 18600);
        ToolOutcome o = bw.runClient("node-001", "mlx5_0", withServer, 5, null, null, () -> false);
        assertThat(o.verdict()).isEqualTo("PASS");
        assertThat(o.run().command()).containsSequence("-p", "18600").endsWith("10.0.0.7");
        FabricPeer without = new FabricPeer("node-007", "10.0.0.7", 41234, "t", null, null);
        assertThat(bw.runClient("node-001", "mlx5_0", without, 5, null, null, () -> false).run())
                .satisfies(r -> {
                    assertThat(r.verdict()).isEqualTo("SKIP");
                    assertThat(r.reason()).startsWith("peer node-007 (10.0.0.7:41234) started no ib_write_bw server");
                });
    }

    @Test
    void ibWriteBwInMegabytesIsConverted() {
        Map<String, Double> m = IbWriteBw.parse(read("ib_write_bw-roce-mbs.txt")).orElseThrow();
        assertThat(m.get("bwAvgGbps")).isCloseTo(11552.34 * 1048576 * 8 / 1e9, within(1e-6)); // 96.9 Gbit/s
    }

    @Test
    void ibWriteBwFailureIsAnErrorWithTheToolsWords() throws IOException {
        replay("ib_write_bw", "ib_write_bw-connect-failed.txt", 1);
        ToolOutcome o = new IbWriteBw(runner()).runClient("node-001", "mlx5_0", "node-007", null, "10.0.0.7", 18515,
                5, null, null, () -> false);
        assertThat(o.verdict()).isEqualTo("ERROR");
        assertThat(o.run().reason()).startsWith("ib_write_bw exited with status 1")
                .endsWith("Unable to open file descriptor for socket connection Unable to init the socket connection");
        assertThat(o.run().outputTail()).contains("Couldn't connect to 10.0.0.7:18515");
    }

    @Test
    void ibWriteBwWithoutAResultRowIsAnError() throws IOException {
        replay("ib_write_bw", "ib_write_bw-truncated.txt", 0);
        ToolOutcome o = new IbWriteBw(runner()).runClient("node-001", "mlx5_0", "node-007", null, "10.0.0.7", 18515,
                5, null, null, () -> false);
        assertThat(o.verdict()).isEqualTo("ERROR");
        assertThat(o.run().reason()).startsWith("could not parse ib_write_bw's output");
    }

    @Test
    void missingPerftestIsSkipped() {
        IbWriteBw bw = new IbWriteBw(runner());
        ToolOutcome o = bw.runClient("node-001", "mlx5_0", "node-007", null, "10.0.0.7", 18515, 5, null, null,
                () -> false);
        assertThat(o.verdict()).isEqualTo("SKIP");
        assertThat(o.run().reason()).startsWith("ib_write_bw not found in " + tools + ", then PATH (/usr/bin:/bin)")
                .contains("install perftest");
        assertThat(o.run().command()).first().isEqualTo("ib_write_bw");
        assertThat(bw.missing()).isPresent();
        assertThatThrownBy(() -> bw.startServer("mlx5_0", 18515, 5)).isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void ibWriteBwServerRunsInTheBackgroundUntilKilled() throws Exception {
        fake("ib_write_bw", "echo '* Waiting for client to connect... *'\nexec sleep 30");
        ToolRunner.Running server = new IbWriteBw(runner()).startServer("mlx5_0", 18515, 5);
        assertThat(server.isAlive()).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!server.outputSoFar().contains("Waiting") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.outputSoFar()).contains("Waiting for client");
        assertThat(server.isAlive()).as("still waiting for its client").isTrue();
        assertThat(args("ib_write_bw")).containsExactly("-d", "mlx5_0", "-p", "18515", "-D", "5", "--report_gbits", "-F");
        server.killTree();
        ToolRunner.Result r = server.await(Duration.ofSeconds(5), null);
        assertThat(server.isAlive()).isFalse();
        assertThat(r.output()).contains("Waiting for client");
    }

    // --- all_reduce_perf ---

    @Test
    void allReduceIntraNodePasses() throws IOException {
        replay("all_reduce_perf", "all_reduce_perf-8gpu.txt", 0);
        ToolOutcome o = new NcclAllReduce(runner()).runIntraNode("node-001", 8, 1L << 30, 400.0, "spec hgx-h100",
                Duration.ofSeconds(30), () -> false);
        assertThat(o.verdict()).isEqualTo("PASS");
        assertThat(o.run().command()).containsExactly("all_reduce_perf", "-b", "8", "-e", "1073741824", "-f", "2",
                "-g", "8");
        assertThat(args("all_reduce_perf")).containsExactly("-b", "8", "-e", "1073741824", "-f", "2", "-g", "8");
        assertThat(o.run().metrics()).containsEntry("avgBusbwGBps", 120.327).containsEntry("maxBusbwGBps", 459.47)
                .containsEntry("wrong", 0.0).containsEntry("outOfBounds", 0.0).containsEntry("sizes", 28.0);
        assertThat(o.run().outputTail()).contains("# Avg bus bandwidth");
    }

    @Test
    void allReduceBelowItsMinimumFails() throws IOException {
        replay("all_reduce_perf", "all_reduce_perf-8gpu.txt", 0);
        ToolOutcome o = new NcclAllReduce(runner()).runIntraNode("node-001", 8, 1L << 30, 470.0, "spec hgx-h100",
                Duration.ofSeconds(30), () -> false);
        assertThat(o.verdict()).isEqualTo("FAIL");
        assertThat(o.findings()).singleElement().satisfies(f -> {
            assertThat(f.test()).isEqualTo(FabricTestIds.NCCL);
            assertThat(f.subject()).isEqualTo("node");
            assertThat(f.ends()).containsExactly("node-001 (8 GPUs, intra-node)");
            assertThat(f.observed()).isEqualTo("best bus bandwidth 459.47 GB/s (average over sizes 120.33 GB/s)");
            assertThat(f.expected()).isEqualTo("at least 470 GB/s bus bandwidth (spec hgx-h100)");
            assertThat(f.performance()).isTrue();
        });
    }

    @Test
    void allReduceWrongResultsFailEvenWhenTheToolExitsNonzero() throws IOException {
        replay("all_reduce_perf", "all_reduce_perf-wrong.txt", 1);
        ToolOutcome o = new NcclAllReduce(runner()).runIntraNode("node-002", 8, 1L << 30, null, null,
                Duration.ofSeconds(30), () -> false);
        assertThat(o.verdict()).isEqualTo("FAIL");
        assertThat(o.run().reason()).startsWith("wrong results: 15 wrong result(s), 15 out-of-bounds value(s)");
        assertThat(o.run().metrics()).containsEntry("wrong", 15.0).containsEntry("outOfBounds", 15.0);
        assertThat(o.findings()).singleElement().satisfies(f -> {
            assertThat(f.expected()).isEqualTo("0 wrong results");
            assertThat(f.performance()).as("wrong data is a fault, not a dip").isFalse();
        });
    }

    @Test
    void allReduceAcrossNodesThroughTheLauncher() throws IOException {
        Path tool = replay("all_reduce_perf", "all_reduce_perf-2node.txt", 0);
        replay("mpirun", "all_reduce_perf-2node.txt", 0); // mpirun would start the ranks; the report is rank 0's
        ToolOutcome o = new NcclAllReduce(runner()).runMultiNode(
                "mpirun --allow-run-as-root -np {ranks} -H {hostslots} -x NCCL_DEBUG=WARN {command}",
                List.of("gpu-node-001", "gpu-node-002"), 8, 1L << 30, 300.0, "spec hgx-h100", Duration.ofSeconds(30),
                () -> false);
        assertThat(o.verdict()).isEqualTo("PASS");
        assertThat(args("mpirun")).containsExactly("--allow-run-as-root", "-np", "16", "-H",
                "gpu-node-001:8,gpu-node-002:8", "-x", "NCCL_DEBUG=WARN", tool.toString(), "-b", "8", "-e",
                "1073741824", "-f", "2", "-g", "1");
        assertThat(o.run().metrics()).containsEntry("avgBusbwGBps", 72.6762).containsEntry("maxBusbwGBps", 325.32);
    }

    @Test
    void missingLauncherOrToolIsSkipped() throws IOException {
        NcclAllReduce nccl = new NcclAllReduce(runner());
        ToolOutcome noTool = nccl.runIntraNode("node-001", 8, 1L << 30, null, null, Duration.ofSeconds(5), null);
        assertThat(noTool.verdict()).isEqualTo("SKIP");
        assertThat(noTool.run().reason()).startsWith("all_reduce_perf not found in " + tools).contains("nccl-tests");

        replay("all_reduce_perf", "all_reduce_perf-2node.txt", 0);
        ToolOutcome noMpi = nccl.runMultiNode("mpirun -np {ranks} -H {hosts} {command}", List.of("a", "b"), 8,
                1L << 30, null, null, Duration.ofSeconds(5), null);
        assertThat(noMpi.verdict()).isEqualTo("SKIP");
        assertThat(noMpi.run().reason()).startsWith("MPI launcher mpirun not found").contains("Open MPI");
        assertThat(noMpi.run().command()).startsWith("mpirun", "-np", "16", "-H", "a,b", "all_reduce_perf");
    }

    @Test
    void launcherTemplates() {
        List<String> cmd = NcclAllReduce.command(1 << 20, 1);
        assertThat(NcclAllReduce.launch("srun -N {slots} --mpi=pmix", List.of("x"), 2, cmd))
                .containsExactly("srun", "-N", "2", "--mpi=pmix", "all_reduce_perf", "-b", "8", "-e", "1048576", "-f",
                        "2", "-g", "1");
        assertThat(NcclAllReduce.launch("mpirun -x 'UCX_TLS=rc,cuda copy' {command} --extra", List.of("x"), 1, cmd))
                .startsWith("mpirun", "-x", "UCX_TLS=rc,cuda copy", "all_reduce_perf").endsWith("--extra");
        assertThatThrownBy(() -> NcclAllReduce.launch("mpirun -np {nodes}", List.of("x"), 1, cmd))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown placeholder {nodes}");
        assertThatThrownBy(() -> NcclAllReduce.launch("mpirun 'oops", List.of("x"), 1, cmd))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unbalanced");
    }

    @Test
    void allReduceParsesAnOlderReportWithoutRootColumn() {
        String old = """
                #                                                     out-of-place                       in-place
                #       size         count    type   redop     time   algbw   busbw  error     time   algbw   busbw  error
                #        (B)    (elements)                     (us)  (GB/s)  (GB/s)            (us)  (GB/s)  (GB/s)
                    33554432       8388608   float     sum    817.8   41.03   61.55  1e-06    785.1   42.74   64.11  1e-06
                    67108864      16777216   float     sum   1568.3   42.79   64.19  1e-06   1560.9   42.99   64.49  1e-06
                # Out of bounds values : 0 OK
                # Avg bus bandwidth    : 63.585
                """;
        NcclAllReduce.Parsed p = NcclAllReduce.parse(old).orElseThrow();
        assertThat(p.sizes()).isEqualTo(2);
        assertThat(p.maxBusbwGBps()).isEqualTo(64.49);
        assertThat(p.wrong()).isZero();
        assertThat(p.avgBusbwGBps()).isEqualTo(63.585);
        assertThat(NcclAllReduce.parse("NCCL failure common.cu:1005 'unhandled cuda error'\n")).isEmpty();
    }

    // --- the runner ---

    @Test
    void timeoutKillsTheWholeTree() throws IOException {
        Path pidFile = tools.resolve("child.pid");
        fake("all_reduce_perf", "echo starting\nsleep 30 &\necho $! > '" + pidFile + "'\nwait");
        long t0 = System.nanoTime();
        ToolOutcome o = new NcclAllReduce(runner()).runIntraNode("node-001", 8, 1L << 30, null, null,
                Duration.ofMillis(500), () -> false);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
        assertThat(o.verdict()).isEqualTo("ERROR");
        assertThat(o.run().reason()).contains("did not finish within its timeout", "killed (with its child processes)");
        assertThat(o.run().outputTail()).contains("starting");
        long child = Long.parseLong(Files.readString(pidFile).trim());
        assertThat(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false))
                .as("the sleeping grandchild was killed too").isFalse();
    }

    @Test
    void cancelKillsTheRun() throws IOException {
        fake("slow-tool", "exec sleep 30");
        AtomicBoolean cancel = new AtomicBoolean();
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
            cancel.set(true);
        });
        ToolRunner.Result r = runner().run(List.of("slow-tool"), Duration.ofSeconds(20), cancel::get);
        assertThat(r.cancelled()).isTrue();
        assertThat(r.ok()).isFalse();
        assertThat(r.durationMs()).isLessThan(8000);
    }

    @Test
    void outputIsBoundedToItsTail() throws IOException {
        fake("chatty", "i=0\nwhile [ $i -lt 3000 ]; do echo \"line $i of a tool that talks too much\"; i=$((i+1)); done\n"
                + "echo the-end\nexit 3");
        ToolRunner small = new ToolRunner(List.of(tools), "/usr/bin:/bin", 4096);
        ToolRunner.Result r = small.run(List.of("chatty"), Duration.ofSeconds(20), null);
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.truncated()).isTrue();
        assertThat(r.output().length()).isLessThanOrEqualTo(4096);
        assertThat(r.output()).startsWith("line ").endsWith("the-end\n");
        assertThat(ToolRunner.lastLines(r.output(), 2, 1000)).isEqualTo("line 2999 of a tool that talks too much\nthe-end\n");
    }

    @Test
    void findLooksInTheToolsDirectoryThenPath() throws IOException {
        ToolRunner r = runner();
        assertThat(r.find("sh")).isPresent();
        assertThat(r.find("ib_write_bw")).isEmpty();
        Path fake = fake("ib_write_bw", "exit 0");
        assertThat(r.find("ib_write_bw")).contains(fake);
        assertThat(r.searched()).isEqualTo(tools + ", then PATH (/usr/bin:/bin)");
    }

    private static String read(String resource) {
        try {
            return Files.readString(resource(resource));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
