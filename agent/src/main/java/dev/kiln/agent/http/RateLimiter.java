package dev.kiln.agent.http;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Token buckets per client address for one agent (one per mounted {@link AgentRoutes}, so the simulator's
 * many agents in one process each keep their own). Memory is bounded: buckets that have refilled are
 * dropped once there are many.
 */
final class RateLimiter {
    /** Above this many addresses, full (idle) buckets are swept. */
    static final int SWEEP_ABOVE = 4096;
    /** Never track more addresses than this; beyond it new addresses share one bucket. */
    static final int MAX_ADDRESSES = 65_536;
    private static final String OVERFLOW = "(many addresses)";

    private final RateLimit limit;
    private final long nanosPerToken;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    RateLimiter(RateLimit limit) {
        this.limit = limit;
        this.nanosPerToken = limit.enabled() ? Math.max(1, (long) (1_000_000_000L / limit.perSecond())) : 0;
    }

    boolean enabled() {
        return limit.enabled();
    }

    RateLimit limit() {
        return limit;
    }

    /** 0 when a request from {@code address} may go ahead now (and takes a token), else nanoseconds until it may. */
    long acquire(String address, long nowNanos) {
        if (!limit.enabled()) {
            return 0;
        }
        if (buckets.size() > SWEEP_ABOVE) {
            sweep(nowNanos);
        }
        String key = buckets.size() >= MAX_ADDRESSES && !buckets.containsKey(address) ? OVERFLOW : address;
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket());
        return b.take(nowNanos, nanosPerToken, limit.burst());
    }

    private void sweep(long nowNanos) {
        for (Iterator<Bucket> it = buckets.values().iterator(); it.hasNext(); ) {
            if (it.next().full(nowNanos, nanosPerToken, limit.burst())) {
                it.remove();
            }
        }
    }

    int addresses() {
        return buckets.size();
    }

    /** Tokens are kept as "the time the bucket was empty": full is {@code burst * nanosPerToken} before now. */
    private static final class Bucket {
        private long emptyAt = Long.MIN_VALUE; // MIN_VALUE: full, set on the first take

        synchronized long take(long now, long nanosPerToken, int burst) {
            long floor = now - burst * nanosPerToken; // a full bucket
            if (emptyAt == Long.MIN_VALUE || emptyAt < floor) {
                emptyAt = floor;
            }
            long next = emptyAt + nanosPerToken;
            if (next > now) {
                return next - now;
            }
            emptyAt = next;
            return 0;
        }

        synchronized boolean full(long now, long nanosPerToken, int burst) {
            return emptyAt == Long.MIN_VALUE || emptyAt <= now - burst * nanosPerToken;
        }
    }
}
