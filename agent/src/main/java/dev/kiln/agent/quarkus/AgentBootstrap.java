package dev.kiln.agent.quarkus;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.events.EventOptions;
import dev.kiln.agent.http.AgentRoutes;
import dev.kiln.agent.http.TokenAuth;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.FaultFile;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import io.quarkus.runtime.ShutdownEvent;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The only Quarkus-aware class: reads {@code kiln.agent.*} config, builds the plain-Java
 * {@link NodeAgent}, and mounts {@link AgentRoutes} on Quarkus's router.
 */
@ApplicationScoped
public class AgentBootstrap {
    private static final Logger LOG = Logger.getLogger(AgentBootstrap.class.getName());

    @ConfigProperty(name = "kiln.agent.name")
    Optional<String> name;

    @ConfigProperty(name = "kiln.agent.simulate")
    Optional<String> simulate;

    @ConfigProperty(name = "kiln.agent.faults")
    Optional<Path> faults;

    @ConfigProperty(name = "kiln.agent.token-file", defaultValue = "/etc/kiln/agent.token")
    Path tokenFile;

    @ConfigProperty(name = "kiln.agent.generate-token", defaultValue = "false")
    boolean generateToken;

    @ConfigProperty(name = "kiln.agent.sysfs-root", defaultValue = "/sys")
    Path sysfsRoot;

    @ConfigProperty(name = "kiln.agent.nvml-library")
    Optional<String> nvmlLibrary;

    /** Where the GPU event log is kept; default /var/lib/kiln on real GPUs, memory only when simulating. */
    @ConfigProperty(name = "kiln.agent.state-dir")
    Optional<Path> stateDir;

    @ConfigProperty(name = "kiln.agent.fabric-port", defaultValue = "0")
    int fabricPort;

    @ConfigProperty(name = "kiln.agent.tools-dir")
    Optional<String> toolsDir;

    @ConfigProperty(name = "kiln.agent.nccl-launcher")
    Optional<String> ncclLauncher;

    /** Serve GET /metrics without the bearer token (for a Prometheus that cannot send one); off by default. */
    @ConfigProperty(name = "kiln.agent.metrics-without-token", defaultValue = "false")
    boolean metricsWithoutToken;

    /** A read-only bearer token (reads and checks, no jobs); see docs/security.md. */
    @ConfigProperty(name = "kiln.agent.read-token-file")
    Optional<Path> readTokenFile;

    /** Requests per second per client address (0: no limit) and the burst allowed above it. */
    @ConfigProperty(name = "kiln.agent.rate-limit", defaultValue = "50")
    double rateLimit;

    @ConfigProperty(name = "kiln.agent.rate-burst", defaultValue = "100")
    int rateBurst;

    private NodeAgent agent;

    void mount(@Observes Router router) {
        TokenAuth auth = (generateToken ? TokenAuth.fromFileOrGenerate(tokenFile) : TokenAuth.fromFile(tokenFile))
                .withMetricsWithoutToken(metricsWithoutToken);
        FaultPlan plan = faults.map(FaultFile::load).orElse(FaultPlan.NONE);
        if (simulate.isPresent()) {
            agent = NodeAgent.simulated(name.orElse("sim-node"), ServerPresets.get(simulate.get()), plan, 1, false,
                    stateDir.map(EventOptions::persistedIn).orElseGet(EventOptions::inMemory));
        } else {
            if (faults.isPresent()) {
                throw new IllegalArgumentException("kiln.agent.faults needs kiln.agent.simulate");
            }
            agent = NodeAgent.real(name.orElse(null),
                    nvmlLibrary.map(NvmlLoader::load).orElseGet(NvmlLoader::system), sysfsRoot,
                    EventOptions.persistedIn(stateDir.orElse(EventOptions.DEFAULT_STATE_DIR)));
        }
        agent.setFabricPort(fabricPort);
        if (toolsDir.isPresent() || ncclLauncher.isPresent()) {
            agent.configureFabric(simulate.isPresent() ? null : sysfsRoot.toString(),
                    toolsDir.map(List::of).orElse(List.of()), ncclLauncher.orElse(null));
        }
        var info = agent.nodeInfo();
        LOG.info(() -> "kiln-agent " + info.kilnVersion() + " node " + info.name() + " mode " + info.mode()
                + ", " + info.gpuCount() + " GPU(s)"
                + (info.nvml().available() ? "" : "; NVML unavailable: " + info.nvml().reason())
                + "; GPU events " + (agent.eventsWatched() ? "watched" : "not watched")
                + agent.events().file().map(f -> ", kept in " + f).orElse(", kept in memory")
                + (agent.eventsReason() == null ? "" : " (" + agent.eventsReason() + ")"));
        if (readTokenFile.isPresent()) {
            auth = auth.withReadOnlyToken(generateToken ? TokenAuth.fromFileOrGenerate(readTokenFile.get())
                    : TokenAuth.fromFile(readTokenFile.get()));
        }
        AgentRoutes.mount(router, agent, auth, new dev.kiln.agent.http.RateLimit(rateLimit, rateBurst));
    }

    /** For tests of the wiring. */
    public NodeAgent agent() {
        return agent;
    }

    void stop(@Observes ShutdownEvent event) {
        if (agent != null) {
            agent.close();
        }
    }
}
