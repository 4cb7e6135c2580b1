package dev.kiln.cli.db;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The estimated power drawn over time, rebuilt from the event log: a stage's watts count from its
 * {@code stage-started} to its {@code stage-finished} event. A stage still open at the end (a run that
 * crashed, a job still running) counts until the end. Stages without an estimate count as zero watts but
 * still appear in {@link Step#running()}.
 */
public record PowerTimeline(List<Step> steps) {
    /** From {@code at} until the next step: the summed estimate and how many stages were running. */
    public record Step(Instant at, double watts, int running) {
    }

    public PowerTimeline {
        steps = List.copyOf(steps);
    }

    /** Rebuilds the timeline from events in log order (e.g. {@link ResultsDb#events(String)}). */
    public static PowerTimeline of(List<StageEvent> events) {
        Map<Long, Double> open = new HashMap<>();
        List<Step> steps = new ArrayList<>();
        double watts = 0;
        for (StageEvent e : events) {
            if (e.attemptId() == null) {
                continue;
            }
            double w = e.estimatedWatts() == null ? 0 : e.estimatedWatts();
            if (e.kind().equals("stage-started") && !open.containsKey(e.attemptId())) {
                open.put(e.attemptId(), w);
                watts += w;
            } else if (e.kind().equals("stage-finished") && open.containsKey(e.attemptId())) {
                watts -= open.remove(e.attemptId());
            } else {
                continue;
            }
            Step step = new Step(e.at(), Math.max(0, watts), open.size());
            if (!steps.isEmpty() && steps.getLast().at().equals(e.at())) {
                steps.set(steps.size() - 1, step);
            } else {
                steps.add(step);
            }
        }
        return new PowerTimeline(steps);
    }

    /** The highest estimate and when it began, if anything ran. */
    public Optional<Step> peak() {
        Step best = null;
        for (Step s : steps) {
            if (best == null || s.watts() > best.watts()) {
                best = s;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The estimate in effect at that instant. */
    public double wattsAt(Instant t) {
        double w = 0;
        for (Step s : steps) {
            if (s.at().isAfter(t)) {
                break;
            }
            w = s.watts();
        }
        return w;
    }
}
