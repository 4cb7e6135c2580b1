package dev.kiln.agent.cli;

import dev.kiln.agent.http.TokenAuth;
import dev.kiln.nvml.sim.ServerPresets;
import io.quarkus.runtime.Quarkus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Runs the HTTP daemon under Quarkus. Options become {@code kiln.agent.*} config properties. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        header = "Serve this node's API (the daemon systemd runs).",
        description = {"Serves GET /v1/node, GET /v1/inventory and GET /v1/events with bearer-token auth, and watches",
                "NVML for GPU events (Xid, ECC, row remap, GPU unavailable, recovery action) in the background.",
                "Every option can also be set in application.properties or as KILN_AGENT_* environment variables."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    SimulationOptions simulation;

    @Option(names = "--name", description = "Node name reported to the fleet (default: hostname).")
    String name;

    @Option(names = "--host", defaultValue = "0.0.0.0", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "9478", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--token-file", defaultValue = "/etc/kiln/agent.token",
            description = "File holding the bearer token clients must send (default: ${DEFAULT-VALUE}).")
    Path tokenFile;

    @Option(names = "--generate-token", description = "Create the token file with a random token if it does not exist.")
    boolean generateToken;

    @Option(names = "--sysfs-root", defaultValue = "/sys", description = "Root of sysfs, for InfiniBand ports (default: ${DEFAULT-VALUE}).")
    Path sysfsRoot;

    @Option(names = "--nvml-library", description = "NVML library to load instead of libnvidia-ml.so.1.")
    String nvmlLibrary;

    @Option(names = "--state-dir", paramLabel = "DIR",
            description = {"Directory for the persisted GPU event log (default: /var/lib/kiln on real GPUs;",
                    "simulated agents keep events in memory unless this is given). When it is not writable,",
                    "events are kept in memory and GET /v1/events says so."})
    Path stateDir;

    @Option(names = "--fabric-port", defaultValue = "0", paramLabel = "PORT",
            description = {"TCP port node-to-node fabric tests are served on (0: an ephemeral port, chosen at the",
                    "first session; set one to open it in a firewall). Default: ${DEFAULT-VALUE}."})
    int fabricPort;

    @Option(names = "--tools-dir", paramLabel = "DIR",
            description = "Directory searched before PATH for ib_write_bw (perftest) and all_reduce_perf (nccl-tests).")
    Path toolsDir;

    @Option(names = "--nccl-launcher", paramLabel = "TEMPLATE",
            description = {"MPI launcher for nccl-tests across nodes (fabric.nccl with ncclHosts), e.g.",
                    "'mpirun --allow-run-as-root -np {ranks} -H {hostslots} {command}'; placeholders {ranks} {hosts}",
                    "{hostslots} {slots} {command}; run without a shell. Without it, multi-node nccl-tests SKIP."})
    String ncclLauncher;

    @Override
    public Integer call() {
        if (fabricPort < 0 || fabricPort > 65535) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--fabric-port must be 0..65535, got " + fabricPort);
        }
        // Fail on bad configuration before Quarkus boots, with the same messages as the daemon.
        if (simulation.preset != null) {
            ServerPresets.get(simulation.preset);
        }
        simulation.faultPlan();
        if (generateToken) {
            TokenAuth.fromFileOrGenerate(tokenFile);
        } else {
            TokenAuth.fromFile(tokenFile);
        }
        set("quarkus.http.host", host);
        set("quarkus.http.port", Integer.toString(port));
        set("kiln.agent.token-file", tokenFile.toString());
        set("kiln.agent.sysfs-root", sysfsRoot.toString());
        set("kiln.agent.name", name);
        set("kiln.agent.simulate", simulation.preset);
        set("kiln.agent.faults", simulation.faults == null ? null : simulation.faults.toString());
        set("kiln.agent.nvml-library", nvmlLibrary);
        set("kiln.agent.state-dir", stateDir == null ? null : stateDir.toString());
        set("kiln.agent.fabric-port", Integer.toString(fabricPort));
        set("kiln.agent.tools-dir", toolsDir == null ? null : toolsDir.toString());
        set("kiln.agent.nccl-launcher", ncclLauncher);
        Quarkus.run();
        return 0;
    }

    private static void set(String key, String value) {
        if (value != null) {
            System.setProperty(key, value);
        }
    }
}
