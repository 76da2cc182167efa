//! [`SqliteStore`]: the embedded SQLite backend of [`Store`](crate::Store).
//!
//! One database file, `<data-dir>/lockgate.db`, in WAL mode with foreign keys
//! on, a busy timeout and `synchronous = FULL`; the schema comes from the
//! embedded migrations in `crates/lockgate-store/migrations/`; what older
//! servers wrote in clear is sealed once, when it opens ([`upgrade`]).
//! Write transactions start with `BEGIN IMMEDIATE`, so concurrent writers
//! queue on the busy timeout instead of failing on a lock upgrade. The SQL itself is
//! portable (`$n` placeholders, `INSERT … ON CONFLICT … DO UPDATE`,
//! `RETURNING`), so a PostgreSQL backend can reuse it nearly verbatim.

mod apps;
mod audit;
mod deploy;
mod functions;
mod params;
mod rollouts;
mod rows;
mod stacks;
mod trait_impl;
mod upgrade;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::error::{Result, StoreError};
use crate::names::StageRef;
use crate::secret::Keyring;

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "lockgate.db";

/// How long a connection waits for a lock held by another writer.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// A test hook called at named points inside write transactions (crash tests
/// use it to stop a process mid-commit); only with the `failpoints` feature.
#[cfg(feature = "failpoints")]
pub type Failpoint = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The SQLite implementation of [`Store`](crate::Store).
#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    keyring: Keyring,
    data_dir: PathBuf,
    open_warnings: Vec<String>,
    #[cfg(feature = "failpoints")]
    failpoint: Option<Failpoint>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("data_dir", &self.data_dir)
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

/// The database is the server's alone: created 0600 before SQLite opens it
/// (its WAL and shared-memory files take the database's mode), and an
/// existing one readable by others (an older server made it 0644) made
/// 0600 with its WAL files.
fn private_db_files(data_dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let db = data_dir.join(DB_FILE);
        if !db.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&db)
                .map_err(|e| StoreError::io("create", &db, e))?;
        }
        for name in [DB_FILE, "lockgate.db-wal", "lockgate.db-shm"] {
            let path = data_dir.join(name);
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| StoreError::io("restrict the permissions of", &path, e))?;
            }
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens the state under `data_dir` (created if missing): the key file
    /// (`keys/master.key`, created 0600 at first start) and the database
    /// (`lockgate.db`), running pending migrations, then putting right
    /// what older servers left in clear (see [`upgrade`]).
    pub async fn open(data_dir: &Path) -> Result<Self> {
        crate::secret::create_private_dir(data_dir)?;
        let keyring = Keyring::load_or_create(data_dir)?;
        private_db_files(data_dir)?;
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(db)?
            .filename(data_dir.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(db)?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        let open_warnings =
            upgrade::upgrade_at_rest(&pool, &keyring, &crate::secret::key_path(data_dir)).await?;
        Ok(SqliteStore {
            pool,
            keyring,
            data_dir: data_dir.to_path_buf(),
            open_warnings,
            #[cfg(feature = "failpoints")]
            failpoint: None,
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join(DB_FILE)
    }

    /// What opening the store found wrong without failing, for the caller
    /// to log: the at-rest upgrade skipped (the master key does not match
    /// the data), a row whose JSON does not parse, a checkpoint that could
    /// not finish (see [`upgrade`]). Empty when all went well.
    pub fn open_warnings(&self) -> &[String] {
        &self.open_warnings
    }

    /// The keyring sealing secure strings.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// Closes every connection (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs SQLite's integrity check; returns its report (`["ok"]` when sound).
    pub async fn integrity_check(&self) -> Result<Vec<String>> {
        use sqlx::Row;
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(db))
            .collect()
    }

    /// Installs a [`Failpoint`] (the crash tests).
    #[cfg(feature = "failpoints")]
    pub fn set_failpoint(&mut self, failpoint: Failpoint) {
        self.failpoint = Some(failpoint);
    }

    /// Calls the failpoint, if one is installed, with the point's name.
    #[cfg(feature = "failpoints")]
    fn failpoint(&self, name: &str) {
        if let Some(f) = &self.failpoint {
            f(name);
        }
    }

    /// Without the `failpoints` feature: nothing.
    #[cfg(not(feature = "failpoints"))]
    #[inline]
    fn failpoint(&self, _name: &str) {}

    /// Starts a write transaction that takes the write lock at once.
    async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(db)
    }

    async fn read_conn(&self) -> Result<sqlx::pool::PoolConnection<Sqlite>> {
        self.pool.acquire().await.map_err(db)
    }
}

/// Wraps a driver error.
pub(crate) fn db(e: sqlx::Error) -> StoreError {
    StoreError::Backend(Box::new(e))
}

/// Whether a driver error is a unique-constraint violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Converts a stored integer to an unsigned count.
pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what}: {v}")))
}

/// Converts an unsigned count to a storable integer.
pub(crate) fn to_i64(v: u64, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| StoreError::InvalidInput(format!("{what} {v} is too large")))
}

/// Serialises JSON for a TEXT column.
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::InvalidInput(format!("cannot encode JSON: {e}")))
}

/// The id of a stage, if it exists.
pub(crate) async fn stage_id(conn: &mut SqliteConnection, stage: &StageRef) -> Result<Option<i64>> {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT g.id FROM stages g JOIN apps a ON a.id = g.app_id WHERE a.name = $1 AND g.name = $2",
    )
    .bind(stage.app.as_str())
    .bind(stage.stage.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.map(|r| r.try_get::<i64, _>(0).map_err(db)).transpose()
}

/// The id of a stage, or `NotFound`.
pub(crate) async fn require_stage(conn: &mut SqliteConnection, stage: &StageRef) -> Result<i64> {
    stage_id(conn, stage)
        .await?
        .ok_or_else(|| StoreError::not_found("stage", stage.to_string()))
}
