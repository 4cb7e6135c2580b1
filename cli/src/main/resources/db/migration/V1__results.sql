-- Kiln results database, schema 1 (docs/results-db.md).
-- One file for SQLite and PostgreSQL: ${id_pk} (an auto-increment primary key) is the only
-- vendor-specific text, filled in by Flyway. Every *_ms column is epoch milliseconds (UTC) taken from
-- the database's clock, never a client's. JSON is stored as text. Migrations are append-only: a change
-- is a new V<n>__*.sql file, never an edit to this one.

CREATE TABLE runs (
    id            TEXT PRIMARY KEY,
    started_by    TEXT NOT NULL,
    args_json     TEXT,
    plan_json     TEXT,
    state         TEXT NOT NULL,
    exit_code     INTEGER,
    summary       TEXT,
    started_ms    BIGINT NOT NULL,
    heartbeat_ms  BIGINT NOT NULL,
    finished_ms   BIGINT,
    resumes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_started ON runs (started_ms);

CREATE TABLE stage_attempts (
    id            ${id_pk},
    run_id        TEXT NOT NULL REFERENCES runs (id),
    node          TEXT NOT NULL,
    rack          TEXT,
    stage         TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    state         TEXT NOT NULL,
    agent_job_id  TEXT,
    est_watts     DOUBLE PRECISION,
    created_ms    BIGINT NOT NULL,
    started_ms    BIGINT,
    finished_ms   BIGINT,
    verdict       TEXT,
    summary       TEXT,
    evidence_json TEXT,
    findings_json TEXT,
    UNIQUE (run_id, node, stage, attempt)
);
CREATE INDEX stage_attempts_node ON stage_attempts (node, id);

CREATE TABLE node_verdicts (
    id            ${id_pk},
    run_id        TEXT NOT NULL REFERENCES runs (id),
    node          TEXT NOT NULL,
    rack          TEXT,
    outcome       TEXT NOT NULL,
    reasons_json  TEXT NOT NULL,
    actions_json  TEXT NOT NULL,
    rma_json      TEXT NOT NULL,
    decided_ms    BIGINT NOT NULL
);
CREATE INDEX node_verdicts_node ON node_verdicts (node, id);
CREATE INDEX node_verdicts_run ON node_verdicts (run_id, id);

CREATE TABLE hook_runs (
    id            ${id_pk},
    run_id        TEXT NOT NULL REFERENCES runs (id),
    node          TEXT,
    stage         TEXT,
    hook          TEXT NOT NULL,
    command       TEXT NOT NULL,
    exit_code     INTEGER,
    output_tail   TEXT,
    duration_ms   BIGINT NOT NULL,
    finished_ms   BIGINT NOT NULL
);
CREATE INDEX hook_runs_run ON hook_runs (run_id, id);
CREATE INDEX hook_runs_node ON hook_runs (node, id);

-- Append-only: rows are inserted in the same transaction as the change they describe, never updated.
CREATE TABLE events (
    seq           ${id_pk},
    at_ms         BIGINT NOT NULL,
    run_id        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    node          TEXT,
    rack          TEXT,
    stage         TEXT,
    attempt       INTEGER,
    attempt_id    BIGINT,
    state         TEXT,
    est_watts     DOUBLE PRECISION,
    detail        TEXT
);
CREATE INDEX events_run ON events (run_id, seq);
CREATE INDEX events_node ON events (node, seq);

-- One row per node that some run holds; the primary key makes taking a node atomic.
CREATE TABLE leases (
    node          TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL REFERENCES runs (id),
    holder        TEXT NOT NULL,
    acquired_ms   BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL
);
CREATE INDEX leases_run ON leases (run_id);
