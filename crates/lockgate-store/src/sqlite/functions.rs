//! Function versions and aliases.

use std::collections::BTreeSet;

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::rows;
use super::{SqliteStore, db, json_text, require_stage, stage_id, to_i64, to_u64};
use crate::artifacts::Digest;
use crate::error::{Result, StoreError};
use crate::function::{Alias, AliasSpec, FunctionVersion, NewFunctionVersion};
use crate::names::{AliasName, FunctionName, StageRef};
use crate::status::Timestamp;

pub(super) async fn publish(
    s: &SqliteStore,
    stage: &StageRef,
    v: NewFunctionVersion,
) -> Result<FunctionVersion> {
    let mut tx = s.write_tx().await?;
    let stage_id = require_stage(&mut tx, stage).await?;
    let row = sqlx::query(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM function_versions WHERE stage_id = $1 AND function_name = $2",
    )
    .bind(stage_id)
    .bind(v.function.as_str())
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    let next: i64 = row.try_get(0).map_err(db)?;
    let now = Timestamp::now();
    sqlx::query(
        "INSERT INTO function_versions (stage_id, function_name, version, code_digest, config, description, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(stage_id)
    .bind(v.function.as_str())
    .bind(next)
    .bind(v.code.to_hex())
    .bind(s.keyring.seal_text(&json_text(&v.config)?, "config")?)
    .bind(&v.description)
    .bind(now.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(FunctionVersion {
        stage: stage.clone(),
        function: v.function,
        version: to_u64(next, "function version")?,
        code: v.code,
        config: v.config,
        description: v.description,
        created_at: now,
    })
}

pub(super) async fn get_version(
    s: &SqliteStore,
    stage: &StageRef,
    function: &FunctionName,
    version: u64,
) -> Result<Option<FunctionVersion>> {
    let mut conn = s.read_conn().await?;
    let Some(stage_id) = stage_id(&mut conn, stage).await? else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT function_name, version, code_digest, config, description, created_at \
         FROM function_versions WHERE stage_id = $1 AND function_name = $2 AND version = $3",
    )
    .bind(stage_id)
    .bind(function.as_str())
    .bind(to_i64(version, "version")?)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.map(|r| rows::function_version(&r, stage, &s.keyring))
        .transpose()
}

pub(super) async fn list_versions(
    s: &SqliteStore,
    stage: &StageRef,
    function: &FunctionName,
) -> Result<Vec<FunctionVersion>> {
    let mut conn = s.read_conn().await?;
    let Some(stage_id) = stage_id(&mut conn, stage).await? else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT function_name, version, code_digest, config, description, created_at \
         FROM function_versions WHERE stage_id = $1 AND function_name = $2 ORDER BY version",
    )
    .bind(stage_id)
    .bind(function.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| rows::function_version(r, stage, &s.keyring))
        .collect()
}

async fn version_exists(
    conn: &mut SqliteConnection,
    stage_id: i64,
    function: &FunctionName,
    version: u64,
) -> Result<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM function_versions WHERE stage_id = $1 AND function_name = $2 AND version = $3",
    )
    .bind(stage_id)
    .bind(function.as_str())
    .bind(to_i64(version, "version")?)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    Ok(row.is_some())
}

pub(super) async fn put_alias(s: &SqliteStore, stage: &StageRef, a: AliasSpec) -> Result<Alias> {
    a.routing.validate(a.version)?;
    let mut tx = s.write_tx().await?;
    let stage_id = require_stage(&mut tx, stage).await?;
    let needed: BTreeSet<u64> = std::iter::once(a.version)
        .chain(a.routing.additional_version_weights.keys().copied())
        .collect();
    for version in needed {
        if !version_exists(&mut tx, stage_id, &a.function, version).await? {
            return Err(StoreError::not_found(
                "function version",
                format!("{}:{version}", a.function),
            ));
        }
    }
    let now = Timestamp::now();
    sqlx::query(
        "INSERT INTO aliases (stage_id, function_name, name, function_version, routing, description, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (stage_id, function_name, name) DO UPDATE SET \
         function_version = excluded.function_version, routing = excluded.routing, \
         description = excluded.description, updated_at = excluded.updated_at",
    )
    .bind(stage_id)
    .bind(a.function.as_str())
    .bind(a.name.as_str())
    .bind(to_i64(a.version, "version")?)
    .bind(json_text(&a.routing)?)
    .bind(&a.description)
    .bind(now.as_millis())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(Alias {
        stage: stage.clone(),
        function: a.function,
        name: a.name,
        version: a.version,
        routing: a.routing,
        description: a.description,
        updated_at: now,
    })
}

pub(super) async fn get_alias(
    s: &SqliteStore,
    stage: &StageRef,
    function: &FunctionName,
    name: &AliasName,
) -> Result<Option<Alias>> {
    let mut conn = s.read_conn().await?;
    let Some(stage_id) = stage_id(&mut conn, stage).await? else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT function_name, name, function_version, routing, description, updated_at FROM aliases \
         WHERE stage_id = $1 AND function_name = $2 AND name = $3",
    )
    .bind(stage_id)
    .bind(function.as_str())
    .bind(name.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.map(|r| rows::alias(&r, stage)).transpose()
}

pub(super) async fn list_aliases(
    s: &SqliteStore,
    stage: &StageRef,
    function: &FunctionName,
) -> Result<Vec<Alias>> {
    let mut conn = s.read_conn().await?;
    let Some(stage_id) = stage_id(&mut conn, stage).await? else {
        return Ok(Vec::new());
    };
    let rows = sqlx::query(
        "SELECT function_name, name, function_version, routing, description, updated_at FROM aliases \
         WHERE stage_id = $1 AND function_name = $2 ORDER BY name",
    )
    .bind(stage_id)
    .bind(function.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter().map(|r| rows::alias(r, stage)).collect()
}

pub(super) async fn delete_alias(
    s: &SqliteStore,
    stage: &StageRef,
    function: &FunctionName,
    name: &AliasName,
) -> Result<bool> {
    let mut tx = s.write_tx().await?;
    let Some(stage_id) = stage_id(&mut tx, stage).await? else {
        return Ok(false);
    };
    let done =
        sqlx::query("DELETE FROM aliases WHERE stage_id = $1 AND function_name = $2 AND name = $3")
            .bind(stage_id)
            .bind(function.as_str())
            .bind(name.as_str())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(done.rows_affected() > 0)
}

pub(super) async fn referenced(s: &SqliteStore) -> Result<BTreeSet<Digest>> {
    let rows = sqlx::query("SELECT DISTINCT code_digest FROM function_versions")
        .fetch_all(&s.pool)
        .await
        .map_err(db)?;
    rows.iter()
        .map(|r| {
            let text: String = r.try_get(0).map_err(db)?;
            text.parse::<Digest>()
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect()
}
