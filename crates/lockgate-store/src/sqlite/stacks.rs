//! The read side of stacks: state, resources, outputs, events, exports.

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::rows::{self, stack_select};
use super::{SqliteStore, db, stage_id};
use crate::deploy::StackSnapshot;
use crate::error::Result;
use crate::model::{EventId, Export, Output, ResourceState, Stack, StackEvent};
use crate::names::{ExportName, StackRef, StageRef};
use crate::secret::Keyring;

/// A stack's row id and committed state.
pub(crate) async fn find_stack(
    conn: &mut SqliteConnection,
    stack: &StackRef,
) -> Result<Option<(i64, Stack)>> {
    let row = sqlx::query(concat!(
        stack_select!(),
        " WHERE a.name = $1 AND g.name = $2 AND s.name = $3"
    ))
    .bind(stack.app.as_str())
    .bind(stack.stage.as_str())
    .bind(stack.name.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    match row {
        Some(row) => Ok(Some((rows::get(&row, "id")?, rows::stack(&row)?))),
        None => Ok(None),
    }
}

/// A stack's committed state by row id.
pub(crate) async fn stack_by_id(conn: &mut SqliteConnection, id: i64) -> Result<Stack> {
    let row = sqlx::query(concat!(stack_select!(), " WHERE s.id = $1"))
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    rows::stack(&row)
}

pub(crate) async fn resources(
    conn: &mut SqliteConnection,
    stack_id: i64,
    keyring: &Keyring,
) -> Result<Vec<ResourceState>> {
    let rows = sqlx::query(
        "SELECT logical_id, resource_type, physical_id, properties, status, status_reason, attributes \
         FROM stack_resources WHERE stack_id = $1 ORDER BY logical_id",
    )
    .bind(stack_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(|r| rows::resource(r, keyring)).collect()
}

/// A stack's outputs, each exported one with the value its export gives
/// when that is not the value shown (see [`Output::export_value`]).
pub(crate) async fn outputs(
    conn: &mut SqliteConnection,
    stack_id: i64,
    keyring: &Keyring,
) -> Result<Vec<Output>> {
    let rows = sqlx::query(
        "SELECT o.output_key, o.value, o.description, o.export_name, e.value AS exported \
         FROM stack_outputs o LEFT JOIN exports e \
         ON e.stack_id = o.stack_id AND e.name = o.export_name AND e.output_key = o.output_key \
         WHERE o.stack_id = $1 ORDER BY o.output_key",
    )
    .bind(stack_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(|r| rows::output(r, keyring)).collect()
}

pub(crate) async fn imports(conn: &mut SqliteConnection, stack_id: i64) -> Result<Vec<ExportName>> {
    let rows = sqlx::query(
        "SELECT export_name FROM stack_imports WHERE stack_id = $1 ORDER BY export_name",
    )
    .bind(stack_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get(0).map_err(db)?;
            ExportName::new(name).map_err(|e| crate::StoreError::Corrupt(e.to_string()))
        })
        .collect()
}

/// The full committed state of a stack.
pub(crate) async fn snapshot(
    conn: &mut SqliteConnection,
    stack_id: i64,
    stack: &Stack,
    keyring: &Keyring,
) -> Result<StackSnapshot> {
    Ok(StackSnapshot {
        status: stack.status,
        status_reason: stack.status_reason.clone(),
        template: stack.template.clone(),
        parameters: stack.parameters.clone(),
        version: stack.version,
        resources: resources(conn, stack_id, keyring).await?,
        outputs: outputs(conn, stack_id, keyring).await?,
        imports: imports(conn, stack_id).await?,
    })
}

pub(super) async fn get_stack(s: &SqliteStore, stack: &StackRef) -> Result<Option<Stack>> {
    let mut conn = s.read_conn().await?;
    Ok(find_stack(&mut conn, stack).await?.map(|(_, st)| st))
}

pub(super) async fn stack_snapshot(
    s: &SqliteStore,
    stack: &StackRef,
) -> Result<Option<StackSnapshot>> {
    // One read transaction: every query sees the same committed state.
    let mut tx = s.pool.begin().await.map_err(db)?;
    let snap = match find_stack(&mut tx, stack).await? {
        Some((id, st)) => Some(snapshot(&mut tx, id, &st, &s.keyring).await?),
        None => None,
    };
    tx.rollback().await.map_err(db)?;
    Ok(snap)
}

pub(super) async fn list_stacks(s: &SqliteStore, stage: &StageRef) -> Result<Vec<Stack>> {
    let rows = sqlx::query(concat!(
        stack_select!(),
        " WHERE a.name = $1 AND g.name = $2 ORDER BY s.name"
    ))
    .bind(stage.app.as_str())
    .bind(stage.stage.as_str())
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    rows.iter().map(rows::stack).collect()
}

pub(super) async fn list_resources(
    s: &SqliteStore,
    stack: &StackRef,
) -> Result<Vec<ResourceState>> {
    let mut conn = s.read_conn().await?;
    match find_stack(&mut conn, stack).await? {
        Some((id, _)) => resources(&mut conn, id, &s.keyring).await,
        None => Ok(Vec::new()),
    }
}

pub(super) async fn list_outputs(s: &SqliteStore, stack: &StackRef) -> Result<Vec<Output>> {
    let mut conn = s.read_conn().await?;
    match find_stack(&mut conn, stack).await? {
        Some((id, _)) => outputs(&mut conn, id, &s.keyring).await,
        None => Ok(Vec::new()),
    }
}

pub(super) async fn list_events(
    s: &SqliteStore,
    stack: &StackRef,
    after: Option<EventId>,
    limit: u32,
) -> Result<Vec<StackEvent>> {
    let mut conn = s.read_conn().await?;
    let Some((id, _)) = find_stack(&mut conn, stack).await? else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT id, deployment_id, at, logical_id, physical_id, resource_type, is_stack, status, reason \
         FROM stack_events WHERE stack_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(id)
    .bind(after.unwrap_or(0))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(|r| rows::event(r, stack)).collect()
}

/// What export values are sealed under ([`Keyring::seal_text`]): an export
/// of an output derived from a NoEcho parameter holds its real value.
pub(crate) const EXPORT_COLUMN: &str = "exports.value";

const EXPORT_SELECT: &str = "SELECT e.name, e.value, e.output_key, a.name AS app, g.name AS stage, \
     s.name AS stack FROM exports e JOIN stacks s ON s.id = e.stack_id \
     JOIN stages g ON g.id = e.stage_id JOIN apps a ON a.id = g.app_id \
     WHERE e.stage_id = $1 AND ($2 IS NULL OR e.name = $2) ORDER BY e.name";

pub(super) async fn exports(
    s: &SqliteStore,
    stage: &StageRef,
    only: Option<&ExportName>,
) -> Result<Vec<Export>> {
    let mut conn = s.read_conn().await?;
    let Some(stage_id) = stage_id(&mut conn, stage).await? else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(EXPORT_SELECT)
        .bind(stage_id)
        .bind(only.map(|n| n.as_str()))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            let name: String = rows::get(r, "name")?;
            Ok(Export {
                name: ExportName::new(name)
                    .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?,
                value: s.keyring.open_text(rows::get(r, "value")?, EXPORT_COLUMN)?,
                exporting_stack: rows::stack_ref(r)?,
                output_key: rows::get(r, "output_key")?,
            })
        })
        .collect()
}
