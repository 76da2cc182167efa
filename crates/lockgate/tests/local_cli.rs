//! `lockgate local invoke` and `lockgate local start-api`, run as the real
//! binary against template fixtures.

mod server_common;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/local")
        .join(p)
}

fn lockgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
}

#[test]
fn invoke_prints_the_response_on_stdout_and_logs_on_stderr() {
    let out = lockgate()
        .args(["local", "invoke", "HelloFunction", "--template"])
        .arg(fixture("cfn/template.json"))
        .args(["--event"])
        .arg(fixture("event.json"))
        .args(["--parameter-overrides", "Greeting=hi"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["statusCode"], 200);
    let body: serde_json::Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["message"], "hi from-file");
    assert!(
        stderr.contains("START RequestId: ")
            && stderr.contains("greeting from-file")
            && stderr.contains("REPORT RequestId: "),
        "{stderr}"
    );
}

#[test]
fn invoke_reads_the_event_from_stdin() {
    let mut child = lockgate()
        .current_dir(fixture("cfn"))
        .args([
            "local",
            "invoke",
            "OtherFunction",
            "--template",
            "template.json",
            "--event",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"x\": 1}")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"other": true}"#
    );
}

#[test]
fn unknown_or_ambiguous_function_lists_the_available_ones() {
    let out = lockgate()
        .args(["local", "invoke", "Nope", "--template"])
        .arg(fixture("cfn/template.json"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no function named `Nope`; available: HelloFunction, OtherFunction"),
        "{stderr}"
    );
    let out = lockgate()
        .args(["local", "invoke", "--template"])
        .arg(fixture("cfn/template.json"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("name one: HelloFunction, OtherFunction")
    );
}

#[test]
fn start_api_serves_routes_until_interrupted() {
    let mut child = lockgate()
        .args(["local", "start-api", "--port", "0", "--template"])
        .arg(fixture("cfn/template.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let addr = loop {
        let line = lines.next().expect("start-api ended early").unwrap();
        printed.push(line.clone());
        if let Some(rest) = line.strip_prefix("Running on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    assert!(
        printed
            .iter()
            .any(|l| l.contains("Mounted HelloFunction at http://")
                && l.contains("/hello/{name} [GET]")),
        "{printed:?}"
    );
    let (status, body) = server_common::http_get(&format!("http://{addr}"), "/hello/ada");
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["message"], "hello ada");
    assert_eq!(v["stage"], "Prod");
    let (status, body) = server_common::http_get(&format!("http://{addr}"), "/nowhere");
    assert_eq!(
        (status, body.as_str()),
        (403, r#"{"message":"Missing Authentication Token"}"#)
    );
    // Ctrl-C stops it cleanly.
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn sam_template_with_local_code_uri() {
    let out = lockgate()
        .args([
            "local",
            "invoke",
            "HelloWorldFunction",
            "--region",
            "eu-central-1",
            "--template",
        ])
        .arg(fixture("sam/template.yaml"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let body: serde_json::Value = serde_json::from_str(v["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["message"], "hello from eu-central-1");
}
