package dev.kiln.cli.bringup;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * How long each {@link Stage} of one node is expected to take: the planner's estimate, not a deadline.
 * The high-power stages ({@link Stage#BURNIN}, {@link Stage#GPU_FABRIC}) are contiguous, so a node's
 * time splits into {@link #before()} (low power), {@link #high()} and {@link #after()} (low power).
 */
public record StageTimes(Map<Stage, Duration> durations) {
    /** Default estimates of the short stages: a request, an inventory read and the health checks. */
    public static final Duration REACHABLE = Duration.ofSeconds(10);
    public static final Duration INVENTORY = Duration.ofSeconds(15);
    public static final Duration HEALTH = Duration.ofMinutes(1);
    /** {@code fabric.p2p} and NCCL inside one node. */
    public static final Duration GPU_FABRIC = Duration.ofMinutes(5);
    /** TCP and RDMA against a node's peers. */
    public static final Duration NETWORK_FABRIC = Duration.ofMinutes(5);

    public StageTimes {
        Map<Stage, Duration> copy = new EnumMap<>(Stage.class);
        for (Stage s : Stage.values()) {
            Duration d = durations.getOrDefault(s, Duration.ZERO);
            Objects.requireNonNull(d, s.id());
            if (d.isNegative()) {
                throw new IllegalArgumentException("stage " + s.id() + " has a negative duration " + d);
            }
            copy.put(s, d);
        }
        durations = Collections.unmodifiableMap(copy);
    }

    /** The default estimates with a burn-in of {@code burnin} ({@code --burnin}). */
    public static StageTimes defaults(Duration burnin) {
        Map<Stage, Duration> m = new EnumMap<>(Stage.class);
        m.put(Stage.REACHABLE, REACHABLE);
        m.put(Stage.INVENTORY, INVENTORY);
        m.put(Stage.HEALTH, HEALTH);
        m.put(Stage.BURNIN, burnin);
        m.put(Stage.GPU_FABRIC, GPU_FABRIC);
        m.put(Stage.NETWORK_FABRIC, NETWORK_FABRIC);
        return new StageTimes(m);
    }

    /** The same estimates with one stage's changed. */
    public StageTimes with(Stage stage, Duration d) {
        Map<Stage, Duration> m = new EnumMap<>(durations);
        m.put(stage, d);
        return new StageTimes(m);
    }

    public Duration of(Stage stage) {
        return durations.get(stage);
    }

    /** The low-power stages before burn-in. */
    public Duration before() {
        return sum(true, false);
    }

    /** The high-power stages. */
    public Duration high() {
        Duration d = Duration.ZERO;
        for (Stage s : Stage.values()) {
            if (s.highPower()) {
                d = d.plus(durations.get(s));
            }
        }
        return d;
    }

    /** The low-power stages after the high-power ones. */
    public Duration after() {
        return sum(false, true);
    }

    public Duration total() {
        return before().plus(high()).plus(after());
    }

    private Duration sum(boolean beforeHigh, boolean afterHigh) {
        Duration d = Duration.ZERO;
        boolean seenHigh = false;
        for (Stage s : Stage.values()) {
            if (s.highPower()) {
                seenHigh = true;
            } else if (seenHigh ? afterHigh : beforeHigh) {
                d = d.plus(durations.get(s));
            }
        }
        return d;
    }
}
