package dev.kiln.cli.fanout;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.ApiError;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Sends one request (a GET, or a POST with a per-node JSON body) to many agents with one Vert.x {@link WebClient}, never more than
 * {@code maxInFlight} at once, and hands every node's result to the caller in the order the nodes
 * were given.
 *
 * <p>The bound is enforced here, not by the connection pool (which is per host and so does not
 * bound a fan-out to many hosts): {@code maxInFlight} requests start, and each one that finishes
 * starts exactly one more. No thread per node: requests run on the event loops; the caller's
 * thread only consumes results, so a slow stdout never stalls the network.
 *
 * <p>Every failure becomes that node's {@link NodeError}; a run never aborts because of one node.
 * A request that passes its deadline is recorded as a timeout and its slot given to the next node;
 * its connection is closed by the idle timeout moments later.
 */
public final class FanOut implements AutoCloseable {
    /**
     * Every failure becomes that node's {@link NodeError}; Vert.x would also log a TLS alert that arrives on a
     * connection after its handshake (a missing client certificate under TLS 1.3) at SEVERE, once per node.
     * Held here so the level stays set.
     */
    private static final java.util.logging.Logger CONNECTION_LOG = quiet("io.vertx.core.net.impl.ConnectionBase");

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger l = java.util.logging.Logger.getLogger(name);
        l.setLevel(java.util.logging.Level.OFF);
        return l;
    }

    /** Largest answer accepted from one node; an inventory document is tens of KiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 16 << 20;

    private final Vertx vertx;
    private final WebClient client;
    private final List<Context> loops;
    private final CappedBody bodyCodec;
    /** One HTTPS client per distinct TLS setting of the fleet file (usually one); created before a run starts. */
    private final java.util.Map<dev.kiln.cli.fleet.AgentTls, WebClient> tlsClients =
            new java.util.concurrent.ConcurrentHashMap<>();

    private FanOut(Vertx vertx, WebClient client, List<Context> loops, int maxBodyBytes) {
        this.vertx = vertx;
        this.client = client;
        this.loops = loops;
        this.bodyCodec = new CappedBody(maxBodyBytes);
    }

    private static WebClientOptions clientOptions() {
        return new WebClientOptions()
                .setUserAgent("kiln/" + ProtocolVersion.KILN_VERSION)
                // One request per node per run: keeping 10,000 idle connections open would only hold file descriptors.
                .setKeepAlive(false)
                .setFollowRedirects(false)
                .setDecompressionSupported(false)
                .setTcpNoDelay(true);
    }

    /**
     * The client for {@code node}: the plain one, or the HTTPS one for its {@link dev.kiln.cli.fleet.AgentTls}:
     * the agent's certificate verified against its CA file (else the JDK's trust store) and its host name
     * against the certificate's names, unless {@code --insecure}; a client certificate when one is set.
     */
    private WebClient clientFor(FleetNode node) {
        dev.kiln.cli.fleet.AgentTls tls = node.tls();
        if (tls == null) {
            return client;
        }
        return tlsClients.computeIfAbsent(tls, t -> {
            WebClientOptions o = clientOptions().setSsl(true);
            if (t.insecure()) {
                o.setTrustAll(true).setVerifyHost(false);
            } else {
                o.setVerifyHost(true);
                if (t.caFile() != null) {
                    o.setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(t.caFile().toString()));
                }
            }
            if (t.clientCert() != null) {
                o.setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertPath(t.clientCert().toString())
                        .setKeyPath(t.clientKey().toString()));
            }
            return WebClient.create(vertx, o);
        });
    }

    /** Starts the event loops and the one client of this run. */
    public static FanOut start() {
        return start(DEFAULT_MAX_BODY_BYTES);
    }

    /** As {@link #start()}, accepting answers of at most {@code maxBodyBytes}. */
    public static FanOut start(int maxBodyBytes) {
        int loops = Math.max(2, Math.min(8, Runtime.getRuntime().availableProcessors()));
        Vertx vertx = Vertx.vertx(new VertxOptions()
                .setEventLoopPoolSize(loops)
                .setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(2)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                        .setClassPathResolvingEnabled(false)));
        WebClient client = WebClient.create(vertx, clientOptions());
        // One context per event loop: the first requests are spread over them, and each finished request
        // starts the next on its own loop, so the work stays spread without any locking.
        List<Context> contexts = new CopyOnWriteArrayList<>();
        try {
            vertx.deployVerticle(() -> new AbstractVerticle() {
                @Override
                public void start() {
                    contexts.add(context);
                }
            }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("cannot start the Vert.x event loops: " + e, e);
        }
        return new FanOut(vertx, client, List.copyOf(contexts), maxBodyBytes);
    }

    /** Called on the caller's thread about twice a second while a run waits: (nodes finished, nodes in total). */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    /**
     * What to send each node: {@code GET path}, or {@code POST path} with a JSON body per node, or any method
     * on a per-node path ({@code GET /v1/jobs/{id}} with each node's own job id). The body and path functions
     * run on an event loop, so they must be quick (hand out values computed beforehand).
     *
     * @param path     the path sent to every node, or a description of the per-node paths (for diagnostics)
     * @param nodePath each node's own path, or null: {@code path} for every node
     */
    public record Request(HttpMethod method, String path, Function<FleetNode, byte[]> body,
                          Function<FleetNode, String> nodePath) {
        public Request {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(path, "path");
        }

        public Request(HttpMethod method, String path, Function<FleetNode, byte[]> body) {
            this(method, path, body, null);
        }

        public static Request get(String path) {
            return new Request(HttpMethod.GET, path, null);
        }

        public static Request postJson(String path, Function<FleetNode, byte[]> body) {
            return new Request(HttpMethod.POST, path, Objects.requireNonNull(body, "body"));
        }

        /** {@code method} on each node's own path, without a body; {@code pattern} describes them. */
        public static Request perNode(HttpMethod method, String pattern, Function<FleetNode, String> nodePath) {
            return new Request(method, pattern, null, Objects.requireNonNull(nodePath, "nodePath"));
        }

        /** The path sent to {@code node}. */
        public String pathFor(FleetNode node) {
            return nodePath == null ? path : nodePath.apply(node);
        }

        /** {@code GET /v1/node}, for diagnostics. */
        @Override
        public String toString() {
            return method.name() + " " + path;
        }
    }

    /**
     * Queries {@code path} on every node and passes each result to {@code sink} on the calling thread,
     * in the order of {@code nodes}. Returns when every node has a result.
     */
    public <T> void run(List<FleetNode> nodes, String path, ResponseDecoder<T> decoder, Duration timeout,
                        int maxInFlight, Consumer<NodeResult<T>> sink, Progress progress) throws InterruptedException {
        run(nodes, Request.get(path), decoder, timeout, maxInFlight, sink, progress);
    }

    /** As {@link #run(List, String, ResponseDecoder, Duration, int, Consumer, Progress)}, for any {@link Request}. */
    public <T> void run(List<FleetNode> nodes, Request request, ResponseDecoder<T> decoder, Duration timeout,
                        int maxInFlight, Consumer<NodeResult<T>> sink, Progress progress) throws InterruptedException {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
        }
        Run<T> run = new Run<>(nodes, request, decoder, Math.max(1, timeout.toMillis()));
        for (FleetNode n : nodes) {
            if (n.tls() != null) {
                clientFor(n); // made here, not on an event loop
            }
        }
        int first = Math.min(maxInFlight, nodes.size());
        for (int i = 0; i < first; i++) {
            loops.get(i % loops.size()).runOnContext(v -> run.launchNext());
        }
        run.drain(sink, progress);
    }

    private final class Run<T> {
        private final List<FleetNode> nodes;
        private final Request request;
        private final ResponseDecoder<T> decoder;
        private final long timeoutMs;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger done = new AtomicInteger();
        private final AtomicReferenceArray<NodeResult<T>> results;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition arrived = lock.newCondition();

        Run(List<FleetNode> nodes, Request request, ResponseDecoder<T> decoder, long timeoutMs) {
            this.nodes = nodes;
            this.request = request;
            this.decoder = decoder;
            this.timeoutMs = timeoutMs;
            this.results = new AtomicReferenceArray<>(nodes.size());
        }

        /** Starts the next node's request, if any is left. Called once per finished request, from any thread. */
        void launchNext() {
            int i = next.getAndIncrement();
            if (i < nodes.size()) {
                new Call<>(this, i).start();
            }
        }

        void complete(int index, NodeResult<T> result) {
            results.set(index, result);
            done.incrementAndGet();
            lock.lock();
            try {
                arrived.signalAll();
            } finally {
                lock.unlock();
            }
            launchNext();
        }

        void drain(Consumer<NodeResult<T>> sink, Progress progress) throws InterruptedException {
            long lastProgress = System.nanoTime();
            for (int i = 0; i < nodes.size(); i++) {
                NodeResult<T> r = results.get(i);
                if (r == null) {
                    lock.lock();
                    try {
                        while ((r = results.get(i)) == null) {
                            arrived.await(250, TimeUnit.MILLISECONDS);
                            if (progress != null && System.nanoTime() - lastProgress > 500_000_000L) {
                                lastProgress = System.nanoTime();
                                lock.unlock();
                                try {
                                    progress.update(done.get(), nodes.size());
                                } finally {
                                    lock.lock();
                                }
                            }
                        }
                    } finally {
                        lock.unlock();
                    }
                }
                results.set(i, null); // handed on, then dropped: only results waiting behind a slower earlier node are held
                sink.accept(r);
            }
        }
    }

    /** One node's request: its deadline timer and a once-only completion. */
    private final class Call<T> implements Handler<AsyncResult<HttpResponse<Buffer>>> {
        private final Run<T> run;
        private final int index;
        private final FleetNode node;
        private final AtomicInteger finished = new AtomicInteger();
        private long startNanos;
        private volatile long timerId = -1;

        Call(Run<T> run, int index) {
            this.run = run;
            this.index = index;
            this.node = run.nodes.get(index);
        }

        void start() {
            startNanos = System.nanoTime();
            try {
                timerId = vertx.setTimer(run.timeoutMs, id -> finish(0, null, new NodeError(NodeError.Kind.TIMEOUT,
                        "no answer within " + millis(run.timeoutMs) + " (node down or overloaded? raise --timeout)")));
                HttpRequest<Buffer> req = clientFor(node).request(run.request.method(), node.port(), node.host(),
                                run.request.pathFor(node))
                        .putHeader(HttpHeaders.AUTHORIZATION.toString(), "Bearer " + node.token())
                        .putHeader(HttpHeaders.ACCEPT.toString(), "application/json")
                        .connectTimeout(run.timeoutMs)
                        .idleTimeout(run.timeoutMs)
                        .as(bodyCodec);
                byte[] body = run.request.body() == null ? null : run.request.body().apply(node);
                if (body == null) {
                    req.send(this);
                } else {
                    req.putHeader(HttpHeaders.CONTENT_TYPE.toString(), "application/json")
                            .sendBuffer(Buffer.buffer(body), this);
                }
            } catch (RuntimeException e) {
                // Finish on the loop, not in this stack frame: a run of synchronous failures must not recurse.
                vertx.runOnContext(v -> finish(0, null, failure(e)));
            }
        }

        @Override
        public void handle(AsyncResult<HttpResponse<Buffer>> ar) {
            if (finished.get() != 0) {
                return; // already timed out
            }
            if (ar.failed()) {
                finish(0, null, failure(ar.cause()));
                return;
            }
            HttpResponse<Buffer> resp = ar.result();
            int status = resp.statusCode();
            byte[] body = resp.body() == null ? new byte[0] : resp.body().getBytes();
            if (status < 200 || status > 299) {
                finish(status, null, httpError(status, body));
                return;
            }
            try {
                finish(status, Objects.requireNonNull(run.decoder.decode(body)), null);
            } catch (ResponseDecoder.BadResponseException e) {
                finish(status, null, new NodeError(e.kind(), e.getMessage()));
            } catch (RuntimeException e) {
                finish(status, null, new NodeError(NodeError.Kind.BAD_RESPONSE,
                        "HTTP " + status + " but the body could not be read: " + e));
            }
        }

        private void finish(int status, T body, NodeError error) {
            if (!finished.compareAndSet(0, 1)) {
                return;
            }
            if (timerId >= 0) {
                vertx.cancelTimer(timerId);
            }
            long elapsed = (System.nanoTime() - startNanos) / 1_000_000;
            run.complete(index, new NodeResult<>(node, status, elapsed, body, error));
        }

        private NodeError failure(Throwable t) {
            NodeError tls = tlsFailure(t);
            if (tls != null) {
                return tls;
            }
            for (Throwable c = t; c != null; c = c.getCause()) {
                if (c instanceof CappedBody.TooLarge) {
                    return new NodeError(NodeError.Kind.BAD_RESPONSE, c.getMessage());
                }
                if (c instanceof UnknownHostException) {
                    return new NodeError(NodeError.Kind.DNS, "cannot resolve host '" + node.host() + "'");
                }
                if (c instanceof TimeoutException || c.getClass().getSimpleName().contains("Timeout")) {
                    return new NodeError(NodeError.Kind.TIMEOUT, "no answer within " + millis(run.timeoutMs)
                            + " (node down or overloaded? raise --timeout)");
                }
                if (c instanceof NoRouteToHostException) {
                    return new NodeError(NodeError.Kind.NETWORK, "no route to host " + node.host());
                }
                if (c instanceof ConnectException) {
                    String m = String.valueOf(c.getMessage()).toLowerCase(java.util.Locale.ROOT);
                    if (m.contains("refused")) {
                        return new NodeError(NodeError.Kind.CONNECTION_REFUSED, "connection refused by "
                                + node.hostPort() + " (is kiln-agent running there, on that port?)");
                    }
                    if (m.contains("timed out")) {
                        return new NodeError(NodeError.Kind.TIMEOUT, "connecting to " + node.hostPort()
                                + " timed out after " + millis(run.timeoutMs));
                    }
                    return new NodeError(NodeError.Kind.NETWORK, "cannot connect to " + node.hostPort() + ": "
                            + c.getMessage());
                }
            }
            String msg = t.getMessage();
            if (msg != null && msg.toLowerCase(java.util.Locale.ROOT).contains("connection was closed")) {
                return new NodeError(NodeError.Kind.NETWORK, "the agent closed the connection before answering"
                        + (node.tls() == null ? " (if it serves HTTPS, write its address as https://...)"
                        : node.tls().clientCert() == null ? " (if it requires client certificates, set clientCert and "
                        + "clientKey in the fleet file)" : ""));
            }
            return new NodeError(NodeError.Kind.NETWORK, t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg));
        }

        /** A TLS handshake failure named by what the operator can fix, or null when {@code t} is not one. */
        private NodeError tlsFailure(Throwable t) {
            StringBuilder all = new StringBuilder();
            boolean ssl = false;
            Throwable expired = null;
            String root = null;
            for (Throwable c = t; c != null && c != c.getCause(); c = c.getCause()) {
                ssl |= c instanceof javax.net.ssl.SSLException || c.getClass().getName().contains("NotSslRecord");
                if (c instanceof java.security.cert.CertificateExpiredException
                        || c instanceof java.security.cert.CertificateNotYetValidException) {
                    expired = c;
                }
                if (c.getMessage() != null) {
                    all.append(' ').append(c.getMessage());
                    root = c.getMessage();
                }
            }
            if (!ssl) {
                return null;
            }
            // The innermost message is the specific one ("No subject alternative names matching ...").
            String m = root == null ? "no detail" : root.replaceFirst("^\\([a-z_]+\\) ", "");
            String lower = all.toString().toLowerCase(java.util.Locale.ROOT);
            String where = "TLS to " + node.hostPort() + ": ";
            dev.kiln.cli.fleet.AgentTls tls = node.tls();
            String trust = tls == null ? "" : tls.trustDescription();
            if (expired != null) {
                return new NodeError(NodeError.Kind.NETWORK, where + "the agent's certificate is not valid now ("
                        + expired.getMessage() + "); renew it with 'kiln pki issue " + node.name() + " --force'");
            }
            if (lower.contains("pkix path") || lower.contains("unable to find valid certification path")
                    || lower.contains("signature check failed") || lower.contains("path does not chain")) {
                return new NodeError(NodeError.Kind.NETWORK, where + "certificate not trusted: the agent's certificate "
                        + "is not signed by " + trust + "; issue it with 'kiln pki issue " + node.name() + "' or point "
                        + "caFile at the CA that signed it ('--insecure' skips the check, for a first try only)");
            }
            if (lower.contains("no subject alternative") || lower.contains("no name matching")) {
                return new NodeError(NodeError.Kind.NETWORK, where + "the agent's certificate does not name '"
                        + node.host() + "' (" + firstLine(m) + "); reissue it with 'kiln pki issue " + node.name()
                        + (node.host().matches("[0-9.]+|.*:.*") ? " --ip " : " --dns ") + node.host()
                        + "' or address the node by a name the certificate has");
            }
            if (lower.contains("certificate_required") || lower.contains("bad_certificate")
                    || lower.contains("unknown_ca") || lower.contains("certificate_unknown")) {
                return new NodeError(NodeError.Kind.NETWORK, where + "the agent refused kiln's client certificate"
                        + (tls == null || tls.clientCert() == null ? " (none is set: add clientCert and clientKey to the "
                        + "fleet file)" : " (" + tls.clientCert() + " is not signed by the CA the agent's "
                        + "--tls-client-ca names)") + ": " + firstLine(m));
            }
            if (lower.contains("not an ssl/tls record") || lower.contains("unrecognized ssl message")
                    || lower.contains("plaintext connection")) {
                return new NodeError(NodeError.Kind.NETWORK, where + "the agent does not speak TLS (plain HTTP?); "
                        + "write its address as http:// or set 'tls: false' for it");
            }
            return new NodeError(NodeError.Kind.NETWORK, where + "handshake failed: " + firstLine(m));
        }

        private NodeError httpError(int status, byte[] body) {
            String detail;
            try {
                ApiError e = KilnJson.mapper().readValue(body, ApiError.class);
                detail = e == null || e.message() == null ? "" : ": " + (e.error() == null ? "" : e.error() + ": ")
                        + e.message();
            } catch (java.io.IOException | RuntimeException e) {
                detail = body.length == 0 ? "" : " (body is not Kiln JSON: " + snippet(body) + ")";
            }
            if (status == 403) {
                return new NodeError(NodeError.Kind.UNAUTHORIZED, "token not allowed (HTTP 403)" + detail
                        + "; this needs the operator token: point the node's tokenFile at it");
            }
            if (status == 401 || status == 403) {
                return new NodeError(NodeError.Kind.UNAUTHORIZED, "token rejected (HTTP " + status + ")" + detail
                        + "; check the node's tokenFile in the fleet file");
            }
            return new NodeError(NodeError.Kind.HTTP_ERROR, "HTTP " + status + detail);
        }
    }

    static String snippet(byte[] body) {
        String s = new String(body, 0, Math.min(body.length, 80), StandardCharsets.UTF_8)
                .replaceAll("\\s+", " ").trim();
        return "'" + s + (body.length > 80 ? "...'" : "'");
    }

    static String millis(long ms) {
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }

    /** Reads a 2xx JSON body as {@code type}, rejecting bodies that are not JSON or not that shape. */
    public static <T> ResponseDecoder<T> json(Class<T> type, String what) {
        return body -> {
            T value;
            try {
                value = KilnJson.mapper().readValue(body, type);
            } catch (JsonProcessingException e) {
                throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                        "answered 2xx but not with " + what + " JSON (" + firstLine(e.getOriginalMessage())
                                + "); body starts " + snippet(body));
            } catch (java.io.IOException e) {
                throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                        "cannot read the body: " + e.getMessage());
            }
            if (value == null) {
                throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                        "answered 2xx with an empty body instead of " + what + " JSON");
            }
            return value;
        };
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    @Override
    public void close() {
        try {
            client.close();
            tlsClients.values().forEach(WebClient::close);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // The process is about to exit; nothing useful to do.
        }
    }
}
