package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The dry run of a rollout: drives a {@link Scheduler} (the same rules the live run uses) through an
 * event-driven simulation with each node's estimated stage times, and reports when each node starts, the
 * estimated draw of every budget over time (its peak against its 80% limit), the waves, the estimated finish
 * and the critical path. Pure and deterministic: the same input gives the same plan.
 *
 * <p>Cost: a priority queue of four events per node, and at each event time a pass over the racks with
 * pending nodes, so O(n log n + e r) for n nodes, e event times and r racks; 1,000 nodes plan in milliseconds.
 */
public final class WavePlanner {

    private WavePlanner() {
    }

    /** A rollout with no load from outside it. */
    public static WavePlan plan(List<PlanNode> nodes, FleetPower power, Limits limits) {
        return plan(nodes, power, Map.of(), limits);
    }

    /**
     * @param outsideLoadWatts load on each budget ({@link PowerBudget#key()}) from nodes not in the rollout
     *                         ({@link PowerModel#outsideLoad})
     * @throws InfeasiblePlanException when a node can never start within the budgets
     */
    public static WavePlan plan(List<PlanNode> nodes, FleetPower power, Map<String, Long> outsideLoadWatts,
                                Limits limits) {
        return new Run(nodes, power, outsideLoadWatts, limits).run();
    }

    private enum Kind { READY, HIGH_END, FINISH, WAKE }

    private record Event(long t, long seq, Kind kind, Rec rec) {
    }

    /** A node's times as the simulation finds them (milliseconds from the start). */
    private static final class Rec {
        final PlanNode node;
        final int order;
        long start = -1;
        long highStart = -1;
        long highEnd = -1;
        long finish = -1;
        String waitedFor;
        String after;
        List<String> budgets = List.of();
        int wave;

        Rec(PlanNode node, int order) {
            this.node = node;
            this.order = order;
        }
    }

    private static final class Run {
        final List<PlanNode> nodes;
        final FleetPower power;
        final Limits limits;
        final Scheduler scheduler;
        final Map<String, Rec> recs = new LinkedHashMap<>();
        final List<Rec> started = new ArrayList<>();
        final PriorityQueue<Event> events = new PriorityQueue<>(
                Comparator.comparingLong(Event::t).thenComparingLong(Event::seq));
        final Set<Long> wakes = new HashSet<>();
        long seq;

        Run(List<PlanNode> nodes, FleetPower power, Map<String, Long> outside, Limits limits) {
            this.nodes = nodes;
            this.power = power;
            this.limits = limits;
            this.scheduler = new Scheduler(nodes, power, outside, limits);
            int i = 0;
            for (PlanNode n : nodes) {
                recs.put(n.name(), new Rec(n, i++));
            }
        }

        void push(long t, Kind kind, Rec r) {
            events.add(new Event(t, seq++, kind, r));
        }

        WavePlan run() {
            admit(0, List.of());
            while (!events.isEmpty()) {
                long t = events.peek().t();
                List<Rec> releases = new ArrayList<>();
                while (!events.isEmpty() && events.peek().t() == t) {
                    Event e = events.poll();
                    Rec r = e.rec();
                    Duration now = Duration.ofMillis(t);
                    switch (e.kind()) {
                        case READY -> {
                            long high = r.node.times().high().toMillis();
                            if (high == 0) {
                                r.highStart = t;
                                push(t, Kind.HIGH_END, r);
                            } else {
                                r.highStart = scheduler.highPowerSlot(r.node.name(), now).toMillis();
                                push(r.highStart + high, Kind.HIGH_END, r);
                            }
                        }
                        case HIGH_END -> {
                            scheduler.highPowerEnded(r.node.name(), now);
                            r.highEnd = t;
                            releases.add(r);
                            push(t + r.node.times().after().toMillis(), Kind.FINISH, r);
                        }
                        case FINISH -> {
                            scheduler.finished(r.node.name(), now);
                            r.finish = t;
                            releases.add(r);
                        }
                        case WAKE -> wakes.remove(t);
                    }
                }
                admit(t, releases);
            }
            if (scheduler.pending() > 0) {
                // Cannot happen after the scheduler's feasibility check; say so loudly if it ever does.
                throw new IllegalStateException("planner stopped with " + scheduler.pending() + " nodes never started");
            }
            return result();
        }

        void admit(long t, List<Rec> releases) {
            Duration now = Duration.ofMillis(t);
            while (true) {
                var next = scheduler.nextStartable(now);
                if (next.isEmpty()) {
                    break;
                }
                Rec r = recs.get(next.get());
                String previous = scheduler.lastStarted();
                Scheduler.Wait own = scheduler.ownWait(r.node.name());
                if (!releases.isEmpty()) {
                    Scheduler.Wait w = own != null ? own : scheduler.globalWait();
                    r.waitedFor = w == null ? null : w.text();
                    r.after = releasedBy(w, r, releases);
                } else if (t > 0) {
                    // Nothing was released now: the stagger after the previous start was the last gate.
                    r.waitedFor = "stagger: " + Scheduler.staggerText(limits.stagger()) + " after node '" + previous + "'";
                    r.after = previous;
                }
                scheduler.started(r.node.name(), now);
                r.start = t;
                r.budgets = scheduler.budgetKeysOf(r.node.name());
                started.add(r);
                push(t + r.node.times().before().toMillis(), Kind.READY, r);
            }
            if (scheduler.pending() > 0 && !scheduler.halted()) {
                long wake = scheduler.nextStartNotBefore(now).toMillis();
                if (wake > t && wakes.add(wake)) {
                    push(wake, Kind.WAKE, null);
                }
            }
        }

        /** The release at this instant that the node's wait was about: same rack, same budget, else the first. */
        String releasedBy(Scheduler.Wait w, Rec r, List<Rec> releases) {
            if (w != null) {
                for (Rec x : releases) {
                    boolean match = switch (w.kind()) {
                        case MAX_PER_RACK -> x.node.rack().equals(r.node.rack());
                        case POWER -> x.budgets.contains(w.subject());
                        default -> true;
                    };
                    if (match) {
                        return x.node.name();
                    }
                }
            }
            return releases.get(0).node.name();
        }

        WavePlan result() {
            List<PowerBudget> inPlay = scheduler.budgets();
            waves();
            Map<String, Timeline> timelines = new LinkedHashMap<>();
            for (PowerBudget b : inPlay) {
                timelines.put(b.key(), new Timeline());
            }
            for (Rec r : started) {
                long delta = r.node.load().deltaWatts();
                for (String key : r.budgets) {
                    timelines.get(key).add(r.highStart, r.highEnd, delta);
                }
            }
            List<WavePlan.BudgetUse> uses = new ArrayList<>();
            for (PowerBudget b : inPlay) {
                Timeline tl = timelines.get(b.key());
                long base = scheduler.outsideWatts(b.key()) + scheduler.idleWatts(b.key());
                tl.build(base);
                uses.add(new WavePlan.BudgetUse(b, PowerModel.limitWatts(b), scheduler.outsideWatts(b.key()),
                        scheduler.idleWatts(b.key()), scheduler.nodesUnder(b.key()), tl.peak(0, Long.MAX_VALUE),
                        Duration.ofMillis(tl.peakAt(0, Long.MAX_VALUE))));
            }
            List<WavePlan.Wave> waves = new ArrayList<>();
            int i = 0;
            while (i < started.size()) {
                int number = started.get(i).wave;
                int j = i;
                List<String> names = new ArrayList<>();
                Set<String> keys = new java.util.LinkedHashSet<>();
                long end = 0;
                while (j < started.size() && started.get(j).wave == number) {
                    Rec r = started.get(j);
                    names.add(r.node.name());
                    keys.addAll(r.budgets);
                    end = Math.max(end, r.finish);
                    j++;
                }
                long start = started.get(i).start;
                Map<String, Long> peaks = new LinkedHashMap<>();
                for (PowerBudget b : inPlay) {
                    if (keys.contains(b.key())) {
                        peaks.put(b.key(), timelines.get(b.key()).peak(start, end));
                    }
                }
                waves.add(new WavePlan.Wave(number, Duration.ofMillis(start), Duration.ofMillis(end), names, peaks));
                i = j;
            }
            List<WavePlan.Slot> slots = new ArrayList<>(started.size());
            long finish = 0;
            for (Rec r : started) {
                var placement = power.placement(r.node.rack());
                slots.add(new WavePlan.Slot(r.node.name(), r.node.rack(), placement.row(), placement.hall(), r.wave,
                        Duration.ofMillis(r.start), Duration.ofMillis(r.highStart), Duration.ofMillis(r.highEnd),
                        Duration.ofMillis(r.finish), r.node.load(), r.budgets, r.waitedFor, r.after));
                finish = Math.max(finish, r.finish);
            }
            return new WavePlan(limits, slots, waves, uses, Duration.ofMillis(finish), criticalPath());
        }

        /**
         * Wave 1: nodes in start order while they start before the first release (power back at the end of the
         * high-power stages when budgets are in play, else the slot at the finish) by a node already in it;
         * then the same from there.
         */
        void waves() {
            boolean powered = !scheduler.budgets().isEmpty();
            int wave = 0;
            long boundary = Long.MIN_VALUE;
            for (Rec r : started) {
                if (wave == 0 || r.start >= boundary) {
                    wave++;
                    boundary = Long.MAX_VALUE;
                }
                r.wave = wave;
                boundary = Math.min(boundary, powered ? r.highEnd : r.finish);
            }
        }

        List<WavePlan.Step> criticalPath() {
            Rec last = null;
            for (Rec r : started) {
                if (last == null || r.finish >= last.finish) {
                    last = r;
                }
            }
            List<WavePlan.Step> path = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (Rec r = last; r != null && seen.add(r.node.name()); r = r.after == null ? null : recs.get(r.after)) {
                path.add(new WavePlan.Step(r.node.name(), Duration.ofMillis(r.start), Duration.ofMillis(r.finish),
                        r.waitedFor));
            }
            java.util.Collections.reverse(path);
            return path;
        }
    }

    /** A budget's estimated draw as a step function: base plus each node's delta over [from, to). */
    static final class Timeline {
        private final List<long[]> changes = new ArrayList<>();
        private long[] times = new long[0];
        private long[] values = new long[0];
        private long base;

        void add(long from, long to, long delta) {
            if (to > from && delta != 0) {
                changes.add(new long[] {from, delta});
                changes.add(new long[] {to, -delta});
            }
        }

        void build(long base) {
            this.base = base;
            changes.sort(Comparator.<long[]>comparingLong(c -> c[0]).thenComparingLong(c -> c[1]));
            List<Long> ts = new ArrayList<>();
            List<Long> vs = new ArrayList<>();
            long v = base;
            for (int i = 0; i < changes.size(); ) {
                long t = changes.get(i)[0];
                while (i < changes.size() && changes.get(i)[0] == t) {
                    v += changes.get(i)[1];
                    i++;
                }
                ts.add(t);
                vs.add(v);
            }
            times = ts.stream().mapToLong(Long::longValue).toArray();
            values = vs.stream().mapToLong(Long::longValue).toArray();
        }

        /** The value in effect at {@code t}. */
        private long at(long t) {
            int i = Arrays.binarySearch(times, t);
            if (i < 0) {
                i = -i - 2;
            }
            return i < 0 ? base : values[i];
        }

        long peak(long from, long to) {
            return values(from, to)[0];
        }

        long peakAt(long from, long to) {
            return values(from, to)[1];
        }

        /** {max, first time of max} over [from, to]. */
        private long[] values(long from, long to) {
            long best = at(from);
            long when = from;
            int i = Arrays.binarySearch(times, from);
            i = i < 0 ? -i - 1 : i + 1;
            for (; i < times.length && times[i] <= to; i++) {
                if (values[i] > best) {
                    best = values[i];
                    when = times[i];
                }
            }
            return new long[] {best, when};
        }
    }
}
