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

mod cold;
mod fixtures;
mod measure;
mod relay;

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use lockgate_cloud::http::{self, Body};
use lockgate_cloud::{
    ApiConfig, ApiKind, Cloud, CloudConfig, FunctionConfig, Gateway, PayloadVersion, Route,
    Runtime, RuntimeOptions,
};
use tokio::sync::watch;

use cold::cold_starts;
use fixtures::{build_c_bootstrap, build_java_handler, write_handlers};
use measure::{Wrk, median, show_cpu, show_us, wrk};

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
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
