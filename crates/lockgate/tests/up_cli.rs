//! The developer loop and finding the server: `lockgate up` deploying a
//! directory and redeploying on a saved change, verbs finding its
//! `.lockgate/server.json` from a subdirectory, and a clear error (exit 2)
//! when no server is there.

mod stage_common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use serde_json::Value;

use stage_common::*;

#[test]
fn no_server_is_a_clear_error_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(dir.path())
        .env("LOCKGATE_DATA_DIR", dir.path().join("nowhere"))
        .args(["stacks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no Lockgate server found"), "{err}");
    assert!(err.contains("lockgate server"), "{err}");

    // A server that is not listening: unreachable, exit code 2.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = bin()
        .current_dir(dir.path())
        .args(["stacks", "--server", &format!("http://127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the Lockgate server"), "{err}");
}

#[test]
fn discovery_finds_the_server_json_of_lockgate_up_in_a_parent_directory() {
    let server = ServerProc::start();
    let dir = tempfile::tempdir().unwrap();
    let lg = dir.path().join(".lockgate");
    std::fs::create_dir_all(&lg).unwrap();
    std::fs::write(
        lg.join("server.json"),
        serde_json::json!({"url": server.url, "token_file": server.token_file, "pid": server.pid()})
            .to_string(),
    )
    .unwrap();
    let nested = dir.path().join("a/b");
    std::fs::create_dir_all(&nested).unwrap();
    let out = bin()
        .current_dir(&nested)
        .args(["stacks", "--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_array(), "{v}");

    // A wrong token is refused as a user error.
    let out = bin()
        .current_dir(&nested)
        .env("LOCKGATE_TOKEN", "wrong")
        .args(["params", "put", "/dev/x", "y"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("token"), "{err}");
}

/// A `server.json` planted by someone else (writable by others, owned by
/// another user) or naming a server that did not write it is ignored with
/// a warning, and the user's admin token goes nowhere.
#[test]
fn discovery_trusts_only_the_users_own_server_json() {
    use std::os::unix::fs::PermissionsExt;

    let server = ServerProc::start();
    // The planter's server: it must never see a request.
    let trap = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let trap_url = format!("http://{}", trap.local_addr().unwrap());
    let shared = tempfile::tempdir().unwrap();
    let lg = shared.path().join(".lockgate");
    std::fs::create_dir_all(&lg).unwrap();
    let file = lg.join("server.json");
    let empty_data = tempfile::tempdir().unwrap();
    let stacks = || {
        bin()
            .current_dir(shared.path())
            .env("LOCKGATE_DATA_DIR", empty_data.path())
            .args(["stacks"])
            .output()
            .unwrap()
    };
    let plant = |pid: Option<u32>, mode: u32| {
        let mut info = serde_json::json!({"url": trap_url, "token_file": server.token_file});
        if let Some(pid) = pid {
            info["pid"] = pid.into();
        }
        std::fs::write(&file, info.to_string()).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let mut cases = vec![
        (None, 0o666, "is writable by other users"),
        // Owned by the user but naming a server that did not write it.
        (Some(server.pid()), 0o600, "is not served by process"),
    ];
    // SAFETY: geteuid(2) cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if root {
        cases.push((None, 0o644, "belongs to user 65534"));
    } else {
        eprintln!("not root: the other-owner case needs chown and is skipped");
    }
    for (pid, mode, why) in cases {
        plant(pid, mode);
        if why.contains("65534") {
            std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
        }
        let out = stacks();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("warning: ignoring") && err.contains(why),
            "{err}"
        );
        assert!(err.contains("no Lockgate server found"), "{err}");
        std::fs::remove_file(&file).unwrap();
    }
    trap.set_nonblocking(true).unwrap();
    assert!(
        trap.accept().is_err(),
        "the planted server.json got a connection"
    );
}

#[test]
fn up_once_deploys_the_directory_to_dev_and_stops() {
    let (_tmp, app) = greeter_copy();
    let out = bin()
        .current_dir(&app)
        .args(["up", "--once", "--output", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(v["app"], "greeter");
    assert_eq!(v["stage"], "dev");
    assert!(
        v["urls"][0].is_string() || v["urls"][0]["url"].is_string(),
        "{v}"
    );
    assert!(app.join(".lockgate/admin.token").is_file());
}

/// `lockgate up` redeploys on a saved change: start it, wait for its first
/// URL line, edit the code, and read until the redeploy is reported.

#[test]
fn up_redeploys_after_a_saved_change() {
    let (_tmp, app) = greeter_copy();
    let mut child = bin()
        .current_dir(&app)
        .args(["up"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    struct Kill(Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            stop(&mut self.0);
        }
    }
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut child = Kill(child);
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(format!("out: {l}"));
        }
    });
    std::thread::spawn(move || {
        for l in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx2.send(format!("err: {l}"));
        }
    });
    // stdout and stderr arrive through two pipes, so their relative order is
    // not kept: a wait looks at every line received since `from`.
    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |from: usize, pred: &dyn Fn(&str) -> bool| -> (usize, String) {
        let mut i = from;
        loop {
            while i < seen.len() {
                if pred(&seen[i]) {
                    return (i, seen[i].clone());
                }
                assert!(
                    !seen[i].starts_with("err: error"),
                    "up reported an error:\n{}",
                    seen.join("\n")
                );
                i += 1;
            }
            match rx.recv() {
                Ok(l) => seen.push(l),
                Err(_) => panic!("up ended before the expected line:\n{}", seen.join("\n")),
            }
        }
    };
    let (url_at, url_line) = wait_for(0, &|l| l.starts_with("out: URL: "));
    let url = url_line["out: URL: ".len()..]
        .trim()
        .trim_end_matches('/')
        .to_string();
    let (watching, _) = wait_for(0, &|l| l.starts_with("err: Watching "));
    // The CLI finds up's server through .lockgate/server.json in the app directory.
    let put = bin()
        .current_dir(app.join("src"))
        .args([
            "params",
            "put",
            "/dev/greeterSecret",
            "up-s3cret",
            "--type",
            "SecureString",
        ])
        .output()
        .unwrap();
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    assert_eq!(hello(&url, "fay")["message"], "Hi, fay!");
    edit_code(&app);
    // Every line of the first deploy came before both of these.
    let after_first = url_at.max(watching) + 1;
    wait_for(after_first, &|l| l.starts_with("err: Changed: "));
    let (_, done) = wait_for(after_first, &|l| {
        l.starts_with("out: Deployed greeter/dev") && l.contains("resource(s) changed")
    });
    assert!(done.starts_with("out: Deployed"), "{done}");
    assert_eq!(hello(&url, "fay")["message"], "Hi, fay!!");
    // Ctrl-C (SIGTERM here) stops the watcher and the server cleanly.
    assert!(stop(&mut child.0), "up did not exit cleanly");
    assert!(
        !app.join(".lockgate/server.json").exists(),
        "server.json is removed at shutdown"
    );
}
