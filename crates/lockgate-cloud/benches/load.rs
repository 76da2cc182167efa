//! 16 clients on one Python function through the gateway, steady and
//! across a deploy (the function's code swapped under load), for two
//! configurations side by side in one run:
//!
//! - **before**: the instance manager as it was — at most 10 instances per
//!   function, an invocation beyond them throttled at once (429), and a
//!   new version cold-starting behind the swap as requests arrive;
//! - **after**: the account's concurrency pool (functions without a
//!   reservation share it), a brief queue instead of a refusal
//!   (`queue_timeout`), and the new version warmed before the swap
//!   (`Cloud::prewarm_from`).
//!
//! Each client keeps one HTTP/1.1 connection and sends the next request as
//! soon as the last is answered. Reported per phase: requests/s (a 429
//! answers fast, so also those served with a 200 per second), p50, p99,
//! the slowest request, and errors (any status but 200).
//!
//! Run: `cargo bench -p lockgate-cloud --bench load` (needs python3).
//! Environment: BENCH_CLIENTS (16), BENCH_SECONDS (per phase, 4),
//! BENCH_ROUNDS (2: before/after alternate each round).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lockgate_cloud::{
    ApiConfig, ApiKind, Cloud, CloudConfig, FunctionConfig, Gateway, PayloadVersion, Route,
    Runtime, RuntimeOptions,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One request's outcome: latency and whether it was a 200.
type Sample = (Duration, bool);

/// One client: keep-alive GETs of `path` until `until`.
async fn client(addr: std::net::SocketAddr, until: Instant) -> Vec<Sample> {
    let mut samples = Vec::new();
    let mut conn: Option<BufReader<tokio::net::TcpStream>> = None;
    while Instant::now() < until {
        let t = Instant::now();
        if conn.is_none() {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    conn = Some(BufReader::new(s));
                }
                Err(_) => {
                    samples.push((t.elapsed(), false));
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let ok = exchange(c).await;
        samples.push((t.elapsed(), ok == Some(200)));
        if ok.is_none() {
            conn = None;
        }
    }
    samples
}

/// Sends one GET and reads the answer; its status, or `None` when the
/// connection broke.
async fn exchange(c: &mut BufReader<tokio::net::TcpStream>) -> Option<u16> {
    c.get_mut()
        .write_all(b"GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n")
        .await
        .ok()?;
    let mut line = String::new();
    c.read_line(&mut line).await.ok()?;
    let status: u16 = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut length = 0usize;
    loop {
        line.clear();
        c.read_line(&mut line).await.ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    c.read_exact(&mut body).await.ok()?;
    Some(status)
}

struct Phase {
    rps: f64,
    p50: f64,
    p99: f64,
    max: f64,
    errors: usize,
    total: usize,
}

fn summarize(samples: Vec<Sample>, seconds: f64) -> Phase {
    let errors = samples.iter().filter(|(_, ok)| !ok).count();
    let mut ms: Vec<f64> = samples
        .iter()
        .map(|(d, _)| d.as_secs_f64() * 1000.0)
        .collect();
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    Phase {
        rps: samples.len() as f64 / seconds,
        p50: at(0.5),
        p99: at(0.99),
        max: ms.last().copied().unwrap_or(0.0),
        errors,
        total: samples.len(),
    }
}

async fn load(
    addr: std::net::SocketAddr,
    clients: u64,
    seconds: u64,
    during: Option<Box<dyn FnOnce() -> tokio::task::JoinHandle<()>>>,
) -> Phase {
    let until = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|_| tokio::spawn(client(addr, until)))
        .collect();
    if let Some(f) = during {
        tokio::time::sleep(Duration::from_secs(seconds) / 3).await;
        f().await.unwrap();
    }
    let mut samples = Vec::new();
    for t in tasks {
        samples.extend(t.await.unwrap());
    }
    summarize(samples, seconds as f64)
}

fn config(code: &Path, greeting: &str) -> CloudConfig {
    let mut f = FunctionConfig::new(
        "Hello",
        Runtime::Python {
            name: "python3.12".into(),
        },
        "app.handler",
        code,
    );
    f.environment.insert("GREETING".into(), greeting.into());
    CloudConfig {
        functions: vec![f],
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
    }
}

/// Steady and across-a-deploy phases of one configuration.
async fn run_one(
    code: &Path,
    opts: RuntimeOptions,
    prewarm: bool,
    clients: u64,
    seconds: u64,
) -> (Phase, Phase) {
    let cloud = Cloud::new(
        config(code, "one"),
        opts.clone(),
        lockgate_cloud::logs::discard(),
    )
    .unwrap();
    let gateway = Arc::new(
        Gateway::start(
            cloud.clone(),
            "127.0.0.1:0",
            lockgate_cloud::logs::discard(),
        )
        .await
        .unwrap(),
    );
    let addr = gateway.addr();
    // Warm up to the load's level, then measure.
    let _ = load(addr, clients, 1, None).await;
    let steady = load(addr, clients, seconds, None).await;
    let gw = gateway.clone();
    let swap: Box<dyn FnOnce() -> tokio::task::JoinHandle<()>> = Box::new(move || {
        tokio::spawn(async move {
            let old = gw.cloud();
            let new = Cloud::new_reusing(
                config(&code_dir(&old), "two"),
                opts,
                lockgate_cloud::logs::discard(),
                Some(&old),
            )
            .unwrap();
            if prewarm {
                new.prewarm_from(&old, Duration::from_secs(5)).await;
            }
            gw.swap(new.clone());
            old.retire(Some(&new));
        })
    });
    let across = load(addr, clients, seconds, Some(swap)).await;
    gateway.cloud().shutdown();
    (steady, across)
}

fn code_dir(cloud: &Cloud) -> std::path::PathBuf {
    cloud.function("Hello").unwrap().config().code_dir.clone()
}

fn row(what: &str, p: &Phase) -> String {
    format!(
        "| {what} | {:.0} | {:.0} | {:.2} ms | {:.1} ms | {:.0} ms | {} of {} |",
        p.rps,
        p.rps * (p.total - p.errors) as f64 / p.total.max(1) as f64,
        p.p50,
        p.p99,
        p.max,
        p.errors,
        p.total
    )
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let clients = env_num("BENCH_CLIENTS", 16);
    let seconds = env_num("BENCH_SECONDS", 4);
    let rounds = env_num("BENCH_ROUNDS", 2).max(1);
    let dir = tempfile::tempdir().unwrap();
    let code = dir.path().join("py");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(
        code.join("app.py"),
        "import os\n\ndef handler(event, context):\n    return {'statusCode': 200, 'body': os.environ['GREETING']}\n",
    )
    .unwrap();
    let after = RuntimeOptions {
        runtime_dir: dir.path().join("runtime"),
        ..RuntimeOptions::default()
    };
    let before = RuntimeOptions {
        default_concurrency: 10,
        queue_timeout: Duration::ZERO,
        ..after.clone()
    };
    println!(
        "## Load: {clients} clients on one Python function, {seconds} s per phase, {rounds} rounds (sandbox: {})",
        if after.sandbox.is_sandboxed() {
            "bubblewrap"
        } else {
            "off"
        }
    );
    println!();
    println!(
        "| configuration, phase | requests/s | served (200)/s | p50 | p99 | slowest | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for round in 0..rounds {
        for (name, opts, prewarm) in [
            ("before", before.clone(), false),
            ("after", after.clone(), true),
        ] {
            let (steady, across) = run_one(&code, opts, prewarm, clients, seconds).await;
            println!(
                "{}",
                row(&format!("{name}, steady (round {})", round + 1), &steady)
            );
            println!(
                "{}",
                row(
                    &format!("{name}, across a deploy (round {})", round + 1),
                    &across
                )
            );
        }
    }
}
