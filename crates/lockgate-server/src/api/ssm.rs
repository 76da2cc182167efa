//! `POST /`: the HTTP shim of the SSM API (AWS JSON 1.1), as function code
//! reaches it through `AWS_ENDPOINT_URL_SSM` with its stage's credentials.
//! The service (`crate::ssm`) verifies the SigV4 signature and answers in
//! SSM's own error format; this file only hands it the request.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{ApiFailure, S};

/// The largest SSM request taken (SSM's own limit is far lower).
const MAX_SSM_BODY: usize = 6 * 1024 * 1024;

pub(super) async fn ssm(State(s): S, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_SSM_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return ApiFailure::new(
                axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                lockgate_api::ErrorCode::PayloadTooLarge,
                format!("request body: {e}"),
            )
            .into_response();
        }
    };
    let headers: Vec<(&str, &str)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let signed = crate::sigv4::SignedRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query: parts.uri.query().unwrap_or(""),
        headers,
        body: &body,
    };
    // The other AWS APIs functions call share the endpoint, as their
    // SDKs' endpoint variables may name one URL; the signature's scope
    // says which service a request is for.
    match super::aws::service_of(&signed).as_deref() {
        Some("codedeploy") => return super::aws::codedeploy(&s, &signed),
        Some("monitoring") => return super::aws::cloudwatch(&s, &signed).await,
        _ => {}
    }
    let r = s
        .ssm
        .handle_http(&s.credentials, &signed, chrono::Utc::now())
        .await;
    Response::builder()
        .status(r.status)
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .body(Body::from(r.body))
        .unwrap_or_else(|e| ApiFailure::internal(format!("response: {e}")).into_response())
}
