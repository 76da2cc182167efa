//! Plans, deploys and destroys of a stage's stack:
//! `POST …/plan`, `POST …/deploy`, `DELETE /v1/apps/{app}/stages/{stage}`.
//! Deploys and destroys answer an ndjson stream of
//! `lockgate_api::DeployStreamItem`s.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use lockgate_api::{
    DeployOutcome, DeployRequest, DeployResult, DeployStreamItem, Plan, ProgressEvent, StackQuery,
};
use tokio::sync::mpsc;

use super::{ApiFailure, ApiJson, ApiPath, ApiQuery, S, deploy_error, ndjson, stage_ref};
use crate::Shared;
use crate::deploy::DeployError;

/// The change set a deploy would apply; nothing changes.
pub(super) async fn plan(
    State(s): S,
    ApiPath((app, stage)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<DeployRequest>,
) -> Result<Json<Plan>, ApiFailure> {
    Ok(Json(s.deployer.plan(&app, &stage, &req).await?))
}

/// Deploys, streaming progress then the result.
pub(super) async fn deploy(
    State(s): S,
    ApiPath((app, stage)): ApiPath<(String, String)>,
    ApiJson(req): ApiJson<DeployRequest>,
) -> Result<Response, ApiFailure> {
    // Refuse bad names before streaming, with a plain error status.
    stage_ref(&app, &stage)?;
    let token = req
        .client_token
        .as_ref()
        .map(|t| outcome_key(&app, &stage, t));
    if let Some(key) = &token {
        s.outcomes.start(key);
    }
    Ok(run_streaming(s, token, move |s, tx| async move {
        s.deployer.deploy(&app, &stage, &req, "admin", tx).await
    }))
}

fn outcome_key(app: &str, stage: &str, token: &str) -> String {
    format!("{app}/{stage}/{token}")
}

/// How the deploy sent with a client token is doing (for a client whose
/// progress stream broke).
pub(super) async fn outcome(
    State(s): S,
    ApiPath((app, stage, token)): ApiPath<(String, String, String)>,
) -> Result<Json<DeployOutcome>, ApiFailure> {
    stage_ref(&app, &stage)?;
    match s.outcomes.get(&outcome_key(&app, &stage, &token)) {
        Some(outcome) => Ok(Json(DeployOutcome {
            running: outcome.is_none(),
            outcome,
            token,
        })),
        None => Err(ApiFailure::new(
            axum::http::StatusCode::NOT_FOUND,
            lockgate_api::ErrorCode::NotFound,
            format!(
                "no deploy of {app}/{stage} with client token `{token}` (the server keeps the last {} outcomes, and forgets them when it restarts)",
                Outcomes::KEPT
            ),
        )),
    }
}

/// The outcomes of the last deploys sent with a client token, by
/// `app/stage/token`: `None` while running.
#[derive(Default)]
pub(crate) struct Outcomes(
    std::sync::Mutex<std::collections::VecDeque<(String, Option<DeployStreamItem>)>>,
);

impl Outcomes {
    /// How many outcomes are kept.
    pub(crate) const KEPT: usize = 256;

    fn start(&self, key: &str) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.retain(|(k, _)| k != key);
        if q.len() >= Self::KEPT {
            q.pop_front();
        }
        q.push_back((key.to_string(), None));
    }

    fn finish(&self, key: &str, line: &DeployStreamItem) {
        let mut q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, slot)) = q.iter_mut().find(|(k, _)| k == key) {
            *slot = Some(line.clone());
        }
    }

    fn get(&self, key: &str) -> Option<Option<DeployStreamItem>> {
        let q = self.0.lock().unwrap_or_else(|e| e.into_inner());
        q.iter().find(|(k, _)| k == key).map(|(_, o)| o.clone())
    }
}

/// Destroys a stack, streaming like a deploy.
pub(super) async fn destroy(
    State(s): S,
    ApiPath((app, stage)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<StackQuery>,
) -> Result<Response, ApiFailure> {
    stage_ref(&app, &stage)?;
    Ok(run_streaming(s, None, move |s, tx| async move {
        s.deployer
            .destroy(&app, &stage, q.stack.as_deref(), "admin", tx)
            .await
    }))
}

/// Runs a deploy or destroy in its own task (a client that goes away does
/// not cancel it) and streams its events, then its result or error.
fn run_streaming<F, Fut>(s: Arc<Shared>, token: Option<String>, f: F) -> Response
where
    F: FnOnce(Arc<Shared>, mpsc::UnboundedSender<ProgressEvent>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<DeployResult, DeployError>> + Send,
{
    let (out_tx, out_rx) = mpsc::unbounded_channel::<DeployStreamItem>();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let forward = out_tx.clone();
    tokio::spawn(async move {
        while let Some(e) = ev_rx.recv().await {
            // A client that went away reads no more lines; the deploy goes on.
            let _ = forward.send(DeployStreamItem::Event(e));
        }
    });
    tokio::spawn(async move {
        let result = f(s.clone(), ev_tx).await;
        // Let queued events go out before the result.
        tokio::task::yield_now().await;
        let line = match result {
            Ok(r) => DeployStreamItem::Result(r),
            Err(e) => DeployStreamItem::Error(deploy_error(&e)),
        };
        crate::stage::schedules::sync(&s).await;
        if let Some(key) = &token {
            s.outcomes.finish(key, &line);
        }
        // As above: the outcome is committed whether or not anyone reads it.
        let _ = out_tx.send(line);
    });
    ndjson(out_rx).into_response()
}
