package dev.kiln.cli.db;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.protocol.KilnJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * The results database of {@code kiln bringup}: every run, every stage attempt of every node with its
 * evidence, the verdicts, hook runs, an append-only event log, and the leases that keep two runs off the
 * same node. An embedded SQLite file by default ({@link #defaultUrl()}), PostgreSQL when several
 * technicians share one fleet view ({@code jdbc:postgresql://host/db}); the same SQL runs on both.
 *
 * <p>{@link #open} migrates the schema with Flyway and refuses a file or database that is not Kiln's or
 * was written by a newer Kiln. Every time stored is the database's clock (so lease expiry means the same
 * to every machine); records go in and come out, no JDBC or Flyway type leaks. One instance holds one
 * connection and is safe to share between threads (calls are serialized); every change commits before
 * the method returns, so a crash loses nothing that was recorded. Each call reads the database clock
 * once, so a record and the event that describes it carry the same time.
 */
public final class ResultsDb implements AutoCloseable {
    /** The directory of the default database file. */
    public static final String ENV_HOME = "KILN_HOME";
    /** A JDBC URL used when neither {@code --db} nor the configuration names one. */
    public static final String ENV_DB = "KILN_DB";
    private static final int MAX_TRIES = 5;
    private static final Pattern PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");
    /** pgjdbc warns on stderr about what our own message already says (e.g. a bad port in the URL). */
    private static final Logger PGJDBC_LOG = Logger.getLogger("org.postgresql");

    private final String url;
    private final Dialect dialect;
    private final int schemaVersion;
    private final String holder;
    private Connection conn; // guarded by this; null after a connection failure (the next call reconnects)
    private boolean closed;
    /** The database clock (epoch ms), read once at the start of each call: a record and its event agree. */
    private long now;

    private ResultsDb(String url, Dialect dialect, int schemaVersion, Connection conn) {
        this.url = url;
        this.dialect = dialect;
        this.schemaVersion = schemaVersion;
        this.conn = conn;
        this.holder = whoAmI() + " (pid " + ProcessHandle.current().pid() + ")";
    }

    // ---------------------------------------------------------------- locating and opening

    /** {@code jdbc:sqlite:$KILN_HOME/kiln.db}, else {@code jdbc:sqlite:~/.local/state/kiln/kiln.db}. */
    public static String defaultUrl() {
        return defaultUrl(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static String defaultUrl(Map<String, String> env, Path userHome) {
        String home = env.get(ENV_HOME);
        Path dir = home != null && !home.isBlank() ? Path.of(home) : userHome.resolve(".local/state/kiln");
        return "jdbc:sqlite:" + dir.toAbsolutePath().normalize().resolve("kiln.db");
    }

    /**
     * Which database to use: {@code --db}, else the configuration's, else {@code $KILN_DB}, else the
     * default file. Blank values count as absent.
     */
    public static String resolveUrl(String flag, String configured) {
        return resolveUrl(flag, configured, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    static String resolveUrl(String flag, String configured, Map<String, String> env, Path userHome) {
        for (String candidate : new String[]{flag, configured, env.get(ENV_DB)}) {
            if (candidate != null && !candidate.isBlank()) {
                return candidate.strip();
            }
        }
        return defaultUrl(env, userHome);
    }

    /**
     * Opens (creating and migrating if needed) the database at a JDBC URL: {@code jdbc:sqlite:/path/kiln.db}
     * or {@code jdbc:postgresql://host[:port]/database}. The default file's directory is created; any
     * other file's directory must exist.
     *
     * @throws ResultsDbException with {@link ResultsDbException.Reason} BAD_URL, UNREACHABLE,
     *                            ACCESS_DENIED, NOT_KILN, NEWER_SCHEMA or FAILED, and a message for people
     */
    public static ResultsDb open(String jdbcUrl) {
        Dialect dialect = Dialect.of(jdbcUrl);
        if (dialect == Dialect.SQLITE) {
            prepareSqliteFile(jdbcUrl);
        }
        Connection c = connect(jdbcUrl, dialect);
        try {
            boolean hasHistory = checkIsKiln(c, jdbcUrl, dialect);
            OptionalInt current = hasHistory ? SchemaVersion.upToDate(c, dialect) : OptionalInt.empty();
            int version = current.isPresent() ? current.getAsInt()
                    : Migrations.migrate(dialect, new UrlDataSource(jdbcUrl, dialect));
            useSchema(c, dialect);
            return new ResultsDb(jdbcUrl, dialect, version, c);
        } catch (SQLException e) {
            closeQuietly(c);
            throw translate(dialect, jdbcUrl, e, "opening");
        } catch (RuntimeException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private static void prepareSqliteFile(String url) {
        Path file = Dialect.sqliteFile(url);
        Path dir = file.getParent();
        if (Files.isDirectory(file)) {
            throw Dialect.badUrl(url, file + " is a directory, not a database file");
        }
        if (dir != null && !Files.isDirectory(dir)) {
            Path defaultDir = Dialect.sqliteFile(defaultUrl()).getParent();
            if (!dir.equals(defaultDir)) {
                throw Dialect.badUrl(url, "directory " + dir + " does not exist");
            }
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new ResultsDbException(ResultsDbException.Reason.ACCESS_DENIED,
                        "cannot create " + dir + " for the results database: " + e, e);
            }
        }
    }

    static Connection connect(String url, Dialect dialect) {
        if (dialect == Dialect.POSTGRESQL && PGJDBC_LOG.getLevel() == null) {
            PGJDBC_LOG.setLevel(Level.SEVERE);
        }
        Driver driver = dialect.driver();
        try {
            if (!driver.acceptsURL(url)) {
                throw Dialect.badUrl(url, "not a valid database URL '" + redact(url) + "'");
            }
            Connection c = connectWaitingOutFirstOpen(driver, url, dialect);
            if (c == null) {
                throw Dialect.badUrl(url, "not a valid database URL '" + redact(url) + "'");
            }
            return c;
        } catch (SQLException e) {
            throw translate(dialect, url, e, "connecting to");
        }
    }

    /**
     * SQLite: the driver switches a fresh file to WAL while it connects, before its busy timeout applies, so two
     * processes opening a new database at once can get SQLITE_BUSY at once; wait that out up to the busy timeout, as
     * every later statement does.
     */
    private static Connection connectWaitingOutFirstOpen(Driver driver, String url, Dialect dialect)
            throws SQLException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
                Dialect.SQLITE_BUSY_TIMEOUT_MS);
        while (true) {
            try {
                return driver.connect(url, dialect.driverProperties());
            } catch (SQLException e) {
                int code = e.getErrorCode() & 0xff;
                if (dialect != Dialect.SQLITE || (code != 5 && code != 6) || System.nanoTime() > deadline) {
                    throw e;
                }
            }
            try {
                Thread.sleep(20 + java.util.concurrent.ThreadLocalRandom.current().nextInt(30));
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new SQLException("interrupted while waiting for " + redact(url) + " to be unlocked", ie);
            }
        }
    }

    private static void useSchema(Connection c, Dialect dialect) throws SQLException {
        if (dialect.schema() != null) {
            c.setSchema(dialect.schema());
        }
    }

    /**
     * A database with tables but no Kiln schema history is someone else's: never migrate into it. Answers
     * whether the history table is there.
     */
    private static boolean checkIsKiln(Connection c, String url, Dialect dialect) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = c.getMetaData().getTables(null, dialect.schema(), "%", new String[]{"TABLE"})) {
            while (rs.next()) {
                String name = rs.getString("TABLE_NAME");
                if (!name.startsWith("sqlite_")) {
                    tables.add(name);
                }
            }
        }
        boolean hasHistory = tables.stream().anyMatch(t -> t.equalsIgnoreCase(Migrations.HISTORY_TABLE));
        if (!tables.isEmpty() && !hasHistory) {
            throw new ResultsDbException(ResultsDbException.Reason.NOT_KILN, where(dialect, url)
                    + " is not a Kiln results database (it has other tables: "
                    + String.join(", ", tables.subList(0, Math.min(5, tables.size())))
                    + (tables.size() > 5 ? ", ..." : "") + ")", null);
        }
        return hasHistory;
    }

    /** {@code user@host} of this process, for {@link NewRun#startedBy()} and lease holders. */
    public static String whoAmI() {
        return System.getProperty("user.name", "unknown") + "@" + hostname();
    }

    private static String hostname() {
        try {
            String h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            if (!h.isEmpty()) {
                return h;
            }
        } catch (IOException | RuntimeException ignored) {
            // not Linux: ask the resolver
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** The URL without its password, for messages. */
    public static String redact(String url) {
        return url == null ? null : PASSWORD.matcher(url).replaceAll("$1***");
    }

    /** The URL this was opened with, without a password. */
    public String url() {
        return redact(url);
    }

    /** Whether this is the shared kind (PostgreSQL) rather than a local SQLite file. */
    public boolean shared() {
        return dialect == Dialect.POSTGRESQL;
    }

    /** The schema version the database is at (the newest migration applied). */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** What this process writes as a lease holder: {@code user@host (pid N)}. */
    public String holderId() {
        return holder;
    }

    @Override
    public synchronized void close() {
        closed = true;
        closeQuietly(conn);
        conn = null;
    }

    // ---------------------------------------------------------------- runs

    /** Records a new run as running (event {@code run-started}). */
    public RunRecord createRun(NewRun run) {
        return tx(c -> {
            if (findRun(c, run.id()).isPresent()) {
                throw new ResultsDbException(ResultsDbException.Reason.FAILED,
                        "a run with id '" + run.id() + "' already exists in " + url(), null);
            }
            Sql.update(c, sql("INSERT INTO runs (id, started_by, args_json, plan_json, state, started_ms, heartbeat_ms) "
                            + "VALUES (?, ?, ?, ?, ?, {now}, {now})"),
                    run.id(), run.startedBy(), run.argsJson(), run.planJson(), RunState.RUNNING.id());
            event(c, run.id(), "run-started", null, null, null, null, null, RunState.RUNNING.id(), null,
                    run.startedBy());
            return requireRun(c, run.id());
        });
    }

    public Optional<RunRecord> run(String runId) {
        return read(c -> findRun(c, runId));
    }

    /** Runs not {@link RunState#FINISHED} (running, crashed or interrupted), newest first: what to resume. */
    public List<RunRecord> unfinishedRuns() {
        return read(c -> Sql.query(c, "SELECT * FROM runs WHERE state <> ? ORDER BY started_ms DESC, id",
                ResultsDb::runRow, RunState.FINISHED.id()));
    }

    /** The newest runs first. */
    public List<RunRecord> recentRuns(int limit) {
        return read(c -> Sql.query(c, "SELECT * FROM runs ORDER BY started_ms DESC, id LIMIT ?", ResultsDb::runRow,
                limit));
    }

    /** {@code --resume}: the run is running again, by {@code who} (event {@code run-resumed}). */
    public RunRecord resumeRun(String runId, String who) {
        return tx(c -> {
            requireRun(c, runId);
            Sql.update(c, sql("UPDATE runs SET state = ?, resumes = resumes + 1, heartbeat_ms = {now}, "
                    + "finished_ms = NULL WHERE id = ?"), RunState.RUNNING.id(), runId);
            event(c, runId, "run-resumed", null, null, null, null, null, RunState.RUNNING.id(), null, who);
            return requireRun(c, runId);
        });
    }

    /**
     * Ctrl-C or SIGTERM: the run stops, resumable (event {@code run-interrupted}). Its leases stay until
     * they expire, since jobs may still run on the nodes; {@link #releaseAll} gives them up early.
     */
    public RunRecord markInterrupted(String runId, String reason) {
        return tx(c -> {
            requireRun(c, runId);
            Sql.update(c, sql("UPDATE runs SET state = ?, summary = ?, heartbeat_ms = {now} WHERE id = ?"),
                    RunState.INTERRUPTED.id(), reason, runId);
            event(c, runId, "run-interrupted", null, null, null, null, null, RunState.INTERRUPTED.id(), null,
                    reason);
            return requireRun(c, runId);
        });
    }

    /** The run ended with this exit code (event {@code run-finished}); its leases are released. */
    public RunRecord finishRun(String runId, int exitCode, String summary) {
        return tx(c -> {
            requireRun(c, runId);
            Sql.update(c, sql("UPDATE runs SET state = ?, exit_code = ?, summary = ?, finished_ms = {now}, "
                    + "heartbeat_ms = {now} WHERE id = ?"), RunState.FINISHED.id(), exitCode, summary, runId);
            Sql.update(c, "DELETE FROM leases WHERE run_id = ?", runId);
            event(c, runId, "run-finished", null, null, null, null, null, RunState.FINISHED.id(), null,
                    "exit " + exitCode + (summary == null ? "" : ": " + summary));
            return requireRun(c, runId);
        });
    }

    // ---------------------------------------------------------------- stage attempts

    /** Plans an attempt without starting it ({@link AttemptState#PENDING}, event {@code stage-planned}). */
    public StageAttempt planStage(StageStart start) {
        return tx(c -> {
            requireRun(c, start.runId());
            int attempt = nextAttempt(c, start);
            long id = Sql.insert(c, sql("INSERT INTO stage_attempts (run_id, node, rack, stage, attempt, state, "
                            + "est_watts, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, {now}) RETURNING id"),
                    start.runId(), start.node(), start.rack(), start.stage(), attempt, AttemptState.PENDING.id(),
                    start.estimatedWatts());
            event(c, start.runId(), "stage-planned", start.node(), start.rack(), start.stage(), attempt, id,
                    AttemptState.PENDING.id(), start.estimatedWatts(), null);
            return requireAttempt(c, id);
        });
    }

    /**
     * Starts a stage ({@link AttemptState#RUNNING}, event {@code stage-started} with the watts): the planned
     * attempt if the latest one is pending, else a new attempt numbered one past the latest.
     */
    public StageAttempt startStage(StageStart start) {
        return tx(c -> {
            requireRun(c, start.runId());
            Optional<StageAttempt> latest = Sql.one(c, "SELECT * FROM stage_attempts WHERE run_id = ? AND node = ? "
                            + "AND stage = ? ORDER BY attempt DESC LIMIT 1", ResultsDb::attemptRow,
                    start.runId(), start.node(), start.stage());
            long id;
            int attempt;
            Double watts;
            if (latest.isPresent() && latest.get().state() == AttemptState.PENDING) {
                StageAttempt p = latest.get();
                id = p.id();
                attempt = p.attempt();
                watts = start.estimatedWatts() != null ? start.estimatedWatts() : p.estimatedWatts();
                Sql.update(c, sql("UPDATE stage_attempts SET state = ?, started_ms = {now}, est_watts = ?, "
                        + "rack = COALESCE(?, rack) WHERE id = ?"), AttemptState.RUNNING.id(), watts, start.rack(), id);
            } else {
                attempt = latest.map(a -> a.attempt() + 1).orElse(1);
                watts = start.estimatedWatts();
                id = Sql.insert(c, sql("INSERT INTO stage_attempts (run_id, node, rack, stage, attempt, state, "
                                + "est_watts, created_ms, started_ms) VALUES (?, ?, ?, ?, ?, ?, ?, {now}, {now}) "
                                + "RETURNING id"),
                        start.runId(), start.node(), start.rack(), start.stage(), attempt,
                        AttemptState.RUNNING.id(), watts);
            }
            event(c, start.runId(), "stage-started", start.node(), start.rack(), start.stage(), attempt, id,
                    AttemptState.RUNNING.id(), watts, null);
            return requireAttempt(c, id);
        });
    }

    /** Records the job the agent runs for this attempt, so a crashed run can re-attach to it. */
    public StageAttempt attachJob(long attemptId, String agentJobId) {
        return tx(c -> {
            StageAttempt a = requireAttempt(c, attemptId);
            Sql.update(c, "UPDATE stage_attempts SET agent_job_id = ? WHERE id = ?", agentJobId, attemptId);
            event(c, a.runId(), "job-attached", a.node(), a.rack(), a.stage(), a.attempt(), a.id(), a.state().id(),
                    null, agentJobId);
            return requireAttempt(c, attemptId);
        });
    }

    /**
     * Ends a pending or running attempt with its verdict, summary, evidence and findings (event
     * {@code stage-finished}, with the attempt's watts). An attempt finishes once: a second call fails.
     */
    public StageAttempt finishStage(long attemptId, StageResult result) {
        return tx(c -> {
            StageAttempt a = requireAttempt(c, attemptId);
            if (a.state().finished()) {
                throw new ResultsDbException(ResultsDbException.Reason.FAILED, "attempt " + a.attempt() + " of "
                        + a.stage() + " on " + a.node() + " in run " + a.runId() + " already ended ("
                        + a.state().id() + ")", null);
            }
            Sql.update(c, sql("UPDATE stage_attempts SET state = ?, finished_ms = {now}, verdict = ?, summary = ?, "
                            + "evidence_json = ?, findings_json = ? WHERE id = ?"), result.state().id(),
                    result.verdict(), result.summary(), result.evidenceJson(), result.findingsJson(), attemptId);
            event(c, a.runId(), "stage-finished", a.node(), a.rack(), a.stage(), a.attempt(), a.id(),
                    result.state().id(), a.startedAt() == null ? null : a.estimatedWatts(), result.summary());
            return requireAttempt(c, attemptId);
        });
    }

    public Optional<StageAttempt> attempt(long attemptId) {
        return read(c -> findAttempt(c, attemptId));
    }

    /** Every attempt of a run, in the order they were created. */
    public List<StageAttempt> attempts(String runId) {
        return read(c -> Sql.query(c, "SELECT * FROM stage_attempts WHERE run_id = ? ORDER BY id",
                ResultsDb::attemptRow, runId));
    }

    /**
     * What {@code --resume} needs: the run, the latest attempt of each (node, stage), the verdicts and the
     * run's leases. A run left {@link RunState#RUNNING} by a crash is found like an interrupted one.
     *
     * @throws ResultsDbException {@link ResultsDbException.Reason#UNKNOWN_RUN} when there is no such run
     */
    public ResumeState pendingWork(String runId) {
        return read(c -> {
            RunRecord run = requireRun(c, runId);
            List<StageAttempt> latest = Sql.query(c, "SELECT * FROM stage_attempts a WHERE a.run_id = ? AND "
                    + "a.attempt = (SELECT MAX(b.attempt) FROM stage_attempts b WHERE b.run_id = a.run_id "
                    + "AND b.node = a.node AND b.stage = a.stage) ORDER BY a.id", ResultsDb::attemptRow, runId);
            List<VerdictRecord> verdicts = Sql.query(c, "SELECT * FROM node_verdicts WHERE run_id = ? ORDER BY id",
                    ResultsDb::verdictRow, runId);
            List<Lease> leases = Sql.query(c, sql("SELECT l.*, {now} AS now_ms FROM leases l WHERE run_id = ? "
                    + "ORDER BY node"), ResultsDb::leaseRow, runId);
            return new ResumeState(run, latest, verdicts, leases);
        });
    }

    // ---------------------------------------------------------------- verdicts, hooks, events

    /** Records a node's verdict (event {@code verdict}). */
    public VerdictRecord recordVerdict(NodeVerdict v) {
        return tx(c -> {
            requireRun(c, v.runId());
            long id = Sql.insert(c, sql("INSERT INTO node_verdicts (run_id, node, rack, outcome, reasons_json, "
                            + "actions_json, rma_json, decided_ms) VALUES (?, ?, ?, ?, ?, ?, ?, {now}) RETURNING id"),
                    v.runId(), v.node(), v.rack(), outcomeId(v.outcome()), json(v.reasons()), json(v.actions()),
                    json(v.rma()));
            event(c, v.runId(), "verdict", v.node(), v.rack(), null, null, null, outcomeId(v.outcome()), null,
                    v.reasons().isEmpty() ? null : String.join("; ", v.reasons()));
            return Sql.one(c, "SELECT * FROM node_verdicts WHERE id = ?", ResultsDb::verdictRow, id).orElseThrow();
        });
    }

    public List<VerdictRecord> verdicts(String runId) {
        return read(c -> Sql.query(c, "SELECT * FROM node_verdicts WHERE run_id = ? ORDER BY id",
                ResultsDb::verdictRow, runId));
    }

    /** The node's most recent verdict in any run. */
    public Optional<VerdictRecord> latestVerdict(String node) {
        return read(c -> Sql.one(c, "SELECT * FROM node_verdicts WHERE node = ? ORDER BY decided_ms DESC, id DESC "
                + "LIMIT 1", ResultsDb::verdictRow, node));
    }

    /** Records a hook that ran (event {@code hook}); its finish time is now. */
    public HookRecord recordHook(HookRun h) {
        return tx(c -> {
            requireRun(c, h.runId());
            long id = Sql.insert(c, sql("INSERT INTO hook_runs (run_id, node, stage, hook, command, exit_code, "
                            + "output_tail, duration_ms, finished_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, {now}) "
                            + "RETURNING id"), h.runId(), h.node(), h.stage(), h.hook(), h.command(), h.exitCode(),
                    h.outputTail(), h.duration().toMillis());
            event(c, h.runId(), "hook", h.node(), null, h.stage(), null, null,
                    h.exitCode() == null ? "killed" : "exit " + h.exitCode(), null, h.hook() + ": " + h.command());
            return Sql.one(c, "SELECT * FROM hook_runs WHERE id = ?", ResultsDb::hookRow, id).orElseThrow();
        });
    }

    public List<HookRecord> hooks(String runId) {
        return read(c -> Sql.query(c, "SELECT * FROM hook_runs WHERE run_id = ? ORDER BY id", ResultsDb::hookRow,
                runId));
    }

    /** A run's event log in order ({@link PowerTimeline#of} rebuilds the power draw from it). */
    public List<StageEvent> events(String runId) {
        return read(c -> Sql.query(c, "SELECT * FROM events WHERE run_id = ? ORDER BY seq", ResultsDb::eventRow,
                runId));
    }

    /** Events of every run after {@code afterSeq} (0: from the start), at most {@code limit}: a fleet-wide view. */
    public List<StageEvent> eventsSince(long afterSeq, int limit) {
        return read(c -> Sql.query(c, "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", ResultsDb::eventRow,
                afterSeq, limit));
    }

    /** Everything recorded about a node, across runs: its RMA trail. */
    public NodeHistory history(String node) {
        return read(c -> {
            List<RunRecord> runs = Sql.query(c, "SELECT * FROM runs WHERE id IN ("
                            + "SELECT run_id FROM stage_attempts WHERE node = ? UNION "
                            + "SELECT run_id FROM node_verdicts WHERE node = ? UNION "
                            + "SELECT run_id FROM hook_runs WHERE node = ? UNION "
                            + "SELECT run_id FROM events WHERE node = ?) ORDER BY started_ms, id",
                    ResultsDb::runRow, node, node, node, node);
            List<StageAttempt> attempts = Sql.query(c, "SELECT * FROM stage_attempts WHERE node = ? ORDER BY id",
                    ResultsDb::attemptRow, node);
            List<VerdictRecord> verdicts = Sql.query(c, "SELECT * FROM node_verdicts WHERE node = ? ORDER BY id",
                    ResultsDb::verdictRow, node);
            List<HookRecord> hooks = Sql.query(c, "SELECT * FROM hook_runs WHERE node = ? ORDER BY id",
                    ResultsDb::hookRow, node);
            List<StageEvent> leases = Sql.query(c, "SELECT * FROM events WHERE node = ? AND kind = ? ORDER BY seq",
                    ResultsDb::eventRow, node, "lease-takeover");
            return new NodeHistory(node, runs, attempts, verdicts, hooks, leases);
        });
    }

    // ---------------------------------------------------------------- leases

    /**
     * Takes every requested node that no other live run holds, for {@code ttl} from now (database clock),
     * in one transaction. A node whose lease has expired (its run died or stopped renewing) is taken over
     * (event {@code lease-takeover}); a node this run already holds is renewed. Race-free across processes
     * and machines: the node is the primary key, and the insert-or-take-over is one atomic statement.
     */
    public LeaseGrant acquire(String runId, List<String> nodes, Duration ttl) {
        long ttlMs = ttlMillis(ttl);
        Set<String> sorted = new TreeSet<>(nodes); // one lock order for everyone: no deadlocks on PostgreSQL
        Set<String> held = tx(c -> {
            requireRun(c, runId);
            Set<String> got = new TreeSet<>();
            for (String node : sorted) {
                Optional<Lease> prior = findLease(c, node, true);
                int n = Sql.update(c, sql("INSERT INTO leases (node, run_id, holder, acquired_ms, expires_ms) "
                                + "VALUES (?, ?, ?, {now}, {now} + ?) ON CONFLICT (node) DO UPDATE SET "
                                + "run_id = excluded.run_id, holder = excluded.holder, "
                                + "acquired_ms = CASE WHEN leases.run_id = excluded.run_id THEN leases.acquired_ms "
                                + "ELSE excluded.acquired_ms END, expires_ms = excluded.expires_ms "
                                + "WHERE leases.run_id = excluded.run_id OR leases.expires_ms <= {now}"),
                        node, runId, holder, ttlMs);
                if (n == 1) {
                    got.add(node);
                    if (prior.isPresent() && !prior.get().runId().equals(runId)) {
                        Lease p = prior.get();
                        event(c, runId, "lease-takeover", node, null, null, null, null, null, null,
                                "from run " + p.runId() + " (" + p.holder() + "), expired " + p.expiresAt());
                    }
                }
            }
            Sql.update(c, sql("UPDATE runs SET heartbeat_ms = {now} WHERE id = ?"), runId);
            return got;
        });
        List<String> inOrder = nodes.stream().distinct().filter(held::contains).toList();
        List<String> others = nodes.stream().distinct().filter(n -> !held.contains(n)).toList();
        List<Lease> refused = others.isEmpty() ? List.of() : leases(others);
        return new LeaseGrant(inOrder, refused);
    }

    /**
     * The heartbeat: extends every lease the run still holds by {@code ttl} from now and answers those
     * nodes. A node missing from the answer was taken over after this run's lease expired: stop testing it.
     */
    public List<String> renew(String runId, Duration ttl) {
        long ttlMs = ttlMillis(ttl);
        return tx(c -> {
            Sql.update(c, sql("UPDATE leases SET expires_ms = {now} + ? WHERE run_id = ?"), ttlMs, runId);
            Sql.update(c, sql("UPDATE runs SET heartbeat_ms = {now} WHERE id = ?"), runId);
            return Sql.query(c, "SELECT node FROM leases WHERE run_id = ? ORDER BY node", rs -> rs.getString(1),
                    runId);
        });
    }

    /** Gives up these nodes (only where this run holds them). */
    public void release(String runId, Collection<String> nodes) {
        Set<String> sorted = new TreeSet<>(nodes);
        tx(c -> {
            for (String node : sorted) {
                Sql.update(c, "DELETE FROM leases WHERE run_id = ? AND node = ?", runId, node);
            }
            return null;
        });
    }

    /** Gives up every node the run holds. */
    public void releaseAll(String runId) {
        tx(c -> Sql.update(c, "DELETE FROM leases WHERE run_id = ?", runId));
    }

    /** Who holds a node, if anyone (an expired lease is still listed, flagged). */
    public Optional<Lease> holder(String node) {
        return read(c -> findLease(c, node, false));
    }

    /** The leases on these nodes, by node name; nodes nobody holds are absent. */
    public List<Lease> leases(Collection<String> nodes) {
        Set<String> sorted = new TreeSet<>(nodes);
        return read(c -> {
            List<Lease> out = new ArrayList<>();
            for (String node : sorted) {
                findLease(c, node, false).ifPresent(out::add);
            }
            return out;
        });
    }

    private static long ttlMillis(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a lease needs a positive ttl, not " + ttl);
        }
        return ttl.toMillis();
    }

    private Optional<Lease> findLease(Connection c, String node, boolean forUpdate) throws SQLException {
        String lock = forUpdate && dialect == Dialect.POSTGRESQL ? " FOR UPDATE" : "";
        return Sql.one(c, sql("SELECT l.*, {now} AS now_ms FROM leases l WHERE node = ?" + lock),
                ResultsDb::leaseRow, node);
    }

    // ---------------------------------------------------------------- plumbing

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} in one transaction, retrying a deadlock or serialization failure. */
    private synchronized <T> T tx(Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            Connection c = connection();
            try {
                c.setAutoCommit(false);
                now = databaseNow(c);
                T result = work.run(c);
                c.commit();
                c.setAutoCommit(true);
                return result;
            } catch (SQLException e) {
                rollback(c);
                if (retryable(e) && attempt < MAX_TRIES) {
                    pause(attempt);
                    continue;
                }
                throw failure(e);
            } catch (RuntimeException e) {
                rollback(c);
                throw e;
            }
        }
    }

    /** Runs read-only {@code work} outside a transaction. */
    private synchronized <T> T read(Work<T> work) {
        Connection c = connection();
        try {
            now = databaseNow(c);
            return work.run(c);
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private Connection connection() {
        if (closed) {
            throw new IllegalStateException("results database " + url() + " is closed");
        }
        try {
            if (conn == null || conn.isClosed()) {
                Connection c = connect(url, dialect);
                useSchema(c, dialect);
                conn = c;
            }
            return conn;
        } catch (SQLException e) {
            throw failure(e);
        }
    }

    private void rollback(Connection c) {
        try {
            c.rollback();
            c.setAutoCommit(true);
        } catch (SQLException | RuntimeException ignored) {
            // the connection is gone; failure() drops it
        }
    }

    private RuntimeException failure(SQLException e) {
        String state = e.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P"))) {
            closeQuietly(conn); // reconnect on the next call
            conn = null;
        }
        return translate(dialect, url, e, "using");
    }

    private boolean retryable(SQLException e) {
        String state = e.getSQLState();
        return "40001".equals(state) || "40P01".equals(state);
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(10L * attempt + (long) (Math.random() * 20));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ResultsDbException(ResultsDbException.Reason.FAILED, "interrupted", e);
        }
    }

    /** A SQL failure as a message for the technician. */
    static ResultsDbException translate(Dialect dialect, String url, SQLException e, String doing) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = where(dialect, url);
        String msg = e.getMessage();
        if (dialect == Dialect.POSTGRESQL) {
            if (state.startsWith("08")) {
                return new ResultsDbException(ResultsDbException.Reason.UNREACHABLE,
                        "cannot reach PostgreSQL at " + where + ": " + msg, e);
            }
            if (state.startsWith("28") || state.equals("42501")) {
                return new ResultsDbException(ResultsDbException.Reason.ACCESS_DENIED,
                        "PostgreSQL at " + where + " refused: " + msg, e);
            }
            if (state.equals("3D000")) {
                return new ResultsDbException(ResultsDbException.Reason.BAD_URL, msg + " (" + where + ")", e);
            }
        } else {
            switch (e.getErrorCode() & 0xff) {
                case 26 -> {
                    return new ResultsDbException(ResultsDbException.Reason.NOT_KILN,
                            where + " is not a Kiln results database (not an SQLite file)", e);
                }
                case 11 -> {
                    return new ResultsDbException(ResultsDbException.Reason.NOT_KILN,
                            where + " is damaged (SQLite: " + msg + ")", e);
                }
                case 14 -> {
                    return new ResultsDbException(ResultsDbException.Reason.BAD_URL, "cannot open " + where + ": " + msg, e);
                }
                case 8, 23 -> {
                    return new ResultsDbException(ResultsDbException.Reason.ACCESS_DENIED,
                            "cannot write " + where + ": " + msg, e);
                }
                case 5, 6 -> {
                    return new ResultsDbException(ResultsDbException.Reason.FAILED, where
                            + " stayed locked by another process for more than "
                            + Dialect.SQLITE_BUSY_TIMEOUT_MS / 1000 + " s: " + msg, e);
                }
                default -> {
                }
            }
        }
        return new ResultsDbException(ResultsDbException.Reason.FAILED,
                doing + " the results database " + where + " failed: " + msg, e);
    }

    private static String where(Dialect dialect, String url) {
        return dialect == Dialect.SQLITE ? Dialect.sqliteFile(url).toString() : redact(url);
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException | RuntimeException ignored) {
                // closing a broken connection
            }
        }
    }

    private long databaseNow(Connection c) throws SQLException {
        return Sql.one(c, "SELECT " + dialect.nowMs(), rs -> rs.getLong(1)).orElseThrow();
    }

    /** {@code {now}} in a statement is the database time read at the start of this call. */
    private String sql(String text) {
        return text.replace("{now}", Long.toString(now));
    }

    private void event(Connection c, String runId, String kind, String node, String rack, String stage,
                       Integer attempt, Long attemptId, String state, Double watts, String detail) throws SQLException {
        Sql.update(c, sql("INSERT INTO events (at_ms, run_id, kind, node, rack, stage, attempt, attempt_id, state, "
                        + "est_watts, detail) VALUES ({now}, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                runId, kind, node, rack, stage, attempt, attemptId, state, watts, detail);
    }

    private static int nextAttempt(Connection c, StageStart s) throws SQLException {
        return Sql.one(c, "SELECT MAX(attempt) FROM stage_attempts WHERE run_id = ? AND node = ? AND stage = ?",
                rs -> rs.getInt(1), s.runId(), s.node(), s.stage()).orElse(0) + 1;
    }

    private static Optional<RunRecord> findRun(Connection c, String runId) throws SQLException {
        return Sql.one(c, "SELECT * FROM runs WHERE id = ?", ResultsDb::runRow, runId);
    }

    private RunRecord requireRun(Connection c, String runId) throws SQLException {
        return findRun(c, runId).orElseThrow(() -> new ResultsDbException(ResultsDbException.Reason.UNKNOWN_RUN,
                "no run '" + runId + "' in " + url(), null));
    }

    private static Optional<StageAttempt> findAttempt(Connection c, long id) throws SQLException {
        return Sql.one(c, "SELECT * FROM stage_attempts WHERE id = ?", ResultsDb::attemptRow, id);
    }

    private StageAttempt requireAttempt(Connection c, long id) throws SQLException {
        return findAttempt(c, id).orElseThrow(() -> new ResultsDbException(ResultsDbException.Reason.FAILED,
                "no stage attempt " + id + " in " + url(), null));
    }

    private static RunRecord runRow(ResultSet rs) throws SQLException {
        return new RunRecord(rs.getString("id"), rs.getString("started_by"), rs.getString("args_json"),
                rs.getString("plan_json"), RunState.fromId(rs.getString("state")), Sql.intOrNull(rs, "exit_code"),
                rs.getString("summary"), Sql.instant(rs, "started_ms"), Sql.instant(rs, "heartbeat_ms"),
                Sql.instant(rs, "finished_ms"), rs.getInt("resumes"));
    }

    private static StageAttempt attemptRow(ResultSet rs) throws SQLException {
        return new StageAttempt(rs.getLong("id"), rs.getString("run_id"), rs.getString("node"), rs.getString("rack"),
                rs.getString("stage"), rs.getInt("attempt"), AttemptState.fromId(rs.getString("state")),
                rs.getString("agent_job_id"), Sql.doubleOrNull(rs, "est_watts"), Sql.instant(rs, "created_ms"),
                Sql.instant(rs, "started_ms"), Sql.instant(rs, "finished_ms"), rs.getString("verdict"),
                rs.getString("summary"), rs.getString("evidence_json"), rs.getString("findings_json"));
    }

    private static VerdictRecord verdictRow(ResultSet rs) throws SQLException {
        NodeVerdict v = new NodeVerdict(rs.getString("run_id"), rs.getString("node"), rs.getString("rack"),
                NodeVerdict.Outcome.valueOf(rs.getString("outcome").toUpperCase(Locale.ROOT)),
                fromJson(rs.getString("reasons_json"), String.class), fromJson(rs.getString("actions_json"), String.class),
                fromJson(rs.getString("rma_json"), NodeVerdict.RmaPart.class));
        return new VerdictRecord(rs.getLong("id"), Sql.instant(rs, "decided_ms"), v);
    }

    private static HookRecord hookRow(ResultSet rs) throws SQLException {
        HookRun h = new HookRun(rs.getString("run_id"), rs.getString("node"), rs.getString("stage"),
                rs.getString("hook"), rs.getString("command"), Sql.intOrNull(rs, "exit_code"),
                rs.getString("output_tail"), Duration.ofMillis(rs.getLong("duration_ms")));
        return new HookRecord(rs.getLong("id"), Sql.instant(rs, "finished_ms"), h);
    }

    private static StageEvent eventRow(ResultSet rs) throws SQLException {
        return new StageEvent(rs.getLong("seq"), Sql.instant(rs, "at_ms"), rs.getString("run_id"), rs.getString("kind"),
                rs.getString("node"), rs.getString("rack"), rs.getString("stage"), Sql.intOrNull(rs, "attempt"),
                Sql.longOrNull(rs, "attempt_id"), rs.getString("state"), Sql.doubleOrNull(rs, "est_watts"),
                rs.getString("detail"));
    }

    private static Lease leaseRow(ResultSet rs) throws SQLException {
        long expires = rs.getLong("expires_ms");
        return new Lease(rs.getString("node"), rs.getString("run_id"), rs.getString("holder"),
                Sql.instant(rs, "acquired_ms"), Instant.ofEpochMilli(expires), expires <= rs.getLong("now_ms"));
    }

    private static String outcomeId(NodeVerdict.Outcome o) {
        return o.name().toLowerCase(Locale.ROOT);
    }

    private static String json(Object value) {
        return KilnJson.write(value);
    }

    private static <T> List<T> fromJson(String text, Class<T> element) throws SQLException {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        try {
            ObjectMapper m = KilnJson.mapper();
            return m.readValue(text, m.getTypeFactory().constructCollectionType(List.class, element));
        } catch (JsonProcessingException e) {
            throw new SQLException("unreadable JSON in the results database: " + e.getOriginalMessage(), e);
        }
    }
}
