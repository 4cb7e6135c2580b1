package dev.kiln.agent.events;

import dev.kiln.nvml.EventSubscription;
import dev.kiln.nvml.GpuUnavailableException;
import dev.kiln.nvml.NvmlEvent;
import dev.kiln.nvml.NvmlEventType;
import dev.kiln.nvml.NvmlException;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.raw.NvmlBinding;
import dev.kiln.protocol.event.GpuEvent;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Watches one node's NVML events: its own NVML session and {@link EventSubscription} for
 * {@link NvmlEventType#HEALTH}, drained by an {@link EventPoller} with non-blocking polls into an
 * {@link EventLog}. It never owns a thread. When NVML cannot initialize it retries every
 * {@link #RETRY}; when the driver or GPUs do not support events it says so in {@link #reason()}.
 */
public final class EventWatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventWatcher.class.getName());
    static final Duration RETRY = Duration.ofSeconds(30);
    /** At most this many events are taken in one round, so one flooded node cannot stall the others. */
    static final int MAX_EVENTS_PER_ROUND = 1024;

    private final NvmlBinding binding;       // null: NVML could not be loaded
    private final EventLog log;
    private final Clock clock;
    private final EventPoller poller;
    private final String name;
    private NvmlSession session;
    private EventSubscription subscription;
    private volatile String reason;
    private volatile boolean watching;
    private Instant nextAttempt = Instant.MIN;
    private String lastPollProblem;
    private boolean closed;

    private EventWatcher(String name, NvmlBinding binding, String unavailableReason, EventLog log, Clock clock,
                         EventPoller poller) {
        this.name = name;
        this.binding = binding;
        this.log = log;
        this.clock = clock;
        this.poller = poller;
        this.reason = binding == null ? unavailableReason : "not started";
    }

    /**
     * Opens the subscription now and registers with {@code poller}. {@code binding} null means NVML
     * is unavailable for {@code unavailableReason}: the watcher then only reports that.
     */
    public static EventWatcher start(String name, NvmlBinding binding, String unavailableReason, EventLog log,
                                     Clock clock, EventPoller poller) {
        EventWatcher w = new EventWatcher(name, binding, unavailableReason, log, clock, poller);
        if (binding != null) {
            synchronized (w) {
                w.tryOpen();
            }
            poller.register(w);
        }
        return w;
    }

    /** True while an active subscription is drained. */
    public boolean watching() {
        return watching;
    }

    /** Why events are not watched, or which GPUs/types are not; empty when everything requested is watched. */
    public Optional<String> reason() {
        return Optional.ofNullable(reason);
    }

    public EventLog log() {
        return log;
    }

    /** Per-GPU registrations of the current subscription (empty when none is open). */
    public synchronized List<EventSubscription.Registration> registrations() {
        return subscription == null ? List.of() : subscription.registrations();
    }

    private void tryOpen() {
        nextAttempt = clock.instant().plus(RETRY);
        try {
            session = NvmlSession.open(binding);
            subscription = session.subscribeEvents(NvmlEventType.HEALTH);
        } catch (RuntimeException e) {
            // NvmlException above all; anything else is reported the same way: the agent must start regardless.
            closeNvml();
            watching = false;
            reason = "NVML event watching could not start: " + e.getMessage() + " (retrying every "
                    + RETRY.toSeconds() + " s)";
            LOG.log(e instanceof NvmlException ? Level.FINE : Level.WARNING, reason, e);
            return;
        }
        if (!subscription.active()) {
            watching = false;
            reason = subscription.reason().orElse("NVML event subscription is not active");
            closeNvml();
            // Usually a capability, but "no GPU yet" or "every registration failed" can be transient
            // (driver still loading, a GPU lost): retry at the normal pace rather than never.
            nextAttempt = clock.instant().plus(RETRY);
            return;
        }
        watching = true;
        // Partial support, one line per distinct problem: "GPUs 0,1,2: not supported: [...]".
        java.util.Map<String, List<Integer>> byProblem = new java.util.LinkedHashMap<>();
        for (EventSubscription.Registration r : subscription.registrations()) {
            r.problem().ifPresent(p -> byProblem.computeIfAbsent(p, k -> new ArrayList<>()).add(r.gpuIndex()));
        }
        List<String> partial = new ArrayList<>();
        byProblem.forEach((problem, gpus) -> partial.add((gpus.size() == 1 ? "GPU " : "GPUs ")
                + gpus.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(",")) + ": " + problem));
        reason = partial.isEmpty() ? null : String.join("; ", partial);
    }

    /**
     * Drains what NVML has queued now into the log; returns how many events were recorded. The poller
     * calls this every round; readers call it too, so what they see includes everything queued when
     * they asked (a one-shot check right after start sees the events the driver already reported).
     */
    public synchronized int drain() {
        if (closed || binding == null) {
            return 0;
        }
        if (subscription == null) {
            if (clock.instant().isBefore(nextAttempt)) {
                return 0;
            }
            tryOpen();
            if (subscription == null) {
                return 0;
            }
        }
        List<GpuEvent> batch = new ArrayList<>();
        try {
            for (int i = 0; i < MAX_EVENTS_PER_ROUND; i++) {
                Optional<NvmlEvent> e = subscription.poll(0);
                if (e.isEmpty()) {
                    break;
                }
                batch.add(EventPolicy.toGpuEvent(e.get(), clock.instant(), log.bootId()));
            }
            lastPollProblem = null;
        } catch (GpuUnavailableException e) {
            // NVML does not say which GPU: record a node-wide fault (never "no events"), then
            // re-open the subscription so registration names the lost GPU and re-arms the others.
            if (lastPollProblem == null || !lastPollProblem.startsWith("NVML event wait reports")) {
                batch.add(new GpuEvent(clock.instant(), log.bootId(), -1, null, null, "gpu_unavailable", null, "fail",
                        "NVML event wait reported " + e.result() + ": a GPU is unavailable (which one: see gpu.lost)"));
            }
            notePollProblem("NVML event wait reports a GPU unavailable: " + e.getMessage());
            closeSubscriptionForRetry();
        } catch (NvmlException | IllegalStateException e) {
            notePollProblem("NVML event wait failed: " + e.getMessage());
        }
        log.recordAll(batch);
        batch.forEach(this::logEvent);
        return batch.size();
    }

    /** One log line per GPU event: a fault at WARNING, anything else at INFO. */
    private void logEvent(GpuEvent e) {
        Level level = "fail".equals(e.severity()) || "warn".equals(e.severity()) ? Level.WARNING : Level.INFO;
        LOG.log(level, () -> ("gpu event node=" + name + " gpu=" + e.gpuIndex()
                + (e.uuid() == null ? "" : " uuid=" + e.uuid()) + (e.pciBusId() == null ? "" : " pci=" + e.pciBusId())
                + " type=" + e.type() + (e.code() == null ? "" : " code=" + e.code()) + " severity=" + e.severity()
                + (e.description() == null ? "" : ": " + e.description())).replaceAll("[\\r\\n]+", " "));
    }

    private void notePollProblem(String problem) {
        if (!problem.equals(lastPollProblem)) {
            LOG.warning(() -> name + ": " + problem);
        }
        lastPollProblem = problem;
    }

    /** Drops the subscription after a GPU went away; the next drain opens a fresh one. */
    private void closeSubscriptionForRetry() {
        closeNvml();
        nextAttempt = clock.instant().plus(Duration.ofSeconds(1));
    }

    private void closeNvml() {
        if (subscription != null) {
            subscription.close();
            subscription = null;
        }
        if (session != null) {
            session.close();
            session = null;
        }
    }

    @Override
    public void close() {
        poller.unregister(this);
        synchronized (this) {
            if (!closed) {
                closed = true;
                closeNvml();
                watching = false;
                reason = "event watcher stopped";
            }
        }
    }

    @Override
    public String toString() {
        return "EventWatcher[" + name + "]";
    }
}
