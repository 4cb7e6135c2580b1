package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The admission rules of a rollout, as one small state machine that both the live {@code kiln bringup}
 * and the dry-run planner ({@link WavePlanner}) drive, so the plan shows what the run will do.
 *
 * <p>Time is the offset from the start of the rollout ({@code now}); the scheduler never reads a clock.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li><b>Slots.</b> At most {@link Limits#maxParallel()} nodes are in flight (started and not finished, in any
 *       stage), at most {@link Limits#maxPerRack()} of them in one rack.</li>
 *   <li><b>Power.</b> Every node of the rollout is powered on throughout and counts at its idle draw in each
 *       budget that encloses it (its rack's, its row's, its hall's), as do nodes outside the rollout at their
 *       full draw ({@link PowerModel#outsideLoad}). A node <em>starts</em> only when, in every enclosing budget,
 *       that load plus the burn-in headroom held by nodes in flight plus its own (burn-in minus idle) stays
 *       within the budget's limit, 80% of its rating. It holds that headroom from its start until its
 *       high-power stages end ({@link #highPowerEnded}) or it finishes. So the low-power stages before burn-in
 *       (seconds to a minute or two) hold headroom they do not draw yet: the price of a node never waiting
 *       mid-pipeline for power while holding a slot, and of a rule whose sum can be checked at any instant.</li>
 *   <li><b>Stagger.</b> Two node starts are at least {@link Limits#stagger()} apart, and so are two starts of
 *       high-power stages ({@link #highPowerSlot}): burn-ins begin one at a time, never as one step load.</li>
 *   <li><b>Order.</b> Racks take turns (round robin in fleet-file order, from the rack after the last start);
 *       within a rack, nodes start in the given order. A rack whose next node cannot start (its rack full, a
 *       budget without headroom) is passed over, so one saturated rack never holds up the others.</li>
 *   <li><b>Halt.</b> After {@link #halt()} (the failure budget is exceeded) nothing more starts; nodes in
 *       flight are the caller's to finish.</li>
 * </ul>
 * Not thread-safe: one orchestrator thread (or the planner) drives it.
 */
public final class Scheduler {

    /** Why a node is (or was) not started: what it waits for. */
    public enum WaitKind {
        /** {@code --max-parallel} nodes are in flight. */
        MAX_PARALLEL,
        /** {@code --max-per-rack} nodes of its rack are in flight. */
        MAX_PER_RACK,
        /** A budget enclosing it has too little headroom. */
        POWER,
        /** Too soon after the last start. */
        STAGGER,
        /** The failure budget halted the rollout. */
        HALTED
    }

    /**
     * What a node waits for.
     *
     * @param subject the budget's key ({@code rack:rack-01}) for {@link WaitKind#POWER}, the rack for
     *                {@link WaitKind#MAX_PER_RACK}, the node started last for {@link WaitKind#STAGGER}; else null
     * @param text    for people: {@code power: rack 'rack-01' (80% of its 40.0 kW rating = 32.0 kW) has 3.1 kW free, node needs 8.9 kW}
     */
    public record Wait(WaitKind kind, String subject, String text) {
    }

    private enum Phase { PENDING, HOLDING, RELEASED, FINISHED, WITHDRAWN }

    /**
     * A wait as found, with the numbers of that moment; its text is built only when someone asks
     * ({@link #waitOf}): the planner finds millions of these in a large fleet.
     */
    private record Blocked(WaitKind kind, BudgetState budget, String subject, long number, long needed) {
        Wait toWait(Limits limits) {
            String text = switch (kind) {
                case HALTED -> "the rollout was halted by the failure budget";
                case MAX_PARALLEL -> "max-parallel: " + number + " nodes in flight";
                case STAGGER -> "stagger: " + staggerText(limits.stagger()) + " after node '" + subject + "'";
                case MAX_PER_RACK -> "max-per-rack: " + number + " nodes of rack '" + subject + "' in flight";
                case POWER -> "power: " + PowerModel.describe(budget.budget) + " has " + PowerModel.kw(number)
                        + " free, the node needs " + PowerModel.kw(needed) + " more than idle";
            };
            return new Wait(kind, subject, text);
        }
    }

    private static final class NodeState {
        final PlanNode node;
        final RackQueue rack;
        final BudgetState[] budgets;
        final long delta;
        Phase phase = Phase.PENDING;
        Blocked lastWait;

        NodeState(PlanNode node, RackQueue rack, BudgetState[] budgets) {
            this.node = node;
            this.rack = rack;
            this.budgets = budgets;
            this.delta = budgets.length == 0 ? 0 : node.load().deltaWatts();
        }
    }

    private static final class RackQueue {
        final String rack;
        final ArrayDeque<NodeState> pending = new ArrayDeque<>();
        int inFlight;

        RackQueue(String rack) {
            this.rack = rack;
        }
    }

    private static final class BudgetState {
        final PowerBudget budget;
        final long limit;
        long outside;
        long idle;
        long held;
        int nodes;

        BudgetState(PowerBudget budget) {
            this.budget = budget;
            this.limit = PowerModel.limitWatts(budget);
        }

        long committed() {
            return outside + idle + held;
        }
    }

    private final Limits limits;
    private final Map<String, NodeState> nodes = new LinkedHashMap<>();
    private final Map<String, BudgetState> budgets = new LinkedHashMap<>();
    /** Racks with pending nodes, in fleet-file order. */
    private final List<RackQueue> active = new ArrayList<>();
    /** Index into {@link #active} of the rack whose turn is next. */
    private int turn;
    private int pendingCount;
    private int inFlight;
    private long lastStartMs = Long.MIN_VALUE;
    private String lastStarted;
    private long lastHighSlotMs = Long.MIN_VALUE;
    private boolean halted;
    private Blocked globalWait;

    /**
     * @param nodes            the rollout, in fleet-file order (names unique)
     * @param power            the fleet file's rows, halls and budgets
     * @param outsideLoadWatts load on each budget (by {@link PowerBudget#key()}) from nodes outside the rollout
     * @throws InfeasiblePlanException when some node can never start within the budgets; the message names the
     *                                 node and the budget with its 80% limit (and how many more there are)
     */
    public Scheduler(List<PlanNode> nodes, FleetPower power, Map<String, Long> outsideLoadWatts, Limits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
        Map<String, RackQueue> racks = new LinkedHashMap<>();
        for (PowerBudget b : power.budgets()) {
            budgets.put(b.key(), new BudgetState(b));
        }
        List<String> problems = new ArrayList<>();
        for (PlanNode n : nodes) {
            if (this.nodes.containsKey(n.name())) {
                throw new IllegalArgumentException("node '" + n.name() + "' is in the rollout twice");
            }
            RackQueue rq = racks.computeIfAbsent(n.rack(), RackQueue::new);
            List<PowerBudget> enclosing = power.enclosing(n.rack());
            BudgetState[] bs = new BudgetState[enclosing.size()];
            for (int i = 0; i < bs.length; i++) {
                bs[i] = budgets.get(enclosing.get(i).key());
            }
            if (bs.length > 0 && !n.load().known()) {
                problems.add("cannot estimate the burn-in draw of node '" + n.name() + "', which is under "
                        + PowerModel.describe(enclosing.get(0)) + ": " + n.load().problem());
                continue;
            }
            NodeState s = new NodeState(n, rq, bs);
            this.nodes.put(n.name(), s);
            rq.pending.add(s);
            for (BudgetState b : bs) {
                b.idle += n.load().idleWatts();
                b.nodes++;
            }
        }
        budgets.values().removeIf(b -> b.nodes == 0); // budgets of no node in this rollout play no part
        for (BudgetState b : budgets.values()) {
            Long outside = outsideLoadWatts.get(b.budget.key());
            b.outside = outside == null ? 0 : outside;
        }
        if (problems.isEmpty()) {
            feasibility(problems);
        }
        if (!problems.isEmpty()) {
            throw new InfeasiblePlanException(problems.get(0) + (problems.size() > 1 ? " (and " + (problems.size() - 1)
                    + " more like it)" : ""));
        }
        for (RackQueue rq : racks.values()) {
            if (!rq.pending.isEmpty()) {
                active.add(rq);
            }
        }
        pendingCount = this.nodes.size();
    }

    /** Each budget must carry the idle load, and each node's burn-in on top of it, alone. */
    private void feasibility(List<String> problems) {
        for (BudgetState b : budgets.values()) {
            if (b.outside + b.idle > b.limit) {
                problems.add("the idle draw of the " + b.nodes + " node" + (b.nodes == 1 ? "" : "s") + " of this rollout "
                        + "under " + b.budget.id() + " (" + PowerModel.kw(b.idle) + ")" + outsideText(b)
                        + " already exceeds " + PowerModel.describe(b.budget) + "; continuous loads may be at most "
                        + PowerModel.CONTINUOUS_LOAD_PERCENT + "% of a circuit's rating");
            }
        }
        if (!problems.isEmpty()) {
            return;
        }
        for (NodeState s : nodes.values()) {
            for (BudgetState b : s.budgets) {
                if (b.outside + b.idle + s.delta > b.limit) {
                    NodeLoad l = s.node.load();
                    problems.add("node '" + s.node.name() + "' alone does not fit " + PowerModel.describe(b.budget)
                            + ": its burn-in draw " + PowerModel.kw(l.burninWatts()) + " (" + l.basis() + ")"
                            + (b.nodes > 1 ? " plus the idle draw of the other " + (b.nodes - 1) + " node"
                            + (b.nodes == 2 ? "" : "s") + " of this rollout there ("
                            + PowerModel.kw(b.idle - l.idleWatts()) + ")" : "") + outsideText(b) + " is "
                            + PowerModel.kw(b.outside + b.idle + s.delta) + "; continuous loads may be at most "
                            + PowerModel.CONTINUOUS_LOAD_PERCENT + "% of a circuit's rating. Raise the budget's "
                            + "powerKw if the circuit is rated higher, or lower the GPUs' power limits");
                    break;
                }
            }
        }
    }

    static String staggerText(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String outsideText(BudgetState b) {
        return b.outside > 0 ? " and " + PowerModel.kw(b.outside) + " from nodes outside the rollout (at full draw)" : "";
    }

    // --- admission ----------------------------------------------------------------------------

    /**
     * The node that may start at {@code now}, if one may: racks in turn, the first rack whose next node fits
     * every limit. Asking changes nothing but the recorded waits ({@link #waitOf}); {@link #started} commits.
     */
    public Optional<String> nextStartable(Duration now) {
        long t = now.toMillis();
        Blocked global = globalWait(t);
        if (global != null) {
            globalWait = global;
            return Optional.empty();
        }
        int n = active.size();
        for (int i = 0; i < n; i++) {
            RackQueue rq = active.get((turn + i) % n);
            NodeState head = rq.pending.peekFirst();
            Blocked w = nodeWait(head);
            if (w == null) {
                return Optional.of(head.node.name());
            }
            head.lastWait = w;
        }
        return Optional.empty();
    }

    /** What stops every start at {@code t}, or null. */
    private Blocked globalWait(long t) {
        if (pendingCount == 0) {
            return null;
        }
        if (halted) {
            return new Blocked(WaitKind.HALTED, null, null, 0, 0);
        }
        if (inFlight >= limits.maxParallel()) {
            return new Blocked(WaitKind.MAX_PARALLEL, null, null, inFlight, 0);
        }
        long stagger = limits.stagger().toMillis();
        if (lastStartMs != Long.MIN_VALUE && t < lastStartMs + stagger) {
            return new Blocked(WaitKind.STAGGER, null, lastStarted, 0, 0);
        }
        return null;
    }

    /** What stops this node starting once the global limits allow a start, or null. */
    private Blocked nodeWait(NodeState s) {
        if (s.rack.inFlight >= limits.maxPerRack()) {
            return new Blocked(WaitKind.MAX_PER_RACK, null, s.rack.rack, s.rack.inFlight, 0);
        }
        for (BudgetState b : s.budgets) {
            if (b.committed() + s.delta > b.limit) {
                return new Blocked(WaitKind.POWER, b, b.budget.key(), Math.max(0, b.limit - b.committed()), s.delta);
            }
        }
        return null;
    }

    /**
     * Starts {@code node} at {@code now}: it holds a slot, and its burn-in headroom in every enclosing budget.
     * Any pending node may be started, not only {@link #nextStartable}'s, but only within every rule.
     *
     * @throws IllegalStateException when it is not pending, or starting it now would break a rule (the message says which)
     */
    public void started(String node, Duration now) {
        NodeState s = pending(node);
        long t = now.toMillis();
        Blocked w = globalWait(t);
        if (w == null) {
            w = nodeWait(s);
        }
        if (w != null) {
            throw new IllegalStateException("node '" + node + "' may not start now: " + w.toWait(limits).text());
        }
        s.rack.pending.remove(s);
        int idx = active.indexOf(s.rack);
        if (s.rack.pending.isEmpty()) {
            active.remove(idx);
            turn = active.isEmpty() ? 0 : idx % active.size(); // the rack after it has moved into its place
        } else {
            turn = (idx + 1) % active.size();
        }
        s.phase = Phase.HOLDING;
        s.rack.inFlight++;
        inFlight++;
        pendingCount--;
        for (BudgetState b : s.budgets) {
            b.held += s.delta;
        }
        lastStartMs = t;
        lastStarted = node;
    }

    /**
     * {@code kiln bringup --resume}: {@code node} was in flight when the run stopped and goes on where it was. It is
     * admitted as it was, whatever the limits say now (its job may be running on its agent already): it takes a
     * slot and, unless its high-power stages are over, its headroom. The stagger does not apply and does not move.
     * Nothing new starts until the limits allow it again, so a node resumed over a budget that was lowered in the
     * fleet file meanwhile shows up in {@link #committedWatts()} above the limit until it releases.
     *
     * @param highPowerOver its GPU tests ended before the stop: only its idle draw counts
     */
    public void resumed(String node, boolean highPowerOver) {
        NodeState s = pending(node);
        leavePendingOutOfTurn(s);
        s.phase = highPowerOver ? Phase.RELEASED : Phase.HOLDING;
        s.rack.inFlight++;
        inFlight++;
        pendingCount--;
        if (!highPowerOver) {
            for (BudgetState b : s.budgets) {
                b.held += s.delta;
            }
        }
    }

    /**
     * Books the start of {@code node}'s high-power stages: the first moment at or after {@code readyAt} that is
     * at least the stagger after the previous booking. The node already holds its headroom, so the only wait
     * is the stagger; start burn-in at the returned offset.
     */
    public Duration highPowerSlot(String node, Duration readyAt) {
        NodeState s = state(node);
        if (s.phase != Phase.HOLDING) {
            throw new IllegalStateException("node '" + node + "' is not started, or its high-power stages are over ("
                    + s.phase + ")");
        }
        long t = readyAt.toMillis();
        if (lastHighSlotMs != Long.MIN_VALUE) {
            t = Math.max(t, lastHighSlotMs + limits.stagger().toMillis());
        }
        lastHighSlotMs = t;
        return Duration.ofMillis(t);
    }

    /** The node's high-power stages are over (passed or not): its headroom goes back; it still holds its slot. */
    public void highPowerEnded(String node, Duration now) {
        NodeState s = state(node);
        if (s.phase == Phase.HOLDING) {
            release(s);
            s.phase = Phase.RELEASED;
        } else if (s.phase != Phase.RELEASED) {
            throw new IllegalStateException("node '" + node + "' is not in flight (" + s.phase + ")");
        }
    }

    /** The node is done (accepted, quarantined, or given up on): its slot, and any headroom it held, go back. */
    public void finished(String node, Duration now) {
        NodeState s = state(node);
        if (s.phase == Phase.HOLDING) {
            release(s);
        } else if (s.phase != Phase.RELEASED) {
            throw new IllegalStateException("node '" + node + "' is not in flight (" + s.phase + ")");
        }
        s.phase = Phase.FINISHED;
        s.rack.inFlight--;
        inFlight--;
    }

    private NodeState pending(String node) {
        NodeState s = state(node);
        if (s.phase != Phase.PENDING) {
            throw new IllegalStateException("node '" + node + "' is not waiting to start (" + s.phase + ")");
        }
        return s;
    }

    /**
     * Takes {@code s} off its rack's queue without using the rack's turn (unlike a start): the round-robin goes on
     * with the rack it would have picked next.
     */
    private void leavePendingOutOfTurn(NodeState s) {
        s.rack.pending.remove(s);
        if (s.rack.pending.isEmpty()) {
            int idx = active.indexOf(s.rack);
            active.remove(idx);
            if (idx < turn) {
                turn--;
            }
            turn = active.isEmpty() ? 0 : turn % active.size();
        }
    }

    /** Takes a pending node out of the rollout without starting it (it stays powered: its idle draw still counts). */
    public void withdraw(String node) {
        NodeState s = pending(node);
        leavePendingOutOfTurn(s);
        s.phase = Phase.WITHDRAWN;
        pendingCount--;
    }

    /** Stops all further starts (the failure budget was exceeded). */
    public void halt() {
        halted = true;
    }

    private void release(NodeState s) {
        for (BudgetState b : s.budgets) {
            b.held -= s.delta;
        }
    }

    private NodeState state(String node) {
        NodeState s = nodes.get(node);
        if (s == null) {
            throw new IllegalArgumentException("node '" + node + "' is not in this rollout");
        }
        return s;
    }

    // --- queries ------------------------------------------------------------------------------

    /**
     * The earliest offset at which a start could happen if nothing is released before then: {@code now} unless
     * the stagger holds starts back. The live loop sleeps until this or the next node event, whichever comes first.
     */
    public Duration nextStartNotBefore(Duration now) {
        if (lastStartMs == Long.MIN_VALUE) {
            return now;
        }
        return Duration.ofMillis(Math.max(now.toMillis(), lastStartMs + limits.stagger().toMillis()));
    }

    /**
     * What {@code node} waited for the last time it was passed over: its own wait (rack full, a budget) when it
     * was next in its rack, else what held every start back; empty when nothing ever did.
     */
    public Optional<Wait> waitOf(String node) {
        NodeState s = state(node);
        Blocked b = s.lastWait != null ? s.lastWait : globalWait;
        return Optional.ofNullable(b == null ? null : b.toWait(limits));
    }

    /** The node's own recorded wait only (see {@link #waitOf}). */
    Wait ownWait(String node) {
        Blocked b = state(node).lastWait;
        return b == null ? null : b.toWait(limits);
    }

    /** The last wait that held every start back, or null. */
    Wait globalWait() {
        return globalWait == null ? null : globalWait.toWait(limits);
    }

    /** The node started last, or null. */
    public String lastStarted() {
        return lastStarted;
    }

    public boolean halted() {
        return halted;
    }

    public int pending() {
        return pendingCount;
    }

    public int inFlight() {
        return inFlight;
    }

    /** No node pending and none in flight (or halted with none in flight). */
    public boolean done() {
        return inFlight == 0 && (pendingCount == 0 || halted);
    }

    /**
     * Each budget in play (enclosing a node of the rollout), by key: outside load + idle of the rollout + the
     * headroom held now. Never above {@link PowerModel#limitWatts}.
     */
    public Map<String, Long> committedWatts() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, BudgetState> e : budgets.entrySet()) {
            out.put(e.getKey(), e.getValue().committed());
        }
        return Collections.unmodifiableMap(out);
    }

    /** The budgets in play (enclosing at least one node of the rollout), halls first, then rows, then racks. */
    public List<PowerBudget> budgets() {
        return budgets.values().stream().map(b -> b.budget).toList();
    }

    /** Load on a budget from nodes outside the rollout. */
    long outsideWatts(String budgetKey) {
        return budgets.get(budgetKey).outside;
    }

    /** Idle draw of the rollout's nodes under a budget. */
    long idleWatts(String budgetKey) {
        return budgets.get(budgetKey).idle;
    }

    /** How many nodes of the rollout are under a budget. */
    int nodesUnder(String budgetKey) {
        return budgets.get(budgetKey).nodes;
    }

    /** Keys of the budgets enclosing a node, in play. */
    List<String> budgetKeysOf(String node) {
        NodeState s = state(node);
        List<String> keys = new ArrayList<>(s.budgets.length);
        for (BudgetState b : s.budgets) {
            keys.add(b.budget.key());
        }
        return keys;
    }
}
