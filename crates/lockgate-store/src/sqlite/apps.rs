//! Apps and stages.

use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::rows::get;
use super::{SqliteStore, db, is_unique_violation};
use crate::error::{Result, StoreError};
use crate::model::{App, Stage};
use crate::names::{AppName, StageName, StageRef};
use crate::status::{StackStatus, Timestamp};

fn app_row(row: &SqliteRow) -> Result<App> {
    Ok(App {
        name: AppName::new(get::<String>(row, "name")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        created_at: Timestamp::from_millis(get(row, "created_at")?),
    })
}

fn stage_row(row: &SqliteRow) -> Result<Stage> {
    let corrupt = |e: StoreError| StoreError::Corrupt(e.to_string());
    Ok(Stage {
        stage: StageRef::new(
            AppName::new(get::<String>(row, "app")?).map_err(corrupt)?,
            StageName::new(get::<String>(row, "name")?).map_err(corrupt)?,
        ),
        created_at: Timestamp::from_millis(get(row, "created_at")?),
    })
}

pub(super) async fn create_app(s: &SqliteStore, app: &AppName) -> Result<App> {
    let now = Timestamp::now();
    let result = sqlx::query("INSERT INTO apps (name, created_at) VALUES ($1, $2)")
        .bind(app.as_str())
        .bind(now.as_millis())
        .execute(&s.pool)
        .await;
    match result {
        Ok(_) => Ok(App {
            name: app.clone(),
            created_at: now,
        }),
        Err(e) if is_unique_violation(&e) => Err(StoreError::AlreadyExists {
            kind: "app",
            name: app.to_string(),
        }),
        Err(e) => Err(db(e)),
    }
}

pub(super) async fn get_app(s: &SqliteStore, app: &AppName) -> Result<Option<App>> {
    let row = sqlx::query("SELECT name, created_at FROM apps WHERE name = $1")
        .bind(app.as_str())
        .fetch_optional(&s.pool)
        .await
        .map_err(db)?;
    row.as_ref().map(app_row).transpose()
}

pub(super) async fn list_apps(s: &SqliteStore) -> Result<Vec<App>> {
    let rows = sqlx::query("SELECT name, created_at FROM apps ORDER BY name")
        .fetch_all(&s.pool)
        .await
        .map_err(db)?;
    rows.iter().map(app_row).collect()
}

pub(super) async fn delete_app(s: &SqliteStore, app: &AppName) -> Result<bool> {
    let mut tx = s.write_tx().await?;
    let stages = sqlx::query(
        "SELECT g.name FROM stages g JOIN apps a ON a.id = g.app_id WHERE a.name = $1 ORDER BY g.name",
    )
    .bind(app.as_str())
    .fetch_all(&mut *tx)
    .await
    .map_err(db)?;
    if !stages.is_empty() {
        let names: Vec<String> = stages
            .iter()
            .map(|r| r.try_get::<String, _>(0).map_err(db))
            .collect::<Result<_>>()?;
        return Err(StoreError::NotEmpty {
            kind: "app",
            name: app.to_string(),
            reason: format!("it still has stages {}", names.join(", ")),
        });
    }
    let done = sqlx::query("DELETE FROM apps WHERE name = $1")
        .bind(app.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(done.rows_affected() > 0)
}

const STAGE_SELECT_ONE: &str = "SELECT a.name AS app, g.name, g.created_at FROM stages g \
     JOIN apps a ON a.id = g.app_id WHERE a.name = $1 AND g.name = $2";

pub(super) async fn create_stage(s: &SqliteStore, stage: &StageRef) -> Result<Stage> {
    let mut tx = s.write_tx().await?;
    let app_id: Option<i64> = sqlx::query("SELECT id FROM apps WHERE name = $1")
        .bind(stage.app.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()
        .map_err(db)?;
    let app_id = app_id.ok_or_else(|| StoreError::not_found("app", stage.app.to_string()))?;
    let now = Timestamp::now();
    let result = sqlx::query("INSERT INTO stages (app_id, name, created_at) VALUES ($1, $2, $3)")
        .bind(app_id)
        .bind(stage.stage.as_str())
        .bind(now.as_millis())
        .execute(&mut *tx)
        .await;
    match result {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) => {
            return Err(StoreError::AlreadyExists {
                kind: "stage",
                name: stage.to_string(),
            });
        }
        Err(e) => return Err(db(e)),
    }
    tx.commit().await.map_err(db)?;
    Ok(Stage {
        stage: stage.clone(),
        created_at: now,
    })
}

pub(super) async fn ensure_stage(s: &SqliteStore, stage: &StageRef) -> Result<Stage> {
    let mut tx = s.write_tx().await?;
    let now = Timestamp::now().as_millis();
    sqlx::query(
        "INSERT INTO apps (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    )
    .bind(stage.app.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO stages (app_id, name, created_at) \
         SELECT id, $2, $3 FROM apps WHERE name = $1 \
         ON CONFLICT (app_id, name) DO NOTHING",
    )
    .bind(stage.app.as_str())
    .bind(stage.stage.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    let row = sqlx::query(STAGE_SELECT_ONE)
        .bind(stage.app.as_str())
        .bind(stage.stage.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    stage_row(&row)
}

pub(super) async fn get_stage(s: &SqliteStore, stage: &StageRef) -> Result<Option<Stage>> {
    let row = sqlx::query(STAGE_SELECT_ONE)
        .bind(stage.app.as_str())
        .bind(stage.stage.as_str())
        .fetch_optional(&s.pool)
        .await
        .map_err(db)?;
    row.as_ref().map(stage_row).transpose()
}

pub(super) async fn list_stages(s: &SqliteStore, app: &AppName) -> Result<Vec<Stage>> {
    let rows = sqlx::query(
        "SELECT a.name AS app, g.name, g.created_at FROM stages g \
         JOIN apps a ON a.id = g.app_id WHERE a.name = $1 ORDER BY g.name",
    )
    .bind(app.as_str())
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    rows.iter().map(stage_row).collect()
}

pub(super) async fn delete_stage(s: &SqliteStore, stage: &StageRef) -> Result<bool> {
    let mut tx = s.write_tx().await?;
    let Some(id) = super::stage_id(&mut tx, stage).await? else {
        return Ok(false);
    };
    let live =
        sqlx::query("SELECT name FROM stacks WHERE stage_id = $1 AND status <> $2 ORDER BY name")
            .bind(id)
            .bind(StackStatus::DeleteComplete.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
    if !live.is_empty() {
        let names: Vec<String> = live
            .iter()
            .map(|r| r.try_get::<String, _>(0).map_err(db))
            .collect::<Result<_>>()?;
        return Err(StoreError::NotEmpty {
            kind: "stage",
            name: stage.to_string(),
            reason: format!("stacks {} are not deleted", names.join(", ")),
        });
    }
    sqlx::query("DELETE FROM stages WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(true)
}
