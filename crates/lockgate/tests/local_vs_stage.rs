//! One interpreter: a template served by `lockgate local start-api` and the
//! same template deployed to a stage of `lockgate server` answer every
//! request the same way — conditions, a REST API's binary media types and
//! stage variables, HTTP API routes with payloads 2.0 and 1.0.

mod server_common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use server_common::{ServerGuard, copy_dir, lockgate, start_server};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/equivalence")
}

/// Starts `lockgate local start-api` on a free port with `overrides`;
/// answers its URL.
fn start_local(app: &Path, overrides: &[&str]) -> (ServerGuard, String) {
    let mut cmd = lockgate();
    cmd.current_dir(app)
        .args(["local", "start-api", "--port", "0"]);
    if !overrides.is_empty() {
        cmd.arg("--parameter-overrides").args(overrides);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("start-api ended early").unwrap();
        if let Some(rest) = line.strip_prefix("Running on ") {
            break rest
                .split(' ')
                .next()
                .unwrap()
                .trim_end_matches('/')
                .to_string();
        }
    };
    (ServerGuard(child), url)
}

/// Deploys the app to `stage` with `overrides`; answers the stage's URL.
fn deploy(app: &Path, server: &str, data: &Path, stage: &str, overrides: &[&str]) -> String {
    let mut cmd = lockgate();
    cmd.current_dir(app)
        .env("LOCKGATE_SERVER", server)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .args(["deploy", "--stage", stage, "--output", "json"]);
    if !overrides.is_empty() {
        cmd.arg("--parameter-overrides").args(overrides);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["urls"][0]
        .as_str()
        .unwrap()
        .trim_end_matches('/')
        .to_string()
}

/// A request: method, path, and a body with its content type.
type Request = (&'static str, &'static str, Option<(&'static str, Vec<u8>)>);

/// What a base URL answers to each request: status and JSON body.
async fn answers(base: &str) -> Vec<(u16, serde_json::Value)> {
    let http = reqwest::Client::new();
    let binary = vec![0u8, 159, 146, 150, 255];
    let mut out = Vec::new();
    let requests: Vec<Request> = vec![
        (
            "POST",
            "/echo",
            Some(("application/json", b"{\"a\":1}".to_vec())),
        ),
        (
            "POST",
            "/echo",
            Some(("application/octet-stream", binary.clone())),
        ),
        ("POST", "/two", Some(("text/plain", b"two".to_vec()))),
        ("POST", "/one", Some(("text/plain", b"one".to_vec()))),
        ("GET", "/debug", None),
        ("GET", "/nowhere", None),
    ];
    for (method, path, body) in requests {
        let mut req = http.request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some((ty, bytes)) = body {
            req = req.header("content-type", ty).body(bytes);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        out.push((status, json));
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn local_and_a_deployed_stage_answer_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("equivalence");
    copy_dir(&fixture(), &app);
    let data = tmp.path().join("data");
    let (_server, server_url) = start_server(&data, None);
    let stage = deploy(&app, &server_url, &data, "dev", &[]);
    let (_local, local) = start_local(&app, &[]);

    let from_stage = answers(&stage).await;
    let from_local = answers(&local).await;
    assert_eq!(from_local, from_stage);

    // And the answers are what API Gateway would give.
    let (status, rest) = &from_stage[0];
    assert_eq!(*status, 200, "{rest}");
    assert_eq!(rest["stage"], "v1");
    assert_eq!(rest["stageVariables"], serde_json::json!({"color": "blue"}));
    assert_eq!(rest["isBase64Encoded"], false);
    assert_eq!(rest["mode"], "dev-mode");
    let binary = &from_stage[1].1;
    assert_eq!(binary["isBase64Encoded"], true, "{binary}");
    assert_eq!(binary["body"], "AJ+Slv8=");
    assert_eq!(from_stage[2].1["version"], "2.0");
    assert_eq!(from_stage[2].1["routeKey"], "POST /two");
    assert_eq!(from_stage[3].1["version"], "1.0");
    assert_eq!(from_stage[3].1["resource"], "/one");
    assert_eq!(from_stage[4].0, 200, "the development-only route is there");
    assert_eq!(from_stage[5].0, 404);

    // The other branch of the conditions, both ways.
    let prod = deploy(&app, &server_url, &data, "prod", &["Mode=production"]);
    let (_local_prod, local_prod) = start_local(&app, &["Mode=production"]);
    let from_prod = answers(&prod).await;
    assert_eq!(answers(&local_prod).await, from_prod);
    assert_eq!(from_prod[0].1["mode"], "prod-mode");
    assert_eq!(
        from_prod[4].0, 404,
        "no development-only route in production"
    );
}
