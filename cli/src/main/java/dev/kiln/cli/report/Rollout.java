package dev.kiln.cli.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The rollout's figures, computed from a {@link ReportModel} as of its {@link FleetInfo#generatedAt()}:
 * <ul>
 * <li><b>time to production</b> of a node: first contact to acceptance (accepted nodes only);</li>
 * <li><b>throughput</b>: accepted nodes per hour over the rollout's span, from the first contact with any node to
 * the last acceptance (null with fewer than one accepted node or a span of zero);</li>
 * <li><b>critical path</b>: the chain that ends at the rollout's finish, the last acceptance. Walking back from that
 * node's acceptance: the wait after its last stage (sign-off), then each stage that ended last before the point
 * reached, with the waits between stages, then the wait from its first contact to its first stage, then the wait
 * from the rollout's start to its first contact. The segments add up to the rollout's span exactly. While nodes are
 * still open (in progress or not started) the finish is not known yet: the path is the one to the last acceptance so
 * far ({@link CriticalPath#complete()} false) and the open nodes are listed beside it.</li>
 * </ul>
 *
 * @param asOf           the report's "now"
 * @param start          first contact with any node; null when none was contacted
 * @param lastAcceptance the latest acceptance; null when none
 * @param throughputPerHour accepted nodes per hour over [start, lastAcceptance]; null when not defined
 * @param open           nodes in progress or not started, longest open first (never contacted first)
 */
public record Rollout(Instant asOf, Instant start, Instant lastAcceptance, Counts fleet, List<RackSummary> racks,
                      Double throughputPerHour, TtpStats timeToProduction, CriticalPath criticalPath,
                      List<NodeReport> open, int rmaGpus) {

    /** How many nodes stand where. */
    public record Counts(int total, int accepted, int quarantined, int inProgress, int notStarted) {
        static Counts of(List<NodeReport> nodes) {
            int[] c = new int[Verdict.values().length];
            nodes.forEach(n -> c[n.verdict().ordinal()]++);
            return new Counts(nodes.size(), c[Verdict.ACCEPTED.ordinal()], c[Verdict.QUARANTINED.ordinal()],
                    c[Verdict.IN_PROGRESS.ordinal()], c[Verdict.NOT_STARTED.ordinal()]);
        }

        /** Every node has an outcome (accepted or quarantined). */
        public boolean complete() {
            return inProgress == 0 && notStarted == 0;
        }
    }

    /**
     * Time to production over the accepted nodes; all null when none.
     *
     * @param p90     nearest-rank 90th percentile
     * @param slowest the accepted node that took longest (first in natural order on a tie)
     */
    public record TtpStats(int accepted, Duration median, Duration p90, Duration max, String slowest) {
        static TtpStats of(List<NodeReport> nodes) {
            List<NodeReport> accepted = nodes.stream().filter(n -> n.verdict() == Verdict.ACCEPTED).toList();
            if (accepted.isEmpty()) {
                return new TtpStats(0, null, null, null, null);
            }
            List<Duration> sorted = accepted.stream().map(NodeReport::timeToProduction).sorted().toList();
            int n = sorted.size();
            Duration median = n % 2 == 1 ? sorted.get(n / 2)
                    : sorted.get(n / 2 - 1).plus(sorted.get(n / 2)).dividedBy(2);
            Duration p90 = sorted.get(Math.max(0, (int) Math.ceil(0.9 * n) - 1));
            NodeReport slowest = accepted.stream().max(Comparator.comparing(NodeReport::timeToProduction)
                    .thenComparing(NodeReport::name, NaturalOrder.INSTANCE.reversed())).orElseThrow();
            return new TtpStats(n, median, p90, sorted.get(n - 1), slowest.name());
        }
    }

    /** One rack's acceptance. */
    public record RackSummary(String rack, Counts counts, TtpStats timeToProduction, Instant firstContact,
                              Instant lastAcceptance, int rmaGpus) {
    }

    /**
     * The chain of waits and stages on one node that ended at the last acceptance.
     *
     * @param complete whether every node has an outcome, so this finish is the rollout's finish
     */
    public record CriticalPath(String node, String rack, Instant start, Instant end, boolean complete,
                               List<Segment> segments) {
        public Duration duration() {
            return Duration.between(start, end);
        }
    }

    /** What a segment of the critical path is. */
    public enum SegmentKind {
        /** Before the node's first contact: the rollout had not reached it (racking, cabling, provisioning). */
        BEFORE_CONTACT,
        /** Between first contact or a stage and the next stage: queued, waiting for a slot or a person. */
        WAIT,
        /** A stage running. */
        STAGE,
        /** After the last stage, until sign-off. */
        SIGN_OFF
    }

    /** One piece of the critical path; {@code state} is the stage's, null for waits. */
    public record Segment(SegmentKind kind, String name, StageState state, Instant start, Instant end) {
        public Duration duration() {
            return Duration.between(start, end);
        }
    }

    public static Rollout of(ReportModel model) {
        Instant asOf = model.fleet().generatedAt();
        List<NodeReport> nodes = model.nodes().toList();
        Instant start = nodes.stream().map(NodeReport::firstContact).filter(Objects::nonNull)
                .min(Comparator.naturalOrder()).orElse(null);
        NodeReport last = nodes.stream().filter(n -> n.verdict() == Verdict.ACCEPTED)
                .max(Comparator.comparing(NodeReport::acceptedAt)
                        .thenComparing(NodeReport::name, NaturalOrder.INSTANCE.reversed())).orElse(null);
        Instant lastAcceptance = last == null ? null : last.acceptedAt();
        Counts counts = Counts.of(nodes);
        Double throughput = null;
        if (last != null && lastAcceptance.isAfter(start)) {
            double hours = Duration.between(start, lastAcceptance).toMillis() / 3_600_000.0;
            throughput = counts.accepted() / hours;
        }
        List<RackSummary> racks = new ArrayList<>();
        for (RackReport r : model.racks()) {
            racks.add(new RackSummary(r.name(), Counts.of(r.nodes()), TtpStats.of(r.nodes()),
                    r.nodes().stream().map(NodeReport::firstContact).filter(Objects::nonNull)
                            .min(Comparator.naturalOrder()).orElse(null),
                    r.nodes().stream().map(NodeReport::acceptedAt).filter(Objects::nonNull)
                            .max(Comparator.naturalOrder()).orElse(null),
                    r.nodes().stream().mapToInt(n -> n.rma().size()).sum()));
        }
        List<NodeReport> open = nodes.stream()
                .filter(n -> n.verdict() == Verdict.IN_PROGRESS || n.verdict() == Verdict.NOT_STARTED)
                .sorted(Comparator.comparing(NodeReport::firstContact, Comparator.nullsFirst(Comparator.naturalOrder()))
                        .thenComparing(NodeReport::name, NaturalOrder.INSTANCE))
                .toList();
        CriticalPath path = last == null ? null : criticalPath(last, start, counts.complete());
        return new Rollout(asOf, start, lastAcceptance, counts, List.copyOf(racks), throughput, TtpStats.of(nodes),
                path, open, nodes.stream().mapToInt(n -> n.rma().size()).sum());
    }

    static CriticalPath criticalPath(NodeReport node, Instant rolloutStart, boolean complete) {
        List<Segment> back = new ArrayList<>();
        Instant t = node.acceptedAt();
        List<Stage> timed = node.stages().stream().filter(s -> s.duration() != null).toList();
        Set<Stage> used = Collections.newSetFromMap(new IdentityHashMap<>());
        SegmentKind gapKind = SegmentKind.SIGN_OFF;
        while (true) {
            final Instant at = t;
            Stage prev = timed.stream()
                    .filter(s -> !used.contains(s) && !s.finishedAt().isAfter(at) && !s.startedAt().isBefore(
                            node.firstContact()))
                    .max(Comparator.comparing(Stage::finishedAt)
                            .thenComparing(Stage::startedAt, Comparator.reverseOrder()))
                    .orElse(null);
            if (prev == null) {
                break;
            }
            used.add(prev);
            if (prev.finishedAt().isBefore(t)) {
                back.add(new Segment(gapKind, gapKind == SegmentKind.SIGN_OFF ? "until accepted" : "waiting",
                        null, prev.finishedAt(), t));
            }
            back.add(new Segment(SegmentKind.STAGE, prev.name(), prev.state(), prev.startedAt(), prev.finishedAt()));
            t = prev.startedAt();
            gapKind = SegmentKind.WAIT;
        }
        if (node.firstContact().isBefore(t)) {
            back.add(new Segment(gapKind, gapKind == SegmentKind.SIGN_OFF ? "until accepted" : "waiting", null,
                    node.firstContact(), t));
        }
        if (rolloutStart.isBefore(node.firstContact())) {
            back.add(new Segment(SegmentKind.BEFORE_CONTACT, "before first contact", null, rolloutStart,
                    node.firstContact()));
        }
        Collections.reverse(back);
        return new CriticalPath(node.name(), node.rack(), rolloutStart, node.acceptedAt(), complete, List.copyOf(back));
    }
}
