package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricSession;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.NetworkResult;
import dev.kiln.protocol.fabric.NvLinkStatus;
import dev.kiln.protocol.fabric.PairBandwidth;
import dev.kiln.protocol.fabric.ToolRun;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln fabric} against fake agents: twelve Vert.x servers on loopback (three racks of four) that speak
 * the fabric part of the agent API ({@code POST /v1/jobs} of type fabric, {@code GET|DELETE /v1/jobs/{id}},
 * {@code POST /v1/fabric/sessions}) and answer with canned results shaped by each test's {@link Scenario}.
 */
class FabricCommandTest {
    private static final String TOKEN = "fabric-test-token-0123456789";

    @TempDir
    static Path dir;

    static Vertx vertx;
    static final List<HttpServer> servers = new ArrayList<>();
    static final Map<String, Integer> ports = new ConcurrentHashMap<>();
    /** The token of the last session each node opened. */
    static final Map<String, String> sessionTokens = new ConcurrentHashMap<>();
    static final Map<String, JobStatus> jobs = new ConcurrentHashMap<>();
    static final AtomicInteger ids = new AtomicInteger();
    static final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
    static Path fleet;
    static Path fleetWithDeadNode;
    static volatile Scenario scenario = new Scenario() {
    };

    record Call(String node, HttpMethod method, String path, BurninRequest job) {
    }

    /** What the fake agents measure; the default is a healthy fleet. */
    interface Scenario {
        /** TCP throughput of the test {@code driver -> server}, Gbit/s. */
        default double gbps(String driver, String server) {
            return 92.0 + (driver.hashCode() + server.hashCode()) % 3;
        }

        /** Whether GPU 3 -> GPU 5 of this node is slow in fabric.p2p. */
        default boolean p2pSlow(String node) {
            return false;
        }

        /** Whether a job answers RUNNING first (so kiln must poll). */
        default boolean slowStart(String node) {
            return false;
        }

        /** Whether the node refuses jobs with 409. */
        default boolean busy(String node) {
            return false;
        }
    }

    @BeforeAll
    static void startAgents() throws Exception {
        vertx = Vertx.vertx();
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        StringBuilder yaml = new StringBuilder("defaults:\n  tokenFile: token\nracks:\n");
        int n = 1;
        for (int r = 1; r <= 3; r++) {
            yaml.append("  - name: rack-0").append(r).append("\n    nodes:\n");
            for (int i = 0; i < 4; i++, n++) {
                String name = String.format("node-%03d", n);
                HttpServer s = vertx.createHttpServer().requestHandler(req -> handle(name, req)).listen(0, "127.0.0.1")
                        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                servers.add(s);
                ports.put(name, s.actualPort());
                yaml.append("      - name: ").append(name).append("\n        address: 127.0.0.1:")
                        .append(s.actualPort()).append('\n');
            }
        }
        fleet = dir.resolve("fleet.yaml");
        Files.writeString(fleet, yaml);
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        fleetWithDeadNode = dir.resolve("fleet-dead.yaml");
        Files.writeString(fleetWithDeadNode, yaml + "      - name: node-013\n        address: 127.0.0.1:" + closed
                + "\n");
    }

    @AfterAll
    static void stopAgents() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void healthy() {
        scenario = new Scenario() {
        };
        calls.clear();
    }

    // --- the fake agent ----------------------------------------------------------------------------------

    static void handle(String node, HttpServerRequest req) {
        req.body().onSuccess(body -> {
            if (!("Bearer " + TOKEN).equals(req.getHeader("Authorization"))) {
                error(req, 401, "unauthorized", "bad token");
                return;
            }
            try {
                route(node, req, body);
            } catch (Exception e) {
                error(req, 500, "internal_error", e.toString());
            }
        });
    }

    static void route(String node, HttpServerRequest req, Buffer body) throws IOException {
        String path = req.path();
        if (req.method() == HttpMethod.POST && path.equals("/v1/fabric/sessions")) {
            calls.add(new Call(node, req.method(), path, null));
            assertThat(KilnJson.mapper().readTree(body.getBytes()).path("ttlSeconds").asLong()).isPositive();
            String token = "session-" + node + "-" + ids.incrementAndGet();
            sessionTokens.put(node, token);
            json(req, 201, new FabricSession(ProtocolVersion.SCHEMA_VERSION, node, "127.0.0.1", 40_001
                    + ports.get(node) % 20_000, token, Instant.now().plusSeconds(60), null, null, List.of()));
        } else if (req.method() == HttpMethod.POST && path.equals("/v1/jobs")) {
            BurninRequest job = KilnJson.mapper().readValue(body.getBytes(), BurninRequest.class);
            calls.add(new Call(node, req.method(), path, job));
            if (scenario.busy(node)) {
                error(req, 409, "job_running", "job fabric-busy is running");
                return;
            }
            String id = "fabric-" + node + "-" + ids.incrementAndGet();
            List<FabricResult> results = job.peer() == null ? local(node, job) : List.of(network(node, job.peer()));
            boolean failed = results.stream().anyMatch(r -> !r.verdict().equals("PASS") && !r.verdict().equals("SKIP"));
            JobStatus end = status(id, node, job, failed ? JobState.FAILED : JobState.PASSED, results);
            jobs.put(id, end);
            json(req, 202, scenario.slowStart(node) ? status(id, node, job, JobState.RUNNING, List.of()) : end);
        } else if (path.startsWith("/v1/jobs/")) {
            calls.add(new Call(node, req.method(), path, null));
            JobStatus s = jobs.get(path.substring("/v1/jobs/".length()));
            if (s == null) {
                error(req, 404, "no_such_job", "no job " + path);
            } else if (req.method() == HttpMethod.DELETE) {
                json(req, 200, status(s.id(), node, s.request(), JobState.CANCELLED, s.fabric()));
            } else {
                json(req, 200, s);
            }
        } else {
            error(req, 404, "not_found", "no route " + path);
        }
    }

    static JobStatus status(String id, String node, BurninRequest request, JobState state, List<FabricResult> fabric) {
        Instant now = Instant.now();
        return new JobStatus(ProtocolVersion.SCHEMA_VERSION, JobStatus.KIND, id, node, request, state, now, now,
                state.terminal() ? now : null, state.terminal() ? 1.0 : 0.1, null,
                state == JobState.FAILED ? "a fabric test failed" : null, List.of(), List.of(), fabric);
    }

    /** The node-local tests: NVLink fine, an 8-GPU P2P matrix (slow 3 -> 5 if asked), RDMA and NCCL skipped. */
    static List<FabricResult> local(String node, BurninRequest job) {
        List<String> tests = job.tests().isEmpty() ? List.of(FabricTestIds.NVLINK, FabricTestIds.P2P,
                FabricTestIds.RDMA, FabricTestIds.NCCL) : job.tests();
        List<FabricResult> out = new ArrayList<>();
        for (String t : tests) {
            switch (t) {
                case FabricTestIds.NVLINK -> out.add(new FabricResult(t, "PASS", null, 200, null, null,
                        List.of(new NvLinkStatus(0, "GPU-0", "0000:18:00.0", 0, true, 4, "0000:05:00.0", Map.of())),
                        null, null, null, null));
                case FabricTestIds.P2P -> {
                    boolean slow = scenario.p2pSlow(node);
                    List<PairBandwidth> pairs = new ArrayList<>();
                    for (int a = 0; a < 8; a++) {
                        for (int b = a + 1; b < 8; b++) {
                            double ab = slow && a == 3 && b == 5 ? 120.0 : 370.0;
                            pairs.add(new PairBandwidth(a, b, "bus" + a, "bus" + b, "NVLINK", "ok", ab, 371.0,
                                    ab + 371, 2.0, 335.0, "hgx-h100"));
                        }
                    }
                    List<HostBandwidth> host = new ArrayList<>();
                    for (int g = 0; g < 8; g++) {
                        host.add(new HostBandwidth(g, "bus" + g, 55.0, 54.0, 46.75, "hgx-h100"));
                    }
                    List<FabricFinding> findings = slow ? List.of(new FabricFinding(t, FabricFinding.FAIL, "gpu-pair",
                            List.of("GPU 3 (bus3)", "GPU 5 (bus5)"), "120 GB/s GPU 3 -> GPU 5", ">= 335 GB/s (hgx-h100)",
                            "GPU 3 -> GPU 5 only: the NVLinks between them", "run kiln fabric --node " + node
                            + " --tests nvlink")) : List.of();
                    out.add(new FabricResult(t, slow ? "FAIL" : "PASS", null, 3000, pairs, host, null, null, null,
                            null, findings));
                }
                case FabricTestIds.RDMA -> out.add(new FabricResult(t, "SKIP", "perftest (ib_write_bw) is not "
                        + "installed", 0, null, null, null, null, null, List.of(new ToolRun("ib_write_bw", List.of(),
                        "SKIP", "not installed", Map.of(), null)), null));
                case FabricTestIds.NCCL -> out.add(FabricResult.skipped(t, "nccl-tests is not installed"));
                default -> out.add(FabricResult.error(t, "not a node-local test", 0));
            }
        }
        return out;
    }

    /** The driver's TCP test: refused unless kiln passed on the session's token. */
    static FabricResult network(String node, FabricPeer peer) {
        if (!peer.token().equals(sessionTokens.get(peer.node())) || peer.port() <= 40_000
                || !peer.address().equals("127.0.0.1")) {
            return FabricResult.error(FabricTestIds.NETWORK, "the peer rejected the session token", 10);
        }
        double g = scenario.gbps(node, peer.node());
        return new FabricResult(FabricTestIds.NETWORK, "PASS", null, 1000, null, null, null,
                List.of(new NetworkResult(node, peer.node(), peer.address(), g, g + 0.5, 35, 80, 1L << 30, 4, 1000)),
                null, null, null);
    }

    static void json(HttpServerRequest req, int status, Object body) throws IOException {
        req.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                .end(Buffer.buffer(KilnJson.mapper().writeValueAsBytes(body)));
    }

    static void error(HttpServerRequest req, int status, String error, String message) {
        try {
            json(req, status, new ApiError(status, error, message));
        } catch (IOException e) {
            req.response().setStatusCode(500).end();
        }
    }

    static Kiln.Run fabric(String... args) {
        List<String> all = new ArrayList<>(List.of("fabric", "--fleet", fleet.toString(), "--duration", "2s",
                "--network-duration", "1s"));
        all.addAll(List.of(args));
        return Kiln.run(all.toArray(String[]::new));
    }

    static List<Call> networkJobs() {
        return calls.stream().filter(c -> c.job() != null && c.job().peer() != null).toList();
    }

    static boolean pair(String a, String b, String x, String y) {
        return Set.of(a, b).equals(Set.of(x, y));
    }

    // --- the tests ---------------------------------------------------------------------------------------

    @Test
    void aHealthyFleetExits0AndEveryNodeMeetsAtLeastTwoPeers() {
        Kiln.Run run = fabric();

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).matches("NODE +RACK +JOB +NVLINK +P2P +RDMA +NCCL +NETWORK +NOTE");
        for (int i = 1; i <= 12; i++) {
            String node = String.format("node-%03d", i);
            assertThat(lines.get(i)).as(run.describe()).matches(node + " +rack-0\\d +PASSED +PASS +PASS +SKIP +SKIP "
                    + "+4 ok");
        }
        assertThat(run.out()).contains("Network: every pair is fine (rack-rings: 24 pairs in ")
                .contains(", judged against >= ").doesNotContain("GB/s ").doesNotContain("Findings")
                .endsWith("12 nodes: 12 passed; network: 24 pairs in " + roundsOf(run) + " rounds, 24 ok, 0 slow; "
                        + "0 findings\n");
        // Phase 1: one node-local job per node, no test list (the agent's defaults), no peer.
        List<Call> local = calls.stream().filter(c -> c.job() != null && c.job().peer() == null).toList();
        assertThat(local).hasSize(12).allSatisfy(c -> {
            assertThat(c.job().type()).isEqualTo(BurninRequest.FABRIC);
            assertThat(c.job().tests()).isEmpty();
            assertThat(c.job().durationSeconds()).isEqualTo(2);
        });
        // Phase 2: a session on the server, then the driver's fabric.network job with it.
        assertThat(calls.stream().filter(c -> c.path().equals("/v1/fabric/sessions"))).hasSize(24);
        assertThat(networkJobs()).hasSize(24).allSatisfy(c -> {
            assertThat(c.job().tests()).containsExactly(FabricTestIds.NETWORK);
            assertThat(c.job().durationSeconds()).isEqualTo(1);
            assertThat(c.job().peer().node()).isNotEqualTo(c.node());
        });
        assertThat(run.err()).contains("kiln: fabric.nvlink, fabric.p2p, fabric.rdma, fabric.nccl on 12 nodes, 2 s each")
                .contains("kiln: fabric.network: rack-rings: 24 pairs in ");
    }

    private static String roundsOf(Kiln.Run run) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("24 pairs in (\\d+) rounds").matcher(run.out());
        return m.find() ? m.group(1) : "?";
    }

    @Test
    void aBadPairExits3AndIsBlamedOnThePathBetweenItsEnds() {
        scenario = new Scenario() {
            @Override
            public double gbps(String driver, String server) {
                return pair(driver, server, "node-003", "node-011") ? 9.5 : 92.0;
            }
        };

        Kiln.Run run = fabric();

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(run.out()).contains("Network pairs that are slow or did not run (rack-rings: 24 pairs in")
                .containsPattern("\\d +node-011 +node-003 +9\\.5 +10\\.0 +35\\.0 +slow +the path between node-011 "
                        + "and node-003")
                .containsPattern("FAIL +fabric\\.network +node-pair +node-011 <-> node-003 +9\\.5 Gbit/s: node-011 "
                        + "-> node-003 9\\.5, node-003 -> node-011 10\\.0; rtt p50 35\\.0 us +>= 46\\.0 Gbit/s each way "
                        + "\\(half the fleet median, 92\\.0 Gbit/s over 24 pairs\\) +the path between node-011 and "
                        + "node-003: both are fine with other peers .* -> check the switch ports and cables")
                .doesNotContain("NIC, cable or switch port")
                .contains("12 nodes: 12 passed; network: 24 pairs in ").contains("23 ok, 1 slow; 1 finding: 1 FAIL");
        assertThat(run.out().lines().filter(l -> l.startsWith("node-003 ") || l.startsWith("node-011 ")))
                .hasSize(2).allSatisfy(l -> assertThat(l).endsWith("1/4 slow"));
    }

    @Test
    void aBadNodeExits3AndIsBlamedInsteadOfItsPeers() {
        scenario = new Scenario() {
            @Override
            public double gbps(String driver, String server) {
                return driver.equals("node-007") || server.equals("node-007") ? 3.2 : 94.0;
            }
        };

        Kiln.Run run = fabric();

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        assertThat(run.out()).containsPattern("node-007 +rack-02 +PASSED +PASS +PASS +SKIP +SKIP +4/4 slow +network: "
                        + "slow with its peers")
                .containsPattern("FAIL +fabric\\.network +node +node-007 +slow with 4 of 4 peers: node-003 3\\.2 "
                        + "Gbit/s, node-006 .* +node-007's NIC, cable or switch port: slow with every peer")
                .contains("bad node node-007")
                .contains("12 nodes: 11 passed, 1 failed; network: 24 pairs in ").contains("20 ok, 4 slow; 1 finding");
        assertThat(run.out().lines().filter(l -> l.contains("node-pair"))).isEmpty();
    }

    @Test
    void jsonIsOneDocumentWithEveryNodesResultsThePlanThePairsAndTheFindings() {
        scenario = new Scenario() {
            @Override
            public double gbps(String driver, String server) {
                return pair(driver, server, "node-003", "node-011") ? 9.5 : 92.0;
            }
        };

        Kiln.Run run = fabric("-o", "json");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        JsonNode doc = run.json();
        assertThat(doc.path("kind").asText()).isEqualTo("kiln.fabric.run");
        assertThat(doc.path("exitCode").asInt()).isEqualTo(3);
        assertThat(doc.path("tests")).hasSize(5);
        JsonNode nodes = doc.path("nodes");
        assertThat(nodes).hasSize(12);
        JsonNode first = nodes.get(0);
        assertThat(first.path("node").asText()).isEqualTo("node-001");
        assertThat(first.path("rack").asText()).isEqualTo("rack-01");
        assertThat(first.path("outcome").asText()).isEqualTo("passed");
        assertThat(first.path("state").asText()).isEqualTo("PASSED");
        assertThat(first.path("jobId").asText()).startsWith("fabric-node-001-");
        assertThat(first.path("results")).extracting(r -> r.path("test").asText())
                .containsExactly("fabric.nvlink", "fabric.p2p", "fabric.rdma", "fabric.nccl");
        assertThat(first.path("results").get(1).path("pairs")).hasSize(28);
        assertThat(first.path("results").get(1).path("host")).hasSize(8);
        assertThat(first.path("results").get(2).path("reason").asText()).contains("perftest");

        JsonNode plan = doc.path("plan");
        assertThat(plan.path("strategy").asText()).isEqualTo("rack-rings");
        assertThat(plan.path("maxParallel").asInt()).isEqualTo(64);
        int planned = 0;
        for (JsonNode round : plan.path("rounds")) {
            planned += round.size();
            assertThat(round.get(0).has("driver") && round.get(0).has("server") && round.get(0).has("kind")).isTrue();
        }
        assertThat(planned).isEqualTo(24);
        assertThat(plan.path("peers").path("node-007")).hasSize(4);

        JsonNode network = doc.path("network");
        assertThat(network.path("threshold").path("gbps").asDouble()).isEqualTo(46.0);
        assertThat(network.path("threshold").path("medianGbps").asDouble()).isEqualTo(92.0);
        assertThat(network.path("pairs")).hasSize(24).allSatisfy(p ->
                assertThat(p.path("outcome").asText()).isEqualTo("measured"));
        List<JsonNode> slow = new ArrayList<>();
        network.path("pairs").forEach(p -> {
            if (p.path("slow").asBoolean()) {
                slow.add(p);
            }
        });
        assertThat(slow).singleElement().satisfies(p -> {
            assertThat(p.path("driver").asText()).isEqualTo("node-011");
            assertThat(p.path("server").asText()).isEqualTo("node-003");
            assertThat(p.path("kind").asText()).isEqualTo("cross-rack");
            assertThat(p.path("blame").asText()).isEqualTo("path");
            assertThat(p.path("gbps").asDouble()).isEqualTo(9.5);
            assertThat(p.path("result").path("sendGbps").asDouble()).isEqualTo(9.5);
            assertThat(p.path("agentResult").path("verdict").asText()).isEqualTo("PASS");
        });
        assertThat(doc.path("findings")).singleElement().satisfies(f -> {
            assertThat(f.path("source").asText()).isEqualTo("kiln");
            assertThat(f.path("node").isNull()).isTrue();
            assertThat(f.path("subject").asText()).isEqualTo("node-pair");
            assertThat(f.path("ends")).extracting(JsonNode::asText).containsExactly("node-011", "node-003");
            assertThat(f.path("observed").asText()).startsWith("9.5 Gbit/s");
            assertThat(f.path("expected").asText()).startsWith(">= 46.0 Gbit/s");
            assertThat(f.path("culprit").asText()).startsWith("the path between node-011 and node-003");
            assertThat(f.path("action").asText()).isNotBlank();
        });
        assertThat(run.err()).contains("kiln: 12 nodes: 12 passed; network: 24 pairs");
    }

    @Test
    void jsonlIsOneRecordPerNodePairAndFindingThenTheSummary() {
        Kiln.Run run = fabric("--rack", "rack-01", "-o", "jsonl");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        List<JsonNode> records = run.jsonLines();
        // 4 nodes: all pairs (6).
        assertThat(records).extracting(r -> r.path("record").asText())
                .containsExactly("node", "node", "node", "node", "pair", "pair", "pair", "pair", "pair", "pair",
                        "summary");
        JsonNode summary = records.get(records.size() - 1);
        assertThat(summary.path("plan").path("strategy").asText()).isEqualTo("all-pairs");
        assertThat(summary.path("exitCode").asInt()).isZero();
    }

    @Test
    void aSlowGpuPairShowsItsNodesHeatmapAndExits3() {
        scenario = new Scenario() {
            @Override
            public boolean p2pSlow(String node) {
                return node.equals("node-005");
            }
        };

        Kiln.Run run = fabric("--tests", "p2p");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.CHECK_FAILED);
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).matches("NODE +RACK +JOB +P2P +NOTE");
        assertThat(run.out()).containsPattern("node-005 +rack-02 +FAILED +FAIL +fabric\\.p2p: GPU 3 -> GPU 5 only")
                .contains("node-005  fabric.p2p FAIL: GPU-to-GPU and host copy bandwidth")
                .doesNotContain("node-004  fabric.p2p").doesNotContain("Network");
        int title = lines.indexOf("node-005  fabric.p2p FAIL: GPU-to-GPU and host copy bandwidth");
        assertThat(lines.get(title + 1)).startsWith("GB/s      GPU0   GPU1");
        assertThat(lines.get(title + 5)).startsWith("GPU3 ").contains("120!");
        assertThat(lines.get(title + 10)).startsWith("row -> column, one way; expected >= 335 GB/s");
        assertThat(run.out()).containsPattern("FAIL +fabric\\.p2p +gpu-pair +node-005: GPU 3 \\(bus3\\) <-> GPU 5 "
                + "\\(bus5\\) +120 GB/s GPU 3 -> GPU 5 +>= 335 GB/s \\(hgx-h100\\) +GPU 3 -> GPU 5 only");
        assertThat(run.out()).contains("12 nodes: 11 passed, 1 failed; 1 finding: 1 FAIL");
        // Only the node-local test was asked for: the agent gets that list, and no session is opened.
        assertThat(calls.stream().filter(c -> c.job() != null)).hasSize(12)
                .allSatisfy(c -> assertThat(c.job().tests()).containsExactly(FabricTestIds.P2P));
        assertThat(calls.stream().filter(c -> c.path().contains("sessions"))).isEmpty();

        Kiln.Run all = fabric("--tests", "p2p", "--heatmaps", "--node", "node-001,node-002");
        assertThat(all.exitCode()).isZero();
        assertThat(all.out()).contains("node-001  fabric.p2p PASS: GPU-to-GPU").contains("node-002  fabric.p2p PASS");
    }

    @Test
    void anUnreachableNodeIsReportedExits4AndIsLeftOutOfTheNetworkPlan() {
        Kiln.Run run = Kiln.run("fabric", "--fleet", fleetWithDeadNode.toString(), "--duration", "2s",
                "--network-duration", "1s", "--timeout", "2s", "-o", "json");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
        JsonNode doc = run.json();
        JsonNode dead = doc.path("nodes").get(12);
        assertThat(dead.path("node").asText()).isEqualTo("node-013");
        assertThat(dead.path("outcome").asText()).isEqualTo("unreachable");
        assertThat(dead.path("reachable").asBoolean()).isFalse();
        assertThat(dead.path("error").path("kind").asText()).isEqualTo("connection_refused");
        assertThat(doc.path("plan").path("peers").has("node-013")).isFalse();
        assertThat(doc.path("network").path("pairs")).hasSize(24);
        assertThat(doc.path("findings")).isEmpty();

        Kiln.Run table = Kiln.run("fabric", "--fleet", fleetWithDeadNode.toString(), "--duration", "2s",
                "--tests", "nvlink", "--rack", "rack-03");
        assertThat(table.exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(table.out()).containsPattern("node-013 +rack-03 +UNREACHABLE +- +unreachable: connection refused")
                .contains("5 nodes: 4 passed, 1 unreachable");
    }

    @Test
    void aBusyNodeIsRefusedWithTheAgentsMessageAndExits4() {
        scenario = new Scenario() {
            @Override
            public boolean busy(String node) {
                return node.equals("node-004");
            }
        };

        Kiln.Run run = fabric("--rack", "rack-01");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);
        assertThat(run.out()).containsPattern("node-004 +rack-01 +REFUSED +- +- +- +- +- +refused: HTTP 409: "
                + "job_running: job fabric-busy is running")
                // Three nodes left: all pairs.
                .contains("Network: every pair is fine (all-pairs: 3 pairs in 3 rounds");
        assertThat(networkJobs()).noneMatch(c -> c.node().equals("node-004") || c.job().peer().node()
                .equals("node-004"));
    }

    @Test
    void networkOnlyRunsNoNodeLocalJobAndFollowsRunningJobsToTheirEnd() {
        scenario = new Scenario() {
            @Override
            public boolean slowStart(String node) {
                return true;
            }
        };

        Kiln.Run run = fabric("--tests", "network", "--node", "node-001,node-005", "-v");

        assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.OK);
        assertThat(calls.stream().filter(c -> c.job() != null)).singleElement()
                .satisfies(c -> assertThat(c.job().peer()).isNotNull());
        assertThat(calls.stream().filter(c -> c.method() == HttpMethod.GET)).isNotEmpty();
        assertThat(run.out()).startsWith("NODE").containsPattern("NODE +RACK +JOB +NETWORK +NOTE")
                .containsPattern("node-001 +rack-01 +- +1 ok")
                // -v lists every pair.
                .contains("Network pairs (all-pairs: 1 pair in 1 round")
                .containsPattern("1 +node-00[15] +node-00[15] +9\\d\\.\\d +9\\d\\.\\d +35\\.0 +ok");
    }

    @Test
    void badUsageExits2BeforeAnythingIsSent() {
        Kiln.Run unknown = fabric("--tests", "fabric.nvlnk");
        assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(ExitCodes.USAGE);
        assertThat(unknown.err()).contains("unknown fabric test 'fabric.nvlnk' in --tests")
                .contains("did you mean 'fabric.nvlink'?").contains("See 'kiln fabric --help'");
        assertThat(unknown.out()).isEmpty();
        assertThat(fabric("--tests", "netwrk").err()).contains("did you mean 'fabric.network'?");
        assertThat(fabric("--max-parallel", "0").exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(fabric("--min-network-gbps", "-5").exitCode()).isEqualTo(ExitCodes.USAGE);
        Kiln.Run ib = fabric("--tests", "p2p,fabric.network", "--ib-device", "mlx5_0");
        assertThat(ib.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(ib.err()).contains("--ib-device runs ib_write_bw beside the TCP pairs: it needs fabric.rdma and "
                + "fabric.network");
        assertThat(fabric("--ib-device", "mlx5 0").err()).contains("--ib-device must be an HCA name such as mlx5_0");
        assertThat(fabric("--nccl-across", "row").err()).contains("--nccl-across must be 'rack' or 'fleet', got 'row'");
        assertThat(fabric("--tests", "p2p", "--nccl-across", "rack").err())
                .contains("--nccl-across needs fabric.nccl among the tests");
        assertThat(fabric("--network-duration", "5").err()).contains("'5' has no unit");
        assertThat(fabric("--rack", "rack-09").err()).contains("unknown rack 'rack-09'");
        assertThat(calls).isEmpty();
        assertThat(Kiln.run("fabric", "--help").out()).contains("--tests=ID").contains("--max-parallel=N")
                .contains("--network-duration").contains("--min-network-gbps").contains("Exit codes:");
        assertThat(Kiln.run("--help").out()).contains("fabric");
    }
}
