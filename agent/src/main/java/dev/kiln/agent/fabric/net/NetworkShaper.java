package dev.kiln.agent.fabric.net;

import dev.kiln.nvml.sim.Fault;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * What a simulated node's network interface does to its TCP traffic, built from the node's faults. One instance per
 * node: its send and receive budgets are shared by every connection of that node, serving
 * ({@link FabricListener}) and driving ({@link TcpProbe}) alike, as one NIC would be.
 *
 * <h2>Model</h2>
 * <ul>
 *   <li>{@link Fault.NicSlow}: a token bucket per direction at {@code gbps} Gbit/s for the whole node (the NIC
 *       negotiated down). A connection asks for a delay before it may send, or after it received, a number of bytes
 *       and waits it out: {@link TcpProbe} sleeps, {@link FabricListener} stops reading or writing on the event loop
 *       (timers, never blocking), so TCP's own flow control slows the other end down.</li>
 *   <li>{@link Fault.NicLossy}: with loss probability {@code p = lossPercent / 100}, each TCP connection is held to
 *       the Mathis et al. (1997) steady-state bound {@code rate = MSS / RTT * C / sqrt(p)} with {@code MSS} 1448 bytes,
 *       {@code C = sqrt(3/2)} and a model round trip of 200 us (a datacenter path; loopback's few microseconds would
 *       make the bound meaningless). That is per connection, as for real TCP: 1 % loss gives about 0.71 Gbit/s a
 *       stream, 5 % about 0.32. And a fraction {@code p} of latency pings (each one is small enough to fit one
 *       segment) is held back by a retransmission timeout: Linux's minimum RTO is 200 ms, scaled down tenfold to
 *       {@value #RTO_MILLIS} ms so tests stay fast. Which pings are hit comes from a seeded random sequence, so a run
 *       is repeatable given the same order of calls.</li>
 *   <li>Both faults: both apply; the slower bound wins.</li>
 * </ul>
 * Thread-safe.
 */
public final class NetworkShaper {
    /** The simulated retransmission timeout, milliseconds (real Linux: 200 ms minimum; scaled 1/10). */
    public static final int RTO_MILLIS = 20;
    /** Mathis model constants: segment payload, model round trip, and C = sqrt(3/2). */
    static final double MSS_BYTES = 1448;
    static final double MODEL_RTT_SECONDS = 200e-6;
    static final double MATHIS_C = Math.sqrt(1.5);

    /** No fault: nothing is delayed. */
    public static final NetworkShaper NONE = new NetworkShaper(OptionalDouble.empty(), 0, 0);

    private final OptionalDouble nicGbps;
    private final double lossPercent;
    private final TokenBucket send;
    private final TokenBucket receive;
    private final SplittableRandom random;

    private NetworkShaper(OptionalDouble nicGbps, double lossPercent, long seed) {
        this.nicGbps = nicGbps;
        this.lossPercent = lossPercent;
        this.send = nicGbps.isPresent() ? new TokenBucket(nicGbps.getAsDouble()) : null;
        this.receive = nicGbps.isPresent() ? new TokenBucket(nicGbps.getAsDouble()) : null;
        this.random = new SplittableRandom(seed);
    }

    /** The shaper for a node with these faults (non-network faults are ignored); {@link #NONE} when none applies. */
    public static NetworkShaper of(List<? extends Fault> faults) {
        return of(faults, 0x6b696c6eL);
    }

    /** As {@link #of(List)}, with the seed that picks which pings a lossy NIC delays. */
    public static NetworkShaper of(List<? extends Fault> faults, long seed) {
        OptionalDouble gbps = OptionalDouble.empty();
        double loss = 0;
        for (Fault f : faults) {
            if (f instanceof Fault.NicSlow s) {
                if (!(s.gbps() > 0)) {
                    throw new IllegalArgumentException("fault nic-slow needs a rate above 0 Gbit/s, got " + s.gbps());
                }
                gbps = OptionalDouble.of(gbps.isPresent() ? Math.min(gbps.getAsDouble(), s.gbps()) : s.gbps());
            } else if (f instanceof Fault.NicLossy l) {
                if (!(l.lossPercent() >= 0 && l.lossPercent() < 100)) {
                    throw new IllegalArgumentException("fault nic-lossy needs a loss of 0..100 %, got " + l.lossPercent());
                }
                loss = Math.max(loss, l.lossPercent());
            }
        }
        if (gbps.isEmpty() && loss == 0) {
            return NONE;
        }
        return new NetworkShaper(gbps, loss, seed);
    }

    public boolean isNone() {
        return nicGbps.isEmpty() && lossPercent == 0;
    }

    /** The node's NIC rate limit, Gbit/s, when {@code nic-slow} applies. */
    public OptionalDouble nicGbps() {
        return nicGbps;
    }

    public double lossPercent() {
        return lossPercent;
    }

    /** The Mathis bound for one TCP connection at this loss, Gbit/s; empty without loss. */
    public OptionalDouble perFlowGbps() {
        if (lossPercent <= 0) {
            return OptionalDouble.empty();
        }
        double p = lossPercent / 100.0;
        return OptionalDouble.of(MSS_BYTES * 8 / MODEL_RTT_SECONDS * MATHIS_C / Math.sqrt(p) / 1e9);
    }

    /** A new TCP connection of this node: its own per-flow budget, the node's shared NIC budgets. */
    public Flow flow() {
        if (isNone()) {
            return Flow.FREE;
        }
        TokenBucket perFlow = perFlowGbps().isPresent() ? new TokenBucket(perFlowGbps().getAsDouble()) : null;
        return new Flow(this, perFlow);
    }

    /** Nanoseconds a small ping is held back: the simulated RTO for a lost one, else 0. */
    public long pingDelayNanos() {
        if (lossPercent <= 0) {
            return 0;
        }
        double draw;
        synchronized (random) {
            draw = random.nextDouble();
        }
        return draw < lossPercent / 100.0 ? Duration.ofMillis(RTO_MILLIS).toNanos() : 0;
    }

    @Override
    public String toString() {
        if (isNone()) {
            return "no network fault";
        }
        StringBuilder sb = new StringBuilder();
        nicGbps.ifPresent(g -> sb.append(String.format(Locale.ROOT, "NIC held to %.3f Gbit/s", g)));
        if (lossPercent > 0) {
            sb.append(sb.isEmpty() ? "" : ", ").append(String.format(Locale.ROOT,
                    "%.2f %% loss (%.3f Gbit/s a stream, %d ms retransmit delays)", lossPercent,
                    perFlowGbps().orElse(0), RTO_MILLIS));
        }
        return sb.toString();
    }

    /**
     * One connection's view of the shaper. {@code sendDelayNanos(n)} before (or right after) sending n bytes and
     * {@code receiveDelayNanos(n)} after receiving them answer how long to wait; waiting it out keeps the
     * connection at the budget.
     */
    public static final class Flow {
        static final Flow FREE = new Flow(null, null);

        private final NetworkShaper shaper;
        private final TokenBucket perFlow;

        private Flow(NetworkShaper shaper, TokenBucket perFlow) {
            this.shaper = shaper;
            this.perFlow = perFlow;
        }

        public boolean isFree() {
            return shaper == null;
        }

        public long sendDelayNanos(long bytes) {
            return delay(shaper == null ? null : shaper.send, bytes);
        }

        public long receiveDelayNanos(long bytes) {
            return delay(shaper == null ? null : shaper.receive, bytes);
        }

        public long pingDelayNanos() {
            return shaper == null ? 0 : shaper.pingDelayNanos();
        }

        private long delay(TokenBucket nic, long bytes) {
            long now = System.nanoTime();
            long a = nic == null ? 0 : nic.reserve(bytes, now);
            long b = perFlow == null ? 0 : perFlow.reserve(bytes, now);
            return Math.max(a, b);
        }
    }

    /**
     * A token bucket kept as a virtual clock: {@code nextFree} is when the bytes reserved so far will have gone out
     * at the rate. It may lag real time by at most one burst (credit for an idle link), never more.
     */
    static final class TokenBucket {
        private final double nanosPerByte;
        private final long burstNanos;
        private long nextFree = Long.MIN_VALUE;

        TokenBucket(double gbps) {
            this.nanosPerByte = 8.0 / gbps; // Gbit/s = bits per nanosecond
            // Burst: 2 ms of traffic, at least 64 KiB, so a single socket read or write is never starved.
            this.burstNanos = Math.max(2_000_000L, (long) (64 * 1024 * nanosPerByte));
        }

        synchronized long reserve(long bytes, long now) {
            if (nextFree == Long.MIN_VALUE || nextFree < now - burstNanos) {
                nextFree = now - burstNanos;
            }
            nextFree += (long) Math.ceil(bytes * nanosPerByte);
            return Math.max(0, nextFree - now);
        }
    }
}
