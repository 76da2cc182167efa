//! What the CLI tests that drive a real `lockgate server` over a copy of
//! examples/greeter share: the server process, the CLI pointed at it, a
//! minimal HTTP client, and greeter helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// A running `lockgate server`, killed on drop.
pub struct ServerProc {
    child: Child,
    pub url: String,
    pub token_file: PathBuf,
    _data: tempfile::TempDir,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// Stops a `lockgate server` or `lockgate up` child as Ctrl-C would (SIGTERM,
/// which both handle by shutting down cleanly) and reaps it; returns whether
/// it exited successfully.
pub fn stop(child: &mut Child) -> bool {
    let termed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !termed {
        let _ = child.kill();
    }
    child.wait().is_ok_and(|s| s.success())
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lockgate"));
    for k in [
        "LOCKGATE_SERVER",
        "LOCKGATE_TOKEN",
        "LOCKGATE_TOKEN_FILE",
        "LOCKGATE_DATA_DIR",
    ] {
        c.env_remove(k);
    }
    c.env("NO_COLOR", "1");
    c
}

impl ServerProc {
    /// Starts the server and waits until it has printed its URL and answers /v1/health.
    pub fn start() -> ServerProc {
        ServerProc::start_with(&[])
    }

    /// [`ServerProc::start`] with more environment variables.
    pub fn start_with(env: &[(&str, &str)]) -> ServerProc {
        let data = tempfile::tempdir().unwrap();
        let mut child = bin()
            .envs(env.iter().copied())
            .args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut url = None;
        let mut token_file = None;
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(u) = line.strip_prefix("Lockgate server listening on ") {
                url = Some(u.trim().to_string());
            }
            if let Some(t) = line.strip_prefix("Admin token: ") {
                token_file = Some(PathBuf::from(t.trim()));
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let url = url.expect("the server printed no URL");
        let token_file = token_file.expect("the server printed no token file");
        // server.json is written at start, as the notes promise.
        let sj: Value = serde_json::from_str(
            &std::fs::read_to_string(data.path().join("server.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(sj["url"], url.as_str());
        assert!(token_file.is_file());
        let (status, body) = http("GET", &format!("{url}/v1/health"), None);
        assert_eq!(status, 200, "{body}");
        ServerProc {
            child,
            url,
            token_file,
            _data: data,
        }
    }

    /// The server's process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &Path {
        self._data.path()
    }

    /// The CLI, pointed at this server, run in `dir`.
    pub fn cli(&self, dir: &Path, args: &[&str]) -> Output {
        bin()
            .current_dir(dir)
            .env("LOCKGATE_SERVER", &self.url)
            .env("LOCKGATE_TOKEN_FILE", &self.token_file)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    /// [`ServerProc::cli`] with `input` on standard input.
    pub fn cli_with_input(&self, dir: &Path, args: &[&str], input: &[u8]) -> Output {
        let mut child = bin()
            .current_dir(dir)
            .env("LOCKGATE_SERVER", &self.url)
            .env("LOCKGATE_TOKEN_FILE", &self.token_file)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs the CLI and expects success; returns stdout.
    pub fn ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.cli(dir, args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "lockgate {args:?} failed ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status.code()
        );
        stdout
    }

    /// Runs the CLI with `--output json` and parses stdout.
    pub fn json(&self, dir: &Path, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--output", "json"]);
        let stdout = self.ok(dir, &a);
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    /// Runs the CLI and expects exit code 1; returns stderr.
    pub fn refused(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.cli(dir, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(1),
            "lockgate {args:?} should be refused\nstdout:\n{}\nstderr:\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }
}

/// Whether GET `url` answers 200 (false when nothing listens).
pub fn serves(url: &str) -> bool {
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    TcpStream::connect(host).is_ok() && http("GET", url, None).0 == 200
}

/// A minimal HTTP/1.1 client (Connection: close; chunked bodies decoded).
pub fn http(method: &str, url: &str, body: Option<&str>) -> (u16, String) {
    http_with(method, url, "", body)
}

/// [`http`] with extra header lines (each ending in `\r\n`).
pub fn http_with(method: &str, url: &str, headers: &str, body: Option<&str>) -> (u16, String) {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut s = TcpStream::connect(host).unwrap_or_else(|e| panic!("connect {host}: {e}"));
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        let mut out = String::new();
        let mut rest = body;
        while let Some((size, after)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            if n == 0 || after.len() < n {
                break;
            }
            out.push_str(&after[..n]);
            rest = after[n..].trim_start_matches("\r\n");
        }
        out
    } else {
        body.to_string()
    };
    (status, body)
}

/// Masks the content hashes SAM puts in logical IDs (`HelloFunctionVersion1a2b3c4d5e`),
/// keeping the width so the table stays aligned.
pub fn mask_hashes(text: &str) -> String {
    text.split('\n')
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    for kind in ["Version", "Deployment"] {
                        if let Some(i) = word.rfind(kind) {
                            let tail = &word[i + kind.len()..];
                            if tail.len() == 10 && tail.bytes().all(|b| b.is_ascii_hexdigit()) {
                                return format!("{}{kind}XXXXXXXXXX", &word[..i]);
                            }
                        }
                    }
                    word.to_string()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Copies examples/greeter into a fresh directory named `greeter`.
pub fn greeter_copy() -> (tempfile::TempDir, PathBuf) {
    copy_of(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/greeter"))
}

/// A copy of the test fixture `tests/fixtures/NAME` in a temporary
/// directory (under its own name), and the directory that holds it.
pub fn fixture_copy(name: &str) -> (tempfile::TempDir, PathBuf) {
    copy_of(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

fn copy_of(src: &Path) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dst = tmp.path().join(src.file_name().unwrap());
    copy_dir(src, &dst);
    (tmp, dst)
}

pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "__pycache__" || name == ".lockgate" || name == ".aws-sam" {
            continue;
        }
        let to = dst.join(&name);
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Changes the greeter's code: it answers with two exclamation marks.
pub fn edit_code(app: &Path) {
    let path = app.join("src/hello.py");
    let code = std::fs::read_to_string(&path).unwrap();
    let edited = code.replace("{name}!\"", "{name}!!\"");
    assert_ne!(code, edited, "hello.py changed shape");
    std::fs::write(&path, edited).unwrap();
}

/// The stage's first URL, from `outputs --output json`.
pub fn stage_url(server: &ServerProc, dir: &Path, stage: &str) -> String {
    let v = server.json(dir, &["outputs", "--stage", stage]);
    let url = v["urls"][0]
        .as_str()
        .map(str::to_string)
        .or_else(|| v["urls"][0]["url"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no URL for {stage}: {v}"));
    url.trim_end_matches('/').to_string()
}

/// GET {url}/hello/{name}: the greeter's JSON answer.
pub fn hello(url: &str, name: &str) -> Value {
    let (status, body) = http("GET", &format!("{url}/hello/{name}"), None);
    assert_eq!(status, 200, "GET {url}/hello/{name}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

pub fn put_secrets(server: &ServerProc, dir: &Path) {
    for stage in ["dev", "prod"] {
        server.ok(
            dir,
            &[
                "params",
                "put",
                &format!("/{stage}/greeterSecret"),
                &format!("{stage}-s3cret"),
                "--type",
                "SecureString",
            ],
        );
    }
}
