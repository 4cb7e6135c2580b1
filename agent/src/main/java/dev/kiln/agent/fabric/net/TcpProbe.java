package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.NetworkResult;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The driving side of the agent-to-agent TCP test: connects to a peer agent's {@link FabricListener} session and
 * measures, in three phases of {@code perPhase} each,
 * <ol>
 *   <li>send: {@code streams} parallel {@code sink} connections; the bytes are those the <em>peer</em> counted
 *       ({@code OK <bytes> <nanos>}), so what is reported crossed the wire;</li>
 *   <li>receive: {@code streams} parallel {@code source} connections, counted here;</li>
 *   <li>latency: one {@code echo} connection, up to {@link Options#maxPings()} round trips of
 *       {@value FabricListener#PING_BYTES} bytes, reported as p50 and p99 in microseconds.</li>
 * </ol>
 * Throughput is payload Gbit/s (10^9 bit/s): all streams' bytes over the longest stream's time.
 *
 * <p>This runs in a worker process or on a virtual thread (each stream gets its own virtual thread), so it uses
 * plain blocking {@code java.net.Socket}s on purpose: the numbers are the wire's and the kernel's, not an event
 * loop's scheduling. It never runs on a Vert.x event loop. Stateless apart from its options: one instance can drive
 * many tests at once.
 */
public final class TcpProbe {
    /** Parallel streams a test may ask for; the listener's session allows twice this plus the echo connection. */
    public static final int MAX_STREAMS = 8;
    private static final int WARMUP_PINGS = 5;

    /**
     * @param connectTimeout TCP connect, per connection
     * @param readTimeout    the peer's answers (header reply, the sink's OK line, source data): silence this long
     *                       breaks the test
     * @param chunkBytes     bytes per write in the send phase
     * @param maxPings       round trips in the latency phase at most (fewer when {@code perPhase} runs out)
     */
    public record Options(Duration connectTimeout, Duration readTimeout, int chunkBytes, int maxPings) {
        public static final Options DEFAULT = new Options(Duration.ofSeconds(5), Duration.ofSeconds(10), 128 * 1024,
                2000);

        public Options {
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(readTimeout, "readTimeout");
            if (chunkBytes < 1024 || maxPings < 1) {
                throw new IllegalArgumentException("chunkBytes must be at least 1024 and maxPings at least 1");
            }
        }
    }

    private final Options options;

    public TcpProbe() {
        this(Options.DEFAULT);
    }

    public TcpProbe(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Runs the three phases against {@code peer}.
     *
     * @param node      this node's name (the result's {@code node})
     * @param peer      the peer agent's session (from its {@code POST /v1/fabric/sessions})
     * @param perPhase  how long each phase runs (send, receive, latency)
     * @param streams   parallel TCP connections per direction, 1..{@value #MAX_STREAMS}
     * @param shaper    this node's simulated NIC ({@link NetworkShaper#NONE} on real hardware)
     * @param cancelled polled often; true ends the test with a {@link CancellationException}
     * @throws FabricNetException naming the peer and what failed
     */
    public NetworkResult measure(String node, FabricPeer peer, Duration perPhase, int streams, NetworkShaper shaper,
                                 BooleanSupplier cancelled) {
        Objects.requireNonNull(peer, "peer");
        if (perPhase == null || perPhase.toMillis() < 1 || perPhase.compareTo(Duration.ofSeconds(60)) > 0) {
            throw new IllegalArgumentException("perPhase must be 1 ms to 60 s, got " + perPhase);
        }
        if (streams < 1 || streams > MAX_STREAMS) {
            throw new IllegalArgumentException("streams must be 1.." + MAX_STREAMS + ", got " + streams);
        }
        NetworkShaper sh = shaper == null ? NetworkShaper.NONE : shaper;
        BooleanSupplier cancel = cancelled == null ? () -> false : cancelled;
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Throughput send = sendPhase(peer, perPhase, streams, sh, cancel, pool);
            Throughput receive = receivePhase(peer, perPhase, streams, sh, cancel, pool);
            long[] rtts = latencyPhase(peer, perPhase, sh, cancel);
            return new NetworkResult(node, peer.node(), peer.address() + ":" + peer.port(), send.gbps(),
                    receive.gbps(), percentileMicros(rtts, 0.50), percentileMicros(rtts, 0.99),
                    send.bytes + receive.bytes, streams, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
    }

    private record Throughput(long bytes, long nanos) {
        double gbps() {
            return nanos <= 0 ? 0 : bytes * 8.0 / nanos; // bits per nanosecond = Gbit/s
        }
    }

    // --- send: sink connections; the peer counts ---

    private Throughput sendPhase(FabricPeer peer, Duration perPhase, int streams, NetworkShaper shaper,
                                 BooleanSupplier cancel, ExecutorService pool) {
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < streams; i++) {
                Socket s = connect(peer, "send");
                sockets.add(s);
                handshake(s, peer, "sink", "send");
            }
            byte[] chunk = new byte[options.chunkBytes()];
            for (int i = 0; i < chunk.length; i++) {
                chunk[i] = (byte) (i * 13 + 1);
            }
            CountDownLatch go = new CountDownLatch(1);
            long[] deadline = new long[1];
            List<Callable<long[]>> tasks = new ArrayList<>();
            for (Socket s : sockets) {
                tasks.add(() -> {
                    NetworkShaper.Flow flow = shaper.flow();
                    OutputStream out = s.getOutputStream();
                    go.await();
                    try {
                        while (System.nanoTime() - deadline[0] < 0) {
                            checkCancel(cancel);
                            out.write(chunk);
                            sleepNanos(flow.sendDelayNanos(chunk.length), cancel, deadline[0]);
                        }
                        s.shutdownOutput();
                    } catch (IOException e) {
                        throw broken(peer, "send", e);
                    }
                    String ok = readLine(s, peer, "send");
                    String[] parts = ok.split(" ");
                    if (parts.length != 3 || !parts[0].equals("OK")) {
                        throw new FabricNetException(FabricNetException.Kind.PROTOCOL, "peer " + peer
                                + " ended the send phase with '" + printable(ok) + "' instead of 'OK <bytes> <nanos>'");
                    }
                    try {
                        return new long[]{Long.parseLong(parts[1]), Long.parseLong(parts[2])};
                    } catch (NumberFormatException e) {
                        throw new FabricNetException(FabricNetException.Kind.PROTOCOL, "peer " + peer
                                + " ended the send phase with '" + printable(ok) + "': not numbers");
                    }
                });
            }
            deadline[0] = System.nanoTime() + perPhase.toNanos();
            List<Future<long[]>> futures = tasks.stream().map(pool::submit).toList();
            go.countDown();
            List<long[]> results = await(futures, sockets, peer, "send", perPhase, cancel);
            long bytes = results.stream().mapToLong(r -> r[0]).sum();
            long nanos = results.stream().mapToLong(r -> r[1]).max().orElse(0);
            return new Throughput(bytes, nanos);
        } finally {
            sockets.forEach(TcpProbe::closeQuietly);
        }
    }

    // --- receive: source connections; counted here ---

    private Throughput receivePhase(FabricPeer peer, Duration perPhase, int streams, NetworkShaper shaper,
                                    BooleanSupplier cancel, ExecutorService pool) {
        List<Socket> sockets = new ArrayList<>();
        try {
            List<Future<long[]>> futures = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                Socket s = connect(peer, "receive");
                sockets.add(s);
                handshake(s, peer, "source " + perPhase.toMillis(), "receive");
                futures.add(pool.submit(() -> {
                    NetworkShaper.Flow flow = shaper.flow();
                    byte[] buf = new byte[256 * 1024];
                    long bytes = 0;
                    long first = 0;
                    try {
                        InputStream in = s.getInputStream();
                        while (true) {
                            checkCancel(cancel);
                            int n = in.read(buf);
                            if (n < 0) {
                                break;
                            }
                            if (bytes == 0) {
                                first = System.nanoTime();
                            }
                            bytes += n;
                            sleepNanos(flow.receiveDelayNanos(n), cancel, Long.MAX_VALUE);
                        }
                    } catch (SocketTimeoutException e) {
                        throw new FabricNetException(FabricNetException.Kind.BROKEN, "peer " + peer
                                + " stopped sending during the receive phase (no data for "
                                + options.readTimeout().toSeconds() + " s)", e);
                    } catch (IOException e) {
                        throw broken(peer, "receive", e);
                    }
                    return new long[]{bytes, first, System.nanoTime()};
                }));
            }
            List<long[]> results = await(futures, sockets, peer, "receive", perPhase, cancel);
            long bytes = results.stream().mapToLong(r -> r[0]).sum();
            long first = results.stream().filter(r -> r[0] > 0).mapToLong(r -> r[1]).min().orElse(0);
            long last = results.stream().filter(r -> r[0] > 0).mapToLong(r -> r[2]).max().orElse(0);
            return new Throughput(bytes, last - first);
        } finally {
            sockets.forEach(TcpProbe::closeQuietly);
        }
    }

    // --- latency: one echo connection ---

    private long[] latencyPhase(FabricPeer peer, Duration perPhase, NetworkShaper shaper, BooleanSupplier cancel) {
        Socket s = connect(peer, "latency");
        try {
            handshake(s, peer, "echo", "latency");
            NetworkShaper.Flow flow = shaper.flow();
            byte[] ping = new byte[FabricListener.PING_BYTES];
            byte[] pong = new byte[FabricListener.PING_BYTES];
            long[] rtts = new long[options.maxPings()];
            int n = 0;
            long deadline = System.nanoTime() + perPhase.toNanos();
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            for (int i = 0; n < rtts.length && (n == 0 || System.nanoTime() - deadline < 0); i++) {
                checkCancel(cancel);
                ping[0] = (byte) i;
                long t0 = System.nanoTime();
                sleepNanos(flow.pingDelayNanos(), cancel, Long.MAX_VALUE); // this NIC lost it: retransmit timeout
                out.write(ping);
                out.flush();
                readFully(in, pong, peer);
                if (pong[0] != ping[0]) {
                    throw new FabricNetException(FabricNetException.Kind.PROTOCOL, "peer " + peer
                            + " echoed a different message than it was sent");
                }
                if (i >= WARMUP_PINGS) {
                    rtts[n++] = System.nanoTime() - t0;
                }
            }
            return Arrays.copyOf(rtts, n);
        } catch (SocketTimeoutException e) {
            throw new FabricNetException(FabricNetException.Kind.BROKEN, "peer " + peer
                    + " stopped echoing during the latency phase (no answer for " + options.readTimeout().toSeconds()
                    + " s)", e);
        } catch (IOException e) {
            throw broken(peer, "latency", e);
        } finally {
            closeQuietly(s);
        }
    }

    // --- plumbing ---

    private Socket connect(FabricPeer peer, String phase) {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) options.readTimeout().toMillis());
            InetSocketAddress addr = new InetSocketAddress(peer.address(), peer.port());
            if (addr.isUnresolved()) {
                throw new UnknownHostException(peer.address());
            }
            s.connect(addr, (int) options.connectTimeout().toMillis());
            return s;
        } catch (UnknownHostException e) {
            closeQuietly(s);
            throw new FabricNetException(FabricNetException.Kind.UNREACHABLE, "cannot resolve the address of "
                    + peer + ": check the fleet file or the session's advertised address", e);
        } catch (NoRouteToHostException e) {
            closeQuietly(s);
            throw new FabricNetException(FabricNetException.Kind.UNREACHABLE, "no route to " + peer
                    + ": is it on the test network and up?", e);
        } catch (SocketTimeoutException e) {
            closeQuietly(s);
            throw new FabricNetException(FabricNetException.Kind.UNREACHABLE, "no answer from " + peer + " within "
                    + options.connectTimeout().toSeconds() + " s (" + phase
                    + " phase): a firewall dropping the port, a wrong address, or the node is down", e);
        } catch (ConnectException e) {
            closeQuietly(s);
            String m = String.valueOf(e.getMessage());
            if (m.toLowerCase(java.util.Locale.ROOT).contains("refused")) {
                throw new FabricNetException(FabricNetException.Kind.UNREACHABLE, "connection refused to " + peer
                        + ": is its agent up and the session open?", e);
            }
            throw new FabricNetException(FabricNetException.Kind.UNREACHABLE, "cannot connect to " + peer + ": " + m, e);
        } catch (IOException e) {
            closeQuietly(s);
            throw new FabricNetException(FabricNetException.Kind.UNREACHABLE, "cannot connect to " + peer + ": "
                    + e.getMessage(), e);
        }
    }

    private void handshake(Socket s, FabricPeer peer, String mode, String phase) {
        try {
            OutputStream out = s.getOutputStream();
            out.write((FabricListener.PROTOCOL + " " + peer.token() + " " + mode + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            throw broken(peer, phase, e);
        }
        String line = readLine(s, peer, phase);
        if (line.equals("READY")) {
            return;
        }
        if (line.startsWith("ERR ")) {
            String reason = line.substring(4).trim();
            throw new FabricNetException(FabricNetException.Kind.REJECTED, switch (reason) {
                case "expired", "used-up" -> "peer " + peer + " rejected the session token: expired or already used ("
                        + reason + "); open a new session on it";
                case "unknown-token" -> "peer " + peer + " rejected the session token: it has no such session (expired"
                        + " long ago, restarted, or the token is from another agent); open a new session on it";
                case "busy" -> "peer " + peer + " is busy: too many fabric connections open on it; retry later";
                default -> "peer " + peer + " refused the " + phase + " phase: " + printable(reason);
            });
        }
        throw new FabricNetException(FabricNetException.Kind.PROTOCOL, "peer " + peer + " answered '"
                + printable(line) + "': is that port a Kiln agent's fabric listener?");
    }

    /** One line of at most 256 bytes, without the newline; read byte by byte (the lines are tiny). */
    private String readLine(Socket s, FabricPeer peer, String phase) {
        byte[] buf = new byte[FabricListener.MAX_HEADER_BYTES];
        int n = 0;
        try {
            InputStream in = s.getInputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new FabricNetException(FabricNetException.Kind.PROTOCOL, "peer " + peer
                            + " closed the connection without answering (" + phase
                            + " phase): is that port a Kiln agent's fabric listener?");
                }
                if (b == '\n') {
                    return new String(buf, 0, n, StandardCharsets.US_ASCII).trim();
                }
                if (n == buf.length) {
                    throw new FabricNetException(FabricNetException.Kind.PROTOCOL, "peer " + peer
                            + " sent a line longer than " + buf.length + " bytes: not the Kiln fabric protocol");
                }
                buf[n++] = (byte) b;
            }
        } catch (SocketTimeoutException e) {
            throw new FabricNetException(FabricNetException.Kind.BROKEN, "peer " + peer + " did not answer within "
                    + options.readTimeout().toSeconds() + " s (" + phase + " phase)", e);
        } catch (IOException e) {
            throw broken(peer, phase, e);
        }
    }

    private static void readFully(InputStream in, byte[] buf, FabricPeer peer) throws IOException {
        int off = 0;
        while (off < buf.length) {
            int n = in.read(buf, off, buf.length - off);
            if (n < 0) {
                throw new FabricNetException(FabricNetException.Kind.BROKEN, "peer " + peer
                        + " closed the echo connection during the latency phase");
            }
            off += n;
        }
    }

    /**
     * Waits for the stream tasks, polling {@code cancel}. Writes block while the peer does not read, and a socket
     * timeout does not cover writes, so a peer silent past the phase plus the read timeout gets its sockets closed.
     */
    private <T> List<T> await(List<Future<T>> futures, List<Socket> sockets, FabricPeer peer, String phase,
                              Duration perPhase, BooleanSupplier cancel) {
        long giveUp = System.nanoTime() + perPhase.toNanos() + options.readTimeout().toNanos();
        List<T> out = new ArrayList<>();
        try {
            for (Future<T> f : futures) {
                while (true) {
                    if (cancel.getAsBoolean()) {
                        sockets.forEach(TcpProbe::closeQuietly);
                        throw new CancellationException("fabric network test to " + peer + " cancelled");
                    }
                    if (System.nanoTime() - giveUp > 0) {
                        sockets.forEach(TcpProbe::closeQuietly);
                        throw new FabricNetException(FabricNetException.Kind.BROKEN, "peer " + peer
                                + " stopped taking part in the " + phase + " phase (nothing for "
                                + options.readTimeout().toSeconds() + " s after it should have ended)");
                    }
                    try {
                        out.add(f.get(50, TimeUnit.MILLISECONDS));
                        break;
                    } catch (TimeoutException e) {
                        // poll again
                    }
                }
            }
            return out;
        } catch (ExecutionException e) {
            sockets.forEach(TcpProbe::closeQuietly);
            Throwable c = e.getCause();
            if (c instanceof FabricNetException fe) {
                throw fe;
            }
            if (c instanceof CancellationException ce) {
                throw ce;
            }
            throw new FabricNetException(FabricNetException.Kind.BROKEN, "the " + phase + " phase to " + peer
                    + " failed: " + c, c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sockets.forEach(TcpProbe::closeQuietly);
            throw new CancellationException("interrupted during the " + phase + " phase to " + peer);
        } finally {
            futures.forEach(f -> f.cancel(true));
        }
    }

    private static FabricNetException broken(FabricPeer peer, String phase, IOException e) {
        return new FabricNetException(FabricNetException.Kind.BROKEN, "the connection to " + peer + " broke during the "
                + phase + " phase: " + e.getMessage(), e);
    }

    private static void checkCancel(BooleanSupplier cancel) {
        if (cancel.getAsBoolean() || Thread.currentThread().isInterrupted()) {
            throw new CancellationException("fabric network test cancelled");
        }
    }

    /** Sleeps {@code nanos} (not past {@code until}), in slices so a cancel is seen. */
    private static void sleepNanos(long nanos, BooleanSupplier cancel, long until) {
        if (nanos <= 0) {
            return;
        }
        long end = System.nanoTime() + nanos;
        if (until != Long.MAX_VALUE && end - until > 0) {
            end = until;
        }
        long left;
        while ((left = end - System.nanoTime()) > 0) {
            checkCancel(cancel);
            try {
                Thread.sleep(Duration.ofNanos(Math.min(left, 50_000_000L)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancellationException("fabric network test interrupted");
            }
        }
    }

    /** Nearest-rank percentile in microseconds; 0 for no samples. */
    static double percentileMicros(long[] nanos, double p) {
        if (nanos.length == 0) {
            return 0;
        }
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1000.0;
    }

    private static String printable(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }
}
