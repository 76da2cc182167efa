//! What the tests that start the real `lockgate server` share.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn lockgate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/greeter")
}

/// Starts `lockgate server` and waits until it has written `server.json`.
/// A started server, killed when dropped (also when a test fails).
pub struct ServerGuard(pub Child);

impl std::ops::Deref for ServerGuard {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for ServerGuard {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `lockgate server` on `data`; with `pause_at`, the server stops at
/// that test-hook point (`after:<logical id>`, `shift:<alias logical id>`)
/// and says so on stderr, for a test to kill it there.
pub fn start_server(data: &Path, pause_at: Option<&str>) -> (ServerGuard, String) {
    start_server_with(data, pause_at, &[])
}

/// [`start_server`] with more arguments (`--time-scale 60`).
pub fn start_server_with(
    data: &Path,
    pause_at: Option<&str>,
    args: &[&str],
) -> (ServerGuard, String) {
    let _ = std::fs::remove_file(data.join("server.json"));
    let mut cmd = lockgate();
    cmd.args(["server", "--data-dir"])
        .arg(data)
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(point) = pause_at {
        cmd.env("LOCKGATE_TEST_PAUSE_AT", point);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(data.join("server.json"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(url) = v["url"].as_str()
        {
            return (ServerGuard(child), url.to_string());
        }
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            panic!("server exited early ({status}): {err}");
        }
        assert!(Instant::now() < deadline, "server did not start in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One GET of `path` on `base` (`http://host:port`) over a fresh
/// connection: status and body; `(0, "")` when nothing answers.
pub fn http_get(base: &str, path: &str) -> (u16, String) {
    let addr = base.strip_prefix("http://").unwrap();
    let Ok(mut s) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    if write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return (0, String::new());
    }
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}
