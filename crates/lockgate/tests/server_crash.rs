//! Crash safety: `kill -9` of the server in the middle of a deploy, then a
//! restart, leaves the stack at its old state with its routes serving, and
//! the next deploy goes through.
//!
//! The server pauses at a named point when `LOCKGATE_TEST_PAUSE_AT` is set
//! (a test hook compiled in with the `test-hooks` feature, which this
//! crate's dev-dependencies turn on) and says so on stderr; the test kills
//! it there.

mod server_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use server_common::{copy_dir, example, lockgate, start_server};

fn deploy(app: &Path, url: &str, data: &Path) -> std::process::Output {
    lockgate()
        .current_dir(app)
        .args(["deploy", "--stage", "dev", "--output", "json"])
        .env("LOCKGATE_SERVER", url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .output()
        .unwrap()
}

fn stage_url(data: &Path) -> String {
    let ports: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("gateways.json")).unwrap()).unwrap();
    format!(
        "http://127.0.0.1:{}",
        ports["greeter/dev"].as_u64().unwrap()
    )
}

/// A GET over a plain socket; answers the body.
fn get(url: &str, path: &str) -> String {
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    text.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or(text)
}

fn set_greeting_code(app: &Path, word: &str) {
    let path = app.join("src/hello.py");
    let code = std::fs::read_to_string(&path).unwrap();
    let code = code.replace(
        "\"message\": f\"",
        &format!("\"version\": \"{word}\",\n        \"message\": f\""),
    );
    std::fs::write(path, code).unwrap();
}

/// Deploys `app` to a server that pauses at `point`, runs `while_paused`
/// with the stage's URL there, then kills the server with SIGKILL; the
/// deploy must not report success.
fn kill_deploy_at(app: &Path, data: &Path, point: &str, while_paused: impl FnOnce(&str)) {
    let (mut server, url) = start_server(data, Some(point));
    let mut cli = lockgate()
        .current_dir(app)
        .args(["deploy", "--stage", "dev"])
        .env("LOCKGATE_SERVER", &url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(server.stderr.take().unwrap());
    let mut paused = false;
    for line in stderr.lines() {
        if line.unwrap().contains(&format!("paused at {point}")) {
            paused = true;
            break;
        }
    }
    assert!(paused, "the server never reached {point}");
    while_paused(&stage_url(data));
    // `Child::kill` is SIGKILL: no cleanup of any kind runs.
    server.kill().unwrap();
    let status = server.wait().unwrap();
    assert!(!status.success());
    let cli_status = cli.wait().unwrap();
    assert!(
        !cli_status.success(),
        "the interrupted deploy must not report success"
    );
}

fn stacks_json(url: &str, data: &Path) -> String {
    let out = lockgate()
        .args(["stacks", "--output", "json"])
        .env("LOCKGATE_SERVER", url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn kill_during_an_alias_shift_rolls_the_traffic_back() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("greeter");
    let data = tmp.path().join("data");
    copy_dir(&example(), &app);
    set_greeting_code(&app, "one");
    let (mut server, url) = start_server(&data, None);
    let out = deploy(&app, &url, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stage = stage_url(&data);
    server.kill().unwrap();
    server.wait().unwrap();

    // Version two moves the `live` alias (AllAtOnce on dev) through the
    // rollout seam; the server pauses once the traffic moved, before the
    // deployment commits: the alias already serves version two.
    set_greeting_code(&app, "two");
    kill_deploy_at(&app, &data, "shift:HelloFunctionAliaslive", |stage| {
        let body = get(stage, "/hello/ann");
        assert!(body.contains("\"version\": \"two\""), "mid-shift: {body}");
    });

    // Restart: the deployment is rolled back with its traffic, version one serves.
    let (mut server, url) = start_server(&data, None);
    assert_eq!(stage_url(&data), stage);
    let body = get(&stage, "/hello/ann");
    assert!(
        body.contains("\"version\": \"one\""),
        "after recovery: {body}"
    );
    let stacks = stacks_json(&url, &data);
    assert!(stacks.contains("UPDATE_ROLLBACK_COMPLETE"), "{stacks}");
    let out = deploy(&app, &url, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(get(&stage, "/hello/ann").contains("\"version\": \"two\""));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn kill_during_deploy_restarts_into_the_old_state() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("greeter");
    let data = tmp.path().join("data");
    copy_dir(&example(), &app);
    set_greeting_code(&app, "one");

    // Version one, deployed and serving.
    let (mut server, url) = start_server(&data, None);
    let out = deploy(&app, &url, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stage = stage_url(&data);
    assert!(get(&stage, "/hello/ann").contains("\"version\": \"one\""));
    server.kill().unwrap();
    server.wait().unwrap();

    // Version two: the server pauses after updating the function; kill -9 there.
    set_greeting_code(&app, "two");
    kill_deploy_at(&app, &data, "after:HelloFunction", |_| {});

    // Restart: the interrupted deployment is rolled back, the old code serves.
    let (mut server, url) = start_server(&data, None);
    assert_eq!(stage_url(&data), stage, "the stage keeps its URL");
    let body = get(&stage, "/hello/ann");
    assert!(
        body.contains("\"version\": \"one\""),
        "after recovery: {body}"
    );
    let stacks = stacks_json(&url, &data);
    assert!(stacks.contains("UPDATE_ROLLBACK_COMPLETE"), "{stacks}");

    // And the same change deploys cleanly now.
    let out = deploy(&app, &url, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(get(&stage, "/hello/ann").contains("\"version\": \"two\""));
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn kill_during_destroy_finishes_the_deletion_at_restart() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("greeter");
    let data = tmp.path().join("data");
    copy_dir(&example(), &app);

    let (mut server, url) = start_server(&data, None);
    let out = deploy(&app, &url, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();

    // Destroy, killed after the first function is deleted.
    let (mut server, url) = start_server(&data, Some("after:EchoFunction"));
    let mut cli = lockgate()
        .current_dir(&app)
        .args(["destroy", "--stage", "dev", "-y"])
        .env("LOCKGATE_SERVER", &url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(server.stderr.take().unwrap());
    let paused = stderr
        .lines()
        .any(|l| l.unwrap().contains("paused at after:EchoFunction"));
    assert!(paused, "the server never reached the pause point");
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = cli.wait().unwrap();

    // Restart: the deletion is carried to its end, not half undone.
    let (mut server, url) = start_server(&data, None);
    let out = lockgate()
        .args(["stacks", "--all", "--output", "json"])
        .env("LOCKGATE_SERVER", &url)
        .env("LOCKGATE_TOKEN_FILE", data.join("admin.token"))
        .output()
        .unwrap();
    let stacks = String::from_utf8_lossy(&out.stdout);
    assert!(stacks.contains("DELETE_COMPLETE"), "{stacks}");
    // The stage no longer serves and its port is released.
    let ports: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("gateways.json")).unwrap()).unwrap();
    assert!(ports.get("greeter/dev").is_none(), "{ports}");
    // And it can be deployed again from nothing.
    let out = deploy(&app, &url, &data);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
