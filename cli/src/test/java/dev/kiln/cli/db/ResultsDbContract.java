package dev.kiln.cli.db;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.assertj.core.api.Assertions.within;

/**
 * What every results database must do, run against SQLite ({@link SqliteResultsDbTest}) and a real
 * PostgreSQL server ({@link PostgresResultsDbTest}). Each test gets a fresh, empty database.
 */
abstract class ResultsDbContract {
    /** A URL to a database nobody has used yet. */
    abstract String newUrl() throws Exception;

    /** The Flyway history table as a raw connection names it. */
    abstract String historyTable();

    static NewRun run(String id) {
        return new NewRun(id, "tech@rack-pc", "{\"args\":[\"--rack\",\"r1\"]}", "{\"nodes\":[\"n1\",\"n2\"]}");
    }

    @Test
    void opensMigratesAndReopensAtTheSameSchema() throws Exception {
        String url = newUrl();
        try (ResultsDb db = ResultsDb.open(url)) {
            assertThat(db.schemaVersion()).isEqualTo(1);
            assertThat(db.recentRuns(10)).isEmpty();
            db.createRun(run("r1"));
        }
        try (ResultsDb db = ResultsDb.open(url)) {
            assertThat(db.schemaVersion()).isEqualTo(1);
            assertThat(db.run("r1")).isPresent();
        }
    }

    @Test
    void runLifecycleIsRecordedWithEvents() throws Exception {
        try (ResultsDb db = ResultsDb.open(newUrl())) {
            RunRecord r = db.createRun(run("r1"));
            assertThat(r.state()).isEqualTo(RunState.RUNNING);
            assertThat(r.startedBy()).isEqualTo("tech@rack-pc");
            assertThat(r.planJson()).contains("n1");
            assertThat(r.startedAt()).isCloseTo(Instant.now(), within(5, ChronoUnit.MINUTES));

            assertThat(db.markInterrupted("r1", "Ctrl-C").state()).isEqualTo(RunState.INTERRUPTED);
            assertThat(db.unfinishedRuns()).extracting(RunRecord::id).containsExactly("r1");
            RunRecord resumed = db.resumeRun("r1", "other@pc");
            assertThat(resumed.state()).isEqualTo(RunState.RUNNING);
            assertThat(resumed.resumes()).isEqualTo(1);
            RunRecord done = db.finishRun("r1", 3, "1 quarantined");
            assertThat(done.state()).isEqualTo(RunState.FINISHED);
            assertThat(done.exitCode()).isEqualTo(3);
            assertThat(done.finishedAt()).isNotNull();
            assertThat(db.unfinishedRuns()).isEmpty();

            assertThat(db.events("r1")).extracting(StageEvent::kind)
                    .containsExactly("run-started", "run-interrupted", "run-resumed", "run-finished");

            assertThatThrownBy(() -> db.createRun(run("r1"))).isInstanceOf(ResultsDbException.class)
                    .hasMessageContaining("already exists");
            assertThatThrownBy(() -> db.pendingWork("nope")).isInstanceOf(ResultsDbException.class)
                    .hasMessageContaining("no run 'nope'")
                    .satisfies(e -> assertThat(((ResultsDbException) e).reason())
                            .isEqualTo(ResultsDbException.Reason.UNKNOWN_RUN));
        }
    }

    @Test
    void stageAttemptsCountRetestsKeepEvidenceAndJobIds() throws Exception {
        try (ResultsDb db = ResultsDb.open(newUrl())) {
            db.createRun(run("r1"));
            StageAttempt a1 = db.startStage(new StageStart("r1", "n1", "rack-1", "burn-in", 5600.0));
            assertThat(a1.attempt()).isEqualTo(1);
            assertThat(a1.state()).isEqualTo(AttemptState.RUNNING);
            assertThat(a1.startedAt()).isNotNull();
            assertThat(db.attachJob(a1.id(), "job-7").agentJobId()).isEqualTo("job-7");
            StageAttempt f1 = db.finishStage(a1.id(), new StageResult(AttemptState.FAILED, "FAIL", "gpu 3 ECC",
                    "{\"state\":\"FAILED\"}", "[{\"check\":\"gpu.ecc\"}]"));
            assertThat(f1.state()).isEqualTo(AttemptState.FAILED);
            assertThat(f1.finishedAt()).isAfterOrEqualTo(f1.startedAt());
            assertThat(f1.evidenceJson()).isEqualTo("{\"state\":\"FAILED\"}");
            assertThat(f1.findingsJson()).contains("gpu.ecc");
            assertThatThrownBy(() -> db.finishStage(a1.id(), new StageResult(AttemptState.PASSED, null, null, null,
                    null))).isInstanceOf(ResultsDbException.class).hasMessageContaining("already ended (failed)");

            StageAttempt a2 = db.startStage(new StageStart("r1", "n1", "rack-1", "burn-in", 5600.0));
            assertThat(a2.attempt()).as("a retest").isEqualTo(2);

            StageAttempt planned = db.planStage(new StageStart("r1", "n2", "rack-1", "health", null));
            assertThat(planned.state()).isEqualTo(AttemptState.PENDING);
            assertThat(planned.startedAt()).isNull();
            StageAttempt started = db.startStage(new StageStart("r1", "n2", null, "health", 900.0));
            assertThat(started.id()).as("the planned attempt starts").isEqualTo(planned.id());
            assertThat(started.attempt()).isEqualTo(1);
            assertThat(started.rack()).isEqualTo("rack-1");
            assertThat(started.estimatedWatts()).isEqualTo(900.0);

            assertThat(db.attempts("r1")).extracting(StageAttempt::stage, StageAttempt::attempt, StageAttempt::state)
                    .containsExactly(
                            tuple("burn-in", 1, AttemptState.FAILED),
                            tuple("burn-in", 2, AttemptState.RUNNING),
                            tuple("health", 1, AttemptState.RUNNING));
            assertThatThrownBy(() -> db.startStage(new StageStart("nope", "n1", null, "health", null)))
                    .isInstanceOf(ResultsDbException.class).hasMessageContaining("no run 'nope'");
        }
    }

    @Test
    void pendingWorkFindsWhatACrashedRunLeft() throws Exception {
        String url = newUrl();
        long running;
        try (ResultsDb db = ResultsDb.open(url)) {
            db.createRun(run("r1"));
            for (String s : List.of("reachable", "inventory", "health")) {
                StageAttempt a = db.startStage(new StageStart("r1", "n1", "rack-1", s, 800.0));
                db.finishStage(a.id(), new StageResult(AttemptState.PASSED, "PASS", null, "{}", "[]"));
            }
            StageAttempt burnin = db.startStage(new StageStart("r1", "n1", "rack-1", "burn-in", 5600.0));
            db.attachJob(burnin.id(), "job-42");
            running = burnin.id();
            StageAttempt failed = db.startStage(new StageStart("r1", "n2", "rack-1", "reachable", null));
            db.finishStage(failed.id(), new StageResult(AttemptState.ERROR, null, "refused", null, null));
            db.planStage(new StageStart("r1", "n2", "rack-1", "reachable", null));
            db.acquire("r1", List.of("n1", "n2"), Duration.ofMinutes(5));
            // no finishRun, no markInterrupted: the process died here
        }
        try (ResultsDb db = ResultsDb.open(url)) {
            ResumeState s = db.pendingWork("r1");
            assertThat(s.run().state()).isEqualTo(RunState.RUNNING);
            assertThat(s.run().heartbeatAt()).isNotNull();
            assertThat(s.passed("n1", "reachable")).isTrue();
            assertThat(s.passed("n1", "health")).isTrue();
            assertThat(s.passed("n1", "burn-in")).isFalse();
            assertThat(s.passed()).hasSize(3);
            assertThat(s.running()).singleElement().satisfies(a -> {
                assertThat(a.id()).isEqualTo(running);
                assertThat(a.agentJobId()).isEqualTo("job-42");
                assertThat(a.stage()).isEqualTo("burn-in");
            });
            assertThat(s.pending()).singleElement().satisfies(a -> {
                assertThat(a.node()).isEqualTo("n2");
                assertThat(a.attempt()).as("the latest attempt wins over the error before it").isEqualTo(2);
            });
            assertThat(s.leases()).extracting(Lease::node).containsExactly("n1", "n2");
            assertThat(s.decidedNodes()).isEmpty();
        }
    }

    @Test
    void verdictsHooksAndHistoryMakeAnRmaTrail() throws Exception {
        try (ResultsDb db = ResultsDb.open(newUrl())) {
            db.createRun(run("r1"));
            StageAttempt b = db.startStage(new StageStart("r1", "n1", "rack-1", "burn-in", 5600.0));
            db.attachJob(b.id(), "job-1");
            db.finishStage(b.id(), new StageResult(AttemptState.FAILED, "FAIL", "GPU 3: 12 uncorrectable ECC errors",
                    "{}", "[]"));
            db.recordHook(new HookRun("r1", "n1", "burn-in", "after-burnin", "/opt/site/collect.sh n1", 0, "ok\n",
                    Duration.ofMillis(1500)));
            VerdictRecord q = db.recordVerdict(new NodeVerdict("r1", "n1", "rack-1", NodeVerdict.Outcome.QUARANTINED,
                    List.of("burnin failed on GPU 3"), List.of("replace GPU 3"),
                    List.of(new NodeVerdict.RmaPart(3, "1652823012345", "GPU-abc", "uncorrectable ECC"))));
            assertThat(q.verdict().rma()).singleElement().satisfies(p -> assertThat(p.serial()).isEqualTo("1652823012345"));
            db.recordVerdict(new NodeVerdict("r1", "n2", "rack-1", NodeVerdict.Outcome.ACCEPTED, null, null, null));
            db.finishRun("r1", 3, null);

            db.createRun(new NewRun("r2", "other@pc", null, null));
            StageAttempt b2 = db.startStage(new StageStart("r2", "n1", "rack-1", "burn-in", 5600.0));
            db.finishStage(b2.id(), new StageResult(AttemptState.PASSED, "PASS", null, "{}", "[]"));
            db.recordVerdict(new NodeVerdict("r2", "n1", "rack-1", NodeVerdict.Outcome.ACCEPTED, List.of(), List.of(),
                    List.of()));

            NodeHistory h = db.history("n1");
            assertThat(h.runs()).extracting(RunRecord::id).containsExactly("r1", "r2");
            assertThat(h.attempts()).hasSize(2);
            assertThat(h.verdicts()).extracting(v -> v.verdict().outcome())
                    .containsExactly(NodeVerdict.Outcome.QUARANTINED, NodeVerdict.Outcome.ACCEPTED);
            assertThat(h.hooks()).singleElement().satisfies(hr -> {
                assertThat(hr.hook().exitCode()).isZero();
                assertThat(hr.hook().duration()).isEqualTo(Duration.ofMillis(1500));
            });
            assertThat(h.timeline()).extracting(NodeHistory.Entry::runId, NodeHistory.Entry::kind)
                    .containsExactly(
                            tuple("r1", "run"),
                            tuple("r1", "stage"),
                            tuple("r1", "hook"),
                            tuple("r1", "verdict"),
                            tuple("r2", "run"),
                            tuple("r2", "stage"),
                            tuple("r2", "verdict"));
            assertThat(h.timeline().get(3).detail()).contains("RMA GPU 3 serial 1652823012345")
                    .contains("action: replace GPU 3");
            assertThat(db.latestVerdict("n1")).get().satisfies(v -> assertThat(v.verdict().runId()).isEqualTo("r2"));
            assertThat(db.history("n2").verdicts()).hasSize(1);
            assertThat(db.history("unknown-node").isEmpty()).isTrue();
        }
    }

    @Test
    void eventLogRebuildsThePowerDraw() throws Exception {
        try (ResultsDb db = ResultsDb.open(newUrl())) {
            db.createRun(run("r1"));
            StageAttempt a = db.startStage(new StageStart("r1", "n1", "rack-1", "burn-in", 5000.0));
            Thread.sleep(5);
            StageAttempt b = db.startStage(new StageStart("r1", "n2", "rack-1", "burn-in", 4000.0));
            Thread.sleep(5);
            db.finishStage(a.id(), new StageResult(AttemptState.PASSED, null, null, null, null));
            Thread.sleep(5);
            StageAttempt c = db.startStage(new StageStart("r1", "n3", "rack-1", "health", 700.0));

            List<StageEvent> events = db.events("r1");
            assertThat(events).extracting(StageEvent::seq).isSorted();
            assertThat(events).filteredOn(e -> e.kind().equals("stage-started"))
                    .extracting(StageEvent::node, StageEvent::estimatedWatts)
                    .containsExactly(tuple("n1", 5000.0),
                            tuple("n2", 4000.0),
                            tuple("n3", 700.0));
            assertThat(events).filteredOn(e -> e.kind().equals("stage-finished")).singleElement()
                    .satisfies(e -> {
                        assertThat(e.estimatedWatts()).isEqualTo(5000.0);
                        assertThat(e.attemptId()).isEqualTo(a.id());
                    });

            PowerTimeline t = PowerTimeline.of(events);
            assertThat(t.peak()).get().satisfies(p -> {
                assertThat(p.watts()).isEqualTo(9000.0);
                assertThat(p.running()).isEqualTo(2);
            });
            assertThat(t.steps().getLast().watts()).isEqualTo(4700.0);
            assertThat(t.wattsAt(db.attempt(b.id()).orElseThrow().startedAt())).isEqualTo(9000.0);
            assertThat(t.wattsAt(db.attempt(c.id()).orElseThrow().startedAt())).isEqualTo(4700.0);
            assertThat(db.eventsSince(0, 1000)).hasSize(events.size());
        }
    }

    @Test
    void leasesAreExclusiveRenewableAndExpire() throws Exception {
        try (ResultsDb db = ResultsDb.open(newUrl())) {
            db.createRun(run("a"));
            db.createRun(run("b"));
            LeaseGrant ga = db.acquire("a", List.of("n1", "n2", "n3"), Duration.ofMinutes(5));
            assertThat(ga.held()).containsExactly("n1", "n2", "n3");
            assertThat(ga.refused()).isEmpty();

            LeaseGrant gb = db.acquire("b", List.of("n3", "n4", "n2"), Duration.ofMinutes(5));
            assertThat(gb.held()).containsExactly("n4");
            assertThat(gb.refused()).extracting(Lease::node).containsExactly("n2", "n3");
            assertThat(gb.refused().getFirst().runId()).isEqualTo("a");
            assertThat(gb.refused().getFirst().holder()).isEqualTo(db.holderId()).contains("@").contains("pid ");
            assertThat(gb.refused().getFirst().describe()).startsWith("run a (").contains("until ");
            assertThat(gb.refused().getFirst().expired()).isFalse();

            assertThat(db.acquire("a", List.of("n1"), Duration.ofMinutes(5)).held()).as("re-acquire renews")
                    .containsExactly("n1");
            assertThat(db.renew("a", Duration.ofMinutes(5))).containsExactly("n1", "n2", "n3");

            db.release("a", List.of("n3", "n4"));
            assertThat(db.holder("n3")).isEmpty();
            assertThat(db.holder("n4")).get().satisfies(l -> assertThat(l.runId()).isEqualTo("b"));
            assertThat(db.acquire("b", List.of("n3"), Duration.ofMinutes(5)).held()).containsExactly("n3");

            // a's heartbeat stops: its leases expire and b takes them over
            db.renew("a", Duration.ofMillis(300));
            assertThat(db.acquire("b", List.of("n1"), Duration.ofMinutes(5)).held()).isEmpty();
            Thread.sleep(450);
            assertThat(db.holder("n1")).get().satisfies(l -> assertThat(l.expired()).isTrue());
            LeaseGrant takeover = db.acquire("b", List.of("n1", "n2"), Duration.ofMinutes(5));
            assertThat(takeover.held()).containsExactly("n1", "n2");
            assertThat(db.renew("a", Duration.ofMinutes(5))).as("a learns it lost them").isEmpty();
            assertThat(db.history("n1").leaseEvents()).singleElement()
                    .satisfies(e -> assertThat(e.detail()).startsWith("from run a ("));
            assertThat(db.history("n1").timeline()).extracting(NodeHistory.Entry::kind).contains("lease");

            db.finishRun("b", 0, null);
            assertThat(db.leases(List.of("n1", "n2", "n3", "n4"))).as("finishing releases").isEmpty();
            assertThatThrownBy(() -> db.acquire("a", List.of("n1"), Duration.ZERO))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void refusesADatabaseWrittenByANewerKiln() throws Exception {
        String url = newUrl();
        try (ResultsDb db = ResultsDb.open(url)) {
            db.createRun(run("r1"));
        }
        addHistoryRow(url, 99, "7");
        assertThatThrownBy(() -> ResultsDb.open(url)).isInstanceOf(ResultsDbException.class)
                .hasMessage("this database was written by a newer Kiln (schema v7); upgrade kiln (this one knows "
                        + "schema v1)")
                .satisfies(e -> assertThat(((ResultsDbException) e).reason())
                        .isEqualTo(ResultsDbException.Reason.NEWER_SCHEMA));
    }

    @Test
    void flywayAlsoRefusesANewerSchemaTheFastPathCannotRead() throws Exception {
        String url = newUrl();
        ResultsDb.open(url).close();
        addHistoryRow(url, 99, "1.5");
        assertThatThrownBy(() -> ResultsDb.open(url)).isInstanceOf(ResultsDbException.class)
                .hasMessageStartingWith("this database was written by a newer Kiln (schema v1.5)");
    }

    @Test
    void concurrentFirstOpensAgree() throws Exception {
        String url = newUrl();
        int threads = 4;
        CyclicBarrier barrier = new CyclicBarrier(threads);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            List<Future<Integer>> opens = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                opens.add(pool.submit(() -> {
                    barrier.await();
                    try (ResultsDb db = ResultsDb.open(url)) {
                        return db.schemaVersion();
                    }
                }));
            }
            for (var f : opens) {
                assertThat(f.get()).isEqualTo(1);
            }
        }
    }

    private void addHistoryRow(String url, int rank, String version) throws Exception {
        try (Connection c = DriverManager.getConnection(url);
             PreparedStatement ps = c.prepareStatement("INSERT INTO " + historyTable() + " (installed_rank, version, "
                     + "description, type, script, checksum, installed_by, execution_time, success) "
                     + "VALUES (?, ?, 'from the future', 'SQL', ?, 0, 'test', 0, ?)")) {
            ps.setInt(1, rank);
            ps.setString(2, version);
            ps.setString(3, "V" + version + "__from_the_future.sql");
            ps.setBoolean(4, true);
            ps.executeUpdate();
        }
    }
}
