package dev.kiln.agent.core;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A reading cached for a short lifetime (OSHI's Memoizer idea). Single-flight: while one caller
 * refreshes, concurrent callers wait for that result instead of reading the hardware again, so a
 * thousand requests in the same second cost one NVML walk.
 */
public final class Memoized<T> implements Supplier<T> {
    private final Supplier<T> source;
    private final long ttlNanos;
    private final LongSupplier clock;
    private T value;
    private long readAt;
    private long readStartedAt;
    private boolean valid;

    public Memoized(Supplier<T> source, Duration ttl) {
        this(source, ttl, System::nanoTime);
    }

    Memoized(Supplier<T> source, Duration ttl, LongSupplier clock) {
        this.source = Objects.requireNonNull(source);
        this.ttlNanos = ttl.toNanos();
        this.clock = clock;
    }

    @Override
    public synchronized T get() {
        long now = clock.getAsLong();
        if (!valid || now - readAt >= ttlNanos) {
            refresh(now);
        }
        return value;
    }

    /**
     * A value read after this call began. Callers that arrive while a read runs wait for it and then
     * read once more (that read started before they arrived); callers that arrive after a read started
     * share it. So N concurrent fresh requests cost at most two reads, never N.
     */
    public T getFresh() {
        long asked = clock.getAsLong();
        synchronized (this) {
            if (!valid || readStartedAt < asked) {
                refresh(clock.getAsLong());
            }
            return value;
        }
    }

    private void refresh(long startedAt) {
        value = source.get();
        readStartedAt = startedAt;
        readAt = clock.getAsLong();
        valid = true;
    }

    /** The next {@link #get()} reads the source again. */
    public synchronized void invalidate() {
        valid = false;
    }
}
