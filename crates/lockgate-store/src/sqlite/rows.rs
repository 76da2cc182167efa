//! Row decoding: SQLite rows into domain types.

use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::{db, to_u64};
use crate::artifacts::Digest;
use crate::audit::AuditEntry;
use crate::deploy::{
    Deployment, DeploymentId, DeploymentKind, DeploymentStatus, ResourceProgress, StackTarget,
};
use crate::error::{Result, StoreError};
use crate::function::{Alias, FunctionVersion};
use crate::model::{Output, ResourceState, Stack, StackEvent};
use crate::names::{AliasName, ExportName, FunctionName, ParameterName, StackRef, StageRef};
use crate::param::{Parameter, ParameterType, ParameterValue};
use crate::secret::{Keyring, SealedValue};
use crate::status::{EventStatus, Timestamp};

/// The columns naming a stack (`app`, `stage`, `stack`) must be selected.
macro_rules! stack_select {
    () => {
        "SELECT s.id, s.stage_id, s.status, s.status_reason, s.template, s.parameters, s.version, \
         s.created_at, s.updated_at, a.name AS app, g.name AS stage, s.name AS stack \
         FROM stacks s JOIN stages g ON g.id = s.stage_id JOIN apps a ON a.id = g.app_id"
    };
}
pub(crate) use stack_select;

macro_rules! deployment_select {
    () => {
        "SELECT d.id, d.kind, d.status, d.initiated_by, d.change_set, d.target, d.previous, \
         d.base_version, d.reason, d.started_at, d.finished_at, d.stack_id, \
         a.name AS app, g.name AS stage, s.name AS stack \
         FROM deployments d JOIN stacks s ON s.id = d.stack_id \
         JOIN stages g ON g.id = s.stage_id JOIN apps a ON a.id = g.app_id"
    };
}
pub(crate) use deployment_select;

pub(crate) fn get<'r, T>(row: &'r SqliteRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get::<T, _>(col).map_err(db)
}

fn json(row: &SqliteRow, col: &str) -> Result<Value> {
    let text: String = get(row, col)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("column {col} holds invalid JSON: {e}")))
}

/// A JSON column sealed at rest ([`Keyring::seal_text`]).
fn sealed_json(row: &SqliteRow, col: &str, keyring: &Keyring) -> Result<Value> {
    let text = keyring.open_text(get(row, col)?, col)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("column {col} holds invalid JSON: {e}")))
}

fn sealed_json_opt(row: &SqliteRow, col: &str, keyring: &Keyring) -> Result<Option<Value>> {
    let text: Option<String> = get(row, col)?;
    text.map(|t| {
        let t = keyring.open_text(t, col)?;
        serde_json::from_str(&t)
            .map_err(|e| StoreError::Corrupt(format!("column {col} holds invalid JSON: {e}")))
    })
    .transpose()
}

fn typed<T: serde::de::DeserializeOwned>(row: &SqliteRow, col: &str) -> Result<T> {
    serde_json::from_value(json(row, col)?)
        .map_err(|e| StoreError::Corrupt(format!("column {col}: {e}")))
}

fn time(row: &SqliteRow, col: &str) -> Result<Timestamp> {
    Ok(Timestamp::from_millis(get(row, col)?))
}

fn corrupt_name(e: StoreError) -> StoreError {
    StoreError::Corrupt(format!("stored name is invalid: {e}"))
}

/// The stack named by the `app`, `stage` and `stack` columns.
pub(crate) fn stack_ref(row: &SqliteRow) -> Result<StackRef> {
    let app: String = get(row, "app")?;
    let stage: String = get(row, "stage")?;
    let stack: String = get(row, "stack")?;
    StackRef::parse(&app, &stage, &stack).map_err(corrupt_name)
}

pub(crate) fn stack(row: &SqliteRow) -> Result<Stack> {
    Ok(Stack {
        stack: stack_ref(row)?,
        status: get::<String>(row, "status")?.parse()?,
        status_reason: get(row, "status_reason")?,
        template: json(row, "template")?,
        parameters: json(row, "parameters")?,
        version: to_u64(get(row, "version")?, "stack version")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) fn resource(row: &SqliteRow, keyring: &Keyring) -> Result<ResourceState> {
    Ok(ResourceState {
        logical_id: get(row, "logical_id")?,
        resource_type: get(row, "resource_type")?,
        physical_id: get(row, "physical_id")?,
        properties: sealed_json(row, "properties", keyring)?,
        status: get::<String>(row, "status")?.parse()?,
        status_reason: get(row, "status_reason")?,
        attributes: sealed_json(row, "attributes", keyring)?,
    })
}

/// An output; the `exported` column is its export's (sealed) value.
pub(crate) fn output(row: &SqliteRow, keyring: &Keyring) -> Result<Output> {
    let export: Option<String> = get(row, "export_name")?;
    let value: String = get(row, "value")?;
    let exported: Option<String> = get(row, "exported")?;
    let export_value = exported
        .map(|t| keyring.open_text(t, super::stacks::EXPORT_COLUMN))
        .transpose()?
        .filter(|e| *e != value);
    Ok(Output {
        key: get(row, "output_key")?,
        value,
        description: get(row, "description")?,
        export_name: export
            .map(ExportName::new)
            .transpose()
            .map_err(corrupt_name)?,
        export_value,
    })
}

pub(crate) fn event(row: &SqliteRow, stack: &StackRef) -> Result<StackEvent> {
    let status: String = get(row, "status")?;
    let deployment: Option<i64> = get(row, "deployment_id")?;
    Ok(StackEvent {
        id: get(row, "id")?,
        stack: stack.clone(),
        deployment: deployment.map(DeploymentId),
        at: time(row, "at")?,
        logical_id: get(row, "logical_id")?,
        physical_id: get(row, "physical_id")?,
        resource_type: get(row, "resource_type")?,
        status: EventStatus::parse(&status, get(row, "is_stack")?)?,
        reason: get(row, "reason")?,
    })
}

/// A deployment; its `previous` snapshot is sealed at rest (it holds the
/// resources' properties, as `stack_resources` does).
pub(crate) fn deployment(row: &SqliteRow, keyring: &Keyring) -> Result<Deployment> {
    let finished: Option<i64> = get(row, "finished_at")?;
    let previous = sealed_json_opt(row, "previous", keyring)?
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("deployment snapshot: {e}")))?;
    let target: StackTarget = typed(row, "target")?;
    Ok(Deployment {
        id: DeploymentId(get(row, "id")?),
        stack: stack_ref(row)?,
        kind: get::<String>(row, "kind")?.parse::<DeploymentKind>()?,
        status: get::<String>(row, "status")?.parse::<DeploymentStatus>()?,
        initiated_by: get(row, "initiated_by")?,
        change_set: json(row, "change_set")?,
        target,
        previous,
        base_version: to_u64(get(row, "base_version")?, "base version")?,
        reason: get(row, "reason")?,
        started_at: time(row, "started_at")?,
        finished_at: finished.map(Timestamp::from_millis),
    })
}

pub(crate) fn progress(row: &SqliteRow, keyring: &Keyring) -> Result<ResourceProgress> {
    Ok(ResourceProgress {
        logical_id: get(row, "logical_id")?,
        resource_type: get(row, "resource_type")?,
        physical_id: get(row, "physical_id")?,
        status: get::<String>(row, "status")?.parse()?,
        reason: get(row, "status_reason")?,
        properties: sealed_json_opt(row, "properties", keyring)?,
        attributes: sealed_json_opt(row, "attributes", keyring)?,
    })
}

pub(crate) fn function_version(
    row: &SqliteRow,
    stage: &StageRef,
    keyring: &Keyring,
) -> Result<FunctionVersion> {
    let digest: String = get(row, "code_digest")?;
    Ok(FunctionVersion {
        stage: stage.clone(),
        function: FunctionName::new(get::<String>(row, "function_name")?).map_err(corrupt_name)?,
        version: to_u64(get(row, "version")?, "function version")?,
        code: digest
            .parse::<Digest>()
            .map_err(|e| corrupt_name(e.into()))?,
        config: sealed_json(row, "config", keyring)?,
        description: get(row, "description")?,
        created_at: time(row, "created_at")?,
    })
}

pub(crate) fn alias(row: &SqliteRow, stage: &StageRef) -> Result<Alias> {
    Ok(Alias {
        stage: stage.clone(),
        function: FunctionName::new(get::<String>(row, "function_name")?).map_err(corrupt_name)?,
        name: AliasName::new(get::<String>(row, "name")?).map_err(corrupt_name)?,
        version: to_u64(get(row, "function_version")?, "alias version")?,
        routing: typed(row, "routing")?,
        description: get(row, "description")?,
        updated_at: time(row, "updated_at")?,
    })
}

pub(crate) fn parameter(row: &SqliteRow) -> Result<Parameter> {
    let kind = ParameterType::parse(&get::<String>(row, "param_type")?)?;
    let text: Option<String> = get(row, "value")?;
    let missing = || StoreError::Corrupt("parameter version without its value".into());
    let value = match kind {
        ParameterType::String => ParameterValue::String(text.ok_or_else(missing)?),
        ParameterType::StringList => ParameterValue::StringList(
            text.ok_or_else(missing)?
                .split(',')
                .map(str::to_string)
                .collect(),
        ),
        ParameterType::SecureString => ParameterValue::SecureString(SealedValue {
            key_id: get::<Option<String>>(row, "key_id")?.ok_or_else(missing)?,
            nonce: get::<Option<Vec<u8>>>(row, "nonce")?.ok_or_else(missing)?,
            ciphertext: get::<Option<Vec<u8>>>(row, "ciphertext")?.ok_or_else(missing)?,
        }),
    };
    Ok(Parameter {
        name: ParameterName::new(get::<String>(row, "name")?).map_err(corrupt_name)?,
        version: to_u64(get(row, "version")?, "parameter version")?,
        value,
        description: get(row, "description")?,
        modified_by: get(row, "modified_by")?,
        modified_at: time(row, "modified_at")?,
    })
}

pub(crate) fn audit(row: &SqliteRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: get(row, "id")?,
        at: time(row, "at")?,
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        target: get(row, "target")?,
        details: json(row, "details")?,
    })
}
