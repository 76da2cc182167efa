//! The HTTP API (axum): JSON under `/v1`, newline-delimited JSON streams for
//! deploys, destroys and followed logs, and the SSM API at `POST /`.
//! Every `/v1` call but `/v1/health` needs `Authorization: Bearer <token>`.
//!
//! This module holds what every route shares: the route table (one line per
//! route, from which the router is built and which the OpenAPI test reads),
//! the token check, the error type every failure answers with
//! ([`ApiFailure`], always `lockgate_api::ErrorBody`, also for a bad path,
//! query or body, a wrong method or an unknown route), the extractors that
//! give axum's own rejections that shape, and the ndjson stream helper.
//! Each resource group has its own file whose handlers only parse HTTP into
//! typed calls and map the results and errors to responses; the request and
//! response types are `lockgate-api`'s.

mod apps;
mod artifacts;
mod aws;
mod deployments;
mod deploys;
pub(crate) use deploys::Outcomes;
mod health;
mod logs;
mod params;
mod schedules;
mod ssm;

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use futures::StreamExt;
use lockgate_api::{ApiError, ErrorCode};
use lockgate_store::{StageRef, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::Shared;
use crate::deploy::DeployError;

type S = State<Arc<Shared>>;

/// One route of the API.
struct Entry {
    method: &'static str,
    path: &'static str,
    /// Whether it needs the admin token.
    token: bool,
    router: MethodRouter<Arc<Shared>>,
}

/// A route: `method` and `path` are what the router serves, so the table
/// cannot say one thing and serve another.
fn at<H, T>(method: &'static str, path: &'static str, handler: H) -> Entry
where
    H: Handler<T, Arc<Shared>>,
    T: 'static,
{
    let filter = match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "DELETE" => MethodFilter::DELETE,
        // The table below names only the four methods above.
        other => unreachable!("route method {other}"),
    };
    Entry {
        method,
        path,
        token: true,
        router: on(filter, handler),
    }
}

impl Entry {
    /// The route answers without a token.
    fn public(mut self) -> Self {
        self.token = false;
        self
    }

    /// The route takes bodies up to `bytes` (axum's default is 2 MiB).
    fn body_limit(mut self, bytes: usize) -> Self {
        self.router = self
            .router
            .layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }
}

/// Every route, one line each.
fn table() -> Vec<Entry> {
    vec![
        at("GET", "/v1/health", health::health).public(),
        // Apps, stages and their stacks.
        at("GET", "/v1/apps", apps::list),
        at("GET", "/v1/apps/{app}/stages/{stage}", apps::stage),
        // Plans, deploys and destroys.
        at("POST", "/v1/apps/{app}/stages/{stage}/plan", deploys::plan),
        at(
            "POST",
            "/v1/apps/{app}/stages/{stage}/deploy",
            deploys::deploy,
        ),
        at(
            "GET",
            "/v1/apps/{app}/stages/{stage}/deploys/{token}",
            deploys::outcome,
        ),
        at("DELETE", "/v1/apps/{app}/stages/{stage}", deploys::destroy),
        // Code, content-addressed.
        at("POST", "/v1/artifacts/missing", artifacts::missing),
        at("PUT", "/v1/artifacts/{digest}", artifacts::put)
            .body_limit(lockgate_api::MAX_ARTIFACT_BYTES),
        // Schedules.
        at(
            "GET",
            "/v1/apps/{app}/stages/{stage}/schedules",
            schedules::list,
        ),
        at(
            "POST",
            "/v1/apps/{app}/stages/{stage}/schedules/{rule}/run",
            schedules::run,
        ),
        // Releases (alias traffic shifts).
        at(
            "GET",
            "/v1/apps/{app}/stages/{stage}/deployments",
            deployments::list,
        ),
        at("GET", "/v1/deployments/{id}", deployments::show),
        at("POST", "/v1/deployments/{id}/promote", deployments::promote),
        at("POST", "/v1/deployments/{id}/abort", deployments::abort),
        at(
            "POST",
            "/v1/apps/{app}/stages/{stage}/functions/{function}/rollback",
            deployments::rollback,
        ),
        // Logs.
        at("GET", "/v1/apps/{app}/stages/{stage}/logs", logs::all),
        at(
            "GET",
            "/v1/apps/{app}/stages/{stage}/logs/{function}",
            logs::one,
        ),
        // Parameters.
        at("GET", "/v1/params", params::list),
        at("GET", "/v1/params/{*name}", params::get),
        at("PUT", "/v1/params/{*name}", params::put),
        at("DELETE", "/v1/params/{*name}", params::delete),
        // The SSM API functions call (SigV4, not the admin token).
        at("POST", "/", ssm::ssm).public(),
    ]
}

/// Every `(method, path)` the API serves, paths as axum writes them
/// (`{app}`, `{*name}`); `docs/openapi.yaml` is checked against this list.
pub fn routes() -> Vec<(&'static str, &'static str)> {
    table().iter().map(|e| (e.method, e.path)).collect()
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let mut public = Router::new();
    let mut with_token = Router::new();
    for e in table() {
        if e.token {
            with_token = with_token.route(e.path, e.router);
        } else {
            public = public.route(e.path, e.router);
        }
    }
    let with_token = with_token.route_layer(middleware::from_fn_with_state(shared.clone(), auth));
    public
        .merge(with_token)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
}

/// Why a call failed: an HTTP status and the API's error body.
#[derive(Debug)]
pub(crate) struct ApiFailure {
    status: StatusCode,
    /// Boxed: failures travel through every handler's `Result`.
    error: Box<ApiError>,
}

impl ApiFailure {
    pub(crate) fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiFailure {
            status,
            error: Box::new(ApiError::new(code, message)),
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        ApiFailure::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        ApiFailure::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        ApiFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            message,
        )
    }

    /// An axum rejection (of a path, query or body) in our shape.
    fn rejection(status: StatusCode, what: &str, text: String) -> Self {
        let code = match status.as_u16() {
            413 => ErrorCode::PayloadTooLarge,
            400..=499 => ErrorCode::BadRequest,
            _ => ErrorCode::Internal,
        };
        ApiFailure::new(status, code, format!("{what}: {text}"))
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = %self.error.code, "{}", self.error.message);
        }
        (self.status, axum::Json(self.error.into_body())).into_response()
    }
}

impl From<DeployError> for ApiFailure {
    fn from(e: DeployError) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiFailure {
            status,
            error: Box::new(deploy_error(&e)),
        }
    }
}

/// A deploy's error as the API sends it (as a response or a stream's last line).
pub(crate) fn deploy_error(e: &DeployError) -> ApiError {
    let mut out = ApiError::new(ErrorCode::from(e.code()), e.to_string());
    match e {
        DeployError::Invalid {
            rendered,
            diagnostics,
            ..
        } => {
            out.rendered = Some(rendered.clone());
            out.diagnostics = Some(diagnostics.clone());
        }
        DeployError::Failed {
            logical_id,
            reason,
            rollback,
        } => {
            out.logical_id = Some(logical_id.clone());
            out.reason = Some(reason.clone());
            out.rollback = rollback.clone();
        }
        _ => {}
    }
    out
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        let (status, code) = match &e {
            StoreError::InvalidName { .. } | StoreError::InvalidInput(_) => {
                (StatusCode::BAD_REQUEST, ErrorCode::BadRequest)
            }
            StoreError::NotFound { .. } => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            StoreError::AlreadyExists { .. } => (StatusCode::CONFLICT, ErrorCode::AlreadyExists),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Store),
        };
        ApiFailure::new(status, code, e.to_string())
    }
}

/// A typed path (`Path<T>`) whose rejection is an [`ApiFailure`].
pub(crate) struct ApiPath<T>(pub T);

impl<St: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<St> for ApiPath<T> {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, ApiFailure> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiFailure::rejection(
                e.status(),
                &format!("path {}", parts.uri.path()),
                e.body_text(),
            )),
        }
    }
}

/// A typed query string (`Query<T>`) whose rejection is an [`ApiFailure`].
pub(crate) struct ApiQuery<T>(pub T);

impl<St: Send + Sync, T: DeserializeOwned> FromRequestParts<St> for ApiQuery<T> {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &St) -> Result<Self, ApiFailure> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiFailure::rejection(
                e.status(),
                &format!("query `{}`", parts.uri.query().unwrap_or("")),
                e.body_text(),
            )),
        }
    }
}

/// A JSON body (any content type) whose rejection is an [`ApiFailure`].
pub(crate) struct ApiJson<T>(pub T);

impl<St: Send + Sync, T: DeserializeOwned> FromRequest<St> for ApiJson<T> {
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &St) -> Result<Self, ApiFailure> {
        let RawBody(bytes) = RawBody::from_request(req, state).await?;
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiFailure::bad_request(format!("request body: {e}")))
    }
}

/// The raw body bytes, whose rejection (too large, cut short) is an [`ApiFailure`].
pub(crate) struct RawBody(pub Bytes);

impl<St: Send + Sync> FromRequest<St> for RawBody {
    type Rejection = ApiFailure;

    async fn from_request(req: Request, state: &St) -> Result<Self, ApiFailure> {
        Bytes::from_request(req, state)
            .await
            .map(RawBody)
            .map_err(|e| ApiFailure::rejection(e.status(), "request body", e.body_text()))
    }
}

/// Checks the app and stage names of a path.
pub(crate) fn stage_ref(app: &str, stage: &str) -> Result<StageRef, ApiFailure> {
    StageRef::parse(app, stage).map_err(|e| ApiFailure::bad_request(e.to_string()))
}

async fn not_found(req: Request) -> ApiFailure {
    ApiFailure::not_found(format!(
        "no API route {} {}",
        req.method(),
        req.uri().path()
    ))
}

async fn method_not_allowed(method: Method, req: Request) -> ApiFailure {
    ApiFailure::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!(
            "{method} is not a method of {}: see docs/server.md for the API's routes",
            req.uri().path()
        ),
    )
}

async fn auth(State(s): S, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized =
        |m: &str| ApiFailure::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, m);
    match given {
        Some(t) if lockgate_sigv4::constant_time_eq(t.as_bytes(), s.token.as_bytes()) => {
            next.run(req).await
        }
        Some(_) => unauthorized("the API token is not valid for this server").into_response(),
        None => unauthorized(
            "missing `Authorization: Bearer <token>`: the admin token is in the server's \
             data directory (admin.token)",
        )
        .into_response(),
    }
}

/// A response streaming one JSON value per line (`application/x-ndjson`).
pub(crate) fn ndjson<T: Serialize + Send + 'static>(
    mut rx: mpsc::UnboundedReceiver<T>,
) -> Response {
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(|v| {
        // The API's types are structs of strings, numbers and JSON values:
        // they always serialize.
        let mut line = serde_json::to_vec(&v).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, Infallible>(Bytes::from(line))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, lockgate_api::NDJSON)
        .body(Body::from_stream(stream))
        .unwrap_or_else(|e| ApiFailure::internal(format!("response: {e}")).into_response())
}
