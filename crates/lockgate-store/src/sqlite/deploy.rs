//! Deployments: begin, progress, finish, recover.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::rows::{self, deployment_select};
use super::stacks::{EXPORT_COLUMN, find_stack, snapshot, stack_by_id};
use super::{SqliteStore, audit, db, json_text, require_stage, to_i64};
use crate::audit::NewAuditEntry;
use crate::deploy::{
    BeginDeployment, Deployment, DeploymentId, DeploymentKind, DeploymentOutcome, DeploymentStatus,
    InterruptedDeployment, ResourceProgress, StackCommit,
};
use crate::error::{Result, StoreError};
use crate::model::{NewEvent, STACK_RESOURCE_TYPE, Stack, StackEvent};
use crate::names::{ExportName, StackRef};
use crate::secret::Keyring;
use crate::status::{EventStatus, Timestamp};

/// Appends one stack event; returns it.
pub(super) async fn insert_event(
    conn: &mut SqliteConnection,
    stack_id: i64,
    stack: &StackRef,
    deployment: Option<DeploymentId>,
    event: &NewEvent,
) -> Result<StackEvent> {
    let at = Timestamp::now();
    let is_stack = matches!(event.status, EventStatus::Stack(_));
    let row = sqlx::query(
        "INSERT INTO stack_events \
         (stack_id, deployment_id, at, logical_id, physical_id, resource_type, is_stack, status, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(stack_id)
    .bind(deployment.map(|d| d.0))
    .bind(at.as_millis())
    .bind(&event.logical_id)
    .bind(&event.physical_id)
    .bind(&event.resource_type)
    .bind(is_stack)
    .bind(event.status.as_str())
    .bind(&event.reason)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(StackEvent {
        id: row.try_get(0).map_err(db)?,
        stack: stack.clone(),
        deployment,
        at,
        logical_id: event.logical_id.clone(),
        physical_id: event.physical_id.clone(),
        resource_type: event.resource_type.clone(),
        status: event.status,
        reason: event.reason.clone(),
    })
}

fn stack_event(stack: &StackRef, status: crate::StackStatus, reason: Option<String>) -> NewEvent {
    NewEvent {
        logical_id: stack.name.to_string(),
        physical_id: None,
        resource_type: STACK_RESOURCE_TYPE.to_string(),
        status: status.into(),
        reason,
    }
}

async fn running_deployment(
    conn: &mut SqliteConnection,
    stack_id: i64,
) -> Result<Option<DeploymentId>> {
    let row = sqlx::query("SELECT id FROM deployments WHERE stack_id = $1 AND status = $2")
        .bind(stack_id)
        .bind(DeploymentStatus::InProgress.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    row.map(|r| r.try_get::<i64, _>(0).map(DeploymentId).map_err(db))
        .transpose()
}

async fn load_deployment(
    conn: &mut SqliteConnection,
    id: DeploymentId,
    keyring: &Keyring,
) -> Result<Option<(i64, Deployment)>> {
    let row = sqlx::query(concat!(deployment_select!(), " WHERE d.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    match row {
        Some(r) => Ok(Some((
            rows::get(&r, "stack_id")?,
            rows::deployment(&r, keyring)?,
        ))),
        None => Ok(None),
    }
}

/// What the write paths need to know about a running deployment (without
/// decoding its snapshot and target, which can be large).
struct Running {
    stack_id: i64,
    stack: StackRef,
    base_version: u64,
    initiated_by: String,
}

async fn require_running(conn: &mut SqliteConnection, id: DeploymentId) -> Result<Running> {
    let row = sqlx::query(
        "SELECT d.stack_id, d.status, d.base_version, d.initiated_by, \
         a.name AS app, g.name AS stage, s.name AS stack \
         FROM deployments d JOIN stacks s ON s.id = d.stack_id \
         JOIN stages g ON g.id = s.stage_id JOIN apps a ON a.id = g.app_id WHERE d.id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or_else(|| StoreError::not_found("deployment", id.to_string()))?;
    let status = rows::get::<String>(&row, "status")?.parse::<DeploymentStatus>()?;
    if status != DeploymentStatus::InProgress {
        return Err(StoreError::DeploymentNotInProgress {
            deployment: id,
            status,
        });
    }
    Ok(Running {
        stack_id: rows::get(&row, "stack_id")?,
        stack: rows::stack_ref(&row)?,
        base_version: super::to_u64(rows::get(&row, "base_version")?, "base version")?,
        initiated_by: rows::get(&row, "initiated_by")?,
    })
}

pub(super) async fn begin(s: &SqliteStore, req: BeginDeployment) -> Result<Deployment> {
    let mut tx = s.write_tx().await?;
    let stage_id = require_stage(&mut tx, &req.stack.stage_ref()).await?;
    let existing = find_stack(&mut tx, &req.stack).await?;
    let now = Timestamp::now();
    let status = req.kind.in_progress_status();
    let refuse = |stack: &Stack, operation| StoreError::InvalidStackState {
        stack: req.stack.to_string(),
        status: stack.status,
        operation,
    };
    if let Some((id, _)) = &existing
        && let Some(running) = running_deployment(&mut tx, *id).await?
    {
        return Err(StoreError::DeploymentInProgress {
            stack: req.stack.to_string(),
            deployment: running,
        });
    }
    let (stack_id, previous, base_version) = match (req.kind, existing) {
        (DeploymentKind::Create, None) => {
            let row = sqlx::query(
                "INSERT INTO stacks (stage_id, name, status, template, parameters, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, $6, $6) RETURNING id",
            )
            .bind(stage_id)
            .bind(req.stack.name.as_str())
            .bind(status.as_str())
            .bind(json_text(&req.target.template)?)
            .bind(json_text(&req.target.parameters)?)
            .bind(now.as_millis())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
            (row.try_get::<i64, _>(0).map_err(db)?, None, 0)
        }
        (DeploymentKind::Create, Some((id, stack))) => {
            // Only a deleted stack or a rolled-back create can be created again.
            if stack.status.is_in_progress() {
                return Err(refuse(&stack, "create it"));
            }
            if !stack.status.is_gone() {
                return Err(StoreError::AlreadyExists {
                    kind: "stack",
                    name: req.stack.to_string(),
                });
            }
            let snap = snapshot(&mut tx, id, &stack, &s.keyring).await?;
            (id, Some(snap), stack.version)
        }
        (DeploymentKind::Update | DeploymentKind::Delete, None) => {
            return Err(StoreError::not_found("stack", req.stack.to_string()));
        }
        (DeploymentKind::Update, Some((id, stack))) => {
            if stack.status.is_in_progress() || stack.status.is_gone() {
                return Err(refuse(&stack, "update it"));
            }
            let snap = snapshot(&mut tx, id, &stack, &s.keyring).await?;
            (id, Some(snap), stack.version)
        }
        (DeploymentKind::Delete, Some((id, stack))) => {
            if stack.status.is_in_progress() || stack.status == crate::StackStatus::DeleteComplete {
                return Err(refuse(&stack, "delete it"));
            }
            let snap = snapshot(&mut tx, id, &stack, &s.keyring).await?;
            (id, Some(snap), stack.version)
        }
    };
    sqlx::query(
        "UPDATE stacks SET status = $1, status_reason = NULL, updated_at = $2 WHERE id = $3",
    )
    .bind(status.as_str())
    .bind(now.as_millis())
    .bind(stack_id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let row = sqlx::query(
        "INSERT INTO deployments \
         (stack_id, kind, status, initiated_by, change_set, target, previous, base_version, started_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(stack_id)
    .bind(req.kind.as_str())
    .bind(DeploymentStatus::InProgress.as_str())
    .bind(&req.initiated_by)
    .bind(json_text(&req.change_set)?)
    .bind(json_text(&req.target)?)
    .bind(sealed_opt(s, previous.as_ref(), "previous")?)
    .bind(to_i64(base_version, "stack version")?)
    .bind(now.as_millis())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let id = DeploymentId(row.try_get(0).map_err(db)?);
    let event = stack_event(&req.stack, status, Some("User Initiated".into()));
    insert_event(&mut tx, stack_id, &req.stack, Some(id), &event).await?;
    let entry = NewAuditEntry::new(&req.initiated_by, "deployment.begin", req.stack.to_string())
        .with_details(json!({ "deployment": id.0, "kind": req.kind.as_str() }));
    audit::insert(&mut tx, entry).await?;
    s.failpoint("begin_deployment:before_commit");
    tx.commit().await.map_err(db)?;
    Ok(Deployment {
        id,
        stack: req.stack,
        kind: req.kind,
        status: DeploymentStatus::InProgress,
        initiated_by: req.initiated_by,
        change_set: req.change_set,
        target: req.target,
        previous,
        base_version,
        reason: None,
        started_at: now,
        finished_at: None,
    })
}

/// A JSON value sealed at rest, when there is one.
fn sealed_opt(
    s: &SqliteStore,
    v: Option<&impl serde::Serialize>,
    column: &str,
) -> Result<Option<String>> {
    v.map(|v| s.keyring.seal_text(&json_text(v)?, column))
        .transpose()
}

pub(super) async fn record_progress(
    s: &SqliteStore,
    id: DeploymentId,
    p: ResourceProgress,
) -> Result<StackEvent> {
    let mut tx = s.write_tx().await?;
    let dep = require_running(&mut tx, id).await?;
    let stack_id = dep.stack_id;
    sqlx::query(
        "INSERT INTO deployment_resources \
         (deployment_id, logical_id, resource_type, physical_id, status, status_reason, properties, attributes, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (deployment_id, logical_id) DO UPDATE SET \
         resource_type = excluded.resource_type, \
         physical_id = COALESCE(excluded.physical_id, deployment_resources.physical_id), \
         status = excluded.status, status_reason = excluded.status_reason, \
         properties = COALESCE(excluded.properties, deployment_resources.properties), \
         attributes = COALESCE(excluded.attributes, deployment_resources.attributes), \
         updated_at = excluded.updated_at",
    )
    .bind(id.0)
    .bind(&p.logical_id)
    .bind(&p.resource_type)
    .bind(&p.physical_id)
    .bind(p.status.as_str())
    .bind(&p.reason)
    .bind(sealed_opt(s, p.properties.as_ref(), "properties")?)
    .bind(sealed_opt(s, p.attributes.as_ref(), "attributes")?)
    .bind(Timestamp::now().as_millis())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let event = NewEvent {
        logical_id: p.logical_id,
        physical_id: p.physical_id,
        resource_type: p.resource_type,
        status: p.status.into(),
        reason: p.reason,
    };
    let event = insert_event(&mut tx, stack_id, &dep.stack, Some(id), &event).await?;
    s.failpoint("record_progress:before_commit");
    tx.commit().await.map_err(db)?;
    Ok(event)
}

/// Rejects commits that could not be stored consistently.
fn validate_commit(commit: &StackCommit) -> Result<BTreeMap<ExportName, (String, String)>> {
    if commit.status.is_in_progress() {
        return Err(StoreError::InvalidInput(format!(
            "a deployment must finish in a final status, not {}",
            commit.status
        )));
    }
    let mut ids = BTreeSet::new();
    for r in &commit.resources {
        if !ids.insert(r.logical_id.as_str()) {
            return Err(StoreError::InvalidInput(format!(
                "resource `{}` appears twice in the commit",
                r.logical_id
            )));
        }
    }
    let mut keys = BTreeSet::new();
    let mut exports = BTreeMap::new();
    for o in &commit.outputs {
        if !keys.insert(o.key.as_str()) {
            return Err(StoreError::InvalidInput(format!(
                "output `{}` appears twice in the commit",
                o.key
            )));
        }
        if let Some(name) = &o.export_name
            && exports
                .insert(name.clone(), (o.key.clone(), o.exported().to_string()))
                .is_some()
        {
            return Err(StoreError::InvalidInput(format!(
                "export `{name}` is declared by two outputs"
            )));
        }
    }
    Ok(exports)
}

async fn check_exports(
    conn: &mut SqliteConnection,
    keyring: &Keyring,
    stage_id: i64,
    stack_id: i64,
    new: &BTreeMap<ExportName, (String, String)>,
) -> Result<()> {
    // Exports this stack drops or changes must not be imported elsewhere.
    let old = sqlx::query("SELECT name, value FROM exports WHERE stack_id = $1")
        .bind(stack_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    for row in &old {
        let name: String = rows::get(row, "name")?;
        let value = keyring.open_text(rows::get(row, "value")?, EXPORT_COLUMN)?;
        let kept = new
            .iter()
            .any(|(n, (_, v))| n.as_str() == name && *v == value);
        if kept {
            continue;
        }
        let importers = sqlx::query(
            "SELECT s.name FROM stack_imports i JOIN stacks s ON s.id = i.stack_id \
             WHERE s.stage_id = $1 AND i.export_name = $2 AND i.stack_id <> $3 ORDER BY s.name",
        )
        .bind(stage_id)
        .bind(&name)
        .bind(stack_id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        if !importers.is_empty() {
            return Err(StoreError::ExportInUse {
                name,
                importers: importers
                    .iter()
                    .map(|r| r.try_get::<String, _>(0).map_err(db))
                    .collect::<Result<_>>()?,
            });
        }
    }
    // New exports must not be taken by another stack of the stage.
    for name in new.keys() {
        let owner = sqlx::query(
            "SELECT s.name FROM exports e JOIN stacks s ON s.id = e.stack_id \
             WHERE e.stage_id = $1 AND e.name = $2 AND e.stack_id <> $3",
        )
        .bind(stage_id)
        .bind(name.as_str())
        .bind(stack_id)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        if let Some(owner) = owner {
            return Err(StoreError::ExportConflict {
                name: name.to_string(),
                owner: owner.try_get(0).map_err(db)?,
            });
        }
    }
    Ok(())
}

pub(super) async fn finish(
    s: &SqliteStore,
    id: DeploymentId,
    outcome: DeploymentOutcome,
    commit: StackCommit,
) -> Result<Stack> {
    let exports = validate_commit(&commit)?;
    let imports: BTreeSet<&ExportName> = commit.imports.iter().collect();
    let mut tx = s.write_tx().await?;
    let dep = require_running(&mut tx, id).await?;
    let stack_id = dep.stack_id;
    let stack = stack_by_id(&mut tx, stack_id).await?;
    if stack.version != dep.base_version {
        return Err(StoreError::VersionConflict {
            stack: dep.stack.to_string(),
            expected: dep.base_version,
            actual: stack.version,
        });
    }
    let stage_id = require_stage(&mut tx, &dep.stack.stage_ref()).await?;
    check_exports(&mut tx, &s.keyring, stage_id, stack_id, &exports).await?;
    s.failpoint("finish_deployment:writing");
    for name in &imports {
        let found = sqlx::query(
            "SELECT 1 FROM exports WHERE stage_id = $1 AND name = $2 AND stack_id <> $3",
        )
        .bind(stage_id)
        .bind(name.as_str())
        .bind(stack_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?;
        if found.is_none() {
            return Err(StoreError::ImportNotFound {
                name: name.to_string(),
            });
        }
    }

    for table in [
        "DELETE FROM stack_resources WHERE stack_id = $1",
        "DELETE FROM stack_outputs WHERE stack_id = $1",
        "DELETE FROM exports WHERE stack_id = $1",
        "DELETE FROM stack_imports WHERE stack_id = $1",
    ] {
        sqlx::query(table)
            .bind(stack_id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    for r in &commit.resources {
        sqlx::query(
            "INSERT INTO stack_resources \
             (stack_id, logical_id, resource_type, physical_id, properties, status, status_reason, attributes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(stack_id)
        .bind(&r.logical_id)
        .bind(&r.resource_type)
        .bind(&r.physical_id)
        .bind(s.keyring.seal_text(&json_text(&r.properties)?, "properties")?)
        .bind(r.status.as_str())
        .bind(&r.status_reason)
        .bind(s.keyring.seal_text(&json_text(&r.attributes)?, "attributes")?)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    for o in &commit.outputs {
        sqlx::query(
            "INSERT INTO stack_outputs (stack_id, output_key, value, description, export_name) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(stack_id)
        .bind(&o.key)
        .bind(&o.value)
        .bind(&o.description)
        .bind(o.export_name.as_ref().map(|n| n.as_str()))
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    for (name, (key, value)) in &exports {
        sqlx::query(
            "INSERT INTO exports (stage_id, name, stack_id, output_key, value) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(stage_id)
        .bind(name.as_str())
        .bind(stack_id)
        .bind(key)
        .bind(s.keyring.seal_text(value, EXPORT_COLUMN)?)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    }
    for name in &imports {
        sqlx::query("INSERT INTO stack_imports (stack_id, export_name) VALUES ($1, $2)")
            .bind(stack_id)
            .bind(name.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    }
    super::rollouts::insert_leftovers(&mut tx, stack_id, &commit.leftovers, &s.keyring).await?;
    for event in &commit.events {
        insert_event(&mut tx, stack_id, &dep.stack, Some(id), event).await?;
    }
    let last = stack_event(&dep.stack, commit.status, commit.status_reason.clone());
    insert_event(&mut tx, stack_id, &dep.stack, Some(id), &last).await?;
    let now = Timestamp::now().as_millis();
    sqlx::query(
        "UPDATE stacks SET status = $1, status_reason = $2, template = $3, parameters = $4, \
         version = version + 1, updated_at = $5 WHERE id = $6",
    )
    .bind(commit.status.as_str())
    .bind(&commit.status_reason)
    .bind(json_text(&commit.template)?)
    .bind(json_text(&commit.parameters)?)
    .bind(now)
    .bind(stack_id)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query("UPDATE deployments SET status = $1, reason = $2, finished_at = $3 WHERE id = $4")
        .bind(outcome.status().as_str())
        .bind(&commit.status_reason)
        .bind(now)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let entry = NewAuditEntry::new(
        &dep.initiated_by,
        "deployment.finish",
        dep.stack.to_string(),
    )
    .with_details(json!({
        "deployment": id.0,
        "outcome": outcome.status().as_str(),
        "status": commit.status.as_str(),
    }));
    audit::insert(&mut tx, entry).await?;
    s.failpoint("finish_deployment:before_commit");
    let stack = stack_by_id(&mut tx, stack_id).await?;
    tx.commit().await.map_err(db)?;
    Ok(stack)
}

pub(super) async fn get(s: &SqliteStore, id: DeploymentId) -> Result<Option<Deployment>> {
    let mut conn = s.read_conn().await?;
    Ok(load_deployment(&mut conn, id, &s.keyring)
        .await?
        .map(|(_, d)| d))
}

pub(super) async fn list(s: &SqliteStore, stack: &StackRef, limit: u32) -> Result<Vec<Deployment>> {
    let rows = sqlx::query(concat!(
        deployment_select!(),
        " WHERE a.name = $1 AND g.name = $2 AND s.name = $3 ORDER BY d.id DESC LIMIT $4"
    ))
    .bind(stack.app.as_str())
    .bind(stack.stage.as_str())
    .bind(stack.name.as_str())
    .bind(i64::from(limit))
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| rows::deployment(r, &s.keyring))
        .collect()
}

async fn progress_of(
    conn: &mut SqliteConnection,
    id: DeploymentId,
    keyring: &Keyring,
) -> Result<Vec<ResourceProgress>> {
    let rows = sqlx::query(
        "SELECT logical_id, resource_type, physical_id, status, status_reason, properties, attributes \
         FROM deployment_resources WHERE deployment_id = $1 ORDER BY logical_id",
    )
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(|r| rows::progress(r, keyring)).collect()
}

pub(super) async fn progress(s: &SqliteStore, id: DeploymentId) -> Result<Vec<ResourceProgress>> {
    let mut conn = s.read_conn().await?;
    progress_of(&mut conn, id, &s.keyring).await
}

pub(super) async fn recover(s: &SqliteStore) -> Result<Vec<InterruptedDeployment>> {
    let mut conn = s.read_conn().await?;
    let rows = sqlx::query(concat!(
        deployment_select!(),
        " WHERE d.status = $1 ORDER BY d.id"
    ))
    .bind(DeploymentStatus::InProgress.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let deployment = rows::deployment(row, &s.keyring)?;
        let progress = progress_of(&mut conn, deployment.id, &s.keyring).await?;
        out.push(InterruptedDeployment {
            deployment,
            progress,
        });
    }
    Ok(out)
}
