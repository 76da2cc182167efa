//! The HTTP gateway: the template's API routes (API Gateway payloads 1.0
//! and 2.0) and the Lambda Invoke API, on one port.

mod invoke_api;
pub mod payload;
pub mod routes;

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::SystemTime;

use arc_swap::ArcSwap;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cloud::Cloud;
use crate::config::{ApiKind, PayloadVersion};
use crate::error::CloudError;
use crate::function::{Function, InvokeError, InvokeRequest};
use crate::http::{self, Body, BodyError, MAX_PAYLOAD};
use crate::logs::{LogLine, LogSink};
use payload::{MappedResponse, RequestInfo, Target};
pub use routes::RouteTable;

/// A running gateway: the API routes of a [`Cloud`] and the Lambda Invoke
/// The most connections a gateway serves at once; more wait, unaccepted,
/// in the listen backlog (so idle or half-open connections cannot take
/// every file descriptor of the server).
pub const MAX_CONNECTIONS: usize = 1024;

/// How long a connection may go without starting a request (a client
/// sending its headers slowly, or silent, or idle between keep-alive
/// requests) before the gateway closes it, within a quarter more, and how
/// long a request's body may stop arriving before it is answered `408` and
/// its connection closed: a slow or silent client holds nothing. A request
/// being served, or a response still being written, is never cut.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// API on one port.
#[derive(Debug)]
pub struct Gateway {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    current: Arc<Current>,
}

/// What the gateway serves now; every request takes a reference to the
/// state of the moment it arrives and keeps it until it is answered.
struct Current {
    /// Read by every request without a lock (a lock, even a read lock, is
    /// a write to memory every thread serving requests shares).
    state: ArcSwap<State>,
}

impl std::fmt::Debug for Current {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Current")
    }
}

impl Current {
    fn get(&self) -> Arc<State> {
        self.state.load_full()
    }
}

struct State {
    cloud: Arc<Cloud>,
    routes: RouteTable,
    sink: LogSink,
}

impl State {
    fn new(cloud: Arc<Cloud>, sink: LogSink) -> Arc<State> {
        let routes = RouteTable::new(cloud.apis());
        Arc::new(State {
            cloud,
            routes,
            sink,
        })
    }

    /// Writes a gateway line to the log of the function version that
    /// served (or failed to serve) a request.
    fn note(&self, function: &Function, version: Option<&str>, line: &str) {
        let config = function.config();
        (self.sink)(&LogLine {
            function: &config.name,
            version: version.unwrap_or(&config.version),
            line,
        });
    }
}

impl Gateway {
    /// Binds `addr` (port 0 picks one) and serves until [`Gateway::stop`].
    pub async fn start(
        cloud: Arc<Cloud>,
        addr: &str,
        sink: LogSink,
    ) -> Result<Gateway, CloudError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| CloudError::Bind {
                addr: addr.to_string(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| CloudError::Bind {
            addr: addr.to_string(),
            source,
        })?;
        let current = Arc::new(Current {
            state: ArcSwap::new(State::new(cloud, sink)),
        });
        let (shutdown, rx) = watch::channel(false);
        let serving = current.clone();
        let handler = Arc::new(move |req: Request<Incoming>, peer: SocketAddr| {
            let state = serving.get();
            async move { state.handle(req, peer.ip()).await }
        });
        let options = http::ServeOptions {
            max_connections: Some(MAX_CONNECTIONS),
            header_read_timeout: Some(HEADER_READ_TIMEOUT),
        };
        let task = tokio::spawn(http::serve_with(listener, handler, rx, options));
        Ok(Gateway {
            addr: local,
            shutdown,
            task,
            current,
        })
    }

    /// Atomically replaces the cloud (and so the route table and the
    /// functions the Invoke API reaches) that the gateway serves. Requests
    /// already received finish on the cloud they started on; open
    /// connections stay open and their next request uses `cloud`. The old
    /// cloud is returned, for [`Cloud::retire`].
    pub fn swap(&self, cloud: Arc<Cloud>) -> Arc<Cloud> {
        let sink = self.current.get().sink.clone();
        self.swap_with_sink(cloud, sink)
    }

    /// [`Gateway::swap`] that also replaces the gateway's own log sink.
    pub fn swap_with_sink(&self, cloud: Arc<Cloud>, sink: LogSink) -> Arc<Cloud> {
        let old = self.current.state.swap(State::new(cloud, sink));
        old.cloud.clone()
    }

    /// The cloud served now.
    pub fn cloud(&self) -> Arc<Cloud> {
        self.current.get().cloud.clone()
    }

    /// The routes served now, as `(METHOD, path, target, kind)`.
    pub fn routes(&self) -> Vec<(String, String, String, ApiKind)> {
        self.current.get().routes.list()
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets open connections finish their request, and waits.
    pub async fn stop(self) {
        // No receiver left means the serving task is gone already.
        let _ = self.shutdown.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(addr = %self.addr, "the gateway's serving task failed: {e}");
        }
    }
}

impl State {
    async fn handle(&self, req: Request<Incoming>, client: IpAddr) -> Response<Body> {
        if req.uri().path().starts_with("/2015-03-31/functions/") {
            return invoke_api::handle(&self.cloud, req).await;
        }
        self.route(req, client).await
    }

    async fn route(&self, req: Request<Incoming>, source_ip: IpAddr) -> Response<Body> {
        let time = SystemTime::now();
        let (parts, body) = req.into_parts();
        let method = method_name(&parts.method);
        let path = parts.uri.path().to_string();
        let query = parts.uri.query().unwrap_or("").to_string();
        let protocol = match parts.version {
            hyper::Version::HTTP_11 => Cow::Borrowed("HTTP/1.1"),
            hyper::Version::HTTP_10 => Cow::Borrowed("HTTP/1.0"),
            other => Cow::Owned(format!("{other:?}")),
        };
        let Some(m) = self.routes.find(&method, &path) else {
            return if self.routes.has_http_api() {
                http::json(StatusCode::NOT_FOUND, &json!({"message": "Not Found"}))
            } else {
                http::json(
                    StatusCode::FORBIDDEN,
                    &json!({"message": "Missing Authentication Token"}),
                )
            };
        };
        let kind = m.api.kind;
        let headers = parts.headers;
        let body = match http::read_body_within(body, MAX_PAYLOAD, Some(HEADER_READ_TIMEOUT)).await
        {
            Ok(b) => b,
            Err(BodyError::TooLarge) => return too_large(),
            Err(BodyError::Broken) => {
                return http::json(StatusCode::BAD_REQUEST, &json!({"message": "Bad Request"}));
            }
            Err(BodyError::TimedOut) => {
                return http::closing(http::json(
                    StatusCode::REQUEST_TIMEOUT,
                    &json!({"message": "Request Timeout"}),
                ));
            }
        };
        let info = RequestInfo {
            method,
            path,
            query,
            headers,
            body,
            source_ip,
            protocol,
            request_id: crate::function::random_request_id(),
            time,
        };
        let target = Target {
            api: m.api,
            method: m.route.method.as_deref(),
            resource: &m.route.path,
            path_params: &m.path_params,
            payload: m.route.payload,
            route_key: m.route_key,
            api_id: m.api_id,
            constants: m.constants,
        };
        let event = Bytes::from(match target.payload {
            PayloadVersion::V1 => payload::event_v1(&info, &target).to_string().into_bytes(),
            PayloadVersion::V2 => payload::event_v2_json(&info, &target),
        });
        if event.len() > MAX_PAYLOAD {
            return too_large();
        }
        let function = m.route.function.as_str();
        let version = m.route.payload;
        // Resolved once: an alias's pick here is the version that runs and
        // the one its log lines name.
        let Some(resolved) = self.cloud.resolve(function) else {
            return internal_error(kind);
        };
        let outcome = resolved
            .invoke(crate::cloud::with_qualifier(
                function,
                InvokeRequest {
                    payload: event,
                    ..Default::default()
                },
            ))
            .await;
        let outcome = match outcome {
            Ok(o) => o,
            Err(InvokeError::Throttled) => {
                return http::json(
                    StatusCode::TOO_MANY_REQUESTS,
                    &json!({"message": "Too Many Requests"}),
                );
            }
            Err(InvokeError::Start(msg)) => {
                self.note(resolved, None, &format!("lockgate: {function}: {msg}"));
                return internal_error(kind);
            }
        };
        if outcome.function_error.is_some() {
            self.note(
                resolved,
                Some(&outcome.version),
                &format!(
                    "lockgate: {function} failed: {}",
                    String::from_utf8_lossy(&outcome.body)
                ),
            );
            return internal_error(kind);
        }
        let mapped = match version {
            PayloadVersion::V1 => payload::response_v1(&outcome.body, kind),
            PayloadVersion::V2 => payload::response_v2(&outcome.body),
        };
        match mapped {
            Ok(r) => to_response(r),
            Err(e) => {
                self.note(
                    resolved,
                    Some(&outcome.version),
                    &format!("lockgate: {function}: {e}"),
                );
                internal_error(kind)
            }
        }
    }
}

/// The method in upper case; the standard ones without allocating.
fn method_name(m: &hyper::Method) -> Cow<'static, str> {
    use hyper::Method;
    let name = match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => return Cow::Owned(m.as_str().to_ascii_uppercase()),
    };
    Cow::Borrowed(name)
}

fn too_large() -> Response<Body> {
    http::json(
        StatusCode::PAYLOAD_TOO_LARGE,
        &json!({"message": "Request Entity Too Large"}),
    )
}

/// API Gateway's answer when the integration fails.
fn internal_error(kind: ApiKind) -> Response<Body> {
    let message = match kind {
        ApiKind::Rest => "Internal server error",
        ApiKind::Http => "Internal Server Error",
    };
    http::json(StatusCode::BAD_GATEWAY, &json!({ "message": message }))
}

fn to_response(r: MappedResponse) -> Response<Body> {
    let mut resp = Response::new(http_body_util::Full::new(r.body));
    *resp.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let headers = resp.headers_mut();
    for (k, v) in r.headers {
        // A header map holds at most 24 576 names, and takes no value at
        // all once full: a function that returns more gets the ones before,
        // not a dropped connection.
        if headers.try_append(k, v).is_err() {
            break;
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::{HeaderName, HeaderValue, SET_COOKIE};

    /// However many headers a function returns, the gateway answers, with
    /// the first ones up to what a header map holds.
    #[test]
    fn any_number_of_headers_is_answered() {
        let mut headers: Vec<(HeaderName, HeaderValue)> = (0..30_000)
            .map(|_| (SET_COOKIE, HeaderValue::from_static("a=1")))
            .collect();
        headers.extend((0..40_000).map(|i| {
            (
                HeaderName::try_from(format!("x-h{i}")).unwrap(),
                HeaderValue::from_static("1"),
            )
        }));
        let resp = to_response(MappedResponse {
            status: 200,
            headers,
            body: Bytes::new(),
        });
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers().get_all(SET_COOKIE).iter().count(), 30_000);
        assert!(resp.headers().contains_key("x-h0"));
    }
}
