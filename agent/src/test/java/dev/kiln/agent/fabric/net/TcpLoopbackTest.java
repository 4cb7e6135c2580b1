package dev.kiln.agent.fabric.net;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricSession;
import dev.kiln.protocol.fabric.NetworkResult;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The agent-to-agent TCP test for real: a {@link FabricListener} on a Vert.x instance (the serving agent) and a
 * {@link TcpProbe} (the driving agent) over loopback. Phases are short (300-400 ms) and assertions loose: these run
 * on small, busy build machines.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpLoopbackTest {
    private static final Duration PHASE = Duration.ofMillis(300);
    private static Vertx vertx;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static FabricPeer peer(FabricSession s) {
        return new FabricPeer(s.node(), s.address(), s.port(), s.token(), null, null);
    }

    private static void report(String what, NetworkResult r) {
        System.out.printf(Locale.ROOT, "fabric.network %s: %s -> %s send %.3f Gbit/s, receive %.3f Gbit/s, "
                        + "rtt p50 %.1f us p99 %.1f us, %d bytes, %d stream(s), %d ms%n", what, r.node(), r.peer(),
                r.sendGbps(), r.receiveGbps(), r.rttP50Us(), r.rttP99Us(), r.bytes(), r.streams(), r.durationMs());
    }

    @Test
    void measuresThroughputAndLatencyOverLoopback() {
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0)) {
            assertThat(listener.port()).as("bound lazily, on the first session").isEqualTo(-1);
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
            assertThat(s.token()).matches("[0-9a-f]{32}");
            assertThat(s.port()).isPositive().isEqualTo(listener.port());
            assertThat(s.expiresAt()).isAfter(java.time.Instant.now());

            NetworkResult r = new TcpProbe().measure("node-001", peer(s), PHASE, 2, NetworkShaper.NONE, () -> false);
            report("loopback", r);

            assertThat(r.node()).isEqualTo("node-001");
            assertThat(r.peer()).isEqualTo("node-002");
            assertThat(r.peerAddress()).isEqualTo("127.0.0.1:" + s.port());
            assertThat(r.sendGbps()).isPositive();
            assertThat(r.receiveGbps()).isPositive();
            assertThat(r.bytes()).isPositive();
            assertThat(r.rttP50Us()).isPositive();
            assertThat(r.rttP99Us()).isGreaterThanOrEqualTo(r.rttP50Us());
            assertThat(r.streams()).isEqualTo(2);
            assertThat(r.durationMs()).isGreaterThanOrEqualTo(2 * PHASE.toMillis() - 50); // the latency phase may end at maxPings
        }
    }

    @Test
    void slowNicOnTheServingNodeHoldsBothDirectionsToItsRate() {
        NetworkShaper slow = NetworkShaper.of(List.of(new Fault.NicSlow(0.2)));
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0, slow,
                FabricListener.Limits.DEFAULT)) {
            FabricSession s = listener.open("node-007", "127.0.0.1", Duration.ofSeconds(30));
            NetworkResult r = new TcpProbe().measure("node-001", peer(s), Duration.ofMillis(400), 2,
                    NetworkShaper.NONE, () -> false);
            report("nic-slow 0.2 Gbit/s on the server", r);
            assertThat(r.sendGbps()).isBetween(0.1, 0.26);
            assertThat(r.receiveGbps()).isBetween(0.1, 0.26);
        }
    }

    @Test
    void slowNicOnTheDrivingNodeHoldsItsTraffic() {
        NetworkShaper slow = NetworkShaper.of(List.of(new Fault.NicSlow(0.2)));
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0)) {
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
            NetworkResult r = new TcpProbe().measure("node-007", peer(s), Duration.ofMillis(400), 1, slow,
                    () -> false);
            report("nic-slow 0.2 Gbit/s on the client", r);
            assertThat(r.sendGbps()).isBetween(0.1, 0.26);
            assertThat(r.receiveGbps()).isBetween(0.1, 0.26);
        }
    }

    @Test
    void lossyNicStretchesTheLatencyTailAndCutsThroughput() {
        NetworkShaper lossy = NetworkShaper.of(List.of(new Fault.NicLossy(5)));
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0, lossy,
                FabricListener.Limits.DEFAULT)) {
            FabricSession s = listener.open("node-003", "127.0.0.1", Duration.ofSeconds(30));
            NetworkResult r = new TcpProbe().measure("node-001", peer(s), PHASE, 1, NetworkShaper.NONE, () -> false);
            report("nic-lossy 5 % on the server", r);
            // 5 % of pings wait the simulated 20 ms retransmit timeout: the p99 is one of them, the median is not
            assertThat(r.rttP99Us()).isGreaterThanOrEqualTo(NetworkShaper.RTO_MILLIS * 1000 * 0.9);
            assertThat(r.rttP50Us()).isLessThan(NetworkShaper.RTO_MILLIS * 1000 / 2.0);
            double mathis = lossy.perFlowGbps().orElseThrow(); // about 0.32 Gbit/s a stream at 5 %
            assertThat(r.sendGbps()).isBetween(mathis * 0.4, mathis * 1.3);
            assertThat(r.receiveGbps()).isBetween(mathis * 0.4, mathis * 1.3);
        }
    }

    @Test
    void unknownTokenIsRejectedWithAClearMessage() {
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0)) {
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
            FabricPeer wrong = new FabricPeer("node-002", "127.0.0.1", s.port(), "0".repeat(32), null, null);
            assertThatThrownBy(() -> new TcpProbe().measure("node-001", wrong, PHASE, 1, null, null))
                    .isInstanceOfSatisfying(FabricNetException.class,
                            e -> assertThat(e.kind()).isEqualTo(FabricNetException.Kind.REJECTED))
                    .hasMessageContaining("peer node-002 (127.0.0.1:" + s.port() + ") rejected the session token")
                    .hasMessageNotContaining("0000000000");
        }
    }

    @Test
    void expiredSessionIsRejected() throws InterruptedException {
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0)) {
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofMillis(50));
            Thread.sleep(120);
            assertThatThrownBy(() -> new TcpProbe().measure("node-001", peer(s), PHASE, 1, null, null))
                    .isInstanceOf(FabricNetException.class)
                    .hasMessageContaining("rejected the session token: expired or already used (expired)");
        }
    }

    @Test
    void usedUpSessionIsRejected() {
        FabricListener.Limits three = FabricListener.Limits.DEFAULT.withMaxConnectionsPerSession(3);
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0, NetworkShaper.NONE, three)) {
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
            Duration shortPhase = Duration.ofMillis(100);
            new TcpProbe().measure("node-001", peer(s), shortPhase, 1, null, null); // sink + source + echo
            assertThatThrownBy(() -> new TcpProbe().measure("node-001", peer(s), shortPhase, 1, null, null))
                    .isInstanceOf(FabricNetException.class)
                    .hasMessageContaining("expired or already used (used-up)");
        }
    }

    @Test
    void refusedConnectionNamesThePeerAndWhatToCheck() throws IOException {
        int port;
        try (ServerSocket ss = new ServerSocket(0)) {
            port = ss.getLocalPort();
        }
        FabricPeer nobody = new FabricPeer("node-007", "127.0.0.1", port, "f".repeat(32), null, null);
        assertThatThrownBy(() -> new TcpProbe().measure("node-001", nobody, PHASE, 1, null, null))
                .isInstanceOfSatisfying(FabricNetException.class,
                        e -> assertThat(e.kind()).isEqualTo(FabricNetException.Kind.UNREACHABLE))
                .hasMessage("connection refused to node-007 (127.0.0.1:" + port
                        + "): is its agent up and the session open?");
    }

    @Test
    void cancelStopsTheTest() {
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0)) {
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
            AtomicInteger polls = new AtomicInteger();
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> new TcpProbe().measure("node-001", peer(s), Duration.ofSeconds(20), 1, null,
                    () -> polls.incrementAndGet() > 20))
                    .isInstanceOf(java.util.concurrent.CancellationException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void hostileClientsDoNotBreakTheListener() throws Exception {
        FabricListener.Limits quick = FabricListener.Limits.DEFAULT.withHeaderTimeout(Duration.ofMillis(300));
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0, NetworkShaper.NONE, quick)) {
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
            int port = s.port();

            // an HTTP client at the wrong port
            assertThat(exchange(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo("ERR bad-header\n");
            // binary junk with a newline
            assertThat(exchange(port, new byte[]{0, 1, 2, (byte) 0xff, '\n'})).isEqualTo("ERR bad-header\n");
            // the right protocol, a wrong mode / a silly source time / another version
            assertThat(exchange(port, ("KILN-FABRIC/1 " + s.token() + " flood\n").getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo("ERR bad-header\n");
            assertThat(exchange(port, ("KILN-FABRIC/1 " + s.token() + " source 99999999\n")
                    .getBytes(StandardCharsets.US_ASCII))).isEqualTo("ERR bad-header\n");
            assertThat(exchange(port, ("KILN-FABRIC/2 " + s.token() + " sink\n").getBytes(StandardCharsets.US_ASCII)))
                    .isEqualTo("ERR unsupported-version\n");

            // an endless header: cut off at 256 bytes, connection closed
            try (Socket sock = new Socket("127.0.0.1", port)) {
                sock.setSoTimeout(5000);
                OutputStream out = sock.getOutputStream();
                String answer;
                try {
                    out.write("A".repeat(FabricListener.MAX_HEADER_BYTES + 10).getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    answer = readAll(sock.getInputStream());
                } catch (SocketException reset) {
                    answer = "ERR header-too-long\n"; // the server closed while we still wrote: a reset is fine too
                }
                assertThat(answer).isEqualTo("ERR header-too-long\n");
            }

            // connect and say nothing: closed after the header timeout
            try (Socket idle = new Socket("127.0.0.1", port)) {
                idle.setSoTimeout(5000);
                long t0 = System.nanoTime();
                assertThat(readAll(idle.getInputStream())).isEqualTo("ERR header-timeout\n");
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(3));
            }

            // a client holding a connection idle while a good client runs
            try (Socket holder = new Socket("127.0.0.1", port)) {
                holder.getOutputStream().write("KILN-FABRIC/1 ".getBytes(StandardCharsets.US_ASCII)); // half a header
                NetworkResult r = new TcpProbe().measure("node-001", new FabricPeer("node-002", "127.0.0.1", port,
                        s.token(), null, null), PHASE, 1, null, null);
                report("after hostile clients", r);
                assertThat(r.sendGbps()).isPositive();
                assertThat(r.receiveGbps()).isPositive();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (listener.connectionCount() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(listener.connectionCount()).as("every connection cleaned up").isZero();
        }
    }

    @Test
    void tooManyConnectionsAreTurnedAwayNotQueued() throws Exception {
        FabricListener.Limits two = FabricListener.Limits.DEFAULT.withMaxConnections(2);
        try (FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0, NetworkShaper.NONE, two)) {
            FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
            try (Socket a = new Socket("127.0.0.1", s.port()); Socket b = new Socket("127.0.0.1", s.port())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (listener.connectionCount() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(exchange(s.port(), "x\n".getBytes(StandardCharsets.US_ASCII))).isEqualTo("ERR busy\n");
            }
        }
    }

    @Test
    void closedListenerRefusesNewSessions() {
        FabricListener listener = new FabricListener(vertx, "127.0.0.1", 0);
        FabricSession s = listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30));
        listener.close();
        assertThatThrownBy(() -> listener.open("node-002", "127.0.0.1", Duration.ofSeconds(30)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> new TcpProbe().measure("node-001", peer(s), PHASE, 1, null, null))
                .isInstanceOf(FabricNetException.class).hasMessageContaining("connection refused to node-002");
    }

    /** Sends {@code bytes}, returns everything the server sent until it closed. */
    private static String exchange(int port, byte[] bytes) throws IOException {
        try (Socket sock = new Socket("127.0.0.1", port)) {
            sock.setSoTimeout(5000);
            sock.getOutputStream().write(bytes);
            sock.getOutputStream().flush();
            return readAll(sock.getInputStream());
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1024];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
