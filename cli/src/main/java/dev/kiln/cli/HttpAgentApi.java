package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.cli.bringup.AgentApi;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fanout.ResponseDecoder;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.JobList;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckRequest;
import dev.kiln.protocol.fabric.FabricSession;
import io.vertx.core.http.HttpMethod;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * {@link AgentApi} over HTTP: each call is one request through the run's single {@link FanOut} (one Vert.x
 * WebClient), made on a virtual thread that waits for a permit, so at most {@code maxInFlight} requests are out at
 * once however many nodes the rollout drives. Every failure is the node's {@link NodeResult}, never an exception.
 */
final class HttpAgentApi implements AgentApi {
    private static final ResponseDecoder<JobList> JOB_LIST = FanOut.json(JobList.class, "a Kiln job list");

    private final FanOut fanOut;
    private final Duration timeout;
    private final Duration checkTimeout;
    private final Semaphore permits;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    /**
     * @param timeout      each request's timeout
     * @param checkTimeout a check run's (it reads the hardware and runs every check)
     */
    HttpAgentApi(FanOut fanOut, Duration timeout, Duration checkTimeout, int maxInFlight) {
        this.fanOut = fanOut;
        this.timeout = timeout;
        this.checkTimeout = checkTimeout;
        this.permits = new Semaphore(maxInFlight);
    }

    @Override
    public CompletableFuture<NodeResult<NodeInfo>> node(FleetNode node) {
        return call(node, FanOut.Request.get(Agents.NODE_PATH), Agents.NODE_INFO, timeout);
    }

    @Override
    public CompletableFuture<NodeResult<InventoryDocument>> inventory(FleetNode node) {
        return call(node, FanOut.Request.get(Agents.INVENTORY_PATH + "?fresh=true"), Agents.INVENTORY, timeout);
    }

    @Override
    public CompletableFuture<NodeResult<CheckReport>> checks(FleetNode node, CheckRequest request) {
        byte[] body = body(request);
        return call(node, FanOut.Request.postJson(Agents.CHECKS_PATH, n -> body), Agents.CHECK_REPORT, checkTimeout);
    }

    @Override
    public CompletableFuture<NodeResult<JobStatus>> startJob(FleetNode node, BurninRequest request) {
        byte[] body = body(request);
        return call(node, FanOut.Request.postJson(Agents.JOBS_PATH, n -> body), Agents.JOB_STATUS, timeout);
    }

    @Override
    public CompletableFuture<NodeResult<JobStatus>> job(FleetNode node, String jobId) {
        String path = Agents.JOBS_PATH + "/" + jobId;
        return call(node, FanOut.Request.perNode(HttpMethod.GET, path, n -> path), Agents.JOB_STATUS, timeout);
    }

    @Override
    public CompletableFuture<NodeResult<JobList>> jobs(FleetNode node) {
        return call(node, FanOut.Request.get(Agents.JOBS_PATH), JOB_LIST, timeout);
    }

    @Override
    public CompletableFuture<NodeResult<JobStatus>> cancelJob(FleetNode node, String jobId) {
        String path = Agents.JOBS_PATH + "/" + jobId;
        // DELETE answers once the worker has stopped (SIGKILL after 2 s at most).
        Duration t = timeout.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : timeout;
        return call(node, FanOut.Request.perNode(HttpMethod.DELETE, path, n -> path), Agents.JOB_STATUS, t);
    }

    @Override
    public CompletableFuture<NodeResult<FabricSession>> openSession(FleetNode node, long ttlSeconds) {
        byte[] body = body(Map.of("ttlSeconds", ttlSeconds));
        return call(node, FanOut.Request.postJson(FabricCommand.SESSIONS_PATH, n -> body), FabricCommand.SESSION,
                timeout);
    }

    private <T> CompletableFuture<NodeResult<T>> call(FleetNode node, FanOut.Request request,
                                                      ResponseDecoder<T> decoder, Duration t) {
        CompletableFuture<NodeResult<T>> f = new CompletableFuture<>();
        try {
            threads.submit(() -> {
                try {
                    permits.acquire();
                    try {
                        fanOut.run(List.of(node), request, decoder, t, 1, f::complete, null);
                    } finally {
                        permits.release();
                    }
                } catch (Throwable e) {
                    f.complete(new NodeResult<>(node, 0, 0, null, new NodeError(NodeError.Kind.NETWORK,
                            "kiln could not send " + request + ": " + e)));
                }
                if (!f.isDone()) {
                    f.complete(new NodeResult<>(node, 0, 0, null, new NodeError(NodeError.Kind.NETWORK,
                            "no result for " + request)));
                }
            });
        } catch (RuntimeException e) {
            f.complete(new NodeResult<>(node, 0, 0, null, new NodeError(NodeError.Kind.NETWORK,
                    "kiln could not send " + request + ": " + e)));
        }
        return f;
    }

    private static byte[] body(Object request) {
        try {
            return KilnJson.mapper().writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
