//! SSM-style parameters.

use serde_json::json;
use sqlx::Row;

use super::rows;
use super::{SqliteStore, audit, db, to_i64, to_u64};
use crate::audit::NewAuditEntry;
use crate::error::{Result, StoreError};
use crate::names::ParameterName;
use crate::param::{NewParameterValue, Parameter, ParameterValue, PutParameter};
use crate::secret::SecretString;
use crate::status::Timestamp;

pub(super) async fn put(s: &SqliteStore, req: PutParameter) -> Result<u64> {
    let plain = req.value.validate()?;
    let mut tx = s.write_tx().await?;
    let latest: Option<i64> = sqlx::query("SELECT latest_version FROM parameters WHERE name = $1")
        .bind(req.name.as_str())
        .fetch_optional(&mut *tx)
        .await
        .map_err(db)?
        .map(|r| r.try_get(0))
        .transpose()
        .map_err(db)?;
    let now = Timestamp::now().as_millis();
    let version = match latest {
        Some(_) if !req.overwrite => {
            return Err(StoreError::AlreadyExists {
                kind: "parameter",
                name: req.name.to_string(),
            });
        }
        Some(v) => {
            let next = v + 1;
            sqlx::query("UPDATE parameters SET latest_version = $1 WHERE name = $2")
                .bind(next)
                .bind(req.name.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            next
        }
        None => {
            sqlx::query(
                "INSERT INTO parameters (name, latest_version, created_at) VALUES ($1, 1, $2)",
            )
            .bind(req.name.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
            1
        }
    };
    let version_u = to_u64(version, "parameter version")?;
    let sealed = match &req.value {
        NewParameterValue::SecureString(secret) => Some(
            s.keyring
                .seal(secret, &Parameter::seal_context(&req.name, version_u))?,
        ),
        _ => None,
    };
    let kind = req.value.parameter_type();
    sqlx::query(
        "INSERT INTO parameter_versions \
         (name, version, param_type, value, ciphertext, nonce, key_id, description, modified_by, modified_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(req.name.as_str())
    .bind(version)
    .bind(kind.as_str())
    .bind(plain)
    .bind(sealed.as_ref().map(|v| v.ciphertext.clone()))
    .bind(sealed.as_ref().map(|v| v.nonce.clone()))
    .bind(sealed.as_ref().map(|v| v.key_id.clone()))
    .bind(&req.description)
    .bind(&req.actor)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    // The audit entry names the parameter, never its value.
    let entry = NewAuditEntry::new(&req.actor, "parameter.put", req.name.as_str()).with_details(
        json!({ "type": kind.as_str(), "version": version_u, "overwrite": req.overwrite }),
    );
    audit::insert(&mut tx, entry).await?;
    tx.commit().await.map_err(db)?;
    Ok(version_u)
}

pub(super) async fn get(
    s: &SqliteStore,
    name: &ParameterName,
    version: Option<u64>,
) -> Result<Option<Parameter>> {
    let version = version.map(|v| to_i64(v, "version")).transpose()?;
    let row = sqlx::query(
        "SELECT v.name, v.version, v.param_type, v.value, v.ciphertext, v.nonce, v.key_id, \
         v.description, v.modified_by, v.modified_at FROM parameter_versions v \
         JOIN parameters p ON p.name = v.name \
         WHERE v.name = $1 AND v.version = COALESCE($2, p.latest_version)",
    )
    .bind(name.as_str())
    .bind(version)
    .fetch_optional(&s.pool)
    .await
    .map_err(db)?;
    row.as_ref().map(rows::parameter).transpose()
}

/// Checks a `GetParametersByPath` path; returns the prefix its children share.
fn path_prefix(path: &str) -> Result<String> {
    if path == "/" {
        return Ok("/".to_string());
    }
    let ok = path.starts_with('/') && !path.ends_with('/') && ParameterName::new(path).is_ok();
    if !ok {
        return Err(StoreError::InvalidName {
            kind: "parameter path",
            value: path.to_string(),
            expected: "`/` or a hierarchy such as `/dev` or `/dev/db` (leading `/`, no trailing `/`)",
        });
    }
    Ok(format!("{path}/"))
}

pub(super) async fn by_path(
    s: &SqliteStore,
    path: &str,
    recursive: bool,
) -> Result<Vec<Parameter>> {
    let prefix = path_prefix(path)?;
    // Every name starting with `prefix` sorts in [prefix, prefix with its final
    // `/` bumped to `0`): a range both SQLite and PostgreSQL (COLLATE "C") can
    // serve from the primary key, and case-sensitive, unlike LIKE in SQLite.
    let upper = format!("{}0", &prefix[..prefix.len() - 1]);
    let rows = sqlx::query(
        "SELECT v.name, v.version, v.param_type, v.value, v.ciphertext, v.nonce, v.key_id, \
         v.description, v.modified_by, v.modified_at FROM parameter_versions v \
         JOIN parameters p ON p.name = v.name AND v.version = p.latest_version \
         WHERE p.name >= $1 AND p.name < $2 ORDER BY p.name",
    )
    .bind(&prefix)
    .bind(&upper)
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    let mut out = Vec::new();
    for row in &rows {
        let p = rows::parameter(row)?;
        let rest = &p.name.as_str()[prefix.len()..];
        if recursive || !rest.contains('/') {
            out.push(p);
        }
    }
    Ok(out)
}

pub(super) async fn history(s: &SqliteStore, name: &ParameterName) -> Result<Vec<Parameter>> {
    let rows = sqlx::query(
        "SELECT v.name, v.version, v.param_type, v.value, v.ciphertext, v.nonce, v.key_id, \
         v.description, v.modified_by, v.modified_at FROM parameter_versions v \
         WHERE v.name = $1 ORDER BY v.version",
    )
    .bind(name.as_str())
    .fetch_all(&s.pool)
    .await
    .map_err(db)?;
    rows.iter().map(rows::parameter).collect()
}

pub(super) async fn delete(s: &SqliteStore, actor: &str, name: &ParameterName) -> Result<bool> {
    let mut tx = s.write_tx().await?;
    let done = sqlx::query("DELETE FROM parameters WHERE name = $1")
        .bind(name.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let existed = done.rows_affected() > 0;
    if existed {
        audit::insert(
            &mut tx,
            NewAuditEntry::new(actor, "parameter.delete", name.as_str()),
        )
        .await?;
    }
    tx.commit().await.map_err(db)?;
    Ok(existed)
}

pub(super) fn decrypt(s: &SqliteStore, p: &Parameter) -> Result<SecretString> {
    match &p.value {
        ParameterValue::String(v) => Ok(SecretString::new(v.clone())),
        ParameterValue::StringList(items) => Ok(SecretString::new(items.join(","))),
        ParameterValue::SecureString(sealed) => s
            .keyring
            .open(sealed, &Parameter::seal_context(&p.name, p.version)),
    }
}

#[cfg(test)]
mod tests {
    use super::path_prefix;

    #[test]
    fn path_prefixes() {
        assert_eq!(path_prefix("/").unwrap(), "/");
        assert_eq!(path_prefix("/dev").unwrap(), "/dev/");
        assert_eq!(path_prefix("/dev/db").unwrap(), "/dev/db/");
        for bad in ["", "dev", "/dev/", "//"] {
            assert!(path_prefix(bad).is_err(), "{bad}");
        }
    }
}
