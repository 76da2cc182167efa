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
//! it. Idempotent: a database with nothing to put right is only read (a
//! few queries), so every open runs it — also after an older server wrote
//! to the database again. Only clear text is looked at: a snapshot sealed
//! by a server that still copied digests into it keeps them, sealed like
//! the NoEcho values beside them.

use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnection, SqlitePool};
use sqlx::{AssertSqlSafe, Connection as _, Row};

use super::stacks::EXPORT_COLUMN;
use super::{db, json_text};
use crate::error::{Result, StoreError};
use crate::secret::{Keyring, SEALED_TEXT};

/// Where older servers kept unsalted digests of a stack's NoEcho values,
/// among its parameters.
pub(crate) const LEGACY_NO_ECHO_DIGESTS: &str = "Lockgate::NoEchoDigests";

/// Where the server records which committed property values derive from
/// a NoEcho parameter (JSON pointers by logical ID; `""`: all of them).
pub(crate) const NO_ECHO_PATHS: &str = "Lockgate::NoEchoPaths";

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

/// The rows of `table` whose clear `column` holds legacy digests.
fn with_digests(table: &str, column: &str, more: &str) -> String {
    format!(
        "SELECT rowid, {column}{more} FROM {table} \
         WHERE instr({column}, '{LEGACY_NO_ECHO_DIGESTS}') > 0"
    )
}

/// Puts right what older servers left in clear (see the module's doc).
pub(super) async fn upgrade_at_rest(pool: &SqlitePool, keyring: &Keyring) -> Result<()> {
    let mut conn = pool.acquire().await.map_err(db)?;
    if !anything_to_do(&mut conn).await? {
        return Ok(());
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
    done?;
    reset?;
    // No WAL frame keeps the text the transaction replaced.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

async fn anything_to_do(conn: &mut SqliteConnection) -> Result<bool> {
    let mut checks: Vec<String> = SEALED_COLUMNS
        .iter()
        .map(|(t, c, _)| unsealed(t, c))
        .collect();
    checks.push(with_digests("stacks", "parameters", ""));
    checks.push(with_digests("deployments", "target", ""));
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

/// All of it or nothing (dropped uncommitted, the transaction rolls back).
async fn upgrade_in_one_transaction(conn: &mut SqliteConnection, keyring: &Keyring) -> Result<()> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.map_err(db)?;
    upgrade(&mut tx, keyring).await?;
    tx.commit().await.map_err(db)
}

async fn upgrade(conn: &mut SqliteConnection, keyring: &Keyring) -> Result<()> {
    // The stacks' parameters: digests out, the record of where NoEcho
    // values went in (every property: which ones cannot be told).
    let rows = sqlx::query(AssertSqlSafe(with_digests(
        "stacks",
        "parameters",
        ", template",
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    for row in &rows {
        let id: i64 = row.try_get(0).map_err(db)?;
        let mut parameters = parse(row.try_get(1).map_err(db)?, "stacks.parameters")?;
        let template = parse(row.try_get(2).map_err(db)?, "stacks.template")?;
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
    let rows = sqlx::query(AssertSqlSafe(with_digests("deployments", "target", "")))
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    for row in &rows {
        let id: i64 = row.try_get(0).map_err(db)?;
        let mut target = parse(row.try_get(1).map_err(db)?, "deployments.target")?;
        if let Value::Object(t) = &mut target {
            let template = t.get("template").cloned().unwrap_or(Value::Null);
            if let Some(p) = t.get_mut("parameters") {
                upgrade_parameters(p, &template, None);
            }
        }
        update(conn, "deployments", "target", id, json_text(&target)?).await?;
    }
    // Every sealed column sealed; a deployment's snapshot, which is a
    // stack's state, upgraded as a stack's parameters are first.
    for (table, column, context) in SEALED_COLUMNS {
        let rows = sqlx::query(AssertSqlSafe(unsealed(table, column)))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
        for row in &rows {
            let id: i64 = row.try_get(0).map_err(db)?;
            let mut text: String = row.try_get(1).map_err(db)?;
            if (*table, *column) == ("deployments", "previous") {
                text = json_text(&upgrade_snapshot(parse(text, "deployments.previous")?))?;
            }
            update(conn, table, column, id, keyring.seal_text(&text, context)?).await?;
        }
    }
    Ok(())
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

fn parse(text: String, column: &str) -> Result<Value> {
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("column {column} holds invalid JSON: {e}")))
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
