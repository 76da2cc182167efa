//! The client side of the Lockgate server's HTTP API: typed calls over
//! loopback HTTP (this file), finding the server and trusting only the
//! user's own `server.json` (`discovery`), errors and their exit codes
//! (`error`), and the ndjson streams of deploy and destroy with the
//! recovery of a broken one (`stream`).

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

mod discovery;
mod error;
mod stream;

pub use discovery::{ConnectArgs, Endpoint, HOW_TO_START, discover};
pub use error::{ClientError, error_from_api, error_from_body};
use stream::{NdjsonLines, finish_stream};

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
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b");
        std::fs::create_dir_all(&nested).unwrap();
        std::fs::create_dir_all(dir.path().join(".lockgate")).unwrap();
        let tok = dir.path().join(".lockgate/tok");
        std::fs::write(&tok, "secret\n").unwrap();
        std::fs::set_permissions(&tok, std::fs::Permissions::from_mode(0o600)).unwrap();
        // This process is the server that wrote it: it listens at the URL.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::fs::write(
            dir.path().join(".lockgate/server.json"),
            json!({"url": format!("{url}/"), "token_file": "tok", "pid": std::process::id()})
                .to_string(),
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
            assert_eq!(e.url, url);
            assert_eq!(e.token.as_deref(), Some("secret"));
        }
    }
}
