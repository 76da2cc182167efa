//! The HTTP API (axum): JSON under `/v1`, newline-delimited JSON streams for
//! deploys, destroys and followed logs, and the SSM API at `POST /`.
//! Every `/v1` call but `/v1/health` needs `Authorization: Bearer <token>`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use lockgate_store::{
    NewParameterValue, ParameterName, ParameterValue, PutParameter, SecretString, StackRef,
    StageRef, Store, StoreError,
};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::Shared;
use crate::deploy::{DeployError, DeployRequest};

type S = State<Arc<Shared>>;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let v1 = Router::new()
        .route("/apps", get(list_apps))
        .route(
            "/apps/{app}/stages/{stage}",
            get(stage_info).delete(destroy),
        )
        .route("/apps/{app}/stages/{stage}/plan", post(plan))
        .route("/apps/{app}/stages/{stage}/deploy", post(deploy))
        .route("/apps/{app}/stages/{stage}/schedules", get(schedules))
        .route(
            "/apps/{app}/stages/{stage}/schedules/{rule}/run",
            post(run_schedule),
        )
        .route("/apps/{app}/stages/{stage}/logs", get(logs_all))
        .route("/apps/{app}/stages/{stage}/logs/{function}", get(logs))
        .route("/artifacts/missing", post(missing_artifacts))
        .route(
            "/artifacts/{digest}",
            axum::routing::put(put_artifact).layer(axum::extract::DefaultBodyLimit::max(
                lockgate_api::MAX_ARTIFACT_BYTES,
            )),
        )
        .route("/params", get(list_params))
        .route(
            "/params/{*name}",
            get(get_param).put(put_param).delete(delete_param),
        )
        .layer(middleware::from_fn_with_state(shared.clone(), auth));
    Router::new()
        .route("/v1/health", get(health))
        .nest("/v1", v1)
        .route("/", post(ssm))
        .fallback(not_found)
        .with_state(shared)
}

fn error(status: u16, code: &str, message: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        axum::Json(json!({"error": {"code": code, "message": message.into()}})),
    )
        .into_response()
}

fn deploy_error_json(e: &DeployError) -> Value {
    let mut v = json!({"code": e.code(), "message": e.to_string()});
    match e {
        DeployError::Invalid {
            rendered,
            diagnostics,
            ..
        } => {
            v["rendered"] = Value::String(rendered.clone());
            v["diagnostics"] = diagnostics.clone();
        }
        DeployError::Failed { logical_id, reason } => {
            v["logical_id"] = Value::String(logical_id.clone());
            v["reason"] = Value::String(reason.clone());
        }
        _ => {}
    }
    v
}

fn deploy_error(e: DeployError) -> Response {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(json!({"error": deploy_error_json(&e)}))).into_response()
}

fn store_error(e: StoreError) -> Response {
    match &e {
        StoreError::InvalidName { .. } | StoreError::InvalidInput(_) => {
            error(400, "bad-request", e.to_string())
        }
        StoreError::NotFound { .. } => error(404, "not-found", e.to_string()),
        StoreError::AlreadyExists { .. } => error(409, "already-exists", e.to_string()),
        _ => error(500, "store", e.to_string()),
    }
}

async fn not_found(req: Request) -> Response {
    error(
        404,
        "not-found",
        format!("no API route {} {}", req.method(), req.uri().path()),
    )
}

async fn health() -> Response {
    axum::Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION")})).into_response()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn auth(State(s): S, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(t) if constant_time_eq(t.as_bytes(), s.token.as_bytes()) => next.run(req).await,
        Some(_) => error(
            401,
            "unauthorized",
            "the API token is not valid for this server",
        ),
        None => error(
            401,
            "unauthorized",
            "missing `Authorization: Bearer <token>`: the admin token is in the server's \
             data directory (admin.token)",
        ),
    }
}

fn parse_body<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Box<Response>> {
    serde_json::from_slice(body)
        .map_err(|e| Box::new(error(400, "bad-request", format!("request body: {e}"))))
}

async fn missing_artifacts(State(s): S, body: Bytes) -> Response {
    let req: lockgate_api::MissingArtifactsRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let mut missing = Vec::new();
    for (i, d) in req.digests.iter().enumerate() {
        let digest: lockgate_store::Digest = match d.parse() {
            Ok(x) => x,
            Err(e) => return error(400, "bad-request", format!("digests[{i}]: {e}")),
        };
        if !s.deployer.artifacts.exists(&digest) {
            missing.push(d.clone());
        }
    }
    axum::Json(lockgate_api::MissingArtifacts { missing }).into_response()
}

async fn put_artifact(State(s): S, Path(digest): Path<String>, body: Bytes) -> Response {
    let digest: lockgate_store::Digest = match digest.parse() {
        Ok(x) => x,
        Err(e) => {
            return error(
                400,
                "bad-request",
                format!("PUT /v1/artifacts/{{digest}}: {e}"),
            );
        }
    };
    let size = body.len() as u64;
    let store = s.deployer.artifacts.clone();
    match tokio::task::spawn_blocking(move || store.put_verified(&digest, &body)).await {
        Ok(Ok(())) => axum::Json(lockgate_api::ArtifactStored {
            digest: digest.to_string(),
            size,
        })
        .into_response(),
        Ok(Err(StoreError::DigestMismatch { actual, .. })) => error(
            400,
            "digest-mismatch",
            format!(
                "PUT /v1/artifacts/{digest}: the body's SHA-256 is {actual}, not the digest in the path; nothing was stored"
            ),
        ),
        Ok(Err(e)) => store_error(e),
        Err(e) => error(500, "internal", format!("artifact upload: {e}")),
    }
}

async fn plan(State(s): S, Path((app, stage)): Path<(String, String)>, body: Bytes) -> Response {
    let req: DeployRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    match s.deployer.plan(&app, &stage, &req).await {
        Ok(p) => axum::Json(p).into_response(),
        Err(e) => deploy_error(e),
    }
}

/// A response streaming one JSON value per line.
fn ndjson(rx: mpsc::UnboundedReceiver<Value>) -> Response {
    let stream = tokio_stream_of(rx).map(|v| {
        let mut line = serde_json::to_vec(&v).unwrap_or_default();
        line.push(b'\n');
        Ok::<_, Infallible>(Bytes::from(line))
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| error(500, "internal", "response"))
}

fn tokio_stream_of(mut rx: mpsc::UnboundedReceiver<Value>) -> impl futures::Stream<Item = Value> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Runs a deploy or destroy in its own task (a client that goes away does
/// not cancel it) and streams its events, then its result.
fn run_streaming<F, Fut>(s: Arc<Shared>, f: F) -> Response
where
    F: FnOnce(Arc<Shared>, mpsc::UnboundedSender<crate::ProgressEvent>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<crate::DeployResult, DeployError>> + Send,
{
    let (out_tx, out_rx) = mpsc::unbounded_channel::<Value>();
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let forward = out_tx.clone();
    tokio::spawn(async move {
        while let Some(e) = ev_rx.recv().await {
            let _ = forward.send(json!({ "event": e }));
        }
    });
    tokio::spawn(async move {
        let result = f(s.clone(), ev_tx).await;
        // Let queued events go out before the result.
        tokio::task::yield_now().await;
        let line = match result {
            Ok(r) => json!({ "result": r }),
            Err(e) => json!({ "error": deploy_error_json(&e) }),
        };
        sync_schedules(&s).await;
        let _ = out_tx.send(line);
    });
    ndjson(out_rx)
}

async fn deploy(State(s): S, Path((app, stage)): Path<(String, String)>, body: Bytes) -> Response {
    // Refuse bad names before streaming, with a plain error status.
    if let Err(e) = StageRef::parse(&app, &stage) {
        return error(400, "bad-request", e.to_string());
    }
    let req: DeployRequest = match parse_body(&body) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    run_streaming(s, move |s, tx| async move {
        s.deployer.deploy(&app, &stage, &req, "admin", tx).await
    })
}

#[derive(Deserialize)]
struct StackQuery {
    stack: Option<String>,
}

async fn destroy(
    State(s): S,
    Path((app, stage)): Path<(String, String)>,
    Query(q): Query<StackQuery>,
) -> Response {
    if let Err(e) = StageRef::parse(&app, &stage) {
        return error(400, "bad-request", e.to_string());
    }
    run_streaming(s, move |s, tx| async move {
        s.deployer
            .destroy(&app, &stage, q.stack.as_deref(), "admin", tx)
            .await
    })
}

async fn list_apps(State(s): S) -> Response {
    let apps = match s.store.list_apps().await {
        Ok(a) => a,
        Err(e) => return store_error(e),
    };
    let mut out = Vec::new();
    for app in apps {
        let stages = match s.store.list_stages(&app.name).await {
            Ok(x) => x,
            Err(e) => return store_error(e),
        };
        let mut list = Vec::new();
        for st in stages {
            let key = format!("{}/{}", st.stage.app, st.stage.stage);
            let stacks = s.store.list_stacks(&st.stage).await.unwrap_or_default();
            for stack in stacks {
                list.push(json!({
                    "stage": st.stage.stage.to_string(),
                    "stack": stack.stack.name.to_string(),
                    "status": stack.status.as_str(),
                    "version": stack.version,
                    "updated_at": stack.updated_at.as_millis(),
                    "url": s.runtimes.url(&key).await,
                }));
            }
        }
        out.push(json!({"app": app.name.to_string(), "stages": list}));
    }
    axum::Json(out).into_response()
}

async fn stage_info(
    State(s): S,
    Path((app, stage)): Path<(String, String)>,
    Query(q): Query<StackQuery>,
) -> Response {
    let stack = match StackRef::parse(&app, &stage, q.stack.as_deref().unwrap_or(&app)) {
        Ok(x) => x,
        Err(e) => return error(400, "bad-request", e.to_string()),
    };
    let snapshot = match s.store.stack_snapshot(&stack).await {
        Ok(Some(x)) => x,
        Ok(None) => {
            return error(
                404,
                "not-found",
                format!("stage {app}/{stage} has no stack"),
            );
        }
        Err(e) => return store_error(e),
    };
    let key = format!("{app}/{stage}");
    let outputs = s.deployer.outputs_view(&key, &snapshot.outputs).await;
    let resources: Vec<Value> = snapshot
        .resources
        .iter()
        .map(|r| {
            json!({
                "logical_id": r.logical_id,
                "type": r.resource_type,
                "physical_id": r.physical_id,
                "status": r.status.as_str(),
                "emulated": crate::providers::is_emulated(&r.resource_type),
            })
        })
        .collect();
    axum::Json(json!({
        "app": app,
        "stage": stage,
        "status": snapshot.status.as_str(),
        "status_reason": snapshot.status_reason,
        "version": snapshot.version,
        "url": s.runtimes.url(&key).await,
        "outputs": outputs,
        "resources": resources,
    }))
    .into_response()
}

async fn schedules(State(s): S, Path((app, stage)): Path<(String, String)>) -> Response {
    if let Err(e) = StageRef::parse(&app, &stage) {
        return error(400, "bad-request", e.to_string());
    }
    let key = format!("{app}/{stage}");
    let rules: Vec<Value> = s
        .scheduler
        .rules()
        .into_iter()
        .filter(|r| r.group == key)
        .map(|r| {
            json!({
                "rule": r.key,
                "expression": r.expression,
                "next": r.next.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    axum::Json(rules).into_response()
}

/// Fires a scheduled rule now (its schedule is unchanged).
async fn run_schedule(
    State(s): S,
    Path((app, stage, rule)): Path<(String, String, String)>,
) -> Response {
    if let Err(e) = StageRef::parse(&app, &stage) {
        return error(400, "bad-request", e.to_string());
    }
    match s.scheduler.fire_now(&format!("{app}/{stage}"), &rule) {
        Some(f) => axum::Json(json!({
            "rule": f.key,
            "fired_at": f.scheduled_at.to_rfc3339(),
        }))
        .into_response(),
        None => error(
            404,
            "not-found",
            format!("stage {app}/{stage} has no scheduled rule `{rule}`"),
        ),
    }
}

#[derive(Deserialize)]
struct LogQuery {
    #[serde(default)]
    since: u64,
    #[serde(default)]
    follow: bool,
}

async fn logs_all(
    state: S,
    Path((app, stage)): Path<(String, String)>,
    q: Query<LogQuery>,
) -> Response {
    logs(state, Path((app, stage, String::new())), q).await
}

async fn logs(
    State(s): S,
    Path((app, stage, function)): Path<(String, String, String)>,
    Query(q): Query<LogQuery>,
) -> Response {
    if let Err(e) = StageRef::parse(&app, &stage) {
        return error(400, "bad-request", e.to_string());
    }
    let key = format!("{app}/{stage}");
    let (tx, rx) = mpsc::unbounded_channel::<Value>();
    // Subscribe before reading, so nothing falls between.
    let mut live = s.logs.subscribe();
    let mut cursor = q.since;
    for l in s.logs.read(&key, &function, cursor) {
        cursor = l.cursor;
        let _ = tx.send(json!(l));
    }
    if q.follow {
        tokio::spawn(async move {
            loop {
                // A follower that went away ends here, not at the next line.
                let next = tokio::select! {
                    r = live.recv() => r,
                    () = tx.closed() => break,
                };
                match next {
                    Ok((k, l)) => {
                        if *k == *key
                            && l.cursor > cursor
                            && crate::logs::matches(&function, &l.function)
                        {
                            cursor = l.cursor;
                            if tx.send(json!(l)).is_err() {
                                break;
                            }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        for l in s.logs.read(&key, &function, cursor) {
                            cursor = l.cursor;
                            if tx.send(json!(l)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(_) => break,
                }
                if tx.is_closed() {
                    break;
                }
            }
        });
    } else {
        drop(tx);
    }
    ndjson(rx)
}

fn param_name(name: &str) -> Result<ParameterName, Box<Response>> {
    // `/v1/params/dev/db` names `/dev/db`; `/v1/params/plain` names `plain`.
    let full = if name.contains('/') {
        format!("/{name}")
    } else {
        name.to_string()
    };
    ParameterName::new(full).map_err(|e| Box::new(error(400, "bad-request", e.to_string())))
}

async fn param_json(store: &dyn Store, p: &lockgate_store::Parameter, decrypt: bool) -> Value {
    let (ty, value) = match &p.value {
        ParameterValue::String(v) => ("String", v.clone()),
        ParameterValue::StringList(v) => ("StringList", v.join(",")),
        ParameterValue::SecureString(_) if decrypt => (
            "SecureString",
            store
                .decrypt_parameter(p)
                .map(|s| s.expose().to_string())
                .unwrap_or_else(|_| "****".into()),
        ),
        ParameterValue::SecureString(_) => ("SecureString", "****".into()),
    };
    json!({
        "name": p.name.to_string(),
        "type": ty,
        "value": value,
        "version": p.version,
        "description": p.description,
        "modified_by": p.modified_by,
        "modified_at": p.modified_at.as_millis(),
    })
}

#[derive(Deserialize)]
struct GetParamQuery {
    #[serde(default)]
    decrypt: bool,
    version: Option<u64>,
}

async fn get_param(
    State(s): S,
    Path(name): Path<String>,
    Query(q): Query<GetParamQuery>,
) -> Response {
    let name = match param_name(&name) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    match s.store.get_parameter(&name, q.version).await {
        Ok(Some(p)) => {
            axum::Json(param_json(s.store.as_ref(), &p, q.decrypt).await).into_response()
        }
        Ok(None) => error(404, "not-found", format!("parameter {name} does not exist")),
        Err(e) => store_error(e),
    }
}

#[derive(Deserialize)]
struct PutParamBody {
    #[serde(rename = "type", default = "string_type")]
    ty: String,
    value: String,
    #[serde(default)]
    overwrite: bool,
    description: Option<String>,
}

fn string_type() -> String {
    "String".into()
}

async fn put_param(State(s): S, Path(name): Path<String>, body: Bytes) -> Response {
    let name = match param_name(&name) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let b: PutParamBody = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let value = match b.ty.as_str() {
        "String" => NewParameterValue::String(b.value),
        "StringList" => {
            NewParameterValue::StringList(b.value.split(',').map(str::to_string).collect())
        }
        "SecureString" => NewParameterValue::SecureString(SecretString::new(b.value)),
        other => {
            return error(
                400,
                "bad-request",
                format!("type `{other}`: expected String, StringList or SecureString"),
            );
        }
    };
    match s
        .store
        .put_parameter(PutParameter {
            name,
            value,
            description: b.description,
            overwrite: b.overwrite,
            actor: "admin".into(),
        })
        .await
    {
        Ok(v) => axum::Json(json!({"version": v})).into_response(),
        Err(e) => store_error(e),
    }
}

async fn delete_param(State(s): S, Path(name): Path<String>) -> Response {
    let name = match param_name(&name) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    match s.store.delete_parameter("admin", &name).await {
        Ok(true) => axum::Json(json!({"deleted": name.to_string()})).into_response(),
        Ok(false) => error(404, "not-found", format!("parameter {name} does not exist")),
        Err(e) => store_error(e),
    }
}

#[derive(Deserialize)]
struct ListParamQuery {
    #[serde(default = "root")]
    path: String,
    #[serde(default)]
    recursive: bool,
}

fn root() -> String {
    "/".into()
}

async fn list_params(State(s): S, Query(q): Query<ListParamQuery>) -> Response {
    match s.store.get_parameters_by_path(&q.path, q.recursive).await {
        Ok(list) => {
            let mut out = Vec::new();
            for p in &list {
                out.push(param_json(s.store.as_ref(), p, false).await);
            }
            axum::Json(out).into_response()
        }
        Err(e) => store_error(e),
    }
}

/// The SSM API (AWS JSON 1.1), as function code reaches it through
/// `AWS_ENDPOINT_URL_SSM` with its stage's credentials (SigV4-verified).
async fn ssm(State(s): S, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, 6 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => return error(413, "bad-request", format!("request body: {e}")),
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
    let r = s
        .ssm
        .handle_http(&s.credentials, &signed, chrono::Utc::now())
        .await;
    Response::builder()
        .status(r.status)
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .body(Body::from(r.body))
        .unwrap_or_else(|_| error(500, "internal", "response"))
}

/// Gives the scheduler every stage's scheduled targets (after deploys,
/// destroys and at start).
pub(crate) async fn sync_schedules(s: &Arc<Shared>) {
    let Ok(apps) = s.store.list_apps().await else {
        return;
    };
    for app in apps {
        let Ok(stages) = s.store.list_stages(&app.name).await else {
            continue;
        };
        for st in stages {
            let key = format!("{}/{}", st.stage.app, st.stage.stage);
            let (Some(model), Some(cloud)) =
                (s.runtimes.model(&key).await, s.runtimes.cloud(&key).await)
            else {
                s.scheduler.remove_group(&key);
                continue;
            };
            let mut rules = Vec::new();
            for t in model.schedules {
                let Ok(schedule) = crate::schedule::Schedule::parse(&t.expression) else {
                    continue;
                };
                let cloud = cloud.clone();
                let region = s.deployer.region.clone();
                let logs = s.logs.clone();
                let stage_key = key.clone();
                let target = t.clone();
                let fire = move |f: &crate::schedule::Firing| {
                    let rule_arn = format!(
                        "arn:aws:events:{region}:{}:rule/{}",
                        crate::ACCOUNT_ID,
                        target.rule
                    );
                    let event = match &target.input {
                        Some(input) => input.clone().into_bytes(),
                        None => crate::schedule::scheduled_event(
                            f,
                            &rule_arn,
                            &region,
                            crate::ACCOUNT_ID,
                        )
                        .to_string()
                        .into_bytes(),
                    };
                    let cloud = cloud.clone();
                    let function = target.function.clone();
                    let logs = logs.clone();
                    let stage_key = stage_key.clone();
                    let req = lockgate_cloud::InvokeRequest {
                        payload: event.into(),
                        ..Default::default()
                    };
                    if let Err(e) = cloud.invoke_event(&function, req) {
                        logs.push(&stage_key, &function, &format!("schedule: {e}"));
                    }
                };
                rules.push(crate::schedule::Rule::new(
                    format!("{}:{}", t.rule, t.function),
                    schedule,
                    Arc::new(fire),
                ));
            }
            s.scheduler.set_rules(&key, rules);
        }
    }
}
