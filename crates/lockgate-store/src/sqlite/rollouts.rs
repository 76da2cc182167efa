//! Rollouts (alias traffic shifts) and the leftovers of committed deployments.

use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqliteRow};

use super::rows::{self, stack_ref};
use super::{SqliteStore, db, is_unique_violation, json_text, require_stage, to_i64, to_u64};
use crate::deploy::DeploymentId;
use crate::error::{Result, StoreError};
use crate::names::{AliasName, FunctionName, StackRef, StageRef};
use crate::rollout::{
    Leftover, NewRollout, Rollout, RolloutEvent, RolloutFailure, RolloutId, RolloutStatus,
};
use crate::status::Timestamp;

macro_rules! rollout_select {
    () => {
        "SELECT r.id, r.deployment_id, r.logical_id, r.function_name, r.alias, \
     r.from_version, r.to_version, r.config, r.status, r.weight, r.error_code, r.reason, r.started_at, \
     r.finished_at, a.name AS app, g.name AS stage, s.name AS stack \
     FROM rollouts r JOIN stages g ON g.id = r.stage_id JOIN apps a ON a.id = g.app_id \
     LEFT JOIN deployments d ON d.id = r.deployment_id LEFT JOIN stacks s ON s.id = d.stack_id"
    };
}

fn corrupt(e: StoreError) -> StoreError {
    StoreError::Corrupt(format!("stored rollout: {e}"))
}

async fn decode(conn: &mut SqliteConnection, row: &SqliteRow) -> Result<Rollout> {
    let id: i64 = rows::get(row, "id")?;
    let app: String = rows::get(row, "app")?;
    let stage: String = rows::get(row, "stage")?;
    let stack: Option<String> = rows::get(row, "stack")?;
    let status: String = rows::get(row, "status")?;
    let finished: Option<i64> = rows::get(row, "finished_at")?;
    let events = sqlx::query(
        "SELECT at, kind, weight, message FROM rollout_events WHERE rollout_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(|e| {
        Ok(RolloutEvent {
            at: Timestamp::from_millis(rows::get(e, "at")?),
            kind: rows::get(e, "kind")?,
            weight: rows::get(e, "weight")?,
            message: rows::get(e, "message")?,
        })
    })
    .collect::<Result<Vec<_>>>()?;
    Ok(Rollout {
        id: RolloutId(id),
        deployment: rows::get::<Option<i64>>(row, "deployment_id")?.map(DeploymentId),
        stack: match &stack {
            Some(name) => Some(StackRef::parse(&app, &stage, name).map_err(corrupt)?),
            None => None,
        },
        stage: StageRef::parse(&app, &stage).map_err(corrupt)?,
        logical_id: rows::get(row, "logical_id")?,
        function: FunctionName::new(rows::get::<String>(row, "function_name")?).map_err(corrupt)?,
        alias: AliasName::new(rows::get::<String>(row, "alias")?).map_err(corrupt)?,
        from_version: to_u64(rows::get(row, "from_version")?, "version")?,
        to_version: to_u64(rows::get(row, "to_version")?, "version")?,
        config: rows::get(row, "config")?,
        status: status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("rollout status `{status}`")))?,
        weight: rows::get(row, "weight")?,
        error: match (
            rows::get::<Option<String>>(row, "error_code")?,
            rows::get::<Option<String>>(row, "reason")?,
        ) {
            (Some(code), Some(message)) => Some(RolloutFailure { code, message }),
            (None, Some(message)) => Some(RolloutFailure {
                code: "DEPLOYMENT_FAILURE".into(),
                message,
            }),
            _ => None,
        },
        started_at: Timestamp::from_millis(rows::get(row, "started_at")?),
        finished_at: finished.map(Timestamp::from_millis),
        events,
    })
}

async fn insert_event(conn: &mut SqliteConnection, id: RolloutId, e: &RolloutEvent) -> Result<()> {
    if let Some(w) = e.weight
        && !(0.0..=1.0).contains(&w)
    {
        return Err(StoreError::InvalidInput(format!(
            "rollout weight {w} is outside 0..=1"
        )));
    }
    sqlx::query(
        "INSERT INTO rollout_events (rollout_id, at, kind, weight, message) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(e.at.as_millis())
    .bind(&e.kind)
    .bind(e.weight)
    .bind(&e.message)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if let Some(w) = e.weight {
        sqlx::query("UPDATE rollouts SET weight = $1 WHERE id = $2")
            .bind(w)
            .bind(id.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

async fn status_of(conn: &mut SqliteConnection, id: RolloutId) -> Result<RolloutStatus> {
    let row = sqlx::query("SELECT status FROM rollouts WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or_else(|| StoreError::not_found("rollout", id.to_string()))?;
    let s: String = rows::get(&row, "status")?;
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("rollout status `{s}`")))
}

pub(super) async fn begin(s: &SqliteStore, r: NewRollout) -> Result<Rollout> {
    let mut tx = s.write_tx().await?;
    let stage_id = require_stage(&mut tx, &r.stage).await?;
    let now = Timestamp::now();
    let inserted = sqlx::query(
        "INSERT INTO rollouts (deployment_id, stage_id, logical_id, function_name, alias, \
         from_version, to_version, config, status, weight, started_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10) RETURNING id",
    )
    .bind(r.deployment.map(|d| d.0))
    .bind(stage_id)
    .bind(&r.logical_id)
    .bind(r.function.as_str())
    .bind(r.alias.as_str())
    .bind(to_i64(r.from_version, "version")?)
    .bind(to_i64(r.to_version, "version")?)
    .bind(&r.config)
    .bind(RolloutStatus::InProgress.as_str())
    .bind(now.as_millis())
    .fetch_one(&mut *tx)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::AlreadyExists {
                kind: "rollout in progress for alias",
                name: format!("{}:{}", r.function, r.alias),
            });
        }
        Err(e) => return Err(db(e)),
    };
    let id = RolloutId(row.try_get(0).map_err(db)?);
    let event = RolloutEvent {
        at: now,
        kind: "Start".into(),
        weight: Some(0.0),
        message: format!(
            "{}:{} from version {} to {} with {}",
            r.function, r.alias, r.from_version, r.to_version, r.config
        ),
    };
    insert_event(&mut tx, id, &event).await?;
    tx.commit().await.map_err(db)?;
    get(s, id)
        .await?
        .ok_or_else(|| StoreError::not_found("rollout", id.to_string()))
}

pub(super) async fn record(s: &SqliteStore, id: RolloutId, e: RolloutEvent) -> Result<()> {
    let mut tx = s.write_tx().await?;
    let status = status_of(&mut tx, id).await?;
    if status != RolloutStatus::InProgress {
        return Err(StoreError::InvalidInput(format!(
            "rollout {id} is {status}, not InProgress"
        )));
    }
    insert_event(&mut tx, id, &e).await?;
    tx.commit().await.map_err(db)
}

pub(super) async fn finish(
    s: &SqliteStore,
    id: RolloutId,
    status: RolloutStatus,
    error: Option<RolloutFailure>,
    e: RolloutEvent,
) -> Result<Rollout> {
    if status == RolloutStatus::InProgress {
        return Err(StoreError::InvalidInput(
            "a rollout must finish as Succeeded, Failed or Stopped".into(),
        ));
    }
    let mut tx = s.write_tx().await?;
    let current = status_of(&mut tx, id).await?;
    if current != RolloutStatus::InProgress {
        return Err(StoreError::InvalidInput(format!(
            "rollout {id} is {current}, not InProgress"
        )));
    }
    insert_event(&mut tx, id, &e).await?;
    sqlx::query(
        "UPDATE rollouts SET status = $1, error_code = $2, reason = $3, finished_at = $4 WHERE id = $5",
    )
        .bind(status.as_str())
        .bind(error.as_ref().map(|f| f.code.as_str()))
        .bind(error.as_ref().map(|f| f.message.as_str()))
        .bind(e.at.as_millis())
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    get(s, id)
        .await?
        .ok_or_else(|| StoreError::not_found("rollout", id.to_string()))
}

pub(super) async fn get(s: &SqliteStore, id: RolloutId) -> Result<Option<Rollout>> {
    let mut conn = s.read_conn().await?;
    let row = sqlx::query(concat!(rollout_select!(), " WHERE r.id = $1"))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    match row {
        Some(r) => Ok(Some(decode(&mut conn, &r).await?)),
        None => Ok(None),
    }
}

pub(super) async fn list(s: &SqliteStore, stage: &StageRef, limit: u32) -> Result<Vec<Rollout>> {
    let mut conn = s.read_conn().await?;
    let rows = sqlx::query(concat!(
        rollout_select!(),
        " WHERE a.name = $1 AND g.name = $2 ORDER BY r.id DESC LIMIT $3"
    ))
    .bind(stage.app.as_str())
    .bind(stage.stage.as_str())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(decode(&mut conn, r).await?);
    }
    Ok(out)
}

pub(super) async fn running(s: &SqliteStore) -> Result<Vec<Rollout>> {
    let mut conn = s.read_conn().await?;
    let rows = sqlx::query(concat!(
        rollout_select!(),
        " WHERE r.status = $1 ORDER BY r.id"
    ))
    .bind(RolloutStatus::InProgress.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(decode(&mut conn, r).await?);
    }
    Ok(out)
}

/// Records the leftovers of a commit (inside its transaction).
pub(super) async fn insert_leftovers(
    conn: &mut SqliteConnection,
    stack_id: i64,
    leftovers: &[crate::rollout::NewLeftover],
    keyring: &crate::secret::Keyring,
) -> Result<()> {
    let now = Timestamp::now().as_millis();
    for l in leftovers {
        sqlx::query(
            "INSERT INTO stack_leftovers (stack_id, logical_id, resource_type, physical_id, \
             properties, attributes, policy, created_at, secret_paths) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(stack_id)
        .bind(&l.logical_id)
        .bind(&l.resource_type)
        .bind(&l.physical_id)
        .bind(keyring.seal_text(&json_text(&l.properties)?, "properties")?)
        .bind(keyring.seal_text(&json_text(&l.attributes)?, "attributes")?)
        .bind(&l.policy)
        .bind(now)
        .bind(json_text(&l.secret_paths)?)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

pub(super) async fn leftovers(s: &SqliteStore) -> Result<Vec<Leftover>> {
    let mut conn = s.read_conn().await?;
    let rows = sqlx::query(
        "SELECT l.id, l.logical_id, l.resource_type, l.physical_id, l.properties, l.attributes, \
         l.policy, l.secret_paths, a.name AS app, g.name AS stage, s.name AS stack \
         FROM stack_leftovers l JOIN stacks s ON s.id = l.stack_id \
         JOIN stages g ON g.id = s.stage_id JOIN apps a ON a.id = g.app_id ORDER BY l.id",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            let json = |col: &str| -> Result<serde_json::Value> {
                let text = s.keyring.open_text(rows::get(r, col)?, col)?;
                serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("leftover {col}: {e}")))
            };
            Ok(Leftover {
                id: rows::get(r, "id")?,
                stack: stack_ref(r)?,
                logical_id: rows::get(r, "logical_id")?,
                resource_type: rows::get(r, "resource_type")?,
                physical_id: rows::get(r, "physical_id")?,
                properties: json("properties")?,
                attributes: json("attributes")?,
                policy: rows::get(r, "policy")?,
                secret_paths: serde_json::from_str(&rows::get::<String>(r, "secret_paths")?)
                    .map_err(|e| StoreError::Corrupt(format!("leftover secret_paths: {e}")))?,
            })
        })
        .collect()
}

pub(super) async fn clear_leftover(s: &SqliteStore, id: i64) -> Result<()> {
    let mut tx = s.write_tx().await?;
    sqlx::query("DELETE FROM stack_leftovers WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)
}
