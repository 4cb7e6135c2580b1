package dev.kiln.agent.fleet;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.http.AgentRoutes;
import dev.kiln.agent.http.TokenAuth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A started simulated fleet. Close it to stop every node. */
public final class RunningFleet implements AutoCloseable {
    private final Vertx vertx;
    private final Map<String, HttpServer> servers = new LinkedHashMap<>();
    private final Map<String, NodeAgent> agents = new LinkedHashMap<>();
    private final List<FleetSimulator.SimNode> nodes = new ArrayList<>();
    private final FleetSimulator.Options options;
    private final Path tokenFile;
    private final String token;
    private final dev.kiln.agent.tls.ServerTls tls;

    private RunningFleet(FleetSimulator.Options options, Vertx vertx, Path tokenFile, String token,
                         dev.kiln.agent.tls.ServerTls tls) {
        this.options = options;
        this.vertx = vertx;
        this.tokenFile = tokenFile;
        this.token = token;
        this.tls = tls;
    }

    static RunningFleet start(FleetSimulator.Options o) {
        return start(o, null, null);
    }

    /** {@code tls} null: plain HTTP. {@code caFile}: written to the fleet file for the CLI to verify with. */
    static RunningFleet start(FleetSimulator.Options o, dev.kiln.agent.tls.ServerTls tls, Path caFile) {
        if (tls != null) {
            tls.check(java.time.Instant.now());
        }
        Path tokenFile = o.tokenFile();
        String token;
        try {
            if (tokenFile == null) {
                tokenFile = Files.createTempFile("kiln-token", "");
                Files.delete(tokenFile);
            }
            if (!Files.exists(tokenFile)) {
                TokenAuth.writeNewToken(tokenFile);
            }
            token = Files.readString(tokenFile).lines().findFirst().orElse("").trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create token file " + tokenFile + ": " + e.getMessage(), e);
        }
        TokenAuth auth = TokenAuth.fromFile(tokenFile);
        Vertx vertx = Vertx.vertx(new VertxOptions().setWorkerPoolSize(8)
                .setBlockedThreadCheckInterval(10).setBlockedThreadCheckIntervalUnit(TimeUnit.SECONDS));
        RunningFleet fleet = new RunningFleet(o, vertx, tokenFile, token, tls);
        try {
            fleet.listenAll(auth);
            if (o.fleetFile() != null) {
                FleetFileWriter.write(o.fleetFile(), fleet.nodes, tokenFile, tls != null, caFile);
            }
        } catch (RuntimeException e) {
            fleet.close();
            throw e;
        }
        return fleet;
    }

    private void listenAll(TokenAuth auth) {
        List<Future<HttpServer>> pending = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> hosts = new ArrayList<>();
        for (int position = 1; position <= options.nodes(); position++) {
            String name = FleetSimulator.nodeName(position);
            NodeAgent agent = NodeAgent.simulated(name, options.preset(), options.faults(), position, true);
            agents.put(name, agent);
            Router router = Router.router(vertx);
            // Each simulated agent has its own limiter, as each real one does: kiln's fan-out sends one request per poll.
            AgentRoutes.mount(router, agent, auth, dev.kiln.agent.http.RateLimit.DEFAULT);
            String host = options.spread() ? spreadAddress(position) : "127.0.0.1";
            int port = options.spread() ? (options.basePort() == 0 ? 9478 : options.basePort())
                    : (options.basePort() == 0 ? 0 : options.basePort() + position - 1);
            HttpServerOptions serverOptions = new HttpServerOptions().setHost(host).setPort(port)
                    .setMaxInitialLineLength(8192).setMaxHeaderSize(16384).setReuseAddress(true)
                    // Agents speak HTTP/1.1 only; an h2c upgrade would cap a client at 100 concurrent streams.
                    .setHttp2ClearTextEnabled(false);
            if (tls != null) {
                dev.kiln.agent.http.ServerTlsOptions.apply(serverOptions, tls);
            }
            HttpServer server = vertx.createHttpServer(serverOptions);
            server.invalidRequestHandler(AgentRoutes::invalidRequest).requestHandler(router);
            pending.add(server.listen());
            names.add(name);
            hosts.add(host);
        }
        try {
            Future.join(pending).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Fall through: per-server results below say which failed.
        }
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < pending.size(); i++) {
            Future<HttpServer> f = pending.get(i);
            String name = names.get(i);
            if (f.succeeded()) {
                HttpServer s = f.result();
                servers.put(name, s);
                int position = i + 1;
                String rack = String.format("rack-%02d", (position - 1) / options.nodesPerRack() + 1);
                nodes.add(new FleetSimulator.SimNode(name, rack, position, hosts.get(i), s.actualPort()));
            } else {
                failures.add(name + " (" + (f.cause() == null ? "timed out" : f.cause().getMessage()) + ")");
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException(failures.size() + " simulated node(s) could not listen, e.g. "
                    + failures.subList(0, Math.min(3, failures.size()))
                    + (options.spread() ? "" : "; with many nodes try --spread or a free --base-port range"));
        }
    }

    /** 127.1.x.y for position p (from 1): up to 65,024 nodes, all on loopback. */
    static String spreadAddress(int position) {
        int i = position - 1;
        return "127.1." + (i / 254) + "." + (i % 254 + 1);
    }

    public List<FleetSimulator.SimNode> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    public Path fleetFile() {
        return options.fleetFile();
    }

    public Path tokenFile() {
        return tokenFile;
    }

    public String token() {
        return token;
    }

    /** The agent core of a node (tests inject faults through its simulated server). */
    public NodeAgent agent(String name) {
        NodeAgent a = agents.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no simulated node named " + name);
        }
        return a;
    }

    /** Stops one node's listener, so it becomes unreachable (connection refused), as a powered-off node. */
    public void stopNode(String name) {
        HttpServer s = servers.remove(name);
        if (s == null) {
            throw new IllegalArgumentException("no running simulated node named " + name);
        }
        try {
            s.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not stop " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Best effort: the process is usually exiting anyway.
        }
        agents.values().forEach(NodeAgent::close);
    }
}
