//! `GET /v1/health`: liveness, without a token (what tests and `lockgate up`
//! wait on).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use lockgate_api::Health;

use crate::Shared;

pub(super) async fn health(State(shared): State<Arc<Shared>>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        unisolated: shared.stages.runtimes().sandbox_note(),
    })
}
