//! Code, content-addressed: `POST /v1/artifacts/missing` (which of these
//! blobs does the server lack?) and `PUT /v1/artifacts/{digest}` (one blob,
//! its raw bytes, verified against the digest).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use lockgate_api::{ArtifactStored, ErrorCode, MissingArtifacts, MissingArtifactsRequest};
use lockgate_store::{Digest, StoreError};

use super::{ApiFailure, ApiJson, ApiPath, RawBody, S};

pub(super) async fn missing(
    State(s): S,
    ApiJson(req): ApiJson<MissingArtifactsRequest>,
) -> Result<Json<MissingArtifacts>, ApiFailure> {
    let mut digests = Vec::with_capacity(req.digests.len());
    for (i, d) in req.digests.iter().enumerate() {
        let digest: Digest = d
            .parse()
            .map_err(|e| ApiFailure::bad_request(format!("request body: digests[{i}]: {e}")))?;
        digests.push(digest);
    }
    let store = s.deployer.artifacts.clone();
    let held = tokio::task::spawn_blocking(move || {
        digests
            .iter()
            .map(|d| store.exists(d))
            .collect::<Vec<bool>>()
    })
    .await
    .map_err(|e| ApiFailure::internal(format!("artifact lookup: {e}")))?;
    Ok(Json(MissingArtifacts {
        missing: req
            .digests
            .into_iter()
            .zip(held)
            .filter(|(_, held)| !held)
            .map(|(d, _)| d)
            .collect(),
    }))
}

pub(super) async fn put(
    State(s): S,
    ApiPath(digest): ApiPath<String>,
    RawBody(body): RawBody,
) -> Result<Json<ArtifactStored>, ApiFailure> {
    let digest: Digest = digest
        .parse()
        .map_err(|e| ApiFailure::bad_request(format!("PUT /v1/artifacts/{{digest}}: {e}")))?;
    let size = body.len() as u64;
    let store = s.deployer.artifacts.clone();
    let stored = tokio::task::spawn_blocking(move || store.put_verified(&digest, &body))
        .await
        .map_err(|e| ApiFailure::internal(format!("artifact upload: {e}")))?;
    match stored {
        Ok(()) => Ok(Json(ArtifactStored {
            digest: digest.to_string(),
            size,
        })),
        Err(StoreError::DigestMismatch { actual, .. }) => Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::DigestMismatch,
            format!(
                "PUT /v1/artifacts/{digest}: the body's SHA-256 is {actual}, not the digest \
                 in the path; nothing was stored"
            ),
        )),
        Err(e) => Err(e.into()),
    }
}
