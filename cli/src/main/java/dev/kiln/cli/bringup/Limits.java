package dev.kiln.cli.bringup;

import java.time.Duration;
import java.util.Objects;

/**
 * The rollout's limits besides power.
 *
 * @param maxParallel nodes in flight at once, in any stage ({@code --max-parallel}); {@link #UNLIMITED} for none
 * @param maxPerRack  nodes in flight at once in one rack ({@code --max-per-rack}); {@link #UNLIMITED} for none
 * @param stagger     least time between two consecutive node starts, and between two consecutive starts of
 *                    high-power stages, across the whole rollout ({@code --stagger}); zero for none
 */
public record Limits(int maxParallel, int maxPerRack, Duration stagger) {
    public static final int UNLIMITED = Integer.MAX_VALUE;

    public Limits {
        Objects.requireNonNull(stagger, "stagger");
        if (maxParallel < 1) {
            throw new IllegalArgumentException("max-parallel must be at least 1, got " + maxParallel);
        }
        if (maxPerRack < 1) {
            throw new IllegalArgumentException("max-per-rack must be at least 1, got " + maxPerRack);
        }
        if (stagger.isNegative()) {
            throw new IllegalArgumentException("stagger must not be negative, got " + stagger);
        }
    }

    public static Limits unlimited() {
        return new Limits(UNLIMITED, UNLIMITED, Duration.ZERO);
    }
}
