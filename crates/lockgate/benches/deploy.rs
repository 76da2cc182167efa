//! Deploy benchmark: a change to one function in a ~100-resource stack.
//!
//! Starts the real `lockgate server`, deploys a generated SAM app (10
//! functions behind one REST API plus SSM parameters and log groups, about
//! 100 CloudFormation resources after the transform), then repeatedly
//! changes one function's code and measures:
//!
//! - `lockgate plan` (CLI wall time: package, transform, change set);
//! - `lockgate deploy` (CLI wall time: plan + apply + commit + swap);
//! - deploy → new code answering on the stage URL (polled over HTTP);
//! - the server's own elapsed time for the deploy;
//! - `lockgate deploy` again with nothing changed (CLI wall: the code
//!   checked against what the server holds, the plan, no apply).
//!
//! The anchor is CloudFormation: 30–90 s for such an update on AWS.
//!
//! `cargo bench -p lockgate --bench deploy [-- ROUNDS]` (default 15 rounds).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FUNCTIONS: usize = 10;
const PARAMETERS: usize = 35;
const LOG_GROUPS: usize = 32;

fn template() -> String {
    let mut t = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\n\
         Globals:\n  Function:\n    Runtime: python3.11\n    Timeout: 10\n\
         Resources:\n",
    );
    for i in 0..FUNCTIONS {
        t.push_str(&format!(
            "  Fn{i}:\n    Type: AWS::Serverless::Function\n    Properties:\n      \
             CodeUri: fn{i}/\n      Handler: app.handler\n      Events:\n        Get:\n          \
             Type: Api\n          Properties:\n            Path: /fn{i}\n            Method: get\n"
        ));
    }
    for i in 0..PARAMETERS {
        t.push_str(&format!(
            "  Param{i}:\n    Type: AWS::SSM::Parameter\n    Properties:\n      \
             Name: !Sub /bench/${{AWS::StackName}}/p{i}\n      Type: String\n      Value: v{i}\n"
        ));
    }
    for i in 0..LOG_GROUPS {
        t.push_str(&format!(
            "  Logs{i}:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      \
             LogGroupName: !Sub /bench/${{AWS::StackName}}/g{i}\n      RetentionInDays: 7\n"
        ));
    }
    t
}

fn write_function(app: &Path, i: usize, answer: &str) {
    let dir = app.join(format!("fn{i}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("app.py"),
        format!(
            "def handler(event, context):\n    return {{'statusCode': 200, 'body': '{answer}'}}\n"
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

fn get(addr: &str, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(15);
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("bench");
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(app.join("template.yaml"), template()).unwrap();
    for i in 0..FUNCTIONS {
        write_function(&app, i, "v0");
    }

    let mut server = Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args(["server", "--data-dir"])
        .arg(&data)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = loop {
        if let Ok(text) = std::fs::read_to_string(data.join("server.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(u) = v["url"].as_str()
        {
            break u.to_string();
        }
        std::thread::sleep(Duration::from_millis(20));
    };

    let first = lockgate(&url, &data, &app)
        .args([
            "deploy", "--stage", "dev", "--app", "bench", "--output", "json",
        ])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    let resources = lockgate(&url, &data, &app)
        .args([
            "outputs", "--stage", "dev", "--app", "bench", "--output", "json",
        ])
        .output()
        .unwrap();
    let _ = resources;
    let stage_url = result["urls"][0]
        .as_str()
        .or(result["url"].as_str())
        .unwrap_or_else(|| panic!("no stage URL in {result}"))
        .to_string();
    let addr = stage_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let changes = result["changes"].as_array().map(|a| a.len()).unwrap_or(0);
    println!("stack: {changes} resources created by the first deploy");
    // Warm every function once, as a running app would be.
    for i in 0..FUNCTIONS {
        get(&addr, &format!("/fn{i}"));
    }

    let (mut plan, mut deploy, mut answer, mut server_ms) = (vec![], vec![], vec![], vec![]);
    let mut unchanged = vec![];
    for round in 1..=rounds {
        let word = format!("v{round}");
        write_function(&app, 3, &word);

        let t = Instant::now();
        let out = lockgate(&url, &data, &app)
            .args([
                "plan", "--stage", "dev", "--app", "bench", "--output", "json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        plan.push(t.elapsed().as_secs_f64() * 1e3);

        let t = Instant::now();
        let out = lockgate(&url, &data, &app)
            .args([
                "deploy", "--stage", "dev", "--app", "bench", "--output", "json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        deploy.push(t.elapsed().as_secs_f64() * 1e3);
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        server_ms.push(r["elapsed_ms"].as_f64().unwrap_or(f64::NAN));
        loop {
            if get(&addr, "/fn3").is_some_and(|b| b.contains(&word)) {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "new code never answered"
            );
        }
        answer.push(t.elapsed().as_secs_f64() * 1e3);

        let t = Instant::now();
        let out = lockgate(&url, &data, &app)
            .args([
                "deploy", "--stage", "dev", "--app", "bench", "--output", "json",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        unchanged.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let _ = server.kill();
    let _ = server.wait();

    let anchor_low = 30_000.0;
    let anchor_high = 90_000.0;
    let (p, d, a, s, u) = (
        median(&mut plan),
        median(&mut deploy),
        median(&mut answer),
        median(&mut server_ms),
        median(&mut unchanged),
    );
    println!("change to one function in a {changes}-resource stack, {rounds} rounds (medians):");
    println!("  lockgate plan (CLI wall)              {p:8.1} ms");
    println!("  lockgate deploy (CLI wall)            {d:8.1} ms");
    println!("  server: plan + apply + commit + swap  {s:8.1} ms");
    println!("  deploy start -> new code answering    {a:8.1} ms");
    println!("  lockgate deploy, nothing changed      {u:8.1} ms");
    println!(
        "  vs CloudFormation update (30-90 s):    {:.0}x to {:.0}x faster",
        anchor_low / a,
        anchor_high / a
    );
}
