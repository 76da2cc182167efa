-- Lockgate state schema, SQLite flavour.
-- Times are milliseconds since the Unix epoch (BIGINT); JSON is stored as TEXT.
-- A PostgreSQL backend keeps the same tables and columns with its own types
-- (BIGSERIAL/BIGINT, TEXT or JSONB, BYTEA) in its own migrations.

CREATE TABLE apps (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    created_at  BIGINT  NOT NULL
);

CREATE TABLE stages (
    id          INTEGER PRIMARY KEY,
    app_id      INTEGER NOT NULL REFERENCES apps (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (app_id, name)
);

CREATE TABLE stacks (
    id             INTEGER PRIMARY KEY,
    stage_id       INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    status_reason  TEXT,
    template       TEXT    NOT NULL,
    parameters     TEXT    NOT NULL,
    version        BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    UNIQUE (stage_id, name)
);

CREATE TABLE stack_resources (
    stack_id       INTEGER NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    logical_id     TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    physical_id    TEXT,
    properties     TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    status_reason  TEXT,
    attributes     TEXT    NOT NULL,
    PRIMARY KEY (stack_id, logical_id)
);

CREATE TABLE stack_outputs (
    stack_id     INTEGER NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    output_key   TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    description  TEXT,
    export_name  TEXT,
    PRIMARY KEY (stack_id, output_key)
);

-- Export names are unique per app and stage: the scope of Fn::ImportValue.
CREATE TABLE exports (
    stage_id    INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    stack_id    INTEGER NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    output_key  TEXT    NOT NULL,
    value       TEXT    NOT NULL,
    PRIMARY KEY (stage_id, name)
);

CREATE TABLE stack_imports (
    stack_id     INTEGER NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    export_name  TEXT    NOT NULL,
    PRIMARY KEY (stack_id, export_name)
);

CREATE TABLE deployments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    stack_id      INTEGER NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    initiated_by  TEXT    NOT NULL,
    change_set    TEXT    NOT NULL,
    target        TEXT    NOT NULL,
    previous      TEXT,
    base_version  BIGINT  NOT NULL,
    reason        TEXT,
    started_at    BIGINT  NOT NULL,
    finished_at   BIGINT
);

-- At most one running deployment per stack, enforced by the database.
CREATE UNIQUE INDEX deployments_one_running ON deployments (stack_id) WHERE status = 'IN_PROGRESS';
CREATE INDEX deployments_by_status ON deployments (status);
CREATE INDEX deployments_by_stack ON deployments (stack_id, id);

CREATE TABLE deployment_resources (
    deployment_id  INTEGER NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    logical_id     TEXT    NOT NULL,
    resource_type  TEXT    NOT NULL,
    physical_id    TEXT,
    status         TEXT    NOT NULL,
    status_reason  TEXT,
    properties     TEXT,
    attributes     TEXT,
    updated_at     BIGINT  NOT NULL,
    PRIMARY KEY (deployment_id, logical_id)
);

CREATE TABLE stack_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    stack_id       INTEGER NOT NULL REFERENCES stacks (id) ON DELETE CASCADE,
    deployment_id  INTEGER REFERENCES deployments (id) ON DELETE SET NULL,
    at             BIGINT  NOT NULL,
    logical_id     TEXT    NOT NULL,
    physical_id    TEXT,
    resource_type  TEXT    NOT NULL,
    is_stack       BOOLEAN NOT NULL,
    status         TEXT    NOT NULL,
    reason         TEXT
);

CREATE INDEX stack_events_by_stack ON stack_events (stack_id, id);

CREATE TABLE function_versions (
    stage_id       INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    function_name  TEXT    NOT NULL,
    version        BIGINT  NOT NULL,
    code_digest    TEXT    NOT NULL,
    config         TEXT    NOT NULL,
    description    TEXT,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (stage_id, function_name, version)
);

CREATE TABLE aliases (
    stage_id          INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
    function_name     TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    function_version  BIGINT  NOT NULL,
    routing           TEXT    NOT NULL,
    description       TEXT,
    updated_at        BIGINT  NOT NULL,
    PRIMARY KEY (stage_id, function_name, name),
    FOREIGN KEY (stage_id, function_name, function_version)
        REFERENCES function_versions (stage_id, function_name, version) ON DELETE CASCADE
);

-- SSM-style parameters: one row per name, one row per version.
-- SecureString values are only ever stored sealed (AES-256-GCM).
CREATE TABLE parameters (
    name            TEXT    PRIMARY KEY,
    latest_version  BIGINT  NOT NULL,
    created_at      BIGINT  NOT NULL
);

CREATE TABLE parameter_versions (
    name         TEXT    NOT NULL REFERENCES parameters (name) ON DELETE CASCADE,
    version      BIGINT  NOT NULL,
    param_type   TEXT    NOT NULL,
    value        TEXT,
    ciphertext   BLOB,
    nonce        BLOB,
    key_id       TEXT,
    description  TEXT,
    modified_by  TEXT    NOT NULL,
    modified_at  BIGINT  NOT NULL,
    PRIMARY KEY (name, version),
    CHECK ((param_type = 'SecureString') = (value IS NULL AND ciphertext IS NOT NULL))
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       BIGINT  NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    target   TEXT    NOT NULL,
    details  TEXT    NOT NULL
);

CREATE INDEX audit_log_by_target ON audit_log (target, id);
CREATE INDEX audit_log_by_actor ON audit_log (actor, id);
