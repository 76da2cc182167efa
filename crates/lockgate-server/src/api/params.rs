//! The parameter store: `GET /v1/params`, and `GET` / `PUT` / `DELETE
//! /v1/params/{name}` (`/v1/params/dev/db` is the parameter `/dev/db`).

use axum::Json;
use axum::extract::State;
use lockgate_api::{
    DeletedParameter, GetParameterQuery, ListParametersQuery, Parameter, ParameterType,
    ParameterVersion, PutParameterRequest,
};
use lockgate_store::{
    NewParameterValue, ParameterName, ParameterValue, PutParameter, SecretString, Store,
};

use super::{ApiFailure, ApiJson, ApiPath, ApiQuery, S};

/// The parameter a URL path names: `dev/db` is `/dev/db`, `plain` is `plain`.
fn param_name(name: &str) -> Result<ParameterName, ApiFailure> {
    let full = if name.contains('/') {
        format!("/{name}")
    } else {
        name.to_string()
    };
    ParameterName::new(full).map_err(|e| ApiFailure::bad_request(e.to_string()))
}

/// A stored parameter as the API shows it; a SecureString's value is
/// `****` unless `decrypt`.
fn wire(
    store: &dyn Store,
    p: &lockgate_store::Parameter,
    decrypt: bool,
) -> Result<Parameter, ApiFailure> {
    let (parameter_type, value) = match &p.value {
        ParameterValue::String(v) => (ParameterType::String, v.clone()),
        ParameterValue::StringList(v) => (ParameterType::StringList, v.join(",")),
        ParameterValue::SecureString(_) if decrypt => (
            ParameterType::SecureString,
            store.decrypt_parameter(p)?.expose().to_string(),
        ),
        ParameterValue::SecureString(_) => (ParameterType::SecureString, "****".into()),
    };
    Ok(Parameter {
        name: p.name.to_string(),
        parameter_type,
        value,
        version: p.version,
        description: p.description.clone(),
        modified_by: p.modified_by.clone(),
        modified_at: p.modified_at.as_millis(),
    })
}

pub(super) async fn get(
    State(s): S,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<GetParameterQuery>,
) -> Result<Json<Parameter>, ApiFailure> {
    let name = param_name(&name)?;
    match s.store.get_parameter(&name, q.version).await? {
        Some(p) => Ok(Json(wire(s.store.as_ref(), &p, q.decrypt)?)),
        None => Err(ApiFailure::not_found(format!(
            "parameter {name} does not exist"
        ))),
    }
}

pub(super) async fn put(
    State(s): S,
    ApiPath(name): ApiPath<String>,
    ApiJson(b): ApiJson<PutParameterRequest>,
) -> Result<Json<ParameterVersion>, ApiFailure> {
    let name = param_name(&name)?;
    let value = match b.parameter_type {
        ParameterType::String => NewParameterValue::String(b.value),
        ParameterType::StringList => {
            NewParameterValue::StringList(b.value.split(',').map(str::to_string).collect())
        }
        ParameterType::SecureString => NewParameterValue::SecureString(SecretString::new(b.value)),
    };
    let version = s
        .store
        .put_parameter(PutParameter {
            name,
            value,
            description: b.description,
            overwrite: b.overwrite,
            actor: "admin".into(),
        })
        .await?;
    Ok(Json(ParameterVersion { version }))
}

pub(super) async fn delete(
    State(s): S,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<DeletedParameter>, ApiFailure> {
    let name = param_name(&name)?;
    if s.store.delete_parameter("admin", &name).await? {
        Ok(Json(DeletedParameter {
            deleted: name.to_string(),
        }))
    } else {
        Err(ApiFailure::not_found(format!(
            "parameter {name} does not exist"
        )))
    }
}

pub(super) async fn list(
    State(s): S,
    ApiQuery(q): ApiQuery<ListParametersQuery>,
) -> Result<Json<Vec<Parameter>>, ApiFailure> {
    let path = q.path.as_deref().unwrap_or("/");
    let list = s.store.get_parameters_by_path(path, q.recursive).await?;
    let out = list
        .iter()
        .map(|p| wire(s.store.as_ref(), p, false))
        .collect::<Result<_, _>>()?;
    Ok(Json(out))
}
