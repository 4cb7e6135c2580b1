package dev.kiln.agent.fleet;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Nodes of the fleet simulator run burn-ins too, each with its own faults. */
class FleetBurninTest {
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @Test
    void twoNodesBurnInAtOnceAndOnlyTheFaultyNodesGpuFails(@TempDir Path dir) throws Exception {
        FaultPlan faults = new FaultPlan(List.of(new FaultPlan.Rule(Optional.of("node-002"), Optional.empty(),
                new Fault.BurninWrongResults(1), 0)));
        try (RunningFleet fleet = FleetSimulator.start(FleetSimulator.options(2, ServerPresets.PCIE_L40S, faults, dir))) {
            String body = "{\"type\":\"burnin\",\"tests\":[\"burnin.compute\",\"burnin.pcie\"],\"durationSeconds\":1}";
            String[] ids = new String[2];
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> r = send(fleet, i, "POST", "/v1/jobs", body);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                ids[i] = KilnJson.mapper().readValue(r.body(), JobStatus.class).id();
            }
            JobStatus first = await(fleet, 0, ids[0]);
            JobStatus second = await(fleet, 1, ids[1]);
            assertThat(first.state()).as(first.reason()).isEqualTo(JobState.PASSED);
            assertThat(first.results()).hasSize(8);
            assertThat(second.state()).isEqualTo(JobState.FAILED);
            assertThat(second.results()).filteredOn(r -> r.verdict().equals("FAIL")).singleElement()
                    .satisfies(r -> {
                        assertThat(r.gpuIndex()).isEqualTo(1);
                        assertThat(r.test()).isEqualTo("burnin.compute");
                    });
            assertThat(second.node()).isEqualTo("node-002");
        }
    }

    private static HttpResponse<String> send(RunningFleet fleet, int node, String method, String path, String body)
            throws Exception {
        FleetSimulator.SimNode n = fleet.nodes().get(node);
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://" + n.address() + path))
                .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + fleet.token())
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JobStatus await(RunningFleet fleet, int node, String id) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            JobStatus s = KilnJson.mapper().readValue(send(fleet, node, "GET", "/v1/jobs/" + id, null).body(),
                    JobStatus.class);
            if (s.state().terminal() || System.nanoTime() > until) {
                return s;
            }
            Thread.sleep(100);
        }
    }
}
