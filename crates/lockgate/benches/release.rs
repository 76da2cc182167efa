//! Release benchmark: how fast a bad canary is rolled back.
//!
//! Starts the real `lockgate server` at time scale 60 (an alarm period of
//! 60 s lasts one real second), releases a version that fails every request
//! with `Canary10Percent30Minutes` while a client sends 100 requests a
//! second through the stage's gateway, and measures, per round:
//!
//! - **reaction**: from the first failed request (the moment the alarm's
//!   condition, `Errors` Sum ≥ 1 on the new version, becomes true on the
//!   metrics) to all traffic back on the old version (the rollout's
//!   `Rollback` step), also in alarm periods (the anchor: CodeDeploy needs
//!   at least the alarm's CloudWatch period, 10–60 s, plus its own polling;
//!   an error lands anywhere in a period, so an exact alarm reacts within
//!   0–1 period plus what Lockgate adds);
//! - **error budget**: how many requests failed on the bad version before
//!   the rollback, at 100 requests a second.
//!
//! `cargo bench -p lockgate --bench release [-- ROUNDS]` (default 7 rounds).

#[path = "../tests/server_common/mod.rs"]
mod server_common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The alarm's period in real time at time scale 60.
const PERIOD: Duration = Duration::from_secs(1);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn write_code(app: &Path, version: &str, fail: bool) {
    std::fs::write(
        app.join("src/app.py"),
        format!(
            "VERSION = {version:?}\nFAIL = {}\n\n\ndef handler(event, context):\n    if FAIL:\n        raise RuntimeError('broken')\n    return {{'statusCode': 200, 'body': VERSION}}\n",
            if fail { "True" } else { "False" }
        ),
    )
    .unwrap();
}

fn lockgate(url: &str, data: &Path, app: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lockgate"));
    c.current_dir(app)
        .env("LOCKGATE_SERVER", url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"));
    c
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0
}

/// RFC 3339 with milliseconds (the API's times) to epoch milliseconds.
fn parse_time(t: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(t)
        .map(|d| d.timestamp_millis() as f64)
        .unwrap_or(f64::NAN)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .filter_map(|a| a.parse().ok())
        .next()
        .unwrap_or(7);
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("release");
    copy_dir(&fixture(), &app);
    let data = tmp.path().join("data");
    let mut server = Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args([
            "server",
            "--listen",
            "127.0.0.1:0",
            "--time-scale",
            "60",
            "--data-dir",
        ])
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let url = loop {
        if let Ok(text) = std::fs::read_to_string(data.join("server.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(u) = v["url"].as_str()
        {
            break u.to_string();
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    let deploy = |extra: &[&str]| {
        lockgate(&url, &data, &app)
            .args([
                "deploy",
                "--stage",
                "prod",
                "--output",
                "json",
                "--parameter-overrides",
                "Preference=Canary10Percent30Minutes",
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    write_code(&app, "good", false);
    let out = deploy(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let stage = v["urls"][0]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();

    let (mut reactions, mut in_periods, mut budgets, mut sent) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        // The load: 100 requests a second, each answer timed.
        let stop = Arc::new(AtomicBool::new(false));
        let seen: Arc<Mutex<Vec<(f64, u16, String)>>> = Arc::default();
        let (s, k, a) = (stop.clone(), seen.clone(), stage.clone());
        let load = std::thread::spawn(move || {
            let start = Instant::now();
            let mut n = 0u32;
            while !s.load(Ordering::Relaxed) {
                let (status, body) = server_common::http_get(&format!("http://{a}"), "/");
                k.lock().unwrap().push((now_ms(), status, body));
                n += 1;
                let next = start + Duration::from_millis(10) * n;
                if let Some(wait) = next.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
        });
        write_code(&app, &format!("bad-{round}"), true);
        let out = deploy(&[]);
        assert!(
            !out.status.success(),
            "the bad release must be rolled back: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        stop.store(true, Ordering::Relaxed);
        load.join().unwrap();
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        let list = lockgate(&url, &data, &app)
            .args(["deployments", "--stage", "prod", "--output", "json"])
            .output()
            .unwrap();
        let releases: Vec<serde_json::Value> = serde_json::from_slice(&list.stdout).unwrap();
        let id = releases[0]["deploymentId"].as_str().unwrap().to_string();
        let shown = lockgate(&url, &data, &app)
            .args(["deployment", "show", &id, "--output", "json"])
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
        let at = |kind: &str| {
            r["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["kind"] == kind)
                .map(|e| parse_time(e["time"].as_str().unwrap()))
                .unwrap_or(f64::NAN)
        };
        let back = at("Rollback");
        let first_error = seen
            .iter()
            .find(|(_, st, _)| *st != 200)
            .map(|(t, _, _)| *t)
            .unwrap_or(f64::NAN);
        let failed = seen
            .iter()
            .filter(|(t, st, _)| *st != 200 && *t <= back)
            .count();
        let reaction = back - first_error;
        // The alarm judges a period once it ends: a first error lands
        // anywhere in a period, so the reaction is at most one period plus
        // what Lockgate adds.
        let periods = reaction / PERIOD.as_secs_f64() / 1000.0;
        eprintln!(
            "round {round}: first error → traffic back {reaction:.0} ms ({periods:.2} alarm periods), {failed} failed of {} requests",
            seen.len()
        );
        reactions.push(reaction);
        in_periods.push(periods);
        budgets.push(failed as f64);
        sent.push(seen.len() as f64);
        // Back to a good version for the next round.
        write_code(&app, "good", false);
    }
    println!(
        "release rollback, {rounds} rounds, medians: first error → all traffic back {:.0} ms \
         ({:.2} alarm periods of {} ms; CodeDeploy on AWS: at least 1 period plus its polling); \
         failed requests before rollback {:.0} (of {:.0} sent at 100/s during the release)",
        median(reactions),
        median(in_periods),
        PERIOD.as_millis(),
        median(budgets),
        median(sent)
    );
    let _ = server.kill();
    let _ = server.wait();
}
