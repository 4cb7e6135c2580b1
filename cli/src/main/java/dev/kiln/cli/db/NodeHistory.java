package dev.kiln.cli.db;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything recorded about one node across runs (its RMA trail): the runs that touched it, every stage
 * attempt (retests included), every verdict, the hooks run for it and the leases taken over from a dead
 * run. {@link #timeline()} merges them in time order.
 */
public record NodeHistory(String node, List<RunRecord> runs, List<StageAttempt> attempts,
                          List<VerdictRecord> verdicts, List<HookRecord> hooks, List<StageEvent> leaseEvents) {
    /**
     * One line of the trail. {@code kind}: {@code run} (a run that touched the node, at its start; result
     * is the run's state), {@code stage} (an attempt, at its start; result is its state), {@code verdict}
     * (result is accepted/quarantined), {@code hook} (result is the exit code), {@code lease} (a lease
     * taken over from a dead run).
     */
    public record Entry(Instant at, String runId, String kind, String stage, Integer attempt, String result,
                        String detail) {
    }

    public NodeHistory {
        runs = List.copyOf(runs);
        attempts = List.copyOf(attempts);
        verdicts = List.copyOf(verdicts);
        hooks = List.copyOf(hooks);
        leaseEvents = List.copyOf(leaseEvents);
    }

    public boolean isEmpty() {
        return runs.isEmpty() && attempts.isEmpty() && verdicts.isEmpty() && hooks.isEmpty() && leaseEvents.isEmpty();
    }

    /** The latest verdict, if any. */
    public VerdictRecord latestVerdict() {
        return verdicts.isEmpty() ? null : verdicts.getLast();
    }

    /** All of it as one list in time order. */
    public List<Entry> timeline() {
        record Keyed(Entry entry, int order, long seq) {
        }
        Map<String, Instant> runStart = new HashMap<>();
        runs.forEach(r -> runStart.put(r.id(), r.startedAt()));
        List<Keyed> all = new ArrayList<>();
        for (RunRecord r : runs) {
            String detail = "by " + r.startedBy() + (r.resumes() > 0 ? ", resumed " + r.resumes() + "x" : "")
                    + (r.summary() == null ? "" : ": " + r.summary());
            all.add(new Keyed(new Entry(r.startedAt(), r.id(), "run", null, null, r.state().id(), detail), 0, 0));
        }
        for (StageAttempt a : attempts) {
            StringBuilder d = new StringBuilder();
            if (a.summary() != null) {
                d.append(a.summary());
            }
            if (a.agentJobId() != null) {
                d.append(d.isEmpty() ? "" : " ").append("(job ").append(a.agentJobId()).append(')');
            }
            Instant at = a.startedAt() != null ? a.startedAt() : a.createdAt();
            all.add(new Keyed(new Entry(at, a.runId(), "stage", a.stage(), a.attempt(),
                    a.verdict() != null && !a.verdict().equalsIgnoreCase(a.state().id())
                            ? a.state().id() + " (" + a.verdict() + ")" : a.state().id(), d.toString()), 1, a.id()));
        }
        for (VerdictRecord v : verdicts) {
            NodeVerdict nv = v.verdict();
            List<String> parts = new ArrayList<>(nv.reasons());
            for (NodeVerdict.RmaPart p : nv.rma()) {
                parts.add("RMA " + (p.gpuIndex() == null ? "" : "GPU " + p.gpuIndex() + " ")
                        + "serial " + p.serial() + (p.reason() == null ? "" : " (" + p.reason() + ")"));
            }
            nv.actions().forEach(a -> parts.add("action: " + a));
            all.add(new Keyed(new Entry(v.decidedAt(), nv.runId(), "verdict", null, null,
                    nv.outcome().name().toLowerCase(Locale.ROOT), String.join("; ", parts)), 3, v.id()));
        }
        for (HookRecord h : hooks) {
            HookRun hr = h.hook();
            all.add(new Keyed(new Entry(h.finishedAt(), hr.runId(), "hook", hr.stage(), null,
                    hr.exitCode() == null ? "killed" : "exit " + hr.exitCode(), hr.hook() + ": " + hr.command()),
                    2, h.id()));
        }
        for (StageEvent e : leaseEvents) {
            all.add(new Keyed(new Entry(e.at(), e.runId(), "lease", null, null, "taken over", e.detail()), 4, e.seq()));
        }
        // Times are milliseconds, so ties happen: then the earlier run first, then run, stage, hook,
        // verdict, lease, then the order they were recorded in.
        all.sort(Comparator.comparing((Keyed k) -> k.entry().at())
                .thenComparing(k -> runStart.getOrDefault(k.entry().runId(), Instant.MAX))
                .thenComparingInt(Keyed::order)
                .thenComparingLong(Keyed::seq));
        return all.stream().map(Keyed::entry).toList();
    }
}
