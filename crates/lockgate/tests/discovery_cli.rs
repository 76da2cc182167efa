//! Issue 15: a `.lockgate/server.json` found by walking up from the current
//! directory is used only when it is proven to come from the running
//! server it names — a `pid`, an `http://` URL on a loopback IP and port,
//! that process the user's and the one listening there — and its token
//! only from the file beside it (or the data directory of that server).
//! Anything else is ignored with a warning, and the listener it names
//! receives nothing: each case below plants a file owned by the user
//! (as a cloned repository carries one) naming a real listener, a "trap",
//! that records every request it gets.

mod stage_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

use stage_common::bin;

/// What the trap reads to stop: sent by the test once the CLI has exited.
const STOP: &str = "TRAP-STOP";

/// A listener standing in for the server a planted `server.json` names:
/// it answers every request 401 and records it.
struct Trap {
    addr: SocketAddr,
    thread: JoinHandle<Vec<String>>,
}

impl Trap {
    fn bind(addr: impl std::net::ToSocketAddrs) -> Trap {
        let listener = TcpListener::bind(addr).unwrap();
        let addr = listener.local_addr().unwrap();
        let thread = std::thread::spawn(move || serve_trap(listener));
        Trap { addr, thread }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The requests it received. Called once the CLI has exited: every
    /// connection the CLI made was queued before this one, and read first.
    fn received(self) -> Vec<String> {
        stop_trap(self.addr);
        self.thread.join().unwrap()
    }
}

/// Connects to the trap at `addr` (its port on loopback when it listens on
/// every address) and tells it to stop.
fn stop_trap(addr: SocketAddr) {
    let to = if addr.ip().is_unspecified() {
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), addr.port())
    } else {
        addr
    };
    let mut s = TcpStream::connect(to).unwrap();
    s.write_all(STOP.as_bytes()).unwrap();
}

fn serve_trap(listener: TcpListener) -> Vec<String> {
    let mut got = Vec::new();
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        // A client that sends half a request cannot hold the trap forever.
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            match conn.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            // The end of an HTTP request's head, or not HTTP at all (a TLS hello).
            let http = buf.first().is_some_and(u8::is_ascii_alphabetic);
            if !http || buf.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let text = String::from_utf8_lossy(&buf).into_owned();
        if text.starts_with(STOP) {
            break;
        }
        let body = r#"{"error":{"code":"Trap","message":"a planted server.json's listener"}}"#;
        // The client may have gone: what it sent is recorded all the same.
        let _ = write!(
            conn,
            "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        got.push(text);
    }
    got
}

/// A directory tree to run the CLI in, with the user's real admin token
/// elsewhere and an empty data directory (no fallback server).
struct Scene {
    root: tempfile::TempDir,
    elsewhere: tempfile::TempDir,
    data: tempfile::TempDir,
    /// The user's real admin token, which no trap may see.
    real_token: PathBuf,
}

const REAL_TOKEN: &str = "lg_the-users-real-admin-token";

fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

impl Scene {
    fn new() -> Scene {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join(".lockgate")).unwrap();
        std::fs::create_dir_all(root.path().join("src/deep")).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let real_token = elsewhere.path().join("admin.token");
        write_private(&real_token, &format!("{REAL_TOKEN}\n"));
        Scene {
            root,
            elsewhere,
            data: tempfile::tempdir().unwrap(),
            real_token,
        }
    }

    fn lockgate_dir(&self) -> PathBuf {
        self.root.path().join(".lockgate")
    }

    fn server_json(&self) -> PathBuf {
        self.lockgate_dir().join("server.json")
    }

    /// Writes `.lockgate/server.json` as the user's own file (0600).
    fn plant(&self, info: &Value) {
        write_private(&self.server_json(), &info.to_string());
    }

    /// `lockgate stacks` two directories below the planted file.
    fn stacks(&self) -> Output {
        self.stacks_given(&Given::Nothing)
    }

    /// `lockgate stacks` two directories below the planted file, with a
    /// token given by flag or environment.
    fn stacks_given(&self, given: &Given) -> Output {
        let mut cmd = bin();
        cmd.current_dir(self.root.path().join("src/deep"))
            .env("LOCKGATE_DATA_DIR", self.data.path())
            .env_remove("LOCKGATE_SERVER")
            .env_remove("LOCKGATE_TOKEN")
            .env_remove("LOCKGATE_TOKEN_FILE")
            .args(["stacks"])
            .stdin(Stdio::null());
        match given {
            Given::Nothing => {}
            Given::Flag(t) => {
                cmd.args(["--token", t]);
            }
            Given::Env(t) => {
                cmd.env("LOCKGATE_TOKEN", t);
            }
            Given::EnvFile(f) => {
                cmd.env("LOCKGATE_TOKEN_FILE", f);
            }
        }
        cmd.output().unwrap()
    }

    /// Runs the CLI and checks it ignored the planted file for `why`, then
    /// fell back to "no server found" (exit code 2).
    fn refused(&self, info: &Value, why: &str) {
        self.refused_given(info, why, &Given::Nothing);
    }

    /// [`Scene::refused`] with a token given by flag or environment.
    fn refused_given(&self, info: &Value, why: &str, given: &Given) {
        self.plant(info);
        let out = self.stacks_given(given);
        let err = String::from_utf8_lossy(&out.stderr);
        let warning = format!("warning: ignoring {}: ", self.server_json().display());
        assert!(
            err.contains(&warning) && err.contains(why),
            "{info}: expected `{warning}…{why}`:\n{err}"
        );
        assert!(err.contains("no Lockgate server found"), "{info}:\n{err}");
        assert_eq!(out.status.code(), Some(2), "{info}:\n{err}");
    }
}

/// A token given to the CLI, not read from a `server.json`'s token file.
enum Given {
    Nothing,
    Flag(String),
    Env(String),
    EnvFile(PathBuf),
}

/// Asserts a trap saw nothing (no request, let alone one with the token).
fn nothing_reached(trap: Trap, case: &str) {
    let got = trap.received();
    let leaked = got.iter().any(|r| r.contains(REAL_TOKEN));
    assert!(
        got.is_empty(),
        "{case}: the planted server.json's listener received {} request(s){}:\n{}",
        got.len(),
        if leaked {
            ", with the user's admin token"
        } else {
            ""
        },
        got.join("\n---\n")
    );
}

/// A file with no `pid`: nothing shows who wrote it (the reported exploit:
/// its `token_file` names the user's real admin token).
#[test]
fn a_planted_server_json_without_a_pid_gets_no_request() {
    let scene = Scene::new();
    let trap = Trap::bind("127.0.0.1:0");
    scene.refused(
        &json!({"url": format!("http://127.0.0.1:{}", trap.port()), "token_file": scene.real_token}),
        "names no server process",
    );
    nothing_reached(trap, "no pid");
}

/// A `pid` that is not the process listening at the URL: a running
/// `sleep` of the user's, then a process that is gone.
#[test]
fn a_planted_server_json_naming_a_process_not_listening_there_gets_no_request() {
    let scene = Scene::new();
    let trap = Trap::bind("127.0.0.1:0");
    let url = format!("http://127.0.0.1:{}", trap.port());
    let mut sleeper = Command::new("sleep").arg("60").spawn().unwrap();
    let pid = sleeper.id();
    scene.refused(
        &json!({"url": url, "token_file": scene.real_token, "pid": pid}),
        &format!("{url} is not served by process {pid}"),
    );
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    scene.refused(
        &json!({"url": url, "token_file": scene.real_token, "pid": pid}),
        // Unless its number was taken again at once.
        &format!("process {pid}"),
    );
    nothing_reached(trap, "pid not the listener");
}

/// A non-loopback interface address of this host, when it has one.
fn interface_ip() -> Option<IpAddr> {
    ["198.51.100.1:9", "192.0.2.1:9", "10.255.255.1:9"]
        .iter()
        .find_map(|target| {
            let s = UdpSocket::bind("0.0.0.0:0").ok()?;
            // A UDP connect only picks a route; nothing is sent.
            s.connect(target).ok()?;
            let ip = s.local_addr().ok()?.ip();
            (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
        })
}

/// URLs a server never writes, each naming a real listener held by the
/// named process (this test's): a host name, https, the unspecified
/// address, this host's non-loopback address.
#[test]
fn a_planted_server_json_with_a_url_a_server_never_writes_gets_no_request() {
    let scene = Scene::new();
    let me = std::process::id();
    let mut cases = vec![
        (
            Trap::bind("127.0.0.1:0"),
            "http://localhost:{port}".to_string(),
        ),
        (
            Trap::bind("127.0.0.1:0"),
            "https://127.0.0.1:{port}".to_string(),
        ),
        (Trap::bind("0.0.0.0:0"), "http://0.0.0.0:{port}".to_string()),
    ];
    match interface_ip() {
        Some(ip) => cases.push((Trap::bind((ip, 0)), format!("http://{ip}:{{port}}"))),
        None => eprintln!("no non-loopback address here: that case is skipped"),
    }
    for (trap, url) in cases {
        let url = url.replace("{port}", &trap.port().to_string());
        scene.refused(
            &json!({"url": url, "token_file": scene.real_token, "pid": me}),
            &format!("its URL {url} is not http://IP:PORT on a loopback IP"),
        );
        nothing_reached(trap, &url);
    }
}

/// The named process is the listener (this test's trap), but the token
/// file is not the one that server wrote: the user's real token named from
/// elsewhere, by a relative path, through a link beside the file, or a
/// token file open to others. Then the controls: the token beside it, and
/// one in the data directory whose own server.json names that server,
/// reach the trap — so the cases above were refused for their token alone.
#[test]
fn a_planted_server_json_cannot_choose_which_token_is_sent() {
    let scene = Scene::new();
    let trap = Trap::bind("127.0.0.1:0");
    let url = format!("http://127.0.0.1:{}", trap.port());
    let me = std::process::id();
    let link = scene.lockgate_dir().join("admin.token");
    std::os::unix::fs::symlink(&scene.real_token, &link).unwrap();
    let relative = format!(
        "../../{}/admin.token",
        scene
            .elsewhere
            .path()
            .file_name()
            .unwrap()
            .to_string_lossy()
    );
    assert!(scene.lockgate_dir().join(&relative).is_file(), "{relative}");
    for (token_file, why) in [
        (
            json!(scene.real_token),
            "is neither beside it nor in the data directory of process",
        ),
        (
            json!(relative),
            "is neither beside it nor in the data directory of process",
        ),
        (json!(link), "is a symbolic link"),
    ] {
        scene.refused(
            &json!({"url": url, "token_file": token_file, "pid": me}),
            why,
        );
    }
    std::fs::remove_file(&link).unwrap();
    std::fs::write(&link, "lg_open-to-others\n").unwrap();
    std::fs::set_permissions(&link, std::fs::Permissions::from_mode(0o644)).unwrap();
    scene.refused(
        &json!({"url": url, "token_file": "admin.token", "pid": me}),
        "is open to other users (mode 644",
    );
    nothing_reached(trap, "token file not the server's");

    // Controls: the server's own token files are sent, so the trap records.
    let trap = Trap::bind("127.0.0.1:0");
    let url = format!("http://127.0.0.1:{}", trap.port());
    write_private(&link, "lg_beside\n");
    scene.plant(&json!({"url": url, "token_file": "admin.token", "pid": me}));
    let out = scene.stacks();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning: ignoring"), "{err}");
    assert_eq!(out.status.code(), Some(1), "the trap answers 401:\n{err}");
    // Its own server.json in the real token's directory names this server.
    write_private(
        &scene.elsewhere.path().join("server.json"),
        &json!({"url": url, "token_file": scene.real_token, "pid": me}).to_string(),
    );
    scene.plant(&json!({"url": url, "token_file": scene.real_token, "pid": me}));
    let out = scene.stacks();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning: ignoring"), "{err}");
    let got = trap.received();
    let auth: Vec<&str> = got
        .iter()
        .filter_map(|r| {
            r.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
        })
        .collect();
    assert_eq!(
        auth,
        [
            "authorization: Bearer lg_beside",
            &format!("authorization: Bearer {REAL_TOKEN}")
        ],
        "{got:?}"
    );
}

/// A token given by `--token`, `LOCKGATE_TOKEN` or `LOCKGATE_TOKEN_FILE`
/// (no `LOCKGATE_SERVER`) goes to a walked-up URL only when it is the API
/// its server wrote into its data directory's server.json — not to another
/// port the same process listens on, as a server listens on its stages'
/// gateways, which pass requests and their headers to function code. Here
/// this test's process holds both: the "gateway" trap, named by a planted
/// file, must see nothing; the "API" trap, named by the data directory's
/// server.json, receives the token (and answers 401).
#[test]
fn an_explicit_token_goes_only_to_the_url_its_server_wrote_for_its_api() {
    let scene = Scene::new();
    let gateway = Trap::bind("127.0.0.1:0");
    let api = Trap::bind("127.0.0.1:0");
    let gateway_url = format!("http://127.0.0.1:{}", gateway.port());
    let api_url = format!("http://127.0.0.1:{}", api.port());
    let me = std::process::id();
    let why = format!("so nothing shows that {gateway_url} is the API of process {me}");
    let ways = [
        Given::Flag(REAL_TOKEN.into()),
        Given::Env(REAL_TOKEN.into()),
        Given::EnvFile(scene.real_token.clone()),
    ];

    // Nothing names the gateway as an API: refused, and nothing else found.
    for given in &ways {
        scene.refused_given(
            &json!({"url": gateway_url, "pid": me}),
            &format!("it names no token file, {why}"),
            given,
        );
        scene.refused_given(
            &json!({"url": gateway_url, "token_file": scene.real_token, "pid": me}),
            &format!("is neither beside it nor in the data directory of process {me} (where"),
            given,
        );
    }

    // The server's data directory names its API: the planted file is
    // skipped with the same warning and the token goes to the API.
    write_private(
        &scene.data.path().join("server.json"),
        &json!({"url": api_url, "token_file": scene.real_token, "pid": me}).to_string(),
    );
    for given in &ways {
        for info in [
            json!({"url": gateway_url, "pid": me}),
            json!({"url": gateway_url, "token_file": scene.real_token, "pid": me}),
        ] {
            scene.plant(&info);
            let out = scene.stacks_given(given);
            let err = String::from_utf8_lossy(&out.stderr);
            let warning = format!("warning: ignoring {}: ", scene.server_json().display());
            assert!(
                err.contains(&warning) && err.contains(&why),
                "{info}: {err}"
            );
            assert_eq!(out.status.code(), Some(1), "the API answers 401:\n{err}");
        }
    }
    // A walked-up file naming the API itself is used.
    scene.plant(&json!({"url": api_url, "pid": me}));
    let out = scene.stacks_given(&Given::Env(REAL_TOKEN.into()));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("warning: ignoring"), "{err}");
    assert_eq!(out.status.code(), Some(1), "the API answers 401:\n{err}");

    nothing_reached(gateway, "an explicit token and a walked-up gateway URL");
    let got = api.received();
    let bearer = format!("authorization: Bearer {REAL_TOKEN}");
    assert_eq!(got.len(), 7, "{got:?}");
    for request in &got {
        assert!(
            request.lines().any(|l| l.eq_ignore_ascii_case(&bearer)),
            "{request}"
        );
    }
}

/// Run in a child by [`a_planted_server_json_naming_another_users_listener_gets_no_request`]
/// (as another user): a trap that prints its address, then, once stopped,
/// every request it received.
#[test]
#[ignore = "a helper process, run by another test"]
fn trap_helper_for_another_user() {
    if std::env::var_os("LOCKGATE_TEST_TRAP").is_none() {
        return;
    }
    let trap = Trap::bind("127.0.0.1:0");
    println!("TRAP {}", trap.addr);
    for request in trap.thread.join().unwrap() {
        println!("GOT {}", serde_json::to_string(&request).unwrap());
    }
}

/// A listener of another user's process, named with its real pid: the
/// process must be the user's own (root only: it needs another user).
#[test]
fn a_planted_server_json_naming_another_users_listener_gets_no_request() {
    // SAFETY: geteuid(2) cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: a listener of another user needs setuid; skipped");
        return;
    }
    use std::os::unix::process::CommandExt;
    let spawned = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "trap_helper_for_another_user",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LOCKGATE_TEST_TRAP", "1")
        .uid(65534)
        .gid(65534)
        .current_dir("/")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn();
    let child = match spawned {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot run this test binary as user 65534 ({e}); skipped");
            return;
        }
    };
    struct Reap(Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Reap(child);
    let pid = child.0.id();
    // Lines through a channel, so that a helper that never answers fails
    // the test instead of hanging it.
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // libtest prints `test NAME ... ` first, on the same line.
    let addr: SocketAddr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the helper printed no address");
        if let Some((_, a)) = line.split_once("TRAP ") {
            break a.trim().parse().unwrap();
        }
    };

    let scene = Scene::new();
    scene.refused(
        &json!({"url": format!("http://{addr}"), "token_file": scene.real_token, "pid": pid}),
        &format!("process {pid}, which it names, belongs to user 65534"),
    );
    stop_trap(addr);
    // It ends once it has printed what it received.
    assert!(child.0.wait().unwrap().success());
    reader.join().unwrap();
    let got: Vec<String> = rx
        .try_iter()
        .filter_map(|l| l.split_once("GOT ").map(|(_, r)| r.to_string()))
        .collect();
    assert!(got.is_empty(), "another user's listener received: {got:?}");
}
