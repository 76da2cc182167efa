//! A function deployed to a stage tries every way out of its sandbox: the
//! server's admin token, key and database, another stage's code, the
//! user's files, writing outside `/tmp`, signalling the server. Every one
//! fails, while it still reads its code, writes `/tmp`, calls the SSM API
//! and reaches the network. And Lockgate's own state beside a template
//! (`lockgate up`'s `.lockgate/`) reaches no function with `CodeUri: .`,
//! deployed or run in place by `lockgate local`.
//!
//! Needs bubblewrap (`.ci/install` installs it); without it the test says
//! it skipped, and fails when `CI` is set.

mod stage_common;

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use stage_common::*;

fn sandbox_available() -> bool {
    let here = std::process::Command::new("bwrap")
        .args(["--ro-bind", "/", "/", "--unshare-all", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !here {
        assert!(
            std::env::var_os("CI").is_none(),
            "bubblewrap is needed in CI (.ci/install installs it)"
        );
        eprintln!("skipped: bubblewrap (`bwrap`) does not run here");
    }
    here
}

/// The first file under `dir` that `wanted` accepts.
fn find_file(dir: &Path, wanted: &dyn Fn(&Path) -> bool) -> Option<std::path::PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, wanted) {
                return Some(found);
            }
        } else if wanted(&path) {
            return Some(path);
        }
    }
    None
}

fn probe(url: &str, body: &Value) -> Value {
    let (status, text) = http("POST", &format!("{url}/probe"), Some(&body.to_string()));
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn a_function_cannot_leave_its_sandbox() {
    if !sandbox_available() {
        return;
    }
    let server = ServerProc::start();
    let (_tmp, app) = fixture_copy("escape");
    // The stage reports its isolation: no warning in the listing.
    let stacks = server.cli(&app, &["stacks"]);
    assert!(
        !String::from_utf8_lossy(&stacks.stderr).contains("not isolated"),
        "{}",
        String::from_utf8_lossy(&stacks.stderr)
    );
    // prod runs code of its own (one more line), which dev must not see.
    let code = app.join("src/app.py");
    let dev_code = std::fs::read_to_string(&code).unwrap();
    std::fs::write(&code, format!("{dev_code}\n# prod's own code\n")).unwrap();
    server.ok(&app, &["deploy", "--stage", "prod"]);
    std::fs::write(&code, &dev_code).unwrap();
    server.ok(&app, &["deploy", "--stage", "dev"]);
    server.ok(&app, &["params", "put", "/dev/greeting", "hello"]);
    let prod = probe(&stage_url(&server, &app, "prod"), &json!({}));
    assert_eq!(
        prod["task_root"], "/var/task",
        "Lambda's path in the sandbox"
    );
    let data = std::fs::canonicalize(server.data_dir()).unwrap();
    let other_code = find_file(&data.join("code"), &|p: &Path| {
        p.file_name().is_some_and(|n| n == "app.py")
            && std::fs::read_to_string(p).is_ok_and(|t| t.contains("# prod's own code"))
    })
    .expect("prod's code is in the data directory");

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let _ = conn.write_all(b"hello");
        }
    });

    assert!(data.join("admin.token").is_file() && data.join("lockgate.db").is_file());
    let dev = probe(
        &stage_url(&server, &app, "dev"),
        &json!({
            "data_dir": data,
            "server_pid": server.pid(),
            "other_code": other_code,
            "user_file": app.join("template.yaml"),
            "port": port,
        }),
    );
    let escapes = dev["escapes"].as_object().expect("escapes ran");
    assert_eq!(escapes.len(), 13, "{dev}");
    for (name, outcome) in escapes {
        assert_eq!(outcome["ok"], false, "escape `{name}` succeeded: {outcome}");
    }
    let allowed = &dev["allowed"];
    for name in ["read_own_code", "write_tmp", "ssm", "network"] {
        assert_eq!(
            allowed[name]["ok"], true,
            "`{name}` must work in the sandbox: {}",
            allowed[name]
        );
    }
    assert_eq!(allowed["write_tmp"]["value"], "kept");
    assert_eq!(allowed["ssm"]["value"], "hello");
    assert_eq!(allowed["network"]["value"], "hello");
    // Nothing was written where the function tried.
    assert!(!data.join("escaped").exists());
    assert!(!Path::new("/escaped").exists());
    // The server is alive and well.
    let (status, _) = http("GET", &format!("{}/v1/health", server.url), None);
    assert_eq!(status, 200);
}

/// Without the sandbox (here turned off), functions still run, and the
/// server says plainly that they are not isolated: in its health answer and
/// on every `lockgate stacks`.
#[test]
fn an_unsandboxed_server_says_so() {
    let server = ServerProc::start_with(&[("LOCKGATE_SANDBOX", "off")]);
    let (status, health) = http("GET", &format!("{}/v1/health", server.url), None);
    assert_eq!(status, 200);
    let health: Value = serde_json::from_str(&health).unwrap();
    assert!(
        health["unisolated"]
            .as_str()
            .is_some_and(|w| w.contains("turned off")),
        "{health}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = server.cli(dir.path(), &["stacks"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: functions on this server are not isolated"),
        "{stderr}"
    );
}

/// A template whose code is its own directory (`CodeUri: .`) deploys from
/// a directory that holds Lockgate's state too (`lockgate up` keeps its
/// data, admin token and master key in `DIR/.lockgate`): none of it ships
/// with the code, so the function cannot read it from its own task root.
#[test]
fn lockgate_state_beside_the_code_is_never_deployed() {
    let server = ServerProc::start();
    let (_tmp, app) = fixture_copy("dot-code");
    // What `lockgate up` keeps there, and a nested copy for good measure.
    for state in [app.join(".lockgate"), app.join("lib/.lockgate")] {
        std::fs::create_dir_all(state.join("keys")).unwrap();
        std::fs::write(state.join("admin.token"), "planted-token").unwrap();
        std::fs::write(state.join("keys/master.key"), "planted-key").unwrap();
        std::fs::write(state.join("lockgate.db"), "planted-db").unwrap();
    }
    server.ok(&app, &["deploy", "--stage", "dev"]);
    let (status, body) = http(
        "GET",
        &format!("{}/peek", stage_url(&server, &app, "dev")),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let files: Vec<String> = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert!(files.contains(&"app.py".to_string()), "{files:?}");
    assert!(
        files.iter().all(|f| !f.contains(".lockgate")),
        "Lockgate's state was deployed with the code: {files:?}"
    );
    // Nor is it anywhere in the stage's stored code.
    let leaked = find_file(&server.data_dir().join("code"), &|p: &Path| {
        std::fs::read_to_string(p).is_ok_and(|t| t.starts_with("planted-"))
    });
    assert_eq!(leaked, None);
}

/// The files `PeekFunction` of the app in `app` sees under its task root,
/// run by `lockgate local invoke`.
fn local_peek(app: &Path) -> Vec<String> {
    let out = bin()
        .current_dir(app)
        .args(["local", "invoke", "PeekFunction"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    serde_json::from_str(v["body"].as_str().unwrap()).unwrap()
}

/// Code outside the template's directory (`CodeUri: ../outside`) also
/// runs in place: a server's state inside it is hidden from the function.
#[test]
fn lockgate_state_in_code_outside_the_template_is_hidden() {
    if !sandbox_available() {
        return;
    }
    let (tmp, app) = fixture_copy("dot-code");
    let outside = tmp.path().join("outside");
    std::fs::create_dir_all(outside.join("lib/.lockgate/keys")).unwrap();
    std::fs::copy(app.join("app.py"), outside.join("app.py")).unwrap();
    std::fs::write(outside.join("lib/.lockgate/admin.token"), "planted-token").unwrap();
    std::fs::write(outside.join("lib/.lockgate/keys/master.key"), "planted-key").unwrap();
    let template = std::fs::read_to_string(app.join("template.yaml")).unwrap();
    std::fs::write(
        app.join("template.yaml"),
        template.replace("CodeUri: .", "CodeUri: ../outside"),
    )
    .unwrap();
    let files = local_peek(&app);
    assert_eq!(files, ["app.py"], "the function saw Lockgate's state");
}

/// `lockgate local` runs code in place from the template's directory, where
/// `lockgate up` keeps its state (and a server started in a subdirectory,
/// its own there): with `CodeUri: .` the sandbox hides that state, at any
/// depth, where the function sees its code.
#[test]
fn lockgate_state_beside_code_run_in_place_is_hidden() {
    if !sandbox_available() {
        return;
    }
    let (_tmp, app) = fixture_copy("dot-code");
    // The app's own server's, and that of a server started in a
    // subdirectory of the code.
    for state in [app.join(".lockgate"), app.join("lib/sub/.lockgate")] {
        std::fs::create_dir_all(state.join("keys")).unwrap();
        std::fs::write(state.join("admin.token"), "planted-token").unwrap();
        std::fs::write(state.join("keys/master.key"), "planted-key").unwrap();
    }
    std::fs::write(app.join("lib/sub/module.py"), "").unwrap();
    let files = local_peek(&app);
    assert!(files.contains(&"app.py".to_string()), "{files:?}");
    assert!(
        files.contains(&"lib/sub/module.py".to_string()),
        "{files:?}"
    );
    assert!(
        files.iter().all(|f| !f.contains(".lockgate")),
        "the function saw Lockgate's state: {files:?}"
    );
}
