package dev.kiln.agent.fabric;

import dev.kiln.agent.fabric.net.IbWriteBw;
import dev.kiln.agent.fabric.net.ToolRunner;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The serving side of perftest's ib_write_bw for fabric sessions: one server per session that asks for an HCA,
 * killed when the session's time is up (it exits by itself after one test). A simulated node runs perftest only from
 * a tools directory it was given (recorded fakes), never from PATH: that would test this host's real HCAs.
 */
public final class RdmaServers implements AutoCloseable {
    private final boolean simulated;
    private volatile List<String> toolsPath = List.of();
    private final List<ToolRunner.Running> running = new ArrayList<>();   // guarded by this
    private ScheduledExecutorService reaper;                              // guarded by this

    public RdmaServers(boolean simulated) {
        this.simulated = simulated;
    }

    public void configure(List<String> toolsPath) {
        this.toolsPath = toolsPath == null ? List.of() : List.copyOf(toolsPath);
    }

    /** A started server: its port, or why none was started. */
    public record Started(Integer port, String note) {
    }

    /** Starts ib_write_bw's server on {@code device} for {@code ttl}; never throws for a missing tool. */
    public Started start(String device, Duration ttl) {
        if (simulated && toolsPath.isEmpty()) {
            return new Started(null, "simulated node: perftest (ib_write_bw) is not simulated; give the agent a tools "
                    + "directory of recorded fakes to exercise it");
        }
        ToolRunner runner = ToolRunner.forNode(toolsPath, simulated);
        IbWriteBw perftest = new IbWriteBw(runner);
        Optional<String> missing = perftest.missing();
        if (missing.isPresent()) {
            return new Started(null, missing.get());
        }
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort(); // free now; ib_write_bw binds it a moment later (a small race, reported if lost)
        } catch (IOException e) {
            return new Started(null, "no free TCP port for ib_write_bw: " + e.getMessage());
        }
        int seconds = (int) Math.max(1, Math.min(3600, ttl.toSeconds()));
        ToolRunner.Running r;
        try {
            r = perftest.startServer(device, port, Math.min(seconds, 30));
        } catch (IOException e) {
            return new Started(null, "ib_write_bw could not start on " + device + ": " + e.getMessage());
        }
        synchronized (this) {
            running.add(r);
            if (reaper == null) {
                reaper = Executors.newSingleThreadScheduledExecutor(t -> {
                    Thread th = new Thread(t, "rdma-server-reaper");
                    th.setDaemon(true);
                    return th;
                });
            }
            reaper.schedule(() -> stop(r), seconds, TimeUnit.SECONDS);
        }
        return new Started(port, null);
    }

    private void stop(ToolRunner.Running r) {
        r.killTree();
        synchronized (this) {
            running.remove(r);
        }
    }

    @Override
    public synchronized void close() {
        running.forEach(ToolRunner.Running::killTree);
        running.clear();
        if (reaper != null) {
            reaper.shutdownNow();
        }
    }
}
