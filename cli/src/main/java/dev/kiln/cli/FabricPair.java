package dev.kiln.cli;

import dev.kiln.cli.fabric.FabricAttribution;
import dev.kiln.cli.fabric.FabricPlan;
import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricSession;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;

import java.util.List;

/**
 * One TCP test of {@code kiln fabric} as it ran: the session the serving node opened, the job the driving
 * node ran against it, and (after {@link #settle()}) what came of it.
 */
final class FabricPair {
    static final String MEASURED = "measured";
    static final String FAILED = "failed";
    static final String NOT_RUN = "not_run";

    final FabricPlan.Pairing pairing;
    /** 1-based. */
    final int round;
    final FleetNode driver;
    final FleetNode server;
    /** The driver's {@code fabric.network} job. */
    final BurninJob job;
    FabricSession session;
    NodeError sessionError;
    int sessionHttpStatus;

    // Set by settle().
    String outcome;
    /** The measurement, when measured. */
    NetworkResult result;
    /** The agent's whole {@code fabric.network} result, when it sent one. */
    FabricResult agentResult;
    /** Why it failed or did not run. */
    String reason;
    /** The node kiln could not query (HTTP) for this test, when it did not run for that. */
    FleetNode unqueried;

    FabricPair(FabricPlan.Pairing pairing, int round, FleetNode driver, FleetNode server) {
        this.pairing = pairing;
        this.round = round;
        this.driver = driver;
        this.server = server;
        this.job = new BurninJob(driver);
    }

    String label() {
        return driver.name() + " -> " + server.name();
    }

    /** Decides {@link #outcome} from the session and the job. */
    void settle() {
        if (sessionError != null) {
            outcome = NOT_RUN;
            unqueried = server;
            reason = "no session on " + server.name() + ": " + sessionError.message();
            return;
        }
        if (job.outcome.notQueried()) {
            outcome = NOT_RUN;
            unqueried = driver;
            reason = "job on " + driver.name() + " " + job.outcome.id() + ": "
                    + (job.error == null ? "" : job.error.message());
            return;
        }
        if (session == null || job.status == null || !job.status.state().terminal()) {
            outcome = NOT_RUN;
            reason = "not run (interrupted)";
            return;
        }
        agentResult = job.status.fabric().stream().filter(r -> r != null && FabricTestIds.NETWORK.equals(r.test()))
                .findFirst().orElse(null);
        if (agentResult != null && !agentResult.network().isEmpty()) {
            result = agentResult.network().stream().filter(n -> server.name().equals(n.peer())).findFirst()
                    .orElse(agentResult.network().get(0));
            outcome = MEASURED;
            return;
        }
        outcome = FAILED;
        if (agentResult != null && agentResult.reason() != null) {
            reason = agentResult.reason();
        } else if (job.status.reason() != null) {
            reason = job.status.reason();
        } else {
            reason = "the job ended " + job.status.state() + " without a " + FabricTestIds.NETWORK + " measurement";
        }
    }

    /** The pair job's other results (fabric.rdma's ib_write_bw with {@code --ib-device}): the driver's findings. */
    List<FabricResult> otherResults() {
        if (job == null || job.status == null) {
            return List.of();
        }
        return job.status.fabric().stream().filter(r -> r != null && !FabricTestIds.NETWORK.equals(r.test())).toList();
    }

    /** For attribution; null when the test did not run (nothing to judge). */
    FabricAttribution.PairOutcome judged() {
        return switch (outcome) {
            case MEASURED -> FabricAttribution.PairOutcome.measured(driver.name(), server.name(), result);
            case FAILED -> FabricAttribution.PairOutcome.failed(driver.name(), server.name(), reason);
            default -> null;
        };
    }
}
