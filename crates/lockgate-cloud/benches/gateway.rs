//! Gateway and cold-start benchmark, side by side in one run on loopback.
//!
//! - warm: `wrk` against (a) the gateway routing to a `provided` function
//!   (a tiny C bootstrap, benches/bootstrap.c) and (b) a plain hello-world
//!   server on the same stack (our hyper accept loop) with no function;
//! - cold: the median time of an invocation that starts a new instance,
//!   for Python, Node and provided functions.
//!
//! Run: `cargo bench -p lockgate-cloud --bench gateway` (needs wrk, cc,
//! python3, node). Environment: BENCH_SECONDS (default 5), BENCH_CONNECTIONS
//! (default 4), BENCH_COLD_RUNS (default 20).

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
    p50: String,
    p99: String,
}

fn wrk(url: &str, connections: u64, seconds: u64) -> Wrk {
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
    Wrk {
        rps: find("Requests/sec:").parse().unwrap_or(0.0),
        p50: find("50%"),
        p99: find("99%"),
    }
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

async fn floor_server() -> (std::net::SocketAddr, watch::Sender<bool>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = watch::channel(false);
    let handler = Arc::new(|_req: Request<Incoming>| async {
        http::response(
            StatusCode::OK,
            "text/plain",
            Bytes::from_static(b"hello world"),
        ) as Response<Body>
    });
    tokio::spawn(http::serve(listener, handler, rx));
    (addr, tx)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

async fn cold_starts(cloud: &Cloud, name: &str, runs: u64) -> (f64, f64) {
    let f = cloud.function(name).unwrap().clone();
    let mut totals = Vec::new();
    for _ in 0..runs {
        f.stop_all();
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
        totals.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let sorted = {
        let mut s = totals.clone();
        s.sort_by(f64::total_cmp);
        s
    };
    (median(totals), sorted[0])
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let seconds = env_num("BENCH_SECONDS", 5);
    let connections = env_num("BENCH_CONNECTIONS", 4);
    let runs = env_num("BENCH_COLD_RUNS", 20);
    let dir = tempfile::tempdir().unwrap();
    let provided = build_c_bootstrap(dir.path());
    let (py, node) = write_handlers(dir.path());

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
        ],
        aliases: vec![],
        apis: vec![ApiConfig {
            name: "Api".into(),
            kind: ApiKind::Http,
            stage: "$default".into(),
            binary_media_types: vec![],
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

    // Warm every instance the run will use.
    let _ = wrk(&format!("http://{}/hello", gateway.addr()), connections, 1);
    let floor = wrk(&format!("http://{floor_addr}/"), connections, seconds);
    let through = wrk(
        &format!("http://{}/hello", gateway.addr()),
        connections,
        seconds,
    );
    let m = cloud.metrics().get("Hello:$LATEST");
    assert_eq!(
        m.errors + m.throttles,
        0,
        "errors or throttles during the run: {m:?}"
    );

    let (p_med, p_min) = cold_starts(&cloud, "Hello", runs).await;
    let (py_med, py_min) = cold_starts(&cloud, "Py", runs).await;
    let (node_med, node_min) = cold_starts(&cloud, "Node", runs).await;

    println!(
        "## Local cloud benchmark ({connections} connections, {seconds} s each, loopback, wrk -t2)"
    );
    println!();
    println!("| target | requests/s | p50 | p99 |");
    println!("|---|---:|---:|---:|");
    println!(
        "| plain hyper hello-world (floor) | {:.0} | {} | {} |",
        floor.rps, floor.p50, floor.p99
    );
    println!(
        "| gateway → provided function (HTTP API 2.0) | {:.0} | {} | {} |",
        through.rps, through.p50, through.p99
    );
    println!();
    println!(
        "Warm throughput through the gateway: {:.0}% of the floor (goal ≥ 40%).",
        100.0 * through.rps / floor.rps.max(1.0)
    );
    println!();
    println!("| cold start (spawn → response), {runs} runs | median | best |");
    println!("|---|---:|---:|");
    println!("| provided (C bootstrap) | {p_med:.1} ms | {p_min:.1} ms |");
    println!("| python3 (our bootstrap) | {py_med:.1} ms | {py_min:.1} ms |");
    println!("| node (our bootstrap) | {node_med:.1} ms | {node_min:.1} ms |");
    gateway.stop().await;
    cloud.shutdown();
}
