package dev.kiln.agent.http;

import dev.kiln.agent.Schemas;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.events.EventOptions;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricSession;
import dev.kiln.protocol.fabric.FabricTestIds;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Fabric jobs end to end: HTTP, the job manager, a real worker child process, and sessions for node-to-node tests. */
class FabricApiTest {
    private static final String TOKEN = "a-test-token-of-length-32-chars!";
    private static Vertx vertx;
    private final List<NodeAgent> agents = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void closeAgents() {
        agents.forEach(NodeAgent::close);
    }

    private String serve(String name, ServerPreset preset, Fault... faults) throws Exception {
        return serve(name, preset, null, faults);
    }

    /** @param tools a tools directory of recorded fakes (null: none, tools SKIP on a simulated node) */
    private String serve(String name, ServerPreset preset, Path tools, Fault... faults) throws Exception {
        return serve(name, preset, tools, null, faults);
    }

    private String serve(String name, ServerPreset preset, Path tools, String ncclLauncher, Fault... faults)
            throws Exception {
        NodeAgent agent = NodeAgent.simulated(name, preset, FaultPlan.of(faults), 1, true, EventOptions.off());
        if (tools != null) {
            agent.configureFabric(null, List.of(tools.toString()), ncclLauncher);
        }
        agents.add(agent);
        return ServedAgent.serve(vertx, agent, TOKEN);
    }

    static HttpResponse<String> send(String method, String url, String body) throws Exception {
        return ServedAgent.send(TOKEN, method, url, body);
    }

    static JobStatus run(String base, String body) throws Exception {
        HttpResponse<String> r = send("POST", base + "/v1/jobs", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String id = KilnJson.mapper().readValue(r.body(), JobStatus.class).id();
        assertThat(id).startsWith("fabric-");
        long until = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (true) {
            JobStatus s = KilnJson.mapper().readValue(send("GET", base + "/v1/jobs/" + id, null).body(), JobStatus.class);
            if (s.state().terminal()) {
                assertThat(Schemas.errors(Schemas.JOB, s)).isEmpty();
                return s;
            }
            assertThat(System.nanoTime()).as("job %s still %s: %s", id, s.state(), s.current()).isLessThan(until);
            Thread.sleep(100);
        }
    }

    private static ApiError error(HttpResponse<String> r, int status) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        return KilnJson.mapper().readValue(r.body(), ApiError.class);
    }

    private static FabricResult result(JobStatus s, String test) {
        return s.fabric().stream().filter(r -> r.test().equals(test)).findFirst().orElseThrow();
    }

    @Test
    void aHealthyNodePassesTheNodeLocalTestsWithoutAPeer() throws Exception {
        String base = serve("node-a", ServerPresets.HGX_H100);
        JobStatus s = run(base, "{\"type\":\"fabric\",\"durationSeconds\":1}");
        assertThat(s.state()).as(s.reason()).isEqualTo(JobState.PASSED);
        assertThat(s.request().tests()).containsExactly(FabricTestIds.NVLINK, FabricTestIds.P2P, FabricTestIds.RDMA,
                FabricTestIds.NCCL);
        assertThat(result(s, FabricTestIds.P2P).pairs()).hasSize(28);
        assertThat(result(s, FabricTestIds.NVLINK).links()).hasSize(144);
        assertThat(result(s, FabricTestIds.RDMA).ports()).hasSize(8)
                .allSatisfy(p -> assertThat(p.deltas().values()).allMatch(v -> v == 0));
        FabricResult nccl = result(s, FabricTestIds.NCCL);
        assertThat(nccl.verdict()).isEqualTo("SKIP");
        assertThat(nccl.reason()).contains("simulated node").contains("tools directory");
        assertThat(s.fabric()).allSatisfy(r -> assertThat(r.findings()).isEmpty());
    }

    @Test
    void anInfinibandPortWithRisingSymbolErrorsIsNamed() throws Exception {
        String base = serve("node-ib", ServerPresets.HGX_H200, new Fault.IbPortErrors("mlx5_3", 1, "symbol_error", 500));
        JobStatus s = run(base, "{\"type\":\"fabric\",\"tests\":[\"fabric.p2p\",\"fabric.rdma\"],"
                + "\"durationSeconds\":1}");
        assertThat(s.state()).isEqualTo(JobState.FAILED);
        FabricResult rdma = result(s, FabricTestIds.RDMA);
        assertThat(rdma.verdict()).isEqualTo("FAIL");
        assertThat(rdma.ports()).filteredOn(p -> p.device().equals("mlx5_3")).singleElement()
                .satisfies(p -> assertThat(p.deltas()).containsEntry("symbol_error", 500L));
        assertThat(rdma.findings()).singleElement().satisfies(f -> {
            assertThat(f.subject()).isEqualTo("port");
            assertThat(String.join(" ", f.ends())).contains("mlx5_3").contains("1");
        });
        assertThat(result(s, FabricTestIds.P2P).verdict()).isEqualTo("PASS");
    }

    @Test
    void tcpRunsForRealBetweenTwoAgentsOnLoopbackAndASlowNicShows() throws Exception {
        String server = serve("node-srv", ServerPresets.HGX_H100);
        String healthy = serve("node-drv", ServerPresets.HGX_H100);
        String slow = serve("node-slow", ServerPresets.HGX_H100, new Fault.NicSlow(0.1));
        JobStatus fast = network(healthy, server);
        JobStatus held = network(slow, server);
        assertThat(fast.state()).as(fast.reason()).isEqualTo(JobState.PASSED);
        var r = result(fast, FabricTestIds.NETWORK).network().get(0);
        System.out.printf("loopback TCP between agents: send %.2f Gbit/s, receive %.2f Gbit/s, RTT p50 %.0f us, p99 %.0f us%n",
                r.sendGbps(), r.receiveGbps(), r.rttP50Us(), r.rttP99Us());
        assertThat(r.node()).isEqualTo("node-drv");
        assertThat(r.peer()).isEqualTo("node-srv");
        assertThat(r.sendGbps()).isGreaterThan(1.0);
        assertThat(r.receiveGbps()).isGreaterThan(1.0);
        var s = result(held, FabricTestIds.NETWORK).network().get(0);
        assertThat(s.sendGbps()).isBetween(0.05, 0.2);
        assertThat(s.receiveGbps()).isBetween(0.05, 0.2);
        // A used-up token is refused with a reason, as the job's ERROR.
        JobStatus replay = run(healthy, "{\"type\":\"fabric\",\"tests\":[\"fabric.network\"],\"durationSeconds\":1,"
                + "\"peer\":{\"node\":\"node-srv\",\"address\":\"127.0.0.1\",\"port\":" + lastSession.port()
                + ",\"token\":\"0000000000000000000000000000dead\"}}");
        assertThat(replay.state()).isEqualTo(JobState.FAILED);
        assertThat(result(replay, FabricTestIds.NETWORK).verdict()).isEqualTo("ERROR");
        assertThat(result(replay, FabricTestIds.NETWORK).reason()).contains("node-srv");
    }

    private FabricSession lastSession;

    private JobStatus network(String driver, String server) throws Exception {
        HttpResponse<String> r = send("POST", server + "/v1/fabric/sessions", "{\"ttlSeconds\":60}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        FabricSession session = KilnJson.mapper().readValue(r.body(), FabricSession.class);
        lastSession = session;
        return run(driver, "{\"type\":\"fabric\",\"tests\":[\"fabric.network\"],\"durationSeconds\":1,"
                + "\"peer\":{\"node\":\"" + session.node() + "\",\"address\":\"" + session.address()
                + "\",\"port\":" + session.port() + ",\"token\":\"" + session.token() + "\"}}");
    }

    @Test
    void recordedToolsRunThroughTheJobPathAndTheSessionStartsTheRdmaServer(@TempDir Path tools) throws Exception {
        Path recorded = Path.of(System.getProperty("basedir", ".")).resolve("src/test/resources/fabric")
                .toAbsolutePath();
        Files.writeString(tools.resolve("all_reduce_perf"), "#!/bin/sh\ncat '" + recorded.resolve("all_reduce_perf-8gpu.txt")
                + "'\n");
        Files.writeString(tools.resolve("ib_write_bw"), "#!/bin/sh\ncase \"$*\" in *127.0.0.1*) cat '"
                + recorded.resolve("ib_write_bw-ndr-timed.txt") + "' ;; *) sleep 5 ;; esac\n");
        for (String f : List.of("all_reduce_perf", "ib_write_bw")) {
            assertThat(tools.resolve(f).toFile().setExecutable(true)).isTrue();
        }
        String server = serve("node-t1", ServerPresets.HGX_H100, tools);
        String driver = serve("node-t2", ServerPresets.HGX_H100, tools);
        JobStatus local = run(driver, "{\"type\":\"fabric\",\"tests\":[\"fabric.nccl\"],\"durationSeconds\":1}");
        FabricResult nccl = result(local, FabricTestIds.NCCL);
        assertThat(nccl.tools()).singleElement().satisfies(t -> {
            assertThat(t.metrics()).containsEntry("avgBusbwGBps", 120.327);
            assertThat(t.command()).contains("-g", "8");
        });
        HttpResponse<String> r = send("POST", server + "/v1/fabric/sessions", "{\"ttlSeconds\":30,\"ibDevice\":\"mlx5_0\"}");
        FabricSession session = KilnJson.mapper().readValue(r.body(), FabricSession.class);
        assertThat(session.ibDevice()).isEqualTo("mlx5_0");
        assertThat(session.ibWritePort()).isPositive();
        JobStatus rdma = run(driver, "{\"type\":\"fabric\",\"tests\":[\"fabric.rdma\"],\"durationSeconds\":1,"
                + "\"peer\":{\"node\":\"node-t1\",\"address\":\"127.0.0.1\",\"port\":" + session.port()
                + ",\"token\":\"" + session.token() + "\",\"ibDevice\":\"mlx5_0\",\"ibWritePort\":"
                + session.ibWritePort() + "}}");
        FabricResult res = result(rdma, FabricTestIds.RDMA);
        assertThat(res.tools()).singleElement().satisfies(t -> {
            assertThat(t.tool()).isEqualTo("ib_write_bw");
            assertThat(t.metrics()).containsEntry("bwAvgGbps", 392.34);
        });
        assertThat(rdma.state()).as(rdma.reason()).isEqualTo(JobState.PASSED);
        // nccl-tests across nodes go through the configured launcher (a fake mpirun that runs the command it is given).
        Files.writeString(tools.resolve("mpirun"), "#!/bin/sh\necho \"mpirun $*\" >&2\nwhile [ \"$1\" != \"--\" ]; do shift; done\n"
                + "shift\nexec \"$@\"\n");
        assertThat(tools.resolve("mpirun").toFile().setExecutable(true)).isTrue();
        String launcherNode = serve("node-t4", ServerPresets.HGX_H100, tools,
                tools.resolve("mpirun") + " -np {ranks} -H {hostslots} -- {command}");
        JobStatus across = run(launcherNode, "{\"type\":\"fabric\",\"tests\":[\"fabric.nccl\"],\"durationSeconds\":1,"
                + "\"ncclHosts\":[\"node-t4\",\"node-t1\"]}");
        FabricResult acrossNccl = result(across, FabricTestIds.NCCL);
        assertThat(acrossNccl.tools()).singleElement().satisfies(t -> {
            assertThat(t.command()).contains("-np", "16", "-H", "node-t4:8,node-t1:8");
            assertThat(t.metrics()).containsEntry("avgBusbwGBps", 120.327);
        });
        JobStatus noLauncher = run(driver, "{\"type\":\"fabric\",\"tests\":[\"fabric.nccl\"],\"durationSeconds\":1,"
                + "\"ncclHosts\":[\"node-t2\",\"node-t1\"]}");
        assertThat(result(noLauncher, FabricTestIds.NCCL).verdict()).isEqualTo("SKIP");
        assertThat(result(noLauncher, FabricTestIds.NCCL).reason()).contains("--nccl-launcher");
        // Without a tools directory a simulated node says why it started no server.
        String plain = serve("node-t3", ServerPresets.HGX_H100);
        FabricSession none = KilnJson.mapper().readValue(send("POST", plain + "/v1/fabric/sessions",
                "{\"ibDevice\":\"mlx5_0\"}").body(), FabricSession.class);
        assertThat(none.ibWritePort()).isNull();
        assertThat(none.notes()).singleElement().asString().contains("not simulated");
    }

    @Test
    void aDegradedGpuFailsTheJobAndIsNamedThroughTheWorkerProcess() throws Exception {
        String base = serve("node-b", ServerPresets.HGX_H100, new Fault.NvlinkDegraded(6, List.of(), 0.4),
                new Fault.NvlinkErrors(2, 9, "recovery", 3));
        JobStatus s = run(base, "{\"type\":\"fabric\",\"tests\":[\"fabric.nvlink\",\"fabric.p2p\"],\"durationSeconds\":1}");
        assertThat(s.state()).isEqualTo(JobState.FAILED);
        assertThat(s.reason()).contains("fabric.p2p FAIL").contains("fabric.nvlink FAIL");
        List<FabricFinding> p2p = result(s, FabricTestIds.P2P).findings();
        assertThat(p2p).singleElement().satisfies(f -> assertThat(f.ends().get(0)).startsWith("GPU 6 (00000000:BA:00.0"));
        List<FabricFinding> nv = result(s, FabricTestIds.NVLINK).findings();
        assertThat(nv).singleElement().satisfies(f -> {
            assertThat(f.ends().get(0)).contains("GPU 2 (").endsWith("NVLink 9");
            assertThat(f.observed()).isEqualTo("recovery errors rose by 3 during the test");
        });
    }

    @Test
    void sessionsAnswerWhereThePeerConnects() throws Exception {
        String base = serve("node-c", ServerPresets.HGX_H100);
        HttpResponse<String> r = send("POST", base + "/v1/fabric/sessions", "{\"ttlSeconds\":30}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        FabricSession s = KilnJson.mapper().readValue(r.body(), FabricSession.class);
        assertThat(s.node()).isEqualTo("node-c");
        assertThat(s.address()).isEqualTo("127.0.0.1");
        assertThat(s.port()).isPositive();
        assertThat(s.token()).hasSizeGreaterThanOrEqualTo(32);
        FabricSession again = KilnJson.mapper().readValue(send("POST", base + "/v1/fabric/sessions", "").body(),
                FabricSession.class);
        assertThat(again.port()).as("one listener per agent").isEqualTo(s.port());
        assertThat(again.token()).isNotEqualTo(s.token());
    }

    @Test
    void badFabricRequestsAreJsonErrorsThatSayWhatToDo() throws Exception {
        String base = serve("node-d", ServerPresets.HGX_H100);
        assertThat(error(send("POST", base + "/v1/jobs", "{\"type\":\"fabric\",\"tests\":[\"fabric.p2pp\"],"
                + "\"durationSeconds\":1}"), 400).message()).contains("unknown fabric test 'fabric.p2pp'")
                .contains("did you mean 'fabric.p2p'");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"type\":\"fabric\",\"tests\":[\"fabric.network\"],"
                + "\"durationSeconds\":1}"), 400).message()).contains("need a 'peer'").contains("/v1/fabric/sessions");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"type\":\"burnin\",\"durationSeconds\":1,"
                + "\"peer\":{\"address\":\"10.0.0.1\",\"port\":1,\"token\":\"x\"}}"), 400).message())
                .contains("'peer' is for fabric jobs");
        assertThat(error(send("POST", base + "/v1/jobs", "{\"type\":\"fabric\",\"tests\":[\"fabric.network\"],"
                + "\"durationSeconds\":1,\"peer\":{\"address\":\"10.0.0.1\",\"port\":70000,\"token\":\"x\"}}"), 400)
                .message()).contains("'port' (1-65535)");
        assertThat(error(send("POST", base + "/v1/fabric/sessions", "{\"ttlSeconds\":0}"), 400).message())
                .contains("'ttlSeconds' must be a whole number from 1 to 3600");
        assertThat(error(send("POST", base + "/v1/fabric/sessions", "{\"ttl\":5}"), 400).message())
                .contains("unknown field 'ttl'");
        assertThat(error(send("POST", base + "/v1/fabric/sessions", "[1]"), 400).message()).contains("must be an object");
        assertThat(error(send("POST", base + "/v1/fabric/sessions", "{nope"), 400).message()).contains("not JSON");
        assertThat(send("GET", base + "/v1/node", null).statusCode()).isEqualTo(200);
    }
}
