//! `GET /v1/health`: liveness, without a token (what tests and `lockgate up`
//! wait on).

use axum::Json;
use lockgate_api::Health;

pub(super) async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}
