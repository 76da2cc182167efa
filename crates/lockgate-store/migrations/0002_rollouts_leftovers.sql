-- Rollouts: an alias's traffic shift from one version to another (what
-- CodeDeploy calls a deployment), with its timeline.
CREATE TABLE rollouts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    deployment_id   INTEGER REFERENCES deployments (id) ON DELETE SET NULL,
    stage_id        INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    logical_id      TEXT    NOT NULL,
    function_name   TEXT    NOT NULL,
    alias           TEXT    NOT NULL,
    from_version    BIGINT  NOT NULL,
    to_version      BIGINT  NOT NULL,
    config          TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    weight          DOUBLE PRECISION NOT NULL,
    error_code      TEXT,
    reason          TEXT,
    started_at      BIGINT  NOT NULL,
    finished_at     BIGINT
);

-- At most one running rollout per alias, enforced by the database.
CREATE UNIQUE INDEX rollouts_one_running ON rollouts (stage_id, function_name, alias)
    WHERE status = 'InProgress';
CREATE INDEX rollouts_by_stage ON rollouts (stage_id, id);

CREATE TABLE rollout_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rollout_id  INTEGER NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
    at          BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    weight      DOUBLE PRECISION,
    message     TEXT    NOT NULL
);

CREATE INDEX rollout_events_by_rollout ON rollout_events (rollout_id, id);

-- Physical resources that left a stack in a committed deployment (old
-- copies of replaced resources, removed resources) and still await their
-- deletion: cleanup runs after the commit, and at startup for what a crash
-- left.
CREATE TABLE stack_leftovers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    stack_id       INTEGER NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    logical_id     TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    physical_id    TEXT    NOT NULL,
    properties     TEXT    NOT NULL,
    attributes     TEXT    NOT NULL,
    policy         TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL
);
