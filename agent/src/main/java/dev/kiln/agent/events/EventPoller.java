package dev.kiln.agent.events;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One daemon thread that drains every registered {@link EventWatcher} with non-blocking polls at a
 * fixed delay. The fleet simulator runs thousands of agents in one JVM, so watchers never own a
 * thread; the real daemon has one watcher on the {@link #shared()} poller. A slow round delays the
 * next one (fixed delay), so rounds never pile up.
 */
public final class EventPoller implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventPoller.class.getName());
    public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(250);
    public static final String THREAD_NAME = "kiln-event-poller";

    private static final java.util.concurrent.atomic.AtomicInteger OWN = new java.util.concurrent.atomic.AtomicInteger();

    private static final class Shared {
        static final EventPoller INSTANCE = new EventPoller(DEFAULT_INTERVAL, THREAD_NAME);
    }

    private final Duration interval;
    private final Set<EventWatcher> watchers = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService executor;
    private ScheduledFuture<?> task;

    /** A poller of its own, with its own thread named {@value #THREAD_NAME}-n (tests); agents use {@link #shared()}. */
    public EventPoller(Duration interval) {
        this(interval, THREAD_NAME + "-" + OWN.incrementAndGet());
    }

    private EventPoller(Duration interval, String threadName) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("poll interval must be positive, got " + interval);
        }
        this.interval = interval;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** The process-wide poller: one daemon thread named {@value #THREAD_NAME}, a round every 250 ms. */
    public static EventPoller shared() {
        return Shared.INSTANCE;
    }

    public Duration interval() {
        return interval;
    }

    synchronized void register(EventWatcher w) {
        watchers.add(w);
        if (task == null && !executor.isShutdown()) {
            long ms = interval.toMillis();
            task = executor.scheduleWithFixedDelay(this::round, ms, ms, TimeUnit.MILLISECONDS);
        }
    }

    void unregister(EventWatcher w) {
        watchers.remove(w);
    }

    /** How many watchers this poller drains. */
    public int watcherCount() {
        return watchers.size();
    }

    /** One round: drains every watcher; one watcher's failure never stops the others. */
    void round() {
        for (EventWatcher w : watchers) {
            try {
                w.drain();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "event watcher " + w + " failed; it is polled again next round", e);
            }
        }
    }

    /** Stops the thread (own pollers only; the shared one lives as long as the process). */
    @Override
    public void close() {
        if (this == Shared.INSTANCE) {
            throw new IllegalStateException("the shared event poller cannot be closed");
        }
        executor.shutdownNow();
    }
}
