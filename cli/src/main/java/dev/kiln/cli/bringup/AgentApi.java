package dev.kiln.cli.bringup;

import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.JobList;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckRequest;
import dev.kiln.protocol.fabric.FabricSession;

import java.util.concurrent.CompletableFuture;

/**
 * The agent calls {@link BringupEngine} makes, each answered asynchronously with that node's {@link NodeResult}
 * (a body, or the node's error: refused, timed out, HTTP 409, ...). The futures always complete normally; a
 * failure is the node's result, never an exception. {@code kiln bringup} answers them over HTTP with one Vert.x
 * WebClient and a bounded number of requests in flight; tests answer them from a fake fleet.
 */
public interface AgentApi extends AutoCloseable {
    /** {@code GET /v1/node}. */
    CompletableFuture<NodeResult<NodeInfo>> node(FleetNode node);

    /** {@code GET /v1/inventory?fresh=true}. */
    CompletableFuture<NodeResult<InventoryDocument>> inventory(FleetNode node);

    /** {@code POST /v1/checks}. */
    CompletableFuture<NodeResult<CheckReport>> checks(FleetNode node, CheckRequest request);

    /** {@code POST /v1/jobs} (burn-in or fabric). */
    CompletableFuture<NodeResult<JobStatus>> startJob(FleetNode node, BurninRequest request);

    /** {@code GET /v1/jobs/{id}}. */
    CompletableFuture<NodeResult<JobStatus>> job(FleetNode node, String jobId);

    /** {@code GET /v1/jobs}. */
    CompletableFuture<NodeResult<JobList>> jobs(FleetNode node);

    /** {@code DELETE /v1/jobs/{id}}. */
    CompletableFuture<NodeResult<JobStatus>> cancelJob(FleetNode node, String jobId);

    /** {@code POST /v1/fabric/sessions} with {@code {"ttlSeconds": N}}. */
    CompletableFuture<NodeResult<FabricSession>> openSession(FleetNode node, long ttlSeconds);

    @Override
    void close();
}
