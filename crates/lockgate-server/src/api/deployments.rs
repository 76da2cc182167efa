//! Releases (alias traffic shifts): `GET …/deployments`,
//! `GET /v1/deployments/{id}`, `POST /v1/deployments/{id}/promote`,
//! `POST /v1/deployments/{id}/abort`, `POST …/functions/{function}/rollback`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lockgate_api::{
    Deployment, DeploymentAction, DeploymentsQuery, ErrorCode, ErrorInformation, StopRequest,
    TimelineEvent,
};
use lockgate_store::Rollout;

use super::{ApiFailure, ApiPath, ApiQuery, RawBody, S, stage_ref};
use crate::rollout::{ControlError, deployment_id, parse_deployment_id};

/// A rollout as the API shows it; with its timeline when `timeline`.
pub(crate) fn view(r: &Rollout, timeline: bool) -> Deployment {
    Deployment {
        deployment_id: deployment_id(r.id),
        app: r.stage.app.to_string(),
        stage: r.stage.stage.to_string(),
        stack: r.stack.as_ref().map(|s| s.name.to_string()),
        logical_id: r.logical_id.clone(),
        function_name: r.function.to_string(),
        alias: r.alias.to_string(),
        current_version: r.from_version,
        target_version: r.to_version,
        status: r.status.as_str().to_string(),
        deployment_config_name: r.config.clone(),
        traffic_weight: r.weight,
        create_time: r.started_at.to_string(),
        complete_time: r.finished_at.map(|t| t.to_string()),
        error_information: r.error.as_ref().map(|e| ErrorInformation {
            code: e.code.clone(),
            message: e.message.clone(),
        }),
        timeline: timeline.then(|| {
            r.events
                .iter()
                .map(|e| TimelineEvent {
                    time: e.at.to_string(),
                    kind: e.kind.clone(),
                    weight: e.weight,
                    message: e.message.clone(),
                })
                .collect()
        }),
    }
}

/// The body of a stop: a `StopRequest`, or nothing.
fn stop_request(body: &[u8]) -> Result<StopRequest, ApiFailure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(StopRequest::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiFailure::bad_request(format!("request body: {e}")))
}

fn conflict(e: ControlError) -> ApiFailure {
    ApiFailure::new(StatusCode::CONFLICT, ErrorCode::Conflict, e.to_string())
}

fn rollout_id(id: &str) -> Result<lockgate_store::RolloutId, ApiFailure> {
    parse_deployment_id(id).ok_or_else(|| {
        ApiFailure::bad_request(format!(
            "deployment ID `{id}`: expected d- and nine letters or digits (d-00000000C), or its number"
        ))
    })
}

/// A stage's deployments, newest first.
pub(super) async fn list(
    State(s): S,
    ApiPath((app, stage)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<DeploymentsQuery>,
) -> Result<Json<Vec<Deployment>>, ApiFailure> {
    let stage = stage_ref(&app, &stage)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 1000);
    let list = s.store.list_rollouts(&stage, limit).await?;
    Ok(Json(list.iter().map(|r| view(r, false)).collect()))
}

/// One deployment with its timeline.
pub(super) async fn show(
    State(s): S,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Deployment>, ApiFailure> {
    let rid = rollout_id(&id)?;
    match s.store.get_rollout(rid).await? {
        Some(r) => Ok(Json(view(&r, true))),
        None => Err(ApiFailure::not_found(format!(
            "deployment {id} does not exist"
        ))),
    }
}

/// Skips the waits of a deployment in progress.
pub(super) async fn promote(
    State(s): S,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<DeploymentAction>, ApiFailure> {
    let rid = rollout_id(&id)?;
    s.rollouts.promote(rid).map_err(conflict)?;
    Ok(Json(DeploymentAction {
        action: "Promote".into(),
        deployment_ids: vec![deployment_id(rid)],
    }))
}

/// Stops a deployment in progress: all traffic back on the old version.
pub(super) async fn abort(
    State(s): S,
    ApiPath(id): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<Json<DeploymentAction>, ApiFailure> {
    let body = stop_request(&body)?;
    let rid = rollout_id(&id)?;
    let reason = body
        .reason
        .unwrap_or_else(|| "stopped by an operator".into());
    s.rollouts.abort(rid, &reason).map_err(conflict)?;
    Ok(Json(DeploymentAction {
        action: "Abort".into(),
        deployment_ids: vec![deployment_id(rid)],
    }))
}

/// Stops every deployment in progress of a function of the stage (named
/// by its logical ID or its physical name).
pub(super) async fn rollback(
    State(s): S,
    ApiPath((app, stage, function)): ApiPath<(String, String, String)>,
    RawBody(body): RawBody,
) -> Result<Json<DeploymentAction>, ApiFailure> {
    let body = stop_request(&body)?;
    let stage = stage_ref(&app, &stage)?;
    let reason = body
        .reason
        .unwrap_or_else(|| "rolled back by an operator".into());
    let running: Vec<Rollout> = s
        .store
        .running_rollouts()
        .await?
        .into_iter()
        .filter(|r| {
            r.stage == stage
                && (r.function.as_str() == function
                    || r.function.as_str().ends_with(&format!("-{function}")))
        })
        .collect();
    let mut ids = Vec::new();
    for r in &running {
        s.rollouts.abort(r.id, &reason).map_err(conflict)?;
        ids.push(deployment_id(r.id));
    }
    if ids.is_empty() {
        return Err(ApiFailure::new(
            StatusCode::CONFLICT,
            ErrorCode::Conflict,
            format!(
                "no release of {function} is in progress on {}/{}: to go back now, deploy \
                 the previous code (a new release shifts to it)",
                stage.app, stage.stage
            ),
        ));
    }
    Ok(Json(DeploymentAction {
        action: "Abort".into(),
        deployment_ids: ids,
    }))
}
