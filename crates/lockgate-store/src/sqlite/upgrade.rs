//! What older servers left in clear, put right when the store opens: the
//! columns sealed at rest ([`Keyring::seal_text`]) sealed where a row
//! predates their sealing (a deployment's snapshot of the state it started
//! from, resource properties…), and the unsalted SHA-256 digests of NoEcho
//! values (`Lockgate::NoEchoDigests`) dropped from a stack's parameters and
//! from deployments' targets and snapshots.
//!
//! One transaction (a crash leaves the database as it was, and the next
//! open does it again), with `secure_delete` on so the replaced text is not
//! left in freed space, then a truncating checkpoint so no WAL frame keeps
//! it (a checkpoint another connection keeps from finishing is reported in
//! the store's [open warnings](super::SqliteStore::open_warnings)). The
//! same transaction sets `PRAGMA user_version` to [`AT_REST_DONE`], and an
//! open that finds it so does nothing: the pass runs once per database, so
//! rows an older server writes in clear after that stay so (until a
//! server rewrites them). Only clear text is looked at: a snapshot sealed
//! by a server that still copied digests into it keeps them, sealed like
//! the NoEcho values beside them.
//!
//! Not under a key the data was not sealed with: when a sealed column or a
//! SecureString was sealed under another key than `keys/master.key`'s (the
//! data directory restored without its `keys/`, and a fresh key made), the
//! pass is skipped with a warning and runs at a later open, once the
//! original key is back — as elsewhere, a key that does not match does not
//! stop the store from opening; only what it cannot open fails. A row whose
//! JSON does not parse does not stop it either: a snapshot is sealed as it
//! is, other columns are left as they are, each with a warning.

use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{AssertSqlSafe, Connection as _, Row};

use super::stacks::EXPORT_COLUMN;
use super::{db, json_text};
use crate::error::Result;
use crate::model::NO_ECHO_PATHS;
use crate::secret::{Keyring, SEALED_TEXT};

/// Where older servers kept unsalted digests of a stack's NoEcho values,
/// among its parameters.
pub(crate) const LEGACY_NO_ECHO_DIGESTS: &str = "Lockgate::NoEchoDigests";

/// `PRAGMA user_version` once the pass has run (nothing else in the
/// project sets it).
pub(crate) const AT_REST_DONE: i64 = 1;

/// The sealed columns: (table, column, what the column is sealed under).
const SEALED_COLUMNS: &[(&str, &str, &str)] = &[
    ("stack_resources", "properties", "properties"),
    ("stack_resources", "attributes", "attributes"),
    ("deployment_resources", "properties", "properties"),
    ("deployment_resources", "attributes", "attributes"),
    ("stack_leftovers", "properties", "properties"),
    ("stack_leftovers", "attributes", "attributes"),
    ("function_versions", "config", "config"),
    ("exports", "value", EXPORT_COLUMN),
    ("deployments", "previous", "previous"),
];

/// The rows of `table` whose `column` is not sealed.
fn unsealed(table: &str, column: &str) -> String {
    format!(
        "SELECT rowid, {column} FROM {table} WHERE {column} IS NOT NULL \
         AND substr({column}, 1, {}) <> '{SEALED_TEXT}'",
        SEALED_TEXT.len()
    )
}

/// The key ids of the rows of `table` whose `column` is sealed under
/// another key than `$1` (`<key id>:`, `$2` its length).
fn sealed_elsewhere(table: &str, column: &str) -> String {
    let n = SEALED_TEXT.len();
    format!(
        "SELECT substr({column}, {start}, instr(substr({column}, {start}), ':') - 1) \
         FROM {table} WHERE substr({column}, 1, {n}) = '{SEALED_TEXT}' \
         AND substr({column}, {start}, $2) <> $1",
        start = n + 1
    )
}

/// The rows of `table` whose clear `column` holds legacy digests at `path`
/// (a JSON path to the object that keeps them; text that is not JSON is
/// not looked into).
fn with_digests(table: &str, column: &str, path: &str, more: &str) -> String {
    format!(
        "SELECT rowid, {column}{more} FROM {table} \
         WHERE CASE WHEN json_valid({column}) \
         THEN json_type({column}, '{path}.\"{LEGACY_NO_ECHO_DIGESTS}\"') END IS NOT NULL"
    )
}

/// The stacks' parameters with digests (and their templates).
fn stacks_with_digests(more: &str) -> String {
    with_digests("stacks", "parameters", "$", more)
}

/// The deployments' targets with digests among their parameters.
fn targets_with_digests() -> String {
    with_digests("deployments", "target", "$.parameters", "")
}

/// Puts right what older servers left in clear (see the module's doc);
/// returns what the store should warn about.
pub(super) async fn upgrade_at_rest(
    pool: &SqlitePool,
    keyring: &Keyring,
    key_file: &std::path::Path,
) -> Result<Vec<String>> {
    let mut conn = pool.acquire().await.map_err(db)?;
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    if version >= AT_REST_DONE {
        return Ok(Vec::new());
    }
    if !anything_to_do(&mut conn).await? {
        // Nothing to seal, so nothing sealed under a wrong key: done.
        sqlx::query(AssertSqlSafe(format!(
            "PRAGMA user_version = {AT_REST_DONE}"
        )))
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        return Ok(Vec::new());
    }
    if let Some(other) = other_key(&mut conn, keyring).await? {
        return Ok(vec![format!(
            "the master key {} (key {}) does not match the data, sealed under key {other}: \
             what older servers left in clear is left so, not sealed under this key, until \
             the original key is back in that file",
            key_file.display(),
            keyring.key_id(),
        )]);
    }
    sqlx::query("PRAGMA secure_delete = ON")
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    let done = upgrade_in_one_transaction(&mut conn, keyring).await;
    // The pool keeps the connection: back to the default either way.
    let reset = sqlx::query("PRAGMA secure_delete = OFF")
        .execute(&mut *conn)
        .await
        .map_err(db);
    let mut warnings = done?;
    reset?;
    // No WAL frame keeps the text the transaction replaced.
    let (busy, log, checkpointed): (i64, i64, i64) =
        sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    if busy != 0 {
        warnings.push(format!(
            "the checkpoint after sealing what older servers left in clear could not finish \
             (another connection is busy; {checkpointed} of {log} WAL frames copied): the \
             replaced text may stay in the WAL until a later checkpoint"
        ));
    }
    Ok(warnings)
}

async fn anything_to_do(conn: &mut SqliteConnection) -> Result<bool> {
    let mut checks: Vec<String> = SEALED_COLUMNS
        .iter()
        .map(|(t, c, _)| unsealed(t, c))
        .collect();
    checks.push(stacks_with_digests(""));
    checks.push(targets_with_digests());
    for q in checks {
        if sqlx::query(AssertSqlSafe(format!("{q} LIMIT 1")))
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The id of another key than `keyring`'s that something in the database
/// is sealed under (a sealed column or a SecureString), if any.
async fn other_key(conn: &mut SqliteConnection, keyring: &Keyring) -> Result<Option<String>> {
    let prefix = format!("{}:", keyring.key_id());
    let len = i64::try_from(prefix.len()).unwrap_or(i64::MAX);
    for (table, column, _) in SEALED_COLUMNS {
        let other: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "{} LIMIT 1",
            sealed_elsewhere(table, column)
        )))
        .bind(&prefix)
        .bind(len)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
        if other.is_some() {
            return Ok(other);
        }
    }
    sqlx::query_scalar(
        "SELECT key_id FROM parameter_versions \
         WHERE key_id IS NOT NULL AND key_id <> $1 LIMIT 1",
    )
    .bind(keyring.key_id())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)
}

/// All of it or nothing (dropped uncommitted, the transaction rolls back),
/// the pass recorded done with it.
async fn upgrade_in_one_transaction(
    conn: &mut SqliteConnection,
    keyring: &Keyring,
) -> Result<Vec<String>> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    let warnings = upgrade(&mut tx, keyring).await?;
    sqlx::query(AssertSqlSafe(format!(
        "PRAGMA user_version = {AT_REST_DONE}"
    )))
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    Ok(warnings)
}

async fn upgrade(conn: &mut SqliteConnection, keyring: &Keyring) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    // The stacks' parameters: digests out, the record of where NoEcho
    // values went in (every property: which ones cannot be told).
    let rows = sqlx::query(AssertSqlSafe(stacks_with_digests(", template")))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    for row in &rows {
        let id: i64 = row.try_get(0).map_err(db)?;
        let (Some(mut parameters), Some(template)) = (
            parse(
                row.try_get(1).map_err(db)?,
                "stacks",
                "parameters",
                id,
                &mut warnings,
            ),
            parse(
                row.try_get(2).map_err(db)?,
                "stacks",
                "template",
                id,
                &mut warnings,
            ),
        ) else {
            continue;
        };
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT logical_id FROM stack_resources WHERE stack_id = $1 ORDER BY logical_id",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
        upgrade_parameters(&mut parameters, &template, Some(&ids));
        update(conn, "stacks", "parameters", id, json_text(&parameters)?).await?;
    }
    // The deployments' targets: digests out (a target has no record).
    let rows = sqlx::query(AssertSqlSafe(targets_with_digests()))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    for row in &rows {
        let id: i64 = row.try_get(0).map_err(db)?;
        let Some(mut target) = parse(
            row.try_get(1).map_err(db)?,
            "deployments",
            "target",
            id,
            &mut warnings,
        ) else {
            continue;
        };
        if let Value::Object(t) = &mut target {
            let template = t.get("template").cloned().unwrap_or(Value::Null);
            if let Some(p) = t.get_mut("parameters") {
                upgrade_parameters(p, &template, None);
            }
        }
        update(conn, "deployments", "target", id, json_text(&target)?).await?;
    }
    // Every sealed column sealed; a deployment's snapshot, which is a
    // stack's state, upgraded as a stack's parameters are first (sealed as
    // it is when it does not parse).
    for (table, column, context) in SEALED_COLUMNS {
        let rows = sqlx::query(AssertSqlSafe(unsealed(table, column)))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        for row in &rows {
            let id: i64 = row.try_get(0).map_err(db)?;
            let mut text: String = row.try_get(1).map_err(db)?;
            if (*table, *column) == ("deployments", "previous")
                && let Some(snapshot) = parse(text.clone(), table, column, id, &mut warnings)
            {
                text = json_text(&upgrade_snapshot(snapshot))?;
            }
            update(conn, table, column, id, keyring.seal_text(&text, context)?).await?;
        }
    }
    Ok(warnings)
}

async fn update(
    conn: &mut SqliteConnection,
    table: &str,
    column: &str,
    rowid: i64,
    value: String,
) -> Result<()> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE {table} SET {column} = $1 WHERE rowid = $2"
    )))
    .bind(value)
    .bind(rowid)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// `text` parsed, or `None` with a warning naming the row.
fn parse(
    text: String,
    table: &str,
    column: &str,
    rowid: i64,
    warnings: &mut Vec<String>,
) -> Option<Value> {
    match serde_json::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            warnings.push(format!(
                "{table}.{column} of row {rowid} is not valid JSON ({e}): {}",
                if column == "previous" {
                    "sealed as it is"
                } else {
                    "left as it is"
                }
            ));
            None
        }
    }
}

/// A deployment's snapshot (a stack's state) with its parameters upgraded.
fn upgrade_snapshot(mut snapshot: Value) -> Value {
    let ids: Vec<String> = snapshot
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("logical_id").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    let template = snapshot.get("template").cloned().unwrap_or(Value::Null);
    if let Some(p) = snapshot.get_mut("parameters") {
        upgrade_parameters(p, &template, Some(&ids));
    }
    snapshot
}

/// A stack's parameters as the server writes them now: no digests, every
/// NoEcho parameter of `template` `****` (by name), and — for a stack's
/// committed parameters (`resources`: its logical IDs) that had digests
/// and no record — the record of where NoEcho values went: everywhere,
/// since which values derive from them cannot be told. (Its plans mask
/// every deployed value until its next deploy that changes something
/// records the exact places, as its plans did with the digests.)
fn upgrade_parameters(parameters: &mut Value, template: &Value, resources: Option<&[String]>) {
    let Value::Object(m) = parameters else {
        return;
    };
    let digests = m.remove(LEGACY_NO_ECHO_DIGESTS);
    let no_echo = |name: &str| {
        template
            .pointer(&format!(
                "/Parameters/{}",
                name.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(|p| p.get("NoEcho"))
            .is_some_and(|v| {
                v == true || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
            })
    };
    for (name, v) in m.iter_mut() {
        if no_echo(name) {
            *v = Value::String("****".into());
        }
    }
    let had_secrets = digests
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|d| !d.is_empty());
    if let Some(ids) = resources
        && had_secrets
        && !m.contains_key(NO_ECHO_PATHS)
    {
        let everything: Map<String, Value> = ids
            .iter()
            .map(|id| (id.clone(), Value::Array(vec![Value::String(String::new())])))
            .collect();
        m.insert(NO_ECHO_PATHS.into(), Value::Object(everything));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_lose_their_digests_and_keep_a_record() {
        let template = json!({"Parameters": {
            "Pw": {"Type": "String", "NoEcho": true},
            "Pins": {"Type": "CommaDelimitedList", "NoEcho": "true"},
            "Plain": {"Type": "String"},
        }});
        let mut p = json!({
            "Pw": "****",
            "Pins": ["****", "****"],
            "Plain": "x",
            LEGACY_NO_ECHO_DIGESTS: ["ab12"],
        });
        upgrade_parameters(&mut p, &template, Some(&["A".into(), "B".into()]));
        assert_eq!(
            p,
            json!({
                "Pw": "****",
                "Pins": "****",
                "Plain": "x",
                NO_ECHO_PATHS: {"A": [""], "B": [""]},
            })
        );
        // A target keeps no record; a stack that had no NoEcho value gets none.
        let mut t = json!({"Plain": "x", LEGACY_NO_ECHO_DIGESTS: ["ab12"]});
        upgrade_parameters(&mut t, &template, None);
        assert_eq!(t, json!({"Plain": "x"}));
        let mut none = json!({"Plain": "x", LEGACY_NO_ECHO_DIGESTS: []});
        upgrade_parameters(&mut none, &template, Some(&["A".into()]));
        assert_eq!(none, json!({"Plain": "x"}));
        // A record already there is kept.
        let mut kept = json!({LEGACY_NO_ECHO_DIGESTS: ["ab12"], NO_ECHO_PATHS: {"A": ["/X"]}});
        upgrade_parameters(&mut kept, &template, Some(&["A".into()]));
        assert_eq!(kept, json!({NO_ECHO_PATHS: {"A": ["/X"]}}));
    }
}
