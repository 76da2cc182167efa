//! Gateway and cold-start benchmark, side by side in one run on loopback.
//!
//! - warm: `wrk` against (a) a plain hello-world server on the same stack
//!   (our hyper accept loop) with no function: the floor; (b) the gateway
//!   routing to a `provided` function (a tiny C bootstrap,
//!   benches/bootstrap.c); (c) a minimal relay on the same stack in front
//!   of the same bootstrap: the same three HTTP exchanges per request with
//!   none of the gateway's work (routing, events, response mapping, logs,
//!   metrics, timeouts), the ceiling of the design on the machine;
//! - cold: the median time of an invocation that starts a new instance,
//!   for Python, Node, Java (when a JDK is installed) and provided
//!   functions: sandboxed with the standby sandbox made ahead (as the
//!   server runs them), sandboxed with the sandbox made at the start, and
//!   unsandboxed, interleaved run by run.
//!
//! The warm runs are interleaved (floor, gateway, relay, then the order
//! rotated every round) and the medians are reported, with the median of
//! the per-round ratios to the floor: on a shared, noisy machine a single
//! pair of runs moves by ±30%. All three run on one tokio runtime. Each
//! warm run also counts the CPU time per request of everything it used
//! (this process, the runtimes, wrk): the gateway's against the relay's is
//! what bounds its throughput on a saturated machine, and moves less than
//! requests/s when neighbours come and go.
//!
//! Run: `cargo bench -p lockgate-cloud --bench gateway` (needs wrk, cc,
//! python3, node). Environment: BENCH_SECONDS (per warm run, default 3),
//! BENCH_ROUNDS (rounds of the three, default 7), BENCH_CONNECTIONS
//! (default 4), BENCH_COLD_RUNS (default 20; 0 skips the cold starts),
//! BENCH_WORKERS (tokio worker threads; `current` for a current-thread
//! runtime; default: the multi-threaded runtime of the `lockgate`
//! commands), BENCH_SERVE (set: warm the servers, print their URLs and
//! serve until interrupted, for profiling with perf or wrk by hand),
//! BENCH_RELAY_EXTRA_NS (default 0: the relay does this much busy work on
//! each request, measured in this thread's CPU time at start: user-space
//! server work like the gateway's own, which reads the gap between the two
//! as microseconds of server work per request), BENCH_RELAY_WIRE (set to 1:
//! the relay carries the gateway's bytes — an event of the gateway's size,
//! the Runtime API's Lambda headers, a request ID of a UUID's length, the
//! mapped body — without doing any of its work, which tells the cost of
//! the bytes from the cost of the work).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use lockgate_cloud::http::{self, Body};
use lockgate_cloud::{
    ApiConfig, ApiKind, Cloud, CloudConfig, FunctionConfig, Gateway, InvokeRequest, PayloadVersion,
    Route, Runtime, RuntimeOptions,
};
use tokio::sync::watch;

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Wrk {
    rps: f64,
    /// Latency percentiles in microseconds.
    p50: f64,
    p99: f64,
    /// CPU time per request in microseconds of everything the run used:
    /// this process (the servers), the runtimes, wrk.
    cpu_split: [f64; 3],
}

impl Wrk {
    /// CPU time per request in all, in microseconds.
    fn cpu_us(&self) -> f64 {
        self.cpu_split.iter().sum()
    }
}

/// CPU time used so far (user + system, µs): by this process, by its
/// reaped children (wrk, once it has ended) and by each live descendant
/// (the runtimes, and the sandboxes around them).
struct CpuClock {
    me: f64,
    reaped: f64,
    descendants: Vec<(u32, f64)>,
}

fn rusage_us(who: libc::c_int) -> f64 {
    // SAFETY: `rusage` is plain integers, for which all zeroes is valid.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes one `rusage` into the struct it is given.
    unsafe { libc::getrusage(who, &mut u) };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(u.ru_utime) + us(u.ru_stime)
}

/// `steps` of a busy loop: user-space work only, no system call (the kind
/// of work the gateway adds to a request).
fn busy(steps: u64) {
    let mut x = 0u64;
    for i in 0..steps {
        x = std::hint::black_box(x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    std::hint::black_box(x);
}

/// How many steps of [`busy`] take `extra` of this thread's CPU time.
fn busy_steps(extra: std::time::Duration) -> u64 {
    if extra.is_zero() {
        return 0;
    }
    const SAMPLE: u64 = 20_000_000;
    let start = rusage_us(libc::RUSAGE_THREAD);
    busy(SAMPLE);
    let took_us = (rusage_us(libc::RUSAGE_THREAD) - start).max(1.0);
    (SAMPLE as f64 * extra.as_secs_f64() * 1e6 / took_us) as u64
}

/// A process's CPU time: the sum over its threads of
/// `/proc/PID/task/TID/schedstat` (nanoseconds on the CPU, not ticks).
fn process_us(pid: u32) -> Option<f64> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    let ns: f64 = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .sum();
    Some(ns / 1e3)
}

impl CpuClock {
    fn now() -> CpuClock {
        let me = std::process::id();
        CpuClock {
            me: rusage_us(libc::RUSAGE_SELF),
            reaped: rusage_us(libc::RUSAGE_CHILDREN),
            descendants: lockgate_cloud::peer::process_tree(me)
                .into_iter()
                .filter(|&p| p != me)
                .filter_map(|p| Some((p, process_us(p)?)))
                .collect(),
        }
    }

    /// CPU used since `before` by this process, by the descendants alive
    /// at both readings, and by the children reaped between them.
    fn since(&self, before: &CpuClock) -> [f64; 3] {
        let runtimes: f64 = self
            .descendants
            .iter()
            .filter_map(|(pid, t)| {
                let (_, t0) = before.descendants.iter().find(|(p, _)| p == pid)?;
                Some(t - t0)
            })
            .sum();
        [self.me - before.me, runtimes, self.reaped - before.reaped]
    }
}

/// wrk's latency (`29.00us`, `1.23ms`, `2.00s`) in microseconds.
fn micros(text: &str) -> f64 {
    let (num, scale) = if let Some(n) = text.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1e6)
    } else {
        (text, f64::NAN)
    };
    num.parse::<f64>().map(|v| v * scale).unwrap_or(f64::NAN)
}

/// `total (servers + runtimes + wrk)`.
fn show_cpu(w: &Wrk) -> String {
    let [s, r, l] = w.cpu_split;
    format!("{:.0} ({s:.0} + {r:.0} + {l:.0})", w.cpu_us())
}

fn show_us(us: f64) -> String {
    if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// Runs wrk off the runtime's threads (a current-thread runtime must keep
/// serving while it runs).
async fn wrk(url: &str, connections: u64, seconds: u64) -> Wrk {
    let url = url.to_string();
    let before = CpuClock::now();
    let (mut w, requests) =
        tokio::task::spawn_blocking(move || run_wrk(&url, connections, seconds))
            .await
            .expect("wrk thread");
    w.cpu_split = CpuClock::now()
        .since(&before)
        .map(|us| us / requests.max(1.0));
    w
}

/// One wrk run, and how many requests it made.
fn run_wrk(url: &str, connections: u64, seconds: u64) -> (Wrk, f64) {
    let out = Command::new("wrk")
        .args([
            "-t",
            "2",
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{seconds}s"),
            "--latency",
            url,
        ])
        .output()
        .expect("wrk is needed: apt-get install -y wrk");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "wrk failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("Non-2xx"),
        "non-2xx responses during the run:\n{text}"
    );
    let find = |prefix: &str| -> String {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_string()
    };
    let requests = text
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0);
    let w = Wrk {
        rps: find("Requests/sec:").parse().unwrap_or(0.0),
        p50: micros(&find("50%")),
        p99: micros(&find("99%")),
        cpu_split: [f64::NAN; 3],
    };
    (w, requests)
}

fn build_c_bootstrap(dir: &Path) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/bootstrap.c");
    let code = dir.join("provided");
    std::fs::create_dir_all(&code).unwrap();
    let status = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(code.join("bootstrap"))
        .arg(&src)
        .status()
        .expect("cc is needed");
    assert!(status.success(), "compiling benches/bootstrap.c failed");
    code
}

fn write_handlers(dir: &Path) -> (PathBuf, PathBuf) {
    let py = dir.join("py");
    let node = dir.join("node");
    std::fs::create_dir_all(&py).unwrap();
    std::fs::create_dir_all(&node).unwrap();
    std::fs::write(
        py.join("app.py"),
        "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello world'}\n",
    )
    .unwrap();
    std::fs::write(
        node.join("index.js"),
        "exports.handler = async () => ({ statusCode: 200, body: 'hello world' });\n",
    )
    .unwrap();
    (py, node)
}

/// A minimal Java handler compiled against the stand-in API, when this
/// machine has a JDK.
fn build_java_handler(dir: &Path) -> Option<PathBuf> {
    let javac = lockgate_java::javac_of(&lockgate_java::find_on_path("java")?)?;
    let api = dir.join("java-api");
    lockgate_java::compile(&javac, lockgate_java::API, &[], &[], &api).ok()?;
    let code = dir.join("java");
    let src = dir.join("java-src");
    std::fs::create_dir_all(src.join("bench")).unwrap();
    std::fs::write(
        src.join("bench/Hello.java"),
        "package bench;\nimport com.amazonaws.services.lambda.runtime.*;\nimport java.util.*;\n\
         public class Hello implements RequestHandler<Map<String, Object>, Map<String, Object>> {\n\
         public Map<String, Object> handleRequest(Map<String, Object> e, Context c) {\n\
         Map<String, Object> r = new HashMap<>(); r.put(\"statusCode\", 200); r.put(\"body\", \"hello world\"); return r; } }\n",
    )
    .unwrap();
    let ok = Command::new(javac)
        .arg("-cp")
        .arg(&api)
        .arg("-d")
        .arg(&code)
        .arg(src.join("bench/Hello.java"))
        .status()
        .ok()?
        .success();
    ok.then_some(code)
}

async fn floor_server() -> (std::net::SocketAddr, watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = watch::channel(false);
    let handler = Arc::new(|_req: Request<Incoming>, _peer| async {
        http::response(
            StatusCode::OK,
            "text/plain",
            Bytes::from_static(b"hello world"),
        ) as Response<Body>
    });
    tokio::spawn(http::serve(listener, handler, rx));
    (addr, tx)
}

/// The least a gateway can do on this stack: the same three exchanges per
/// request (client ↔ relay, the runtime's pending `GET /next` answered, its
/// `POST …/response` and a `202`) on the same accept loop, with no routing,
/// no event building, no response mapping, no logs, metrics or timeouts:
/// the ceiling of the design on this machine.
mod relay {
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
            super::busy(self.extra_steps);
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
            extra_steps: super::busy_steps(extra),
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
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Cold starts of `name` on each cloud, interleaved run by run (so the
/// machine's noise falls on all alike): each cloud's median and best, ms.
/// A cloud whose functions keep a standby sandbox has it made at the start
/// of each run (its instances stopped first) and is measured last, so the
/// sandbox is ready as a function's that has been deployed a moment.
async fn cold_starts(clouds: &[(&Cloud, bool)], name: &str, runs: u64) -> Vec<(f64, f64)> {
    let fs: Vec<_> = clouds
        .iter()
        .map(|(c, standby)| (c.function(name).unwrap().clone(), *standby))
        .collect();
    let mut order: Vec<usize> = (0..fs.len()).collect();
    order.sort_by_key(|&i| fs[i].1);
    let mut totals = vec![Vec::new(); fs.len()];
    for _ in 0..runs {
        for (f, standby) in &fs {
            if *standby {
                f.stop_all();
                assert!(f.ensure_standby().await, "no standby sandbox for {name}");
            }
        }
        for &i in &order {
            let (f, standby) = &fs[i];
            if !standby {
                f.stop_all();
            }
            let t = Instant::now();
            let o = f
                .invoke(InvokeRequest {
                    payload: Bytes::from_static(b"{}"),
                    ..Default::default()
                })
                .await
                .unwrap();
            assert!(
                o.cold && o.function_error.is_none(),
                "{}",
                String::from_utf8_lossy(&o.body)
            );
            totals[i].push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    totals
        .into_iter()
        .map(|t| {
            let best = t.iter().copied().fold(f64::INFINITY, f64::min);
            (median(t), best)
        })
        .collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // The same runtime serves the floor and the gateway: by default the one
    // the `lockgate` commands use (multi-threaded, a worker per CPU);
    // BENCH_WORKERS=N sets the worker count, BENCH_WORKERS=current a
    // current-thread runtime.
    let rt = match std::env::var("BENCH_WORKERS").ok().as_deref() {
        Some("current") => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Some(n) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n.parse().expect("BENCH_WORKERS: a number or `current`"))
            .enable_all()
            .build(),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    };
    rt.expect("tokio runtime").block_on(run());
}

async fn run() {
    let seconds = env_num("BENCH_SECONDS", 3);
    let rounds = env_num("BENCH_ROUNDS", 7).max(1);
    let connections = env_num("BENCH_CONNECTIONS", 4);
    let runs = env_num("BENCH_COLD_RUNS", 20);
    let relay_extra = std::time::Duration::from_nanos(env_num("BENCH_RELAY_EXTRA_NS", 0));
    let relay_wire = env_num("BENCH_RELAY_WIRE", 0) != 0;
    let dir = tempfile::tempdir().unwrap();
    let provided = build_c_bootstrap(dir.path());
    let (py, node) = write_handlers(dir.path());
    let java = build_java_handler(dir.path());

    let mut hello = FunctionConfig::new(
        "Hello",
        Runtime::Provided {
            name: "provided.al2023".into(),
        },
        "bootstrap",
        &provided,
    );
    hello.reserved_concurrency = Some(connections as u32);
    let config = CloudConfig {
        functions: vec![
            hello,
            FunctionConfig::new(
                "Py",
                Runtime::Python {
                    name: "python3.12".into(),
                },
                "app.handler",
                &py,
            ),
            FunctionConfig::new(
                "Node",
                Runtime::Node {
                    name: "nodejs20.x".into(),
                },
                "index.handler",
                &node,
            ),
        ]
        .into_iter()
        .chain(java.as_ref().map(|code| {
            let mut f = FunctionConfig::new(
                "Java",
                Runtime::Java {
                    name: "java17".into(),
                },
                "bench.Hello",
                code,
            );
            f.memory_mb = 512;
            f
        }))
        .collect(),
        aliases: vec![],
        apis: vec![ApiConfig {
            name: "Api".into(),
            kind: ApiKind::Http,
            stage: "$default".into(),
            binary_media_types: vec![],
            stage_variables: Default::default(),
            routes: vec![Route {
                method: Some("GET".into()),
                path: "/hello".into(),
                function: "Hello".into(),
                payload: PayloadVersion::V2,
            }],
        }],
        region: "us-east-1".into(),
    };
    let opts = RuntimeOptions {
        runtime_dir: dir.path().join("runtime"),
        ..RuntimeOptions::default()
    };
    // The same functions unsandboxed: the cold starts' baseline.
    let plain = Cloud::new(
        config.clone(),
        RuntimeOptions {
            sandbox: lockgate_sandbox::Sandbox::off("the baseline of the benchmark"),
            runtime_dir: dir.path().join("runtime-plain"),
            ..opts.clone()
        },
        lockgate_cloud::logs::discard(),
    )
    .unwrap();
    // The same functions sandboxed, each sandbox made when its instance
    // starts (no standby): what a cold start costs when none is ready.
    let unparked = Cloud::new(
        config.clone(),
        RuntimeOptions {
            standby: false,
            runtime_dir: dir.path().join("runtime-unparked"),
            ..opts.clone()
        },
        lockgate_cloud::logs::discard(),
    )
    .unwrap();
    let sandboxed = opts.sandbox.is_sandboxed();
    let cloud = Cloud::new(config, opts, lockgate_cloud::logs::discard()).unwrap();
    for w in cloud.warnings() {
        eprintln!("warning: {w}");
    }
    let gateway = Gateway::start(
        cloud.clone(),
        "127.0.0.1:0",
        lockgate_cloud::logs::discard(),
    )
    .await
    .unwrap();
    let (floor_addr, _floor) = floor_server().await;
    let (relay_addr, _relay, mut relay_children) = relay::start(
        &provided.join("bootstrap"),
        connections,
        relay_extra,
        relay_wire,
    )
    .await;

    // Warm every instance the run will use.
    let gateway_url = format!("http://{}/hello", gateway.addr());
    let floor_url = format!("http://{floor_addr}/");
    let relay_url = format!("http://{relay_addr}/");
    let urls = [floor_url, gateway_url, relay_url];
    for url in &urls {
        let _ = wrk(url, connections, 1).await;
    }
    if std::env::var_os("BENCH_SERVE").is_some() {
        // For profiling: serve all three until interrupted.
        println!(
            "floor: {}\ngateway: {}\nrelay: {}",
            urls[0], urls[1], urls[2]
        );
        let _ = tokio::signal::ctrl_c().await;
        for c in &mut relay_children {
            let _ = c.kill();
        }
        cloud.shutdown();
        return;
    }
    // results[target][round]; the order of the targets rotates every round.
    let mut results: [Vec<Wrk>; 3] = Default::default();
    for round in 0..rounds as usize {
        for k in 0..3 {
            let target = (round + k) % 3;
            results[target].push(wrk(&urls[target], connections, seconds).await);
        }
        let [f, g, r] = [&results[0][round], &results[1][round], &results[2][round]];
        eprintln!(
            "round {}: floor {:.0} req/s, gateway {:.0} req/s ({:.1}%, p99 {}, CPU {} µs/request), relay {:.0} req/s ({:.1}%, p99 {}, CPU {} µs/request); gateway / relay {:.1}%, p99 {:.2}×",
            round + 1,
            f.rps,
            g.rps,
            100.0 * g.rps / f.rps.max(1.0),
            show_us(g.p99),
            show_cpu(g),
            r.rps,
            100.0 * r.rps / f.rps.max(1.0),
            show_us(r.p99),
            show_cpu(r),
            100.0 * g.rps / r.rps.max(1.0),
            g.p99 / r.p99.max(1.0),
        );
    }
    for c in &mut relay_children {
        let _ = c.kill();
        let _ = c.wait();
    }
    let m = cloud.metrics().get("Hello:$LATEST");
    assert_eq!(
        m.errors + m.throttles,
        0,
        "errors or throttles during the run: {m:?}"
    );
    let summary = |runs: &[Wrk]| {
        (
            median(runs.iter().map(|w| w.rps).collect()),
            median(runs.iter().map(|w| w.p50).collect()),
            median(runs.iter().map(|w| w.p99).collect()),
        )
    };
    // The median of per-round values with their range.
    let spread = |per_round: Vec<f64>| {
        let mut sorted = per_round.clone();
        sorted.sort_by(f64::total_cmp);
        (median(per_round), sorted[0], sorted[sorted.len() - 1])
    };
    let ratio = |target: usize| {
        spread(
            (0..rounds as usize)
                .map(|i| 100.0 * results[target][i].rps / results[0][i].rps.max(1.0))
                .collect(),
        )
    };

    println!(
        "## Local cloud benchmark ({connections} connections, {rounds} interleaved rounds of {seconds} s, loopback, wrk -t2)"
    );
    println!();
    println!(
        "| target (medians of {rounds} runs) | requests/s | p50 | p99 | % of floor (median, range) |"
    );
    println!("|---|---:|---:|---:|---:|");
    let relay_name = if relay_extra.is_zero() {
        "minimal relay → same function (ceiling of three exchanges)".to_string()
    } else {
        format!(
            "relay + {} ns of CPU per request (a calibration run, not the goal's anchor)",
            relay_extra.as_nanos()
        )
    };
    let names = [
        "plain hyper hello-world (floor)",
        "gateway → provided function (HTTP API 2.0)",
        relay_name.as_str(),
    ];
    for (target, name) in names.iter().enumerate() {
        let (rps, p50, p99) = summary(&results[target]);
        let share = if target == 0 {
            "100%".to_string()
        } else {
            let (m, lo, hi) = ratio(target);
            format!("{m:.1}% ({lo:.1}–{hi:.1}%)")
        };
        println!(
            "| {name} | {rps:.0} | {} | {} | {share} |",
            show_us(p50),
            show_us(p99)
        );
    }
    println!();
    println!(
        "Warm throughput through the gateway: {:.1}% of the floor (median of the per-round ratios; goal ≥ 40%); the minimal relay: {:.1}%.",
        ratio(1).0,
        ratio(2).0
    );
    // The gateway against the relay, round by round (the two runs of a
    // round are adjacent in time, so the host's load moves both alike).
    let (tm, tlo, thi) = spread(
        (0..rounds as usize)
            .map(|i| 100.0 * results[1][i].rps / results[2][i].rps.max(1.0))
            .collect(),
    );
    let (pm, plo, phi) = spread(
        (0..rounds as usize)
            .map(|i| results[1][i].p99 / results[2][i].p99.max(1.0))
            .collect(),
    );
    println!(
        "Gateway / relay, median of the per-round ratios: throughput {tm:.1}% ({tlo:.1}–{thi:.1}%; goal ≥ 90%), p99 {pm:.2}× ({plo:.2}–{phi:.2}×; goal ≤ 2×)."
    );
    if !relay_extra.is_zero() {
        println!(
            "(Calibration: the relay did {} ns of busy work per request; the goals are against the relay without it.)",
            relay_extra.as_nanos()
        );
    }
    // CPU time per request of everything a run used (the servers, the
    // runtimes, wrk): what bounds throughput on a saturated machine, and
    // steadier than requests/s where neighbours come and go, since time
    // taken by them is not counted.
    let cpu = |target: usize| median(results[target].iter().map(Wrk::cpu_us).collect());
    let (cm, clo, chi) = spread(
        (0..rounds as usize)
            .map(|i| 100.0 * results[2][i].cpu_us() / results[1][i].cpu_us())
            .collect(),
    );
    println!(
        "CPU per request (servers, runtimes and wrk; medians): gateway {:.1} µs, relay {:.1} µs; relay / gateway, median of the per-round ratios: {cm:.1}% ({clo:.1}–{chi:.1}%): the gateway's throughput relative to the relay's where CPU is the limit.",
        cpu(1),
        cpu(2)
    );
    if runs == 0 {
        gateway.stop().await;
        cloud.shutdown();
        return;
    }

    println!();
    if !sandboxed {
        println!("(no bubblewrap here: every cloud below runs unsandboxed)");
    }
    println!(
        "| cold start (invocation → response), {runs} interleaved runs | sandboxed, standby ready: median | best | sandbox made at start: median | best | unsandboxed: median | best | standby − unsandboxed | made at start − unsandboxed |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut cold = vec![
        ("Hello", "provided (C bootstrap)"),
        ("Py", "python3 (our bootstrap)"),
        ("Node", "node (our bootstrap)"),
    ];
    if java.is_some() {
        cold.push(("Java", "java17 (our bootstrap, 512 MB)"));
    }
    for (name, what) in cold {
        let r = cold_starts(
            &[(&cloud, sandboxed), (&unparked, false), (&plain, false)],
            name,
            runs,
        )
        .await;
        let ((s_med, s_min), (u_med, u_min), (p_med, p_min)) = (r[0], r[1], r[2]);
        println!(
            "| {what} | {s_med:.1} ms | {s_min:.1} ms | {u_med:.1} ms | {u_min:.1} ms | {p_med:.1} ms | {p_min:.1} ms | {:+.1} ms | {:+.1} ms |",
            s_med - p_med,
            u_med - p_med
        );
    }
    gateway.stop().await;
    cloud.shutdown();
    unparked.shutdown();
    plain.shutdown();
}
