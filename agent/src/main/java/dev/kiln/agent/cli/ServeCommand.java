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
        description = {"Serves GET /v1/node, GET /v1/inventory, GET /v1/events and GET /metrics with bearer-token auth, and watches",
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

    /** Console log format: Quarkus's text lines, or one JSON object per line (quarkus-logging-json). */
    enum LogFormat { text, json }

    @Option(names = "--log-format", paramLabel = "text|json",
            description = {"Console log format: 'text' (default) or 'json', one JSON object per line with the",
                    "stack trace, if any, inside it. Tokens are never logged in either."})
    LogFormat logFormat;

    @Option(names = "--metrics-without-token",
            description = {"Serve GET /metrics without the bearer token, to anyone who can reach the port",
                    "(default: the token is needed, as for /v1; see docs/metrics.md for Prometheus's credentials_file)."})
    boolean metricsWithoutToken;

    @Option(names = "--read-token-file", paramLabel = "FILE",
            description = {"File holding a read-only bearer token: it may read the node (GET /v1/*, GET /metrics) and",
                    "run checks (POST /v1/checks), but not start or cancel jobs or open fabric sessions, which need",
                    "the --token-file (operator) token. Default: none. With --generate-token it is created if missing."})
    Path readTokenFile;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = {"Serve HTTPS only, on --port, with this PEM certificate (chain); needs --tls-key.",
                    "'kiln pki issue NODE' makes one. Default: plain HTTP."})
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM private key of --tls-cert (mode 0600).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "FILE",
            description = {"Mutual TLS: require a client certificate signed by a CA in this PEM file (the fleet CA,",
                    "ca.pem; 'kiln pki issue NAME --client' makes client certificates). Needs --tls-cert."})
    Path tlsClientCa;

    @Option(names = "--rate-limit", paramLabel = "N", defaultValue = "50",
            description = "Requests per second one client address may send; more get 429 (0: no limit). Default: ${DEFAULT-VALUE}.")
    double rateLimit;

    @Option(names = "--rate-burst", paramLabel = "N", defaultValue = "100",
            description = "Requests one client address may send at once before --rate-limit applies. Default: ${DEFAULT-VALUE}.")
    int rateBurst;

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
        set("kiln.agent.metrics-without-token", metricsWithoutToken ? "true" : null);
        set("quarkus.log.console.json.enabled", logFormat == null ? null : Boolean.toString(logFormat == LogFormat.json));
        configureSecurity();
        Quarkus.run();
        return 0;
    }

    /** Read-only token, rate limit and TLS: checked here, then handed to Quarkus as properties. */
    private void configureSecurity() {
        picocli.CommandLine cl = new picocli.CommandLine(this);
        if (readTokenFile != null) {
            TokenAuth operator = TokenAuth.fromFile(tokenFile);
            operator.withReadOnlyToken(generateToken ? TokenAuth.fromFileOrGenerate(readTokenFile)
                    : TokenAuth.fromFile(readTokenFile));
            set("kiln.agent.read-token-file", readTokenFile.toString());
        }
        try {
            new dev.kiln.agent.http.RateLimit(rateLimit, rateBurst);
        } catch (IllegalArgumentException e) {
            throw new picocli.CommandLine.ParameterException(cl, "--rate-limit/--rate-burst: " + e.getMessage());
        }
        set("kiln.agent.rate-limit", Double.toString(rateLimit));
        set("kiln.agent.rate-burst", Integer.toString(rateBurst));
        if (tlsCert == null && tlsKey == null) {
            if (tlsClientCa != null) {
                throw new picocli.CommandLine.ParameterException(cl, "--tls-client-ca needs --tls-cert and --tls-key: "
                        + "client certificates are asked for in the TLS handshake");
            }
            return;
        }
        if (tlsCert == null || tlsKey == null) {
            throw new picocli.CommandLine.ParameterException(cl, "--tls-cert and --tls-key go together: give the "
                    + "certificate and its private key ('kiln pki issue NODE' writes NODE.pem and NODE-key.pem)");
        }
        dev.kiln.agent.tls.ServerTls tls = new dev.kiln.agent.tls.ServerTls(tlsCert, tlsKey, tlsClientCa);
        for (String warning : tls.check(java.time.Instant.now())) {
            System.err.println("kiln-agent: warning: " + warning);
        }
        // HTTPS only, on the port asked for; the client CA is applied by AgentTlsCustomizer (Quarkus's own
        // client-auth setting is fixed at build time).
        set("quarkus.http.ssl.certificate.files", tlsCert.toAbsolutePath().toString());
        set("quarkus.http.ssl.certificate.key-files", tlsKey.toAbsolutePath().toString());
        set("quarkus.http.ssl-port", Integer.toString(port));
        set("quarkus.http.insecure-requests", "disabled");
        set("kiln.agent.tls-client-ca", tlsClientCa == null ? null : tlsClientCa.toAbsolutePath().toString());
    }

    private static void set(String key, String value) {
        if (value != null) {
            System.setProperty(key, value);
        }
    }
}
