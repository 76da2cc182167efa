//! The client side of the Lockgate server's HTTP API: finding the server
//! (flags, environment, `.lockgate/server.json` upward from the current
//! directory, the per-user data directory), and typed calls over loopback
//! HTTP, with the ndjson streams of deploy, destroy and `logs --follow`.

use lockgate_server::default_data_dir;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use lockgate_api::{
    ApiError, AppSummary, DeletedParameter, DeployOutcome, DeployRequest, DeployResult,
    DeployStreamItem, Deployment, DeploymentAction, DeploymentsQuery, ErrorBody, GetParameterQuery,
    ListParametersQuery, LogLine, LogsQuery, Parameter, ParameterVersion, Plan, ProgressEvent,
    PutParameterRequest, ServerInfo, StackQuery, StageInfo, StopRequest,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::package::{BlobSource, CodePackage};

/// Where the server is and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    /// The bearer token, when one was found.
    pub token: Option<String>,
    /// Where the endpoint came from, for messages.
    pub source: String,
}

/// Connection options as given on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnectArgs {
    /// The server's URL (default: $LOCKGATE_SERVER, then the nearest
    /// `.lockgate/server.json`, then the per-user data directory's server.json).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The API token (default: $LOCKGATE_TOKEN, $LOCKGATE_TOKEN_FILE, or the
    /// token file named by the server.json that was found).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

/// Why a call failed. [`ClientError::exit_code`] maps it to the CLI's exit codes.
#[derive(Debug)]
pub enum ClientError {
    /// No server could be found or reached.
    Unreachable(String),
    /// The server refused the request (4xx): a user error.
    Refused {
        /// HTTP status.
        status: u16,
        /// The error code from the body, when there is one.
        code: String,
        /// The message.
        message: String,
        /// Rendered diagnostics, when the server sent them.
        diagnostics: Option<String>,
    },
    /// The server failed (5xx) or answered something unreadable.
    Server(String),
    /// A problem on this side (bad arguments, unreadable files).
    Usage(String),
}

impl ClientError {
    /// 1 for user errors, 2 for an unreachable server or an internal failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::Refused { .. } | ClientError::Usage(_) => 1,
            ClientError::Unreachable(_) | ClientError::Server(_) => 2,
        }
    }

    /// Prints the error on stderr, with diagnostics when there are any.
    pub fn report(&self) {
        match self {
            ClientError::Refused {
                message,
                diagnostics,
                ..
            } => {
                if let Some(d) = diagnostics.as_deref().filter(|d| !d.trim().is_empty()) {
                    eprint!("{d}");
                    if !d.ends_with('\n') {
                        eprintln!();
                    }
                }
                eprintln!("error: {message}");
            }
            other => eprintln!("error: {other}"),
        }
    }

    /// The error as a JSON document, for `--output json`.
    pub fn to_json(&self) -> Value {
        match self {
            ClientError::Refused {
                status,
                code,
                message,
                diagnostics,
            } => {
                json!({"error": {"status": status, "code": code, "message": message, "diagnostics": diagnostics}})
            }
            ClientError::Unreachable(m) => json!({"error": {"code": "Unreachable", "message": m}}),
            ClientError::Server(m) => json!({"error": {"code": "ServerError", "message": m}}),
            ClientError::Usage(m) => json!({"error": {"code": "UsageError", "message": m}}),
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Unreachable(m) | ClientError::Server(m) | ClientError::Usage(m) => {
                f.write_str(m)
            }
            ClientError::Refused { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ClientError {}

/// How to start a server, appended to "no server" errors.
pub const HOW_TO_START: &str = "start one with `lockgate server` (or `lockgate up` in your app's directory), \
or point at one with --server URL / LOCKGATE_SERVER";

/// Why a found `server.json` must not be used, if it must not: it and its
/// directory must belong to the user running the CLI and be writable by
/// no one else. A file another user planted in a shared parent directory
/// would otherwise receive this user's admin token at the planter's URL.
fn distrust(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    let dir = path.parent().unwrap_or(Path::new("."));
    for p in [path, dir] {
        let Ok(m) = std::fs::metadata(p) else {
            return Some(format!("cannot read {}", p.display()));
        };
        if m.uid() != me {
            return Some(format!(
                "{} belongs to user {}, not to you (user {me})",
                p.display(),
                m.uid()
            ));
        }
        if m.mode() & 0o022 != 0 {
            return Some(format!(
                "{} is writable by other users (mode {:o})",
                p.display(),
                m.mode() & 0o7777
            ));
        }
    }
    None
}

/// Why the server at `url` is not the process `pid` that wrote the
/// `server.json` naming it, if it is not (a stale file whose port another
/// program took): the token goes only to the server that wrote the file.
/// Checked for loopback URLs, through `/proc`; `None` when it holds.
fn not_its_writer(url: &str, pid: u32) -> Option<String> {
    let host_port = url.strip_prefix("http://")?.split('/').next()?;
    let addr: std::net::SocketAddr = host_port.replace("localhost:", "127.0.0.1:").parse().ok()?;
    if !addr.ip().is_loopback() || !Path::new("/proc/net/tcp").exists() {
        return None;
    }
    let held = lockgate_cloud::peer::listening_inode(addr)
        .is_some_and(|inode| lockgate_cloud::peer::held_by(&[pid], inode));
    (!held).then(|| format!("{url} is not served by process {pid}, which wrote it"))
}

/// Reads `server.json`: `(url, token file, pid of the server)`.
fn read_server_json(path: &Path) -> Result<(String, Option<PathBuf>, Option<u32>), ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError::Unreachable(format!("cannot read {}: {e}", path.display())))?;
    let info: ServerInfo = serde_json::from_str(&text).map_err(|e| {
        ClientError::Unreachable(format!(
            "{} is not a server.json ({{\"url\": …, \"token_file\": …}}): {e}",
            path.display()
        ))
    })?;
    let url = info.url.trim_end_matches('/').to_string();
    let token_file = info.token_file.map(|t| {
        let p = PathBuf::from(t);
        if p.is_relative() {
            path.parent().unwrap_or(Path::new(".")).join(p)
        } else {
            p
        }
    });
    Ok((url, token_file, info.pid))
}

fn read_token_file(path: &Path) -> Result<String, ClientError> {
    std::fs::read_to_string(path)
        .map(|t| t.trim().to_string())
        .map_err(|e| {
            ClientError::Usage(format!(
                "cannot read the token file {}: {e}",
                path.display()
            ))
        })
}

/// Finds the server: flags, then `LOCKGATE_SERVER` (+ `LOCKGATE_TOKEN` or
/// `LOCKGATE_TOKEN_FILE`), then the nearest `.lockgate/server.json` in `cwd`
/// or an ancestor, then the per-user data directory's `server.json`.
pub fn discover(args: &ConnectArgs, cwd: &Path) -> Result<Endpoint, ClientError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let env_token = || -> Result<Option<String>, ClientError> {
        if let Some(t) = env("LOCKGATE_TOKEN") {
            return Ok(Some(t));
        }
        match env("LOCKGATE_TOKEN_FILE") {
            Some(f) => read_token_file(Path::new(&f)).map(Some),
            None => Ok(None),
        }
    };
    let explicit_token = match &args.token {
        Some(t) => Some(t.clone()),
        None => env_token()?,
    };
    if let Some(url) = &args.server {
        return Ok(Endpoint {
            url: url.trim_end_matches('/').to_string(),
            token: explicit_token,
            source: "--server".into(),
        });
    }
    if let Some(url) = env("LOCKGATE_SERVER") {
        return Ok(Endpoint {
            url: url.trim_end_matches('/').to_string(),
            token: explicit_token,
            source: "LOCKGATE_SERVER".into(),
        });
    }
    let mut candidates: Vec<PathBuf> = cwd
        .ancestors()
        .map(|d| d.join(".lockgate/server.json"))
        .collect();
    candidates.push(default_data_dir().join("server.json"));
    for path in candidates {
        if !path.is_file() {
            continue;
        }
        if let Some(why) = distrust(&path) {
            eprintln!("warning: ignoring {}: {why}", path.display());
            continue;
        }
        let (url, token_file, pid) = read_server_json(&path)?;
        if let Some(why) = pid.and_then(|pid| not_its_writer(&url, pid)) {
            eprintln!(
                "warning: ignoring {}: {why}; the admin token is sent only to the server that wrote it",
                path.display()
            );
            continue;
        }
        let token = match (explicit_token.clone(), token_file) {
            (Some(t), _) => Some(t),
            (None, Some(f)) => Some(read_token_file(&f)?),
            (None, None) => None,
        };
        return Ok(Endpoint {
            url,
            token,
            source: path.display().to_string(),
        });
    }
    Err(ClientError::Unreachable(format!(
        "no Lockgate server found (looked for --server, LOCKGATE_SERVER, .lockgate/server.json in {} and its parents, and {}); {HOW_TO_START}",
        cwd.display(),
        default_data_dir().join("server.json").display()
    )))
}

/// A random 64-bit number (for client tokens), from the OS.
fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    // A token only needs to differ from other deploys' tokens: the clock
    // will do if the OS cannot give random bytes.
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .is_err()
    {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        return now;
    }
    u64::from_le_bytes(b)
}

/// Percent-encodes one path segment (everything but RFC 3986 unreserved characters).
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A parameter name as a URL path under `/v1/params/`, segments
/// percent-encoded: `/dev/db` is sent as `/v1/params/dev/db` and `plain` as
/// `/v1/params/plain` (SSM names with a hierarchy always start with `/`).
pub fn param_path(name: &str) -> String {
    let rest = name.strip_prefix('/').unwrap_or(name);
    let segs: Vec<String> = rest.split('/').map(encode_segment).collect();
    format!("/v1/params/{}", segs.join("/"))
}

/// What [`Client::upload`] sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Uploaded {
    /// Blobs uploaded (files and manifests the server lacked).
    pub artifacts: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// An HTTP client for one server.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Endpoint,
    http: reqwest::Client,
}

/// Turns an error answer (or any body) into a [`ClientError`]: the API's
/// `{"error": {...}}` when the body is one, else the status and the text.
pub fn error_from_body(status: u16, body: &str, what: &str) -> ClientError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(b) => error_from_api(status, b.error, what),
        Err(_) => {
            let message = if body.trim().is_empty() {
                format!("{what}: HTTP {status}")
            } else {
                format!("{what}: HTTP {status}: {}", body.trim())
            };
            if (400..500).contains(&status) {
                ClientError::Refused {
                    status,
                    code: "Error".into(),
                    message,
                    diagnostics: None,
                }
            } else {
                ClientError::Server(format!(
                    "{what}: the server failed (HTTP {status}): {message}"
                ))
            }
        }
    }
}

/// The API's error as a [`ClientError`]: a refusal (exit code 1) for a 4xx
/// that is not the server's own failure, else a server error (exit code 2).
pub fn error_from_api(status: u16, e: ApiError, what: &str) -> ClientError {
    if (400..500).contains(&status) && !e.code.is_internal() {
        ClientError::Refused {
            status,
            code: e.code.to_string(),
            message: e.message,
            diagnostics: e.rendered,
        }
    } else {
        ClientError::Server(format!(
            "{what}: the server failed (HTTP {status}): {}",
            e.message
        ))
    }
}

impl Client {
    /// A client for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .no_proxy()
            .build()
            .map_err(|e| ClientError::Server(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client { endpoint, http })
    }

    /// Discovers the server (see [`discover`]) and builds a client for it.
    pub fn discover(args: &ConnectArgs) -> Result<Client, ClientError> {
        let cwd = std::env::current_dir()
            .map_err(|e| ClientError::Usage(format!("cannot read the current directory: {e}")))?;
        Client::new(discover(args, &cwd)?)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self
            .http
            .request(method, format!("{}{}", self.endpoint.url, path));
        if let Some(t) = &self.endpoint.token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    fn unreachable(&self, e: reqwest::Error, what: &str) -> ClientError {
        if e.is_connect() || e.is_timeout() {
            ClientError::Unreachable(format!(
                "cannot reach the Lockgate server at {} (from {}): {}; {HOW_TO_START}",
                self.endpoint.url,
                self.endpoint.source,
                error_chain(&e)
            ))
        } else {
            ClientError::Unreachable(format!(
                "{what}: the request to {} failed: {}",
                self.endpoint.url,
                error_chain(&e)
            ))
        }
    }

    async fn send(
        &self,
        rb: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::Response, ClientError> {
        let resp = rb.send().await.map_err(|e| self.unreachable(e, what))?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().await.unwrap_or_default();
        let mut err = error_from_body(status.as_u16(), &body, what);
        if let (401 | 403, ClientError::Refused { message, .. }) = (status.as_u16(), &mut err) {
            message.push_str(if self.endpoint.token.is_some() {
                " (the token was refused: check --token, LOCKGATE_TOKEN or LOCKGATE_TOKEN_FILE)"
            } else {
                " (no token was found: pass --token, set LOCKGATE_TOKEN or LOCKGATE_TOKEN_FILE)"
            });
        }
        Err(err)
    }

    /// A typed JSON answer.
    async fn typed<T: DeserializeOwned>(
        &self,
        rb: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T, ClientError> {
        let resp = self.send(rb, what).await?;
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| ClientError::Server(format!("{what}: reading the answer failed: {e}")))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::Server(format!(
                "{what}: the server answered something this client does not read ({e}): {}",
                String::from_utf8_lossy(&bytes)
            ))
        })
    }

    /// `POST /v1/artifacts/missing`: which of `digests` the server lacks.
    pub async fn missing_artifacts(
        &self,
        digests: Vec<String>,
    ) -> Result<Vec<String>, ClientError> {
        let body = lockgate_api::MissingArtifactsRequest { digests };
        let answer: lockgate_api::MissingArtifacts = self
            .typed(
                self.request(reqwest::Method::POST, "/v1/artifacts/missing")
                    .json(&body),
                "artifact lookup",
            )
            .await?;
        Ok(answer.missing)
    }

    /// `PUT /v1/artifacts/{digest}`: uploads one blob (the server verifies
    /// that `bytes` hash to `digest`).
    pub async fn put_artifact(
        &self,
        digest: &str,
        bytes: Vec<u8>,
    ) -> Result<lockgate_api::ArtifactStored, ClientError> {
        self.typed(
            self.request(
                reqwest::Method::PUT,
                &format!("/v1/artifacts/{}", encode_segment(digest)),
            )
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes),
            &format!("upload of artifact {digest}"),
        )
        .await
    }

    /// Uploads the blobs of `code` the server lacks (a few at a time) and
    /// answers what was sent: nothing when the server holds them all, as
    /// for unchanged code.
    pub async fn upload(&self, code: &CodePackage) -> Result<Uploaded, ClientError> {
        let blobs = code.blobs();
        if blobs.is_empty() {
            return Ok(Uploaded::default());
        }
        let missing = self
            .missing_artifacts(blobs.keys().map(|d| d.to_string()).collect())
            .await?;
        let mut todo = Vec::new();
        for m in &missing {
            let source = m
                .parse::<lockgate_artifact::Digest>()
                .ok()
                .and_then(|d| blobs.get(&d).copied())
                .ok_or_else(|| {
                    ClientError::Server(format!(
                        "artifact lookup: the server asked for `{m}`, which this deploy does not hold"
                    ))
                })?;
            todo.push((m.clone(), source));
        }
        let sent =
            futures_util::stream::iter(todo.into_iter().map(|(digest, source)| async move {
                let bytes = match source {
                    BlobSource::Manifest(b) => b.to_vec(),
                    BlobSource::File(path) => tokio::fs::read(path).await.map_err(|e| {
                        ClientError::Usage(format!("cannot read {}: {e}", path.display()))
                    })?,
                };
                let size = bytes.len() as u64;
                self.put_artifact(&digest, bytes).await?;
                Ok::<u64, ClientError>(size)
            }))
            .buffer_unordered(4)
            .collect::<Vec<_>>()
            .await;
        let mut up = Uploaded::default();
        for r in sent {
            up.bytes += r?;
            up.artifacts += 1;
        }
        Ok(up)
    }

    /// `POST /v1/apps/{app}/stages/{stage}/plan`: the change set.
    pub async fn plan(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
    ) -> Result<Plan, ClientError> {
        self.typed(
            self.request(reqwest::Method::POST, &stage_path(app, stage, "/plan"))
                .json(req),
            &format!("plan of {app}/{stage}"),
        )
        .await
    }

    /// `POST /v1/apps/{app}/stages/{stage}/deploy`: streams progress events
    /// to `on_event`, then answers the result; stops following the stream
    /// as soon as `detach` says so for an event (the deploy goes on on the
    /// server): answers `None` then.
    pub async fn deploy_until(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
        mut on_event: impl FnMut(&ProgressEvent),
        mut detach: impl FnMut(&ProgressEvent) -> bool,
    ) -> Result<Option<DeployResult>, ClientError> {
        let what = format!("deploy of {app}/{stage}");
        // A token of our own, so that should the progress stream break we
        // can ask the server how this deploy ended.
        let mut req = req.clone();
        let token = req
            .client_token
            .get_or_insert_with(|| format!("lg-{:016x}{:08x}", rand_u64(), std::process::id()))
            .clone();
        let resp = self
            .send(
                self.request(reqwest::Method::POST, &stage_path(app, stage, "/deploy"))
                    .json(&req),
                &what,
            )
            .await?;
        let mut lines = NdjsonLines::new(resp);
        loop {
            let item = match lines.next::<DeployStreamItem>(&what).await {
                Ok(Some(item)) => item,
                Ok(None) => {
                    let broke = format!("{what}: the server ended the stream without a result");
                    return self.how_it_ended(app, stage, &token, broke).await.map(Some);
                }
                Err(ClientError::Unreachable(broke)) => {
                    return self.how_it_ended(app, stage, &token, broke).await.map(Some);
                }
                Err(e) => return Err(e),
            };
            match item {
                DeployStreamItem::Event(e) => {
                    on_event(&e);
                    if detach(&e) {
                        return Ok(None);
                    }
                }
                DeployStreamItem::Result(r) => return Ok(Some(r)),
                DeployStreamItem::Error(e) => {
                    let status = if e.code.is_internal() { 500 } else { 400 };
                    return Err(error_from_api(status, e, &what));
                }
            }
        }
    }

    /// After a deploy's progress stream broke (`broke` says how): asks the
    /// server how the deploy sent with client token `token` ended
    /// (`GET …/deploys/{token}`), waiting while it runs, instead of calling
    /// a deploy that committed failed. Answers its result, or its error.
    async fn how_it_ended(
        &self,
        app: &str,
        stage: &str,
        token: &str,
        broke: String,
    ) -> Result<DeployResult, ClientError> {
        let what = format!("deploy of {app}/{stage}");
        let path = stage_path(app, stage, &format!("/deploys/{}", encode_segment(token)));
        loop {
            let outcome: Result<DeployOutcome, ClientError> = self
                .typed(self.request(reqwest::Method::GET, &path), &what)
                .await;
            match outcome {
                Ok(o) if o.running => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                Ok(DeployOutcome {
                    outcome: Some(DeployStreamItem::Result(mut r)),
                    ..
                }) => {
                    r.warnings.push(format!(
                        "{broke}; the server reports the deploy ended {}",
                        r.status
                    ));
                    return Ok(r);
                }
                Ok(DeployOutcome {
                    outcome: Some(DeployStreamItem::Error(e)),
                    ..
                }) => {
                    let status = if e.code.is_internal() { 500 } else { 400 };
                    return Err(error_from_api(status, e, &what));
                }
                Ok(_) => {
                    return Err(ClientError::Server(format!(
                        "{broke}; the server has no outcome for it"
                    )));
                }
                Err(e) => {
                    return Err(ClientError::Unreachable(format!(
                        "{broke}; asking the server how the deploy ended failed too: {e}"
                    )));
                }
            }
        }
    }

    /// `GET …/deployments`: a stage's releases, newest first.
    pub async fn deployments(
        &self,
        app: &str,
        stage: &str,
        limit: Option<u32>,
    ) -> Result<Vec<Deployment>, ClientError> {
        self.typed(
            self.request(
                reqwest::Method::GET,
                &stage_path(app, stage, "/deployments"),
            )
            .query(&DeploymentsQuery { limit }),
            &format!("deployments of {app}/{stage}"),
        )
        .await
    }

    /// `GET /v1/deployments/{id}`: one release with its timeline.
    pub async fn deployment(&self, id: &str) -> Result<Deployment, ClientError> {
        self.typed(
            self.request(
                reqwest::Method::GET,
                &format!("/v1/deployments/{}", encode_segment(id)),
            ),
            &format!("deployment {id}"),
        )
        .await
    }

    /// `POST /v1/deployments/{id}/promote|abort`.
    pub async fn control_deployment(
        &self,
        id: &str,
        action: &str,
        reason: Option<String>,
    ) -> Result<DeploymentAction, ClientError> {
        self.typed(
            self.request(
                reqwest::Method::POST,
                &format!("/v1/deployments/{}/{action}", encode_segment(id)),
            )
            .json(&StopRequest { reason }),
            &format!("{action} of deployment {id}"),
        )
        .await
    }

    /// `POST …/functions/{function}/rollback`: stops the function's releases in progress.
    pub async fn rollback(
        &self,
        app: &str,
        stage: &str,
        function: &str,
        reason: Option<String>,
    ) -> Result<DeploymentAction, ClientError> {
        self.typed(
            self.request(
                reqwest::Method::POST,
                &stage_path(
                    app,
                    stage,
                    &format!("/functions/{}/rollback", encode_segment(function)),
                ),
            )
            .json(&StopRequest { reason }),
            &format!("rollback of {function} on {app}/{stage}"),
        )
        .await
    }

    /// `DELETE /v1/apps/{app}/stages/{stage}`: streams like a deploy.
    pub async fn destroy(
        &self,
        app: &str,
        stage: &str,
        stack: Option<&str>,
        on_event: impl FnMut(&ProgressEvent),
    ) -> Result<DeployResult, ClientError> {
        let what = format!("destroy of {app}/{stage}");
        let query = StackQuery {
            stack: stack.map(str::to_string),
        };
        let resp = self
            .send(
                self.request(reqwest::Method::DELETE, &stage_path(app, stage, ""))
                    .query(&query),
                &what,
            )
            .await?;
        finish_stream(resp, &what, on_event).await
    }

    /// `GET /v1/health`: the server's version, and whether its functions
    /// are isolated.
    pub async fn health(&self) -> Result<lockgate_api::Health, ClientError> {
        self.typed(
            self.request(reqwest::Method::GET, "/v1/health"),
            "server health",
        )
        .await
    }

    /// `GET /v1/apps`: every app with its stages' stacks.
    pub async fn apps(&self) -> Result<Vec<AppSummary>, ClientError> {
        self.typed(
            self.request(reqwest::Method::GET, "/v1/apps"),
            "list of apps",
        )
        .await
    }

    /// `GET /v1/apps/{app}/stages/{stage}`: a stack's state.
    pub async fn stage(
        &self,
        app: &str,
        stage: &str,
        stack: Option<&str>,
    ) -> Result<StageInfo, ClientError> {
        let query = StackQuery {
            stack: stack.map(str::to_string),
        };
        self.typed(
            self.request(reqwest::Method::GET, &stage_path(app, stage, ""))
                .query(&query),
            &format!("stage {app}/{stage}"),
        )
        .await
    }

    /// `GET /v1/apps/{app}/stages/{stage}/logs[/{function}]`: calls `on_line`
    /// with each line; with `follow`, until the server ends the stream or
    /// `on_line` returns false.
    pub async fn logs(
        &self,
        app: &str,
        stage: &str,
        function: Option<&str>,
        query: &LogsQuery,
        mut on_line: impl FnMut(&LogLine) -> bool,
    ) -> Result<(), ClientError> {
        let mut path = stage_path(app, stage, "/logs");
        if let Some(f) = function {
            path.push('/');
            path.push_str(&encode_segment(f));
        }
        let what = match function {
            Some(f) => format!("logs of {f} in {app}/{stage}"),
            None => format!("logs of {app}/{stage}"),
        };
        let resp = self
            .send(
                self.request(reqwest::Method::GET, &path).query(query),
                &what,
            )
            .await?;
        let mut lines = NdjsonLines::new(resp);
        while let Some(line) = lines.next::<LogLine>(&what).await? {
            if !on_line(&line) {
                return Ok(());
            }
        }
        Ok(())
    }

    /// `PUT /v1/params/{name}`: creates or updates a parameter.
    pub async fn put_param(
        &self,
        name: &str,
        body: &PutParameterRequest,
    ) -> Result<ParameterVersion, ClientError> {
        self.typed(
            self.request(reqwest::Method::PUT, &param_path(name))
                .json(body),
            &format!("parameter {name}"),
        )
        .await
    }

    /// `GET /v1/params/{name}`.
    pub async fn get_param(
        &self,
        name: &str,
        query: &GetParameterQuery,
    ) -> Result<Parameter, ClientError> {
        self.typed(
            self.request(reqwest::Method::GET, &param_path(name))
                .query(query),
            &format!("parameter {name}"),
        )
        .await
    }

    /// `GET /v1/params?path=P&recursive=B`.
    pub async fn list_params(
        &self,
        query: &ListParametersQuery,
    ) -> Result<Vec<Parameter>, ClientError> {
        self.typed(
            self.request(reqwest::Method::GET, "/v1/params")
                .query(query),
            "list of parameters",
        )
        .await
    }

    /// `DELETE /v1/params/{name}`: deletes every version.
    pub async fn delete_param(&self, name: &str) -> Result<DeletedParameter, ClientError> {
        self.typed(
            self.request(reqwest::Method::DELETE, &param_path(name)),
            &format!("parameter {name}"),
        )
        .await
    }
}

/// `/v1/apps/{app}/stages/{stage}{rest}`, segments percent-encoded.
fn stage_path(app: &str, stage: &str, rest: &str) -> String {
    format!(
        "/v1/apps/{}/stages/{}{rest}",
        encode_segment(app),
        encode_segment(stage)
    )
}

/// The error and its sources, joined.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// Reads a response body as newline-delimited JSON, one value at a time.
struct NdjsonLines {
    stream:
        std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: Vec<u8>,
    done: bool,
}

impl NdjsonLines {
    fn new(resp: reqwest::Response) -> NdjsonLines {
        NdjsonLines {
            stream: Box::pin(resp.bytes_stream()),
            buf: Vec::new(),
            done: false,
        }
    }

    /// The next line, read as a `T`; `None` at the end of the body.
    async fn next<T: DeserializeOwned>(&mut self, what: &str) -> Result<Option<T>, ClientError> {
        loop {
            if let Some(pos) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=pos).collect();
                let text = String::from_utf8_lossy(&line);
                let text = text.trim();
                if text.is_empty() {
                    continue;
                }
                return parse_line(text, what).map(Some);
            }
            if self.done {
                let rest = std::mem::take(&mut self.buf);
                let text = String::from_utf8_lossy(&rest);
                let text = text.trim();
                if text.is_empty() {
                    return Ok(None);
                }
                return parse_line(text, what).map(Some);
            }
            match self.stream.next().await {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    return Err(ClientError::Unreachable(format!(
                        "{what}: the connection to the server broke: {}",
                        error_chain(&e)
                    )));
                }
                None => self.done = true,
            }
        }
    }
}

/// One line of a stream, read as a `T`.
fn parse_line<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, ClientError> {
    serde_json::from_str(text).map_err(|e| {
        ClientError::Server(format!(
            "{what}: the server sent a line this client does not read ({e}): {text}"
        ))
    })
}

/// Reads a deploy/destroy stream to its end: events to `on_event`, then
/// the result, or the error line as a [`ClientError`].
async fn finish_stream(
    resp: reqwest::Response,
    what: &str,
    mut on_event: impl FnMut(&ProgressEvent),
) -> Result<DeployResult, ClientError> {
    let mut lines = NdjsonLines::new(resp);
    while let Some(item) = lines.next::<DeployStreamItem>(what).await? {
        match item {
            DeployStreamItem::Event(e) => on_event(&e),
            DeployStreamItem::Result(r) => return Ok(r),
            // The stream has already said 200: the code tells user errors
            // (bad request, invalid template, failed and rolled back) from
            // the server's own.
            DeployStreamItem::Error(e) => {
                let status = if e.code.is_internal() { 500 } else { 400 };
                return Err(error_from_api(status, e, what));
            }
        }
    }
    Err(ClientError::Server(format!(
        "{what}: the server ended the stream without a result"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_become_url_paths() {
        assert_eq!(param_path("/dev/db"), "/v1/params/dev/db");
        assert_eq!(param_path("plain"), "/v1/params/plain");
        assert_eq!(param_path("/a b/c"), "/v1/params/a%20b/c");
    }

    #[test]
    fn refused_errors_carry_code_message_and_diagnostics() {
        let e = error_from_body(
            400,
            r#"{"error":{"code":"InvalidTemplate","message":"bad","rendered":"x"}}"#,
            "deploy",
        );
        assert_eq!(e.exit_code(), 1);
        match e {
            ClientError::Refused {
                code,
                message,
                diagnostics,
                ..
            } => {
                assert_eq!(code, "InvalidTemplate");
                assert_eq!(message, "bad");
                assert_eq!(diagnostics.as_deref(), Some("x"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(error_from_body(500, "boom", "deploy").exit_code(), 2);
    }

    #[test]
    fn discovery_prefers_flags_then_walks_up_for_server_json() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir_all(dir.path().join(".lockgate")).unwrap();
        std::fs::write(dir.path().join(".lockgate/tok"), "secret\n").unwrap();
        std::fs::write(
            dir.path().join(".lockgate/server.json"),
            r#"{"url":"http://127.0.0.1:9/","token_file":"tok"}"#,
        )
        .unwrap();
        let flags = ConnectArgs {
            server: Some("http://127.0.0.1:1".into()),
            token: Some("t".into()),
        };
        let e = discover(&flags, &nested).unwrap();
        assert_eq!(e.url, "http://127.0.0.1:1");
        assert_eq!(e.token.as_deref(), Some("t"));
        if std::env::var_os("LOCKGATE_SERVER").is_none()
            && std::env::var_os("LOCKGATE_TOKEN").is_none()
            && std::env::var_os("LOCKGATE_TOKEN_FILE").is_none()
        {
            let e = discover(&ConnectArgs::default(), &nested).unwrap();
            assert_eq!(e.url, "http://127.0.0.1:9");
            assert_eq!(e.token.as_deref(), Some("secret"));
        }
    }
}
