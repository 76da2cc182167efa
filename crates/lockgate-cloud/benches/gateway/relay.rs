//! The least a gateway can do on this stack: the same three exchanges per
//! request (client ↔ relay, the runtime's pending `GET /next` answered, its
//! `POST …/response` and a `202`) on the same accept loop, with no routing,
//! no event building, no response mapping, no logs, metrics or timeouts:
//! the ceiling of the design on this machine with hyper serving all three
//! exchanges. (The gateway's Runtime API has a lighter server of its own,
//! `instance::api`; the relay stays as it was, the anchor the warm-path
//! goals were set against.)

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use lockgate_cloud::http::{self, Body};
use tokio::sync::{oneshot, watch};

type Job = (u64, oneshot::Sender<Bytes>);

#[derive(Default)]
struct Queue {
    jobs: VecDeque<Job>,
    waiters: VecDeque<oneshot::Sender<Job>>,
}

#[derive(Default)]
struct Relay {
    queue: Mutex<Queue>,
    inflight: Mutex<HashMap<u64, oneshot::Sender<Bytes>>>,
    next_id: AtomicU64,
    /// Steps of busy work added to each request (`BENCH_RELAY_EXTRA_NS`
    /// of CPU time, measured at start).
    extra_steps: u64,
    /// `BENCH_RELAY_WIRE`: carry the gateway's bytes (its event, the
    /// Runtime API's Lambda headers, a request ID of a UUID's length,
    /// the mapped body) without doing any of its work.
    wire: bool,
}

/// The HTTP API 2.0 event the gateway sends for wrk's `GET /hello`
/// (only a `Host` header), fixed: nothing in it is built per request.
const WIRE_EVENT: &[u8] = br#"{"version":"2.0","routeKey":"GET /hello","rawPath":"/hello","rawQueryString":"","headers":{"host":"127.0.0.1:43323"},"requestContext":{"accountId":"123456789012","apiId":"djneykrqo1","domainName":"127.0.0.1:43323","domainPrefix":"127","http":{"method":"GET","path":"/hello","protocol":"HTTP/1.1","sourceIp":"127.0.0.1","userAgent":""},"requestId":"7b61396e-172c-49c1-853e-2e3fc1e5fdd4","routeKey":"GET /hello","stage":"$default","time":"03/Dec/2026:17:02:26 +0000","timeEpoch":1796317346155},"isBase64Encoded":false}"#;

const EVENT: &[u8] = b"{\"version\":\"2.0\",\"rawPath\":\"/hello\"}";

impl Relay {
    async fn client(&self) -> Response<Body> {
        // A fixed amount of work, not a wait for a clock: preempted by
        // the run's other processes, it still costs what it costs.
        crate::measure::busy(self.extra_steps);
        let (tx, rx) = oneshot::channel();
        let mut job = (self.next_id.fetch_add(1, Ordering::Relaxed), tx);
        {
            let mut q = self.queue.lock().unwrap();
            loop {
                match q.waiters.pop_front() {
                    Some(w) => match w.send(job) {
                        Ok(()) => break,
                        Err(j) => job = j,
                    },
                    None => {
                        q.jobs.push_back(job);
                        break;
                    }
                }
            }
        }
        match rx.await {
            // The body the gateway maps from the runtime's answer.
            Ok(_) if self.wire => http::response(
                StatusCode::OK,
                "text/plain",
                Bytes::from_static(b"hello world"),
            ),
            Ok(body) => http::response(StatusCode::OK, "text/plain", body),
            Err(_) => http::response(StatusCode::BAD_GATEWAY, "text/plain", ""),
        }
    }

    async fn runtime(&self, req: Request<Incoming>) -> Response<Body> {
        if req.method() == Method::GET {
            let waiting = {
                let mut q = self.queue.lock().unwrap();
                match q.jobs.pop_front() {
                    Some(job) => Ok(job),
                    None => {
                        let (tx, rx) = oneshot::channel();
                        q.waiters.push_back(tx);
                        Err(rx)
                    }
                }
            };
            let (id, reply) = match waiting {
                Ok(job) => job,
                Err(rx) => match rx.await {
                    Ok(job) => job,
                    Err(_) => return http::response(StatusCode::GONE, "text/plain", ""),
                },
            };
            self.inflight.lock().unwrap().insert(id, reply);
            if self.wire {
                use hyper::header::HeaderValue;
                let mut resp = http::response(
                    StatusCode::OK,
                    "application/json",
                    Bytes::from_static(WIRE_EVENT),
                );
                let h = resp.headers_mut();
                let uuid = format!("00000000-0000-4000-8000-{id:012x}");
                h.insert(
                    "lambda-runtime-aws-request-id",
                    HeaderValue::from_str(&uuid).unwrap(),
                );
                h.insert(
                    "lambda-runtime-deadline-ms",
                    HeaderValue::from_static("1796317349155"),
                );
                h.insert(
                    "lambda-runtime-invoked-function-arn",
                    HeaderValue::from_static(
                        "arn:aws:lambda:us-east-1:123456789012:function:Hello",
                    ),
                );
                h.insert(
                    "lambda-runtime-trace-id",
                    HeaderValue::from_static(
                        "Root=1-6b11a0a2-4ee2f871de174d749f070108;Parent=9f070108a7ac0e4c;Sampled=0",
                    ),
                );
                return resp;
            }
            let mut resp = http::response(
                StatusCode::OK,
                "application/json",
                Bytes::from_static(EVENT),
            );
            resp.headers_mut()
                .insert("lambda-runtime-aws-request-id", id.into());
            return resp;
        }
        // POST /2018-06-01/runtime/invocation/{id}/response
        let id: u64 = req
            .uri()
            .path()
            .split('/')
            .nth(4)
            .and_then(|s| match s.rsplit_once('-') {
                // A UUID-shaped ID (`BENCH_RELAY_WIRE`): its last group.
                Some((_, last)) => u64::from_str_radix(last, 16).ok(),
                None => s.parse().ok(),
            })
            .unwrap_or(u64::MAX);
        let body = http::read_body(req.into_body(), http::MAX_PAYLOAD)
            .await
            .unwrap_or_default();
        if let Some(tx) = self.inflight.lock().unwrap().remove(&id) {
            let _ = tx.send(body);
        }
        http::response(
            StatusCode::ACCEPTED,
            "application/json",
            Bytes::from_static(b"{\"status\":\"OK\"}"),
        )
    }
}

/// Starts the relay and `instances` runtimes (`bootstrap`), adding
/// `extra` of CPU work to each request; returns the client-facing
/// address, the stop switch and the runtimes.
pub async fn start(
    bootstrap: &std::path::Path,
    instances: u64,
    extra: Duration,
    wire: bool,
) -> (
    std::net::SocketAddr,
    watch::Sender<bool>,
    Vec<std::process::Child>,
) {
    let relay = Arc::new(Relay {
        extra_steps: crate::measure::busy_steps(extra),
        wire,
        ..Relay::default()
    });
    let (stop, rx) = watch::channel(false);
    let api = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api_addr = api.local_addr().unwrap();
    let r = relay.clone();
    let handler = Arc::new(move |req: Request<Incoming>, _peer| {
        let r = r.clone();
        async move { r.runtime(req).await }
    });
    tokio::spawn(http::serve(api, handler, rx.clone()));
    let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = front.local_addr().unwrap();
    let handler = Arc::new(move |_req: Request<Incoming>, _peer| {
        let r = relay.clone();
        async move { r.client().await }
    });
    tokio::spawn(http::serve(front, handler, rx));
    let children = (0..instances)
        .map(|_| {
            std::process::Command::new(bootstrap)
                .env("AWS_LAMBDA_RUNTIME_API", api_addr.to_string())
                .spawn()
                .expect("the benchmark's bootstrap")
        })
        .collect();
    (addr, stop, children)
}
