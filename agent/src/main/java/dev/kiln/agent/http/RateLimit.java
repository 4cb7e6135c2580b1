package dev.kiln.agent.http;

/**
 * How many requests one client address may send an agent: a token bucket per remote address that holds
 * {@code burst} requests and refills at {@code perSecond}. A client over it gets 429 with {@code Retry-After}.
 * The default is generous: {@code kiln} sends each agent one request per poll, so only a runaway script or a
 * scan hits it. {@link #OFF} (perSecond 0) turns it off.
 */
public record RateLimit(double perSecond, int burst) {
    /** 50 requests a second per client address, bursts of 100. */
    public static final RateLimit DEFAULT = new RateLimit(50, 100);
    /** No limit. */
    public static final RateLimit OFF = new RateLimit(0, 0);

    public RateLimit {
        if (!(perSecond >= 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate limit must be 0 (off) or a positive number of requests per "
                    + "second, got " + perSecond);
        }
        if (perSecond > 0 && burst < 1) {
            throw new IllegalArgumentException("rate limit burst must be at least 1, got " + burst);
        }
        if (burst < 0) {
            throw new IllegalArgumentException("rate limit burst must not be negative, got " + burst);
        }
    }

    public boolean enabled() {
        return perSecond > 0;
    }

    @Override
    public String toString() {
        return enabled() ? perSecond + "/s per client address, burst " + burst : "off";
    }
}
