package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricSession;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.impl.NetSocketInternal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The serving side of the agent-to-agent TCP test ({@code fabric.network}): a Vert.x TCP server in the agent process,
 * bound on the first {@link #open session} to {@code bindHost:port} (port 0: the OS picks one), serving one-time
 * sessions to the peer agent that drives the test ({@link TcpProbe}).
 *
 * <h2>Wire protocol {@code KILN-FABRIC/1}</h2>
 * <ol>
 *   <li>The client connects and sends one ASCII header line, at most {@value #MAX_HEADER_BYTES} bytes including the
 *       {@code \n}, within 5 s: {@code KILN-FABRIC/1 <token> <mode> [arg]\n}. {@code <token>} is the session's
 *       32 hex digits.</li>
 *   <li>The server answers one line: {@code READY\n}, or {@code ERR <reason>\n} and closes. Reasons:
 *       {@code unknown-token}, {@code expired}, {@code used-up} (the session's connections are spent),
 *       {@code bad-header}, {@code header-too-long}, {@code header-timeout}, {@code unsupported-version},
 *       {@code busy} (too many connections to this agent). The {@code READY} line is there so a client learns of a
 *       rejected token before it streams data, not from a reset connection.</li>
 *   <li>Modes:
 *     <ul>
 *       <li>{@code sink}: the client streams data; the server discards it until the client half-closes its side
 *           (shutdown of output), then writes {@code OK <bytes> <nanos>\n} (bytes it received, nanoseconds from the
 *           first data byte to the half-close) and closes. So the server counts what crossed the wire.</li>
 *       <li>{@code source <millis>}: the server streams data for {@code millis} (1 to 60000) and then closes.</li>
 *       <li>{@code echo}: the server echoes every {@value #PING_BYTES}-byte message back; the client closes.</li>
 *     </ul>
 *   </li>
 * </ol>
 * A session allows {@link Limits#maxConnectionsPerSession()} connections (parallel streams of the send and receive
 * phases plus the latency one) and accepts them until its TTL; established connections may outlive it.
 *
 * <h2>Hostile clients</h2>
 * Everything runs on the event loop and never blocks. Memory per connection is bounded: the header buffer holds
 * at most {@value #MAX_HEADER_BYTES} bytes, sink data is counted and released, echo stops reading while its
 * replies cannot be written (TCP pushes back on the client), source data is one shared read-only chunk. A
 * connection that sends no header in time is closed; one that goes silent afterwards is closed by the idle
 * timeout; none lives longer than {@link Limits#maxConnectionTime()}; and at most {@link Limits#maxConnections()}
 * connections are open at once (more are closed at once).
 *
 * <p>A simulated node's {@link NetworkShaper} applies to this (serving) side: sink reads and source writes wait for
 * the node's NIC budget (reading stops for a while; TCP slows the client), and a lossy node holds some echoes back.
 *
 * <p>Half-close and raw buffers need Vert.x's {@code NetSocketInternal} (Netty's {@code ALLOW_HALF_CLOSURE} and
 * its input-shutdown event; pooled {@code ByteBuf}s released here without a copy). It is internal API of Vert.x 4;
 * on Vert.x 5 the interface lives in {@code io.vertx.core.internal.net}.
 */
public final class FabricListener implements AutoCloseable {
    public static final String PROTOCOL = "KILN-FABRIC/1";
    public static final int MAX_HEADER_BYTES = 256;
    public static final int PING_BYTES = 64;
    static final int CHUNK_BYTES = 64 * 1024;
    /** Unanswered echo bytes a connection may hold. */
    private static final int MAX_ECHO_BACKLOG = 1024 * 1024;
    /** Don't bother stopping a socket for less than this; the budget catches up on the next chunk. */
    private static final long MIN_PAUSE_NANOS = 500_000;

    /**
     * Bounds that keep a hostile or broken client from costing the agent more than a little.
     *
     * @param headerTimeout            time to send the header line (5 s)
     * @param maxConnectionsPerSession connections one session accepts: 8 send streams, 8 receive streams, 1 echo
     * @param maxConnections           connections open at once on this listener, all sessions together
     * @param maxSessions              sessions open at once (an expired session is kept 10 minutes to say "expired")
     * @param maxSourceTime            longest {@code source} a client may ask for
     * @param idleTimeout              a connection silent both ways this long is closed
     * @param maxConnectionTime        no connection lives longer
     */
    public record Limits(Duration headerTimeout, int maxConnectionsPerSession, int maxConnections, int maxSessions,
                         Duration maxSourceTime, Duration idleTimeout, Duration maxConnectionTime) {
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(5), 2 * TcpProbe.MAX_STREAMS + 1, 128, 1024,
                Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMinutes(10));

        public Limits {
            Objects.requireNonNull(headerTimeout, "headerTimeout");
            Objects.requireNonNull(maxSourceTime, "maxSourceTime");
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            Objects.requireNonNull(maxConnectionTime, "maxConnectionTime");
            if (maxConnectionsPerSession < 1 || maxConnections < 1 || maxSessions < 1) {
                throw new IllegalArgumentException("fabric listener limits must be at least 1");
            }
        }

        public Limits withHeaderTimeout(Duration d) {
            return new Limits(d, maxConnectionsPerSession, maxConnections, maxSessions, maxSourceTime, idleTimeout,
                    maxConnectionTime);
        }

        public Limits withMaxConnectionsPerSession(int n) {
            return new Limits(headerTimeout, n, maxConnections, maxSessions, maxSourceTime, idleTimeout,
                    maxConnectionTime);
        }

        public Limits withMaxConnections(int n) {
            return new Limits(headerTimeout, maxConnectionsPerSession, n, maxSessions, maxSourceTime, idleTimeout,
                    maxConnectionTime);
        }
    }

    private static final Duration KEEP_EXPIRED = Duration.ofMinutes(10);
    private static final Duration MAX_TTL = Duration.ofHours(1);

    private final Vertx vertx;
    private final String bindHost;
    private final int requestedPort;
    private final NetworkShaper shaper;
    private final Limits limits;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();
    private final Set<Conn> connections = ConcurrentHashMap.newKeySet();
    /** One read-only chunk of source data, shared by every connection of this listener; GC frees it. */
    private final ByteBuf sourceChunk;
    private final Object bindLock = new Object();
    private Future<NetServer> bound; // guarded by bindLock
    private volatile boolean closed;

    public FabricListener(Vertx vertx, String bindHost, int port) {
        this(vertx, bindHost, port, NetworkShaper.NONE, Limits.DEFAULT);
    }

    public FabricListener(Vertx vertx, String bindHost, int port, NetworkShaper shaper, Limits limits) {
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.bindHost = Objects.requireNonNull(bindHost, "bindHost");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("fabric port must be 0..65535, got " + port);
        }
        this.requestedPort = port;
        this.shaper = shaper == null ? NetworkShaper.NONE : shaper;
        this.limits = limits == null ? Limits.DEFAULT : limits;
        ByteBuffer data = ByteBuffer.allocateDirect(CHUNK_BYTES);
        for (int i = 0; i < CHUNK_BYTES; i++) {
            data.put(i, (byte) (i * 31 + 7));
        }
        this.sourceChunk = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(data));
    }

    /**
     * Opens a one-time session (binding the server first if this is the first one) and answers what the peer needs.
     * Blocking: call it from a worker or virtual thread; on an event loop use {@link #openAsync}.
     *
     * @param node              this agent's node name
     * @param advertisedAddress the address the peer should connect to (the node's address on the test network)
     * @param ttl               how long the session accepts connections (up to an hour)
     */
    public FabricSession open(String node, String advertisedAddress, Duration ttl) {
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("FabricListener.open blocks; on an event loop use openAsync");
        }
        try {
            return openAsync(node, advertisedAddress, ttl).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof RuntimeException r ? r : new IllegalStateException(c.getMessage(), c);
        } catch (TimeoutException e) {
            throw new IllegalStateException("fabric listener did not bind " + bindHost + ":" + requestedPort
                    + " within 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening a fabric session", e);
        }
    }

    /** {@link #open}, without blocking. */
    public Future<FabricSession> openAsync(String node, String advertisedAddress, Duration ttl) {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(advertisedAddress, "advertisedAddress");
        if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            return Future.failedFuture(new IllegalArgumentException(
                    "a fabric session's TTL must be above 0 and at most 1 hour, got " + ttl));
        }
        if (closed) {
            return Future.failedFuture(new IllegalStateException("fabric listener is closed"));
        }
        purge();
        if (sessions.size() >= limits.maxSessions()) {
            return Future.failedFuture(new IllegalStateException("too many fabric sessions open ("
                    + sessions.size() + "); wait for them to expire"));
        }
        return bind().map(port -> {
            byte[] raw = new byte[16];
            random.nextBytes(raw);
            String token = HexFormat.of().formatHex(raw);
            Instant expiresAt = Instant.now().plus(ttl);
            sessions.put(token, new Session(node, System.nanoTime() + ttl.toNanos()));
            return new FabricSession(1, node, advertisedAddress, port, token, expiresAt, null, null, List.of());
        });
    }

    /** The bound port, or -1 before the first session. */
    public int port() {
        synchronized (bindLock) {
            return bound != null && bound.succeeded() ? bound.result().actualPort() : -1;
        }
    }

    /** Sessions open (expired ones are kept a while to say so). */
    public int sessionCount() {
        purge();
        return sessions.size();
    }

    /** Connections open now, in any state. */
    public int connectionCount() {
        return connections.size();
    }

    public NetworkShaper shaper() {
        return shaper;
    }

    /** Stops listening and closes every connection. Waits up to 5 s unless called on an event loop. */
    @Override
    public void close() {
        Future<Void> f = closeAsync();
        if (!Context.isOnEventLoopThread()) {
            try {
                f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | TimeoutException e) {
                // closing is best effort
            }
        }
    }

    public Future<Void> closeAsync() {
        closed = true;
        sessions.clear();
        for (Conn c : connections) {
            c.socket.close();
        }
        Future<NetServer> b;
        synchronized (bindLock) {
            b = bound;
        }
        if (b == null) {
            return Future.succeededFuture();
        }
        return b.transform(ar -> ar.succeeded() ? ar.result().close() : Future.succeededFuture());
    }

    private Future<Integer> bind() {
        synchronized (bindLock) {
            if (bound == null || bound.failed()) {
                NetServerOptions options = new NetServerOptions().setHost(bindHost).setPort(requestedPort)
                        .setTcpNoDelay(true).setIdleTimeout((int) limits.idleTimeout().toMillis())
                        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS).setReuseAddress(true);
                NetServer server = vertx.createNetServer(options).connectHandler(this::accept);
                bound = server.listen().recover(e -> Future.failedFuture(new IllegalStateException(
                        "cannot listen for fabric tests on " + bindHost + ":" + requestedPort + ": " + e.getMessage(), e)));
            }
            return bound.map(NetServer::actualPort);
        }
    }

    private void purge() {
        long now = System.nanoTime();
        sessions.values().removeIf(s -> now - s.expiresAtNanos > KEEP_EXPIRED.toNanos());
    }

    private void accept(NetSocket socket) {
        if (closed || connections.size() >= limits.maxConnections()) {
            socket.write("ERR busy\n").onComplete(ar -> socket.close());
            return;
        }
        Conn c = new Conn((NetSocketInternal) socket);
        connections.add(c);
        c.start();
    }

    private static final class Session {
        final String node;
        final long expiresAtNanos;
        final AtomicInteger connections = new AtomicInteger();

        Session(String node, long expiresAtNanos) {
            this.node = node;
            this.expiresAtNanos = expiresAtNanos;
        }
    }

    private enum State { HEADER, SINK, SOURCE, ECHO, DONE }

    /** One connection; every method runs on its event loop. */
    private final class Conn {
        final NetSocketInternal socket;
        final Channel channel;
        final NetworkShaper.Flow flow = shaper.flow();
        State state = State.HEADER;
        ByteBuf header = Unpooled.buffer(64, MAX_HEADER_BYTES);
        long headerTimer = -1;
        long lifeTimer = -1;
        // read is stopped while any of these is set
        boolean pausedForBudget;
        boolean pausedForWrite;
        boolean pausedForPing;
        long resumeAt;
        boolean budgetTimer;
        // sink
        long sinkBytes;
        long sinkFirstNanos;
        // source
        long sourceDeadline;
        boolean pumping;
        boolean pumpTimer;
        // echo
        ByteBuf echoPending;

        Conn(NetSocketInternal socket) {
            this.socket = socket;
            this.channel = socket.channelHandlerContext().channel();
        }

        void start() {
            channel.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
            socket.closeHandler(v -> closed());
            socket.exceptionHandler(e -> socket.close());
            socket.messageHandler(msg -> {
                if (msg instanceof ByteBuf b) {
                    try {
                        onData(b);
                    } finally {
                        b.release();
                    }
                } else {
                    ReferenceCountUtil.release(msg);
                }
            });
            socket.eventHandler(evt -> {
                if (evt instanceof ChannelInputShutdownEvent) {
                    onInputShutdown();
                }
            });
            headerTimer = vertx.setTimer(Math.max(1, limits.headerTimeout().toMillis()), t -> {
                headerTimer = -1;
                if (state == State.HEADER) {
                    fail("header-timeout");
                }
            });
            lifeTimer = vertx.setTimer(Math.max(1, limits.maxConnectionTime().toMillis()), t -> {
                lifeTimer = -1;
                socket.close();
            });
        }

        void closed() {
            state = State.DONE;
            connections.remove(this);
            cancelTimer(headerTimer);
            cancelTimer(lifeTimer);
            headerTimer = -1;
            lifeTimer = -1;
            releaseBuffers();
        }

        void releaseBuffers() {
            if (header != null) {
                header.release();
                header = null;
            }
            if (echoPending != null) {
                echoPending.release();
                echoPending = null;
            }
        }

        void onData(ByteBuf b) {
            switch (state) {
                case HEADER -> readHeader(b);
                case SINK -> sink(b);
                case ECHO -> echo(b);
                case SOURCE, DONE -> {
                    // data the protocol does not expect: discarded
                }
            }
        }

        void readHeader(ByteBuf b) {
            int room = MAX_HEADER_BYTES - header.readableBytes();
            int take = Math.min(room, b.readableBytes());
            int nl = b.indexOf(b.readerIndex(), b.readerIndex() + take, (byte) '\n');
            if (nl < 0) {
                header.writeBytes(b, take);
                if (header.readableBytes() >= MAX_HEADER_BYTES) {
                    fail("header-too-long");
                }
                return;
            }
            header.writeBytes(b, nl - b.readerIndex());
            b.skipBytes(1); // the newline
            String line = header.toString(StandardCharsets.ISO_8859_1);
            header.release();
            header = null;
            cancelTimer(headerTimer);
            headerTimer = -1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            handleHeader(line);
            if (b.isReadable() && state != State.DONE) {
                onData(b); // what followed the header in the same read
            }
        }

        void handleHeader(String line) {
            for (int i = 0; i < line.length(); i++) {
                char ch = line.charAt(i);
                if (ch < 0x20 || ch > 0x7e) {
                    fail("bad-header");
                    return;
                }
            }
            String[] parts = line.split(" ");
            if (parts.length < 3 || parts.length > 4) {
                fail(parts.length >= 1 && parts[0].startsWith("KILN-FABRIC/") && !parts[0].equals(PROTOCOL)
                        ? "unsupported-version" : "bad-header");
                return;
            }
            if (!parts[0].equals(PROTOCOL)) {
                fail(parts[0].startsWith("KILN-FABRIC/") ? "unsupported-version" : "bad-header");
                return;
            }
            String token = parts[1];
            String mode = parts[2];
            long sourceMillis = 0;
            switch (mode) {
                case "sink", "echo" -> {
                    if (parts.length != 3) {
                        fail("bad-header");
                        return;
                    }
                }
                case "source" -> {
                    if (parts.length != 4) {
                        fail("bad-header");
                        return;
                    }
                    try {
                        sourceMillis = Long.parseLong(parts[3]);
                    } catch (NumberFormatException e) {
                        fail("bad-header");
                        return;
                    }
                    if (sourceMillis < 1 || sourceMillis > limits.maxSourceTime().toMillis()) {
                        fail("bad-header");
                        return;
                    }
                }
                default -> {
                    fail("bad-header");
                    return;
                }
            }
            Session s = token.length() == 32 ? sessions.get(token) : null;
            if (s == null) {
                fail("unknown-token");
                return;
            }
            if (System.nanoTime() - s.expiresAtNanos >= 0) {
                fail("expired");
                return;
            }
            if (s.connections.incrementAndGet() > limits.maxConnectionsPerSession()) {
                fail("used-up");
                return;
            }
            socket.write("READY\n");
            switch (mode) {
                case "sink" -> state = State.SINK;
                case "echo" -> {
                    state = State.ECHO;
                    echoPending = Unpooled.buffer(PING_BYTES * 2);
                }
                default -> {
                    state = State.SOURCE;
                    sourceDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(sourceMillis);
                    vertx.setTimer(sourceMillis + 1, t -> {
                        if (state == State.SOURCE) {
                            finishSource(); // a client that stopped reading: the pump never came back
                        }
                    });
                    socket.drainHandler(v -> pump());
                    pump();
                }
            }
        }

        void fail(String reason) {
            state = State.DONE;
            releaseBuffers();
            cancelTimer(headerTimer);
            headerTimer = -1;
            channel.config().setAutoRead(false);
            socket.write("ERR " + reason + "\n").onComplete(ar -> socket.close());
        }

        // --- sink ---

        void sink(ByteBuf b) {
            int n = b.readableBytes();
            if (n == 0) {
                return;
            }
            if (sinkBytes == 0) {
                sinkFirstNanos = System.nanoTime();
            }
            sinkBytes += n;
            budget(flow.receiveDelayNanos(n));
        }

        void onInputShutdown() {
            switch (state) {
                case SINK -> {
                    long nanos = sinkBytes == 0 ? 0 : System.nanoTime() - sinkFirstNanos;
                    state = State.DONE;
                    socket.write("OK " + sinkBytes + " " + nanos + "\n").onComplete(ar -> socket.close());
                }
                case HEADER -> fail("bad-header");
                case ECHO -> {
                    state = State.DONE;
                    socket.end();
                }
                default -> {
                    // source: the client is done sending (it never had to); the stream goes on
                }
            }
        }

        /** Stops reading until the NIC budget has caught up. */
        void budget(long delayNanos) {
            if (delayNanos < MIN_PAUSE_NANOS) {
                return;
            }
            resumeAt = Math.max(resumeAt, System.nanoTime() + delayNanos);
            pausedForBudget = true;
            updateRead();
            scheduleBudgetTimer();
        }

        void scheduleBudgetTimer() {
            if (budgetTimer) {
                return;
            }
            budgetTimer = true;
            long waitNanos = Math.max(0, resumeAt - System.nanoTime());
            vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNanos)), t -> {
                budgetTimer = false;
                if (state == State.DONE) {
                    return;
                }
                if (System.nanoTime() < resumeAt - MIN_PAUSE_NANOS) {
                    scheduleBudgetTimer();
                    return;
                }
                pausedForBudget = false;
                updateRead();
            });
        }

        void updateRead() {
            boolean read = !(pausedForBudget || pausedForWrite || pausedForPing);
            if (channel.config().isAutoRead() != read) {
                channel.config().setAutoRead(read);
            }
        }

        // --- source ---

        /**
         * Writes source data while the budget and the write queue allow. One pump at a time: a write can call the
         * drain handler back synchronously, and a pending budget timer owns the next write.
         */
        void pump() {
            if (pumping || pumpTimer) {
                return;
            }
            pumping = true;
            try {
                pumpLoop();
            } finally {
                pumping = false;
            }
        }

        private void pumpLoop() {
            while (state == State.SOURCE) {
                long now = System.nanoTime();
                if (now - sourceDeadline >= 0) {
                    finishSource();
                    return;
                }
                if (socket.writeQueueFull()) {
                    return; // the drain handler calls back
                }
                long delay = flow.sendDelayNanos(CHUNK_BYTES);
                socket.writeMessage(sourceChunk.duplicate());
                if (delay >= MIN_PAUSE_NANOS) {
                    long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(Math.min(delay, sourceDeadline - now)));
                    pumpTimer = true;
                    vertx.setTimer(waitMillis, t -> {
                        pumpTimer = false;
                        pump();
                    });
                    return;
                }
            }
        }

        void finishSource() {
            state = State.DONE;
            socket.end();
        }

        // --- echo ---

        void echo(ByteBuf b) {
            if (echoPending == null) {
                return;
            }
            if (echoPending.readableBytes() + b.readableBytes() > MAX_ECHO_BACKLOG) {
                socket.close(); // reading stops while echoes are held back; a backlog this big is not a ping client
                return;
            }
            echoPending.writeBytes(b);
            drainEcho();
        }

        void drainEcho() {
            while (state == State.ECHO && !pausedForPing && echoPending.readableBytes() >= PING_BYTES) {
                long delay = flow.pingDelayNanos();
                if (delay > 0) {
                    pausedForPing = true;
                    updateRead();
                    vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delay)), t -> {
                        if (state != State.ECHO) {
                            return;
                        }
                        writePing();
                        pausedForPing = false;
                        updateRead();
                        drainEcho();
                    });
                    return;
                }
                writePing();
            }
            if (echoPending != null) {
                echoPending.discardReadBytes();
            }
        }

        void writePing() {
            byte[] ping = new byte[PING_BYTES];
            echoPending.readBytes(ping);
            socket.write(Buffer.buffer(ping));
            if (socket.writeQueueFull() && !pausedForWrite) {
                // a client that sends without reading its echoes: stop reading until it does
                pausedForWrite = true;
                updateRead();
                socket.drainHandler(v -> {
                    pausedForWrite = false;
                    updateRead();
                });
            }
        }

        void cancelTimer(long id) {
            if (id >= 0) {
                vertx.cancelTimer(id);
            }
        }
    }
}
