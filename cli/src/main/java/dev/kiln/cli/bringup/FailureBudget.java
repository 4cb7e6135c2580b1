package dev.kiln.cli.bringup;

import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.UsageException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * When to stop the line: {@code --max-failures N} and {@code --max-failure-rate P%}. A systemic problem (bad
 * firmware, bad cooling, a bad PDU) fails node after node; quarantining them one by one would quarantine
 * the hall, so once failures exceed the budget the rollout halts ({@link Scheduler#halt()}) and kiln exits
 * {@value ExitCodes#ROLLOUT_HALTED} ({@link ExitCodes#ROLLOUT_HALTED}).
 *
 * <ul>
 *   <li>A <b>failure</b> is a node that ends quarantined, at any stage (unreachable included). A performance
 *       finding counts only once a repeat has confirmed it (the caller's job: it reports the node failed after
 *       the confirming run, not after the first low number).</li>
 *   <li>{@code --max-failures N}: N failures are allowed; the one after halts. {@code 0} halts at the first.</li>
 *   <li>{@code --max-failure-rate P%}: halts when failures exceed P% of the nodes <em>started</em> so far. The
 *       denominator is the nodes started, not the nodes finished, because failures arrive early (an
 *       unreachable node fails in seconds, a good node passes only after its burn-in): judged over finished
 *       nodes, the first ten to finish could all be failures in a healthy fleet. The rate is judged only once
 *       {@link #minSample()} nodes have started: {@value #MIN_SAMPLE} (or the whole rollout when it is smaller),
 *       so one unlucky node among the first few does not read as a systemic 10%+.</li>
 *   <li>Both may be given; either halts. Neither: the budget never halts.</li>
 *   <li>A halt is final ({@link #halt()} stays set), even when it comes with the last node: the exit code still
 *       says "systemic".</li>
 * </ul>
 * Not thread-safe.
 */
public final class FailureBudget {
    /** Nodes started before a failure rate is judged (or the whole rollout, when smaller). */
    public static final int MIN_SAMPLE = 10;

    private static final Pattern PERCENT = Pattern.compile("(\\d+(\\.\\d*)?|\\.\\d+)\\s*%?");

    private final Integer maxFailures;
    private final Double maxRatePercent;
    private final int rolloutSize;
    private final int minSample;
    private final Set<String> started = new LinkedHashSet<>();
    private final Set<String> failed = new LinkedHashSet<>();
    private final Set<String> passed = new LinkedHashSet<>();
    private Halt halt;

    /**
     * Why the rollout halted.
     *
     * @param reason      for people: {@code 4 nodes failed, more than --max-failures 3 (gpu-a001, ...)}
     * @param failedNodes the failures so far, in the order they came
     */
    public record Halt(String reason, int failures, int started, List<String> failedNodes) {
        public Halt {
            failedNodes = List.copyOf(failedNodes);
        }

        public int exitCode() {
            return ExitCodes.ROLLOUT_HALTED;
        }
    }

    /**
     * @param maxFailures    failures allowed (null: no count limit)
     * @param maxRatePercent failures allowed as a percentage of the nodes started, 0 up to 100 (null: no rate limit)
     * @param rolloutSize    nodes in the rollout (for the minimum sample)
     */
    public FailureBudget(Integer maxFailures, Double maxRatePercent, int rolloutSize) {
        this(maxFailures, maxRatePercent, rolloutSize, MIN_SAMPLE);
    }

    /** With a minimum sample other than {@value #MIN_SAMPLE}. */
    public FailureBudget(Integer maxFailures, Double maxRatePercent, int rolloutSize, int minSample) {
        if (maxFailures != null && maxFailures < 0) {
            throw new IllegalArgumentException("max-failures must be 0 or more, got " + maxFailures);
        }
        if (maxRatePercent != null && (maxRatePercent.isNaN() || maxRatePercent < 0 || maxRatePercent >= 100)) {
            throw new IllegalArgumentException("max-failure-rate must be at least 0% and below 100%, got "
                    + maxRatePercent);
        }
        if (rolloutSize < 0 || minSample < 1) {
            throw new IllegalArgumentException("rollout size " + rolloutSize + ", minimum sample " + minSample);
        }
        this.maxFailures = maxFailures;
        this.maxRatePercent = maxRatePercent;
        this.rolloutSize = rolloutSize;
        this.minSample = Math.max(1, Math.min(minSample, rolloutSize));
    }

    /** A budget that never halts. */
    public static FailureBudget unlimited(int rolloutSize) {
        return new FailureBudget(null, null, rolloutSize);
    }

    /**
     * {@code --max-failure-rate}: {@code 5%}, {@code 5}, {@code 2.5%}.
     *
     * @throws UsageException naming the option, when it is not a percentage at least 0 and below 100
     */
    public static double parseRate(String text) {
        String v = text == null ? "" : text.trim();
        if (!PERCENT.matcher(v).matches()) {
            throw new UsageException("--max-failure-rate must be a percentage such as 5% or 2.5%, got '" + text + "'");
        }
        double d = Double.parseDouble(v.replace("%", "").trim());
        if (d >= 100) {
            throw new UsageException("--max-failure-rate must be below 100%, got '" + text + "' (leave it out for no "
                    + "rate limit)");
        }
        return d;
    }

    /** The node started (counts toward the rate's denominator). */
    public void started(String node) {
        started.add(node);
        judge();
    }

    /** The node passed every stage. */
    public void passed(String node) {
        started.add(node);
        passed.add(node);
    }

    /**
     * The node ended quarantined (a confirmed finding, or unreachable).
     *
     * @return the halt, when this failure exceeds the budget (or it already was)
     */
    public Optional<Halt> failed(String node) {
        started.add(node);
        failed.add(node);
        judge();
        return halt();
    }

    /** Set once the budget is exceeded; never cleared. */
    public Optional<Halt> halt() {
        return Optional.ofNullable(halt);
    }

    public boolean halted() {
        return halt != null;
    }

    private void judge() {
        if (halt != null) {
            return;
        }
        int f = failed.size();
        int n = started.size();
        if (maxFailures != null && f > maxFailures) {
            halt = new Halt(f + " node" + (f == 1 ? "" : "s") + " failed, more than --max-failures " + maxFailures
                    + " (" + names() + "): a systemic problem stops the line; fix the cause, then run again",
                    f, n, new ArrayList<>(failed));
        } else if (maxRatePercent != null && n >= minSample && f * 100.0 > maxRatePercent * n) {
            halt = new Halt(f + " of " + n + " nodes started failed (" + percent(100.0 * f / n) + "), more than "
                    + "--max-failure-rate " + percent(maxRatePercent) + " (" + names() + "): a systemic problem stops "
                    + "the line; fix the cause, then run again", f, n, new ArrayList<>(failed));
        }
    }

    private String names() {
        List<String> all = new ArrayList<>(failed);
        int show = Math.min(all.size(), 5);
        return String.join(", ", all.subList(0, show)) + (all.size() > show ? ", and " + (all.size() - show) + " more" : "");
    }

    private static String percent(double p) {
        return p == Math.rint(p) ? String.format(Locale.ROOT, "%.0f%%", p) : String.format(Locale.ROOT, "%.1f%%", p);
    }

    public int failures() {
        return failed.size();
    }

    public int startedCount() {
        return started.size();
    }

    public int passedCount() {
        return passed.size();
    }

    /** Nodes started before the rate is judged: {@value #MIN_SAMPLE} or the whole rollout, whichever is smaller. */
    public int minSample() {
        return minSample;
    }

    public int rolloutSize() {
        return rolloutSize;
    }
}
