//! The audit log.

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::rows;
use super::{SqliteStore, db, json_text};
use crate::audit::{AuditEntry, AuditQuery, NewAuditEntry};
use crate::error::Result;
use crate::status::Timestamp;

/// Appends an entry inside the caller's transaction.
pub(super) async fn insert(
    conn: &mut SqliteConnection,
    entry: NewAuditEntry,
) -> Result<AuditEntry> {
    let at = Timestamp::now();
    let row = sqlx::query(
        "INSERT INTO audit_log (at, actor, action, target, details) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(at.as_millis())
    .bind(&entry.actor)
    .bind(&entry.action)
    .bind(&entry.target)
    .bind(json_text(&entry.details)?)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(AuditEntry {
        id: row.try_get(0).map_err(db)?,
        at,
        actor: entry.actor,
        action: entry.action,
        target: entry.target,
        details: entry.details,
    })
}

pub(super) async fn record(s: &SqliteStore, entry: NewAuditEntry) -> Result<AuditEntry> {
    let mut tx = s.write_tx().await?;
    let out = insert(&mut tx, entry).await?;
    tx.commit().await.map_err(db)?;
    Ok(out)
}

pub(super) async fn list(s: &SqliteStore, q: AuditQuery) -> Result<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, details FROM audit_log \
         WHERE ($1 IS NULL OR target = $1) AND ($2 IS NULL OR actor = $2) AND ($3 IS NULL OR id < $3) \
         ORDER BY id DESC LIMIT $4",
    )
    .bind(q.target)
    .bind(q.actor)
    .bind(q.before)
    .bind(i64::from(q.limit.unwrap_or(100)))
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    rows.iter().map(rows::audit).collect()
}
