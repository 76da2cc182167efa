//! Finding the server: flags, environment, the nearest
//! `.lockgate/server.json` upward from the current directory, the per-user
//! data directory — and trusting only a `server.json` the user owns, named
//! by the server that wrote it: one found by walking up is used only when
//! the running process it names is the user's and serves its loopback URL,
//! and its token only from the file beside it.

use super::*;
use std::net::SocketAddr;

/// Where the server is and how to authenticate to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    /// The bearer token, when one was found.
    pub token: Option<String>,
    /// Where the endpoint came from, for messages.
    pub source: String,
}

/// Connection options as given on the command line.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ConnectArgs {
    /// The server's URL (default: $LOCKGATE_SERVER, then the nearest
    /// `.lockgate/server.json`, then the per-user data directory's server.json).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The API token (default: $LOCKGATE_TOKEN, $LOCKGATE_TOKEN_FILE, or the
    /// token file named by the server.json that was found).
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

/// How to start a server, appended to "no server" errors.
pub const HOW_TO_START: &str = "start one with `lockgate server` (or `lockgate up` in your app's directory), \
or point at one with --server URL / LOCKGATE_SERVER";

/// Why a found `server.json` must not be used, if it must not: it and its
/// directory must belong to the user running the CLI and be writable by
/// no one else. A file another user planted in a shared parent directory
/// would otherwise receive this user's admin token at the planter's URL.
fn distrust(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    let dir = path.parent().unwrap_or(Path::new("."));
    for p in [path, dir] {
        let Ok(m) = std::fs::metadata(p) else {
            return Some(format!("cannot read {}", p.display()));
        };
        if m.uid() != me {
            return Some(format!(
                "{} belongs to user {}, not to you (user {me})",
                p.display(),
                m.uid()
            ));
        }
        if m.mode() & 0o022 != 0 {
            return Some(format!(
                "{} is writable by other users (mode {:o})",
                p.display(),
                m.mode() & 0o7777
            ));
        }
    }
    None
}

/// The address of `url` when it is `http://IP:PORT` on a loopback IP, as a
/// server writes the URL of its API (`http://127.0.0.1:PORT`,
/// `http://[::1]:PORT`): no host name, no path, no other scheme.
fn loopback_addr(url: &str) -> Option<SocketAddr> {
    let addr: SocketAddr = url.strip_prefix("http://")?.parse().ok()?;
    (addr.ip().is_loopback() && addr.port() != 0).then_some(addr)
}

/// Why the process `pid` is not serving `addr`, if it is not: a socket
/// listening there must exist and every such socket must be the
/// process's (a stale `server.json` whose port another program took, or
/// one naming a process that merely exists, fails). Read from `/proc`.
fn not_serving(addr: SocketAddr, pid: u32) -> Option<String> {
    let Some(inodes) = lockgate_cloud::peer::listening_inodes(addr) else {
        return Some(format!(
            "cannot tell which process serves {addr} (/proc/net/tcp is unreadable)"
        ));
    };
    let held = !inodes.is_empty()
        && inodes
            .iter()
            .all(|&inode| lockgate_cloud::peer::held_by(&[pid], inode));
    (!held).then(|| format!("http://{addr} is not served by process {pid}, which wrote it"))
}

/// The user IDs (real, effective, saved, file system) of process `pid`,
/// from `/proc/PID/status`; `None` when it is not running.
fn process_uids(pid: u32) -> Option<Vec<u32>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().map(|u| u.parse().ok()).collect()
}

/// For the `server.json` of the per-user data directory: why the server at
/// `url` is not the process `pid` that wrote the file naming it, if it is
/// not (a stale file whose port another program took). Checked for
/// loopback URLs only: that file is the user's own configuration, which may
/// name any server.
fn not_its_writer(url: &str, pid: u32) -> Option<String> {
    let host_port = url.strip_prefix("http://")?.split('/').next()?;
    let addr: SocketAddr = host_port.replace("localhost:", "127.0.0.1:").parse().ok()?;
    if !addr.ip().is_loopback() {
        return None;
    }
    not_serving(addr, pid)
}

/// For a `server.json` found by walking up from the current directory
/// (which anyone can ship: a cloned repository carries its files, owned by
/// the user who cloned it): the process that wrote it, proven, or why it
/// cannot be. It must name its writer (`pid`), a URL the way a server
/// writes it (`http://` on a loopback IP and a port), and that process
/// must be the user's and be the one listening there.
fn proven_writer(url: &str, pid: Option<u32>) -> Result<u32, String> {
    let Some(pid) = pid else {
        return Err(format!(
            "it names no server process (\"pid\"), so nothing shows that a server of yours wrote it for {url}"
        ));
    };
    let Some(addr) = loopback_addr(url) else {
        return Err(format!(
            "its URL {url} is not http://IP:PORT on a loopback IP, the way a server writes it"
        ));
    };
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    match process_uids(pid) {
        None if !Path::new("/proc/self/status").exists() => {
            return Err("cannot tell which process it names (/proc is not mounted)".into());
        }
        None => return Err(format!("process {pid}, which it names, is not running")),
        Some(uids) if uids.is_empty() || uids.iter().any(|&u| u != me) => {
            let owner = uids.get(1).copied().unwrap_or(u32::MAX);
            return Err(format!(
                "process {pid}, which it names, belongs to user {owner}, not to you (user {me})"
            ));
        }
        Some(_) => {}
    }
    not_serving(addr, pid).map_or(Ok(pid), Err)
}

/// `path` with its directory resolved (symbolic links, `..`), its last
/// component kept as it is; `None` when the directory does not exist.
fn resolved(path: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(path.parent()?).ok()?;
    Some(dir.join(path.file_name()?))
}

/// Reads the token of a `server.json` found by walking up, proven to be
/// written by the server at `url`, process `pid` (see [`proven_writer`]):
/// `Err(why)` when it must not be sent. A server writes its admin token
/// into its private data directory, mode 0600 (it refuses to start with
/// one open to others), beside the `server.json` naming it (`lockgate up`:
/// the app's `.lockgate/`). A `token_file` anywhere else — the user's real
/// `admin.token` named by a planted file, a link to it — would send one
/// server's token to another, so the file must be beside the `server.json`
/// (where it really is, links resolved), or be the one named by the
/// `server.json` in its own directory that names this very process and
/// URL (the data directory of the server at `pid`, for a `server.json`
/// written by hand); and it must be a regular file (not a link), the
/// user's, and readable and writable by no one else.
fn read_own_token(
    server_json: &Path,
    url: &str,
    pid: u32,
    token_file: &Path,
) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let shown = token_file.display();
    let Some(wanted) = resolved(token_file) else {
        return Err(format!(
            "cannot read its token file {shown}: no such directory"
        ));
    };
    let home = std::fs::canonicalize(server_json)
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf));
    let dir = wanted.parent().unwrap_or(Path::new("/"));
    if home.as_deref() != Some(dir) {
        let own = dir.join("server.json");
        let names_it = distrust(&own).is_none()
            && read_server_json(&own).is_ok_and(|(u, tf, p)| {
                u == url
                    && p == Some(pid)
                    && tf.and_then(|tf| resolved(&tf)) == Some(wanted.clone())
            });
        if !names_it {
            return Err(format!(
                "its token file {shown} is neither beside it nor in the data directory of process \
                 {pid} (where a server.json of yours would name that process, {url} and that token file)"
            ));
        }
    }
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        // Not through a link, and not waiting on a FIFO.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&wanted)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => format!("its token file {shown} is a symbolic link"),
            _ => format!("cannot read its token file {shown}: {e}"),
        })?;
    let m = file
        .metadata()
        .map_err(|e| format!("cannot read its token file {shown}: {e}"))?;
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    let me = unsafe { libc::geteuid() };
    if !m.is_file() {
        return Err(format!("its token file {shown} is not a regular file"));
    }
    if m.uid() != me {
        return Err(format!(
            "its token file {shown} belongs to user {}, not to you (user {me})",
            m.uid()
        ));
    }
    if m.mode() & 0o077 != 0 {
        return Err(format!(
            "its token file {shown} is open to other users (mode {:o}; a server writes it 0600)",
            m.mode() & 0o7777
        ));
    }
    let mut text = String::new();
    file.read_to_string(&mut text)
        .map_err(|e| format!("cannot read its token file {shown}: {e}"))?;
    Ok(text.trim().to_string())
}

/// Reads `server.json`: `(url, token file, pid of the server)`.
fn read_server_json(path: &Path) -> Result<(String, Option<PathBuf>, Option<u32>), ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError::Unreachable(format!("cannot read {}: {e}", path.display())))?;
    let info: ServerInfo = serde_json::from_str(&text).map_err(|e| {
        ClientError::Unreachable(format!(
            "{} is not a server.json ({{\"url\": …, \"token_file\": …}}): {e}",
            path.display()
        ))
    })?;
    let url = info.url.trim_end_matches('/').to_string();
    let token_file = info.token_file.map(|t| {
        let p = PathBuf::from(t);
        if p.is_relative() {
            path.parent().unwrap_or(Path::new(".")).join(p)
        } else {
            p
        }
    });
    Ok((url, token_file, info.pid))
}

fn read_token_file(path: &Path) -> Result<String, ClientError> {
    std::fs::read_to_string(path)
        .map(|t| t.trim().to_string())
        .map_err(|e| {
            ClientError::Usage(format!(
                "cannot read the token file {}: {e}",
                path.display()
            ))
        })
}

/// For a token given by flag or environment and a `server.json` found by
/// walking up, whose writer `pid` is proven to listen at `url`: why `url`
/// is not shown to be that server's API, if it is not. The process listens
/// on more than its API — every stage's gateway, which passes requests,
/// headers and all, to function code — so its listening there is not
/// enough: the URL must be the one the server wrote into its data
/// directory's `server.json`. It is when the file's own token would be
/// sent there (its `token_file` passes every check of [`read_own_token`]:
/// beside it, or in a data directory whose own `server.json` names this
/// process and URL), or when the per-user data directory's `server.json`
/// names this process and URL.
fn not_its_api(
    server_json: &Path,
    url: &str,
    pid: u32,
    token_file: Option<&Path>,
    data_dir: &Path,
) -> Option<String> {
    let own = data_dir.join("server.json");
    let named_by_data_dir = || {
        distrust(&own).is_none()
            && read_server_json(&own).is_ok_and(|(u, _, p)| u == url && p == Some(pid))
    };
    let why = match token_file.map(|f| read_own_token(server_json, url, pid, f)) {
        Some(Ok(_)) => return None,
        _ if named_by_data_dir() => return None,
        Some(Err(why)) => format!("{why}, "),
        None => "it names no token file, ".to_string(),
    };
    Some(format!(
        "{why}so nothing shows that {url} is the API of process {pid} and not, say, a stage's \
         gateway: a token given by --token, LOCKGATE_TOKEN or LOCKGATE_TOKEN_FILE goes only to \
         the URL a server wrote into its data directory's server.json"
    ))
}

/// What becomes of one `server.json`: used, or ignored for a reason.
#[derive(Debug)]
enum Verdict {
    Use(Endpoint),
    Ignore(String),
}

/// Judges the `server.json` at `path` (which exists): `walked_up` when it
/// was found by walking up (anyone's file: its writer proven, its token its
/// own, see [`proven_writer`], [`read_own_token`] and [`not_its_api`]),
/// else it is the per-user data directory's (the user's own configuration).
/// `explicit_token` is one given by flag or environment.
fn judge(
    path: &Path,
    walked_up: bool,
    explicit_token: Option<&str>,
    data_dir: &Path,
) -> Result<Verdict, ClientError> {
    if let Some(why) = distrust(path) {
        return Ok(Verdict::Ignore(why));
    }
    let (url, token_file, pid) = match read_server_json(path) {
        Ok(info) => info,
        // Anyone's file: unreadable, it is as if it were not there.
        Err(e) if walked_up => return Ok(Verdict::Ignore(e.to_string())),
        Err(e) => return Err(e),
    };
    let token = if walked_up {
        let pid = match proven_writer(&url, pid) {
            Ok(pid) => pid,
            Err(why) => return Ok(Verdict::Ignore(why)),
        };
        match (explicit_token, token_file) {
            (Some(t), f) => match not_its_api(path, &url, pid, f.as_deref(), data_dir) {
                None => Some(t.to_string()),
                Some(why) => return Ok(Verdict::Ignore(why)),
            },
            (None, Some(f)) => match read_own_token(path, &url, pid, &f) {
                Ok(t) => Some(t),
                Err(why) => return Ok(Verdict::Ignore(why)),
            },
            (None, None) => None,
        }
    } else {
        if let Some(why) = pid.and_then(|pid| not_its_writer(&url, pid)) {
            return Ok(Verdict::Ignore(why));
        }
        match (explicit_token, token_file) {
            (Some(t), _) => Some(t.to_string()),
            (None, Some(f)) => Some(read_token_file(&f)?),
            (None, None) => None,
        }
    };
    Ok(Verdict::Use(Endpoint {
        url,
        token,
        source: path.display().to_string(),
    }))
}

/// Finds the server: flags, then `LOCKGATE_SERVER` (+ `LOCKGATE_TOKEN` or
/// `LOCKGATE_TOKEN_FILE`), then the nearest `.lockgate/server.json` in `cwd`
/// or an ancestor that is proven to come from the running server it names
/// (see [`proven_writer`] and [`read_own_token`]; a token given by flag or
/// environment goes to its URL only when that is the server's API, see
/// [`not_its_api`]), then the per-user data directory's `server.json`. A
/// file that fails a check is skipped with a warning on stderr, and its
/// URL is never sent anything.
pub fn discover(args: &ConnectArgs, cwd: &Path) -> Result<Endpoint, ClientError> {
    discover_with(args, cwd, &default_data_dir())
}

/// [`discover`] with the per-user data directory given.
fn discover_with(args: &ConnectArgs, cwd: &Path, data_dir: &Path) -> Result<Endpoint, ClientError> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let env_token = || -> Result<Option<String>, ClientError> {
        if let Some(t) = env("LOCKGATE_TOKEN") {
            return Ok(Some(t));
        }
        match env("LOCKGATE_TOKEN_FILE") {
            Some(f) => read_token_file(Path::new(&f)).map(Some),
            None => Ok(None),
        }
    };
    let explicit_token = match &args.token {
        Some(t) => Some(t.clone()),
        None => env_token()?,
    };
    if let Some(url) = &args.server {
        return Ok(Endpoint {
            url: url.trim_end_matches('/').to_string(),
            token: explicit_token,
            source: "--server".into(),
        });
    }
    if let Some(url) = env("LOCKGATE_SERVER") {
        return Ok(Endpoint {
            url: url.trim_end_matches('/').to_string(),
            token: explicit_token,
            source: "LOCKGATE_SERVER".into(),
        });
    }
    // Found by walking up (anyone's files, proven before use), then the
    // per-user data directory's (the user's own configuration).
    let mut candidates: Vec<(PathBuf, bool)> = cwd
        .ancestors()
        .map(|d| (d.join(".lockgate/server.json"), true))
        .collect();
    candidates.push((data_dir.join("server.json"), false));
    for (path, walked_up) in candidates {
        if !path.is_file() {
            continue;
        }
        match judge(&path, walked_up, explicit_token.as_deref(), data_dir)? {
            Verdict::Use(endpoint) => return Ok(endpoint),
            Verdict::Ignore(why) => eprintln!(
                "warning: ignoring {}: {why}; the admin token is sent only to the server that wrote it \
                 (name a server on purpose with --server URL or LOCKGATE_SERVER)",
                path.display()
            ),
        }
    }
    Err(ClientError::Unreachable(format!(
        "no Lockgate server found (looked for --server, LOCKGATE_SERVER, .lockgate/server.json in {} and its parents, and {}); {HOW_TO_START}",
        cwd.display(),
        data_dir.join("server.json").display()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn no_env() -> bool {
        ["LOCKGATE_SERVER", "LOCKGATE_TOKEN", "LOCKGATE_TOKEN_FILE"]
            .iter()
            .all(|k| std::env::var_os(k).is_none())
    }

    fn write_private(path: &Path, text: &str) {
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    #[test]
    fn only_http_on_a_loopback_ip_and_port_is_a_url_a_server_writes() {
        let at = |s: &str| s.parse::<SocketAddr>().unwrap();
        assert_eq!(
            loopback_addr("http://127.0.0.1:4610"),
            Some(at("127.0.0.1:4610"))
        );
        assert_eq!(loopback_addr("http://127.3.4.5:1"), Some(at("127.3.4.5:1")));
        assert_eq!(loopback_addr("http://[::1]:4610"), Some(at("[::1]:4610")));
        for refused in [
            "https://127.0.0.1:4610",
            "http://localhost:4610",
            "http://example.com:4610",
            "http://0.0.0.0:4610",
            "http://[::]:4610",
            "http://10.0.0.1:4610",
            "http://127.0.0.1",
            "http://127.0.0.1:0",
            "http://127.0.0.1:4610/v1",
            "http://user@127.0.0.1:4610",
            "HTTP://127.0.0.1:4610",
        ] {
            assert_eq!(loopback_addr(refused), None, "{refused}");
        }
    }

    #[test]
    fn the_listening_process_is_told_apart_from_any_other() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        assert_eq!(
            proven_writer(&url, Some(std::process::id())),
            Ok(std::process::id())
        );
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let why = proven_writer(&url, Some(child.id())).unwrap_err();
        assert!(why.contains("is not served by process"), "{why}");
        child.kill().unwrap();
        child.wait().unwrap();
        // Reaped: no such process (unless its number was taken again at once).
        let why = proven_writer(&url, Some(child.id())).unwrap_err();
        assert!(
            why.contains("is not running") || why.contains("is not served by"),
            "{why}"
        );
        let why = proven_writer(&url, None).unwrap_err();
        assert!(why.contains("names no server process"), "{why}");
        let why = proven_writer(
            &url.replace("127.0.0.1", "localhost"),
            Some(std::process::id()),
        );
        assert!(
            why.unwrap_err()
                .contains("not http://IP:PORT on a loopback IP")
        );

        // IPv6 loopback, where the host has it.
        if let Ok(v6) = std::net::TcpListener::bind("[::1]:0") {
            let url = format!("http://{}", v6.local_addr().unwrap());
            assert_eq!(
                proven_writer(&url, Some(std::process::id())),
                Ok(std::process::id())
            );
            drop(v6);
            let why = proven_writer(&url, Some(std::process::id())).unwrap_err();
            assert!(why.contains("is not served by process"), "{why}");
        }
    }

    /// Every check of a walked-up `server.json` against the same file that
    /// passes them all; the data directory's `server.json` (the user's own
    /// configuration) keeps naming any server.
    #[test]
    fn a_walked_up_server_json_is_used_only_with_its_writer_and_its_own_token() {
        if !no_env() {
            return;
        }
        let app = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let lg = app.path().join(".lockgate");
        std::fs::create_dir_all(&lg).unwrap();
        let beside = lg.join("admin.token");
        write_private(&beside, "beside\n");
        let other = elsewhere.path().join("admin.token");
        write_private(&other, "users-real-token\n");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let me = std::process::id();
        let found = |info: Value| {
            write_private(&lg.join("server.json"), &info.to_string());
            discover_with(&ConnectArgs::default(), app.path(), data.path())
        };
        let judged = |info: Value, token: Option<&str>| {
            write_private(&lg.join("server.json"), &info.to_string());
            judge(&lg.join("server.json"), true, token, data.path()).unwrap()
        };

        let e = found(json!({"url": url, "token_file": beside, "pid": me})).unwrap();
        assert_eq!(
            (e.url.as_str(), e.token.as_deref()),
            (url.as_str(), Some("beside"))
        );
        // Relative to the server.json, as the field says.
        let e = found(json!({"url": url, "token_file": "admin.token", "pid": me})).unwrap();
        assert_eq!(e.token.as_deref(), Some("beside"));

        // The user's real token, named by a path relative to the
        // server.json: a real folder and a real file (0600, the user's), so
        // that it is refused for where it is alone.
        let relative = format!(
            "../../{}/admin.token",
            elsewhere.path().file_name().unwrap().to_string_lossy()
        );
        assert!(lg.join(&relative).is_file(), "{relative}");
        let elsewhere_why = "is neither beside it nor in the data directory of process";
        let refused = [
            (
                json!({"url": url, "token_file": beside}),
                "it names no server process (\"pid\")".to_string(),
            ),
            (
                json!({"url": url.replace("127.0.0.1", "localhost"), "token_file": beside, "pid": me}),
                "is not http://IP:PORT on a loopback IP".into(),
            ),
            (
                json!({"url": url.replace("http:", "https:"), "token_file": beside, "pid": me}),
                "is not http://IP:PORT on a loopback IP".into(),
            ),
            (
                json!({"url": url, "token_file": other, "pid": me}),
                format!("its token file {} {elsewhere_why} {me}", other.display()),
            ),
            (
                json!({"url": url, "token_file": relative, "pid": me}),
                format!(
                    "its token file {} {elsewhere_why} {me}",
                    lg.join(&relative).display()
                ),
            ),
        ];
        for (info, why) in refused {
            match judged(info.clone(), None) {
                Verdict::Ignore(got) => assert!(got.contains(&why), "{info}: {got}"),
                used => panic!("{info}: {used:?}"),
            }
            let e = found(info.clone()).unwrap_err();
            assert!(
                e.to_string().contains("no Lockgate server found"),
                "{info}: {e}"
            );
        }
        // A link beside it to the user's real token; a token open to others.
        let link = lg.join("link.token");
        std::os::unix::fs::symlink(&other, &link).unwrap();
        assert!(found(json!({"url": url, "token_file": link, "pid": me})).is_err());
        std::fs::set_permissions(&beside, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(found(json!({"url": url, "token_file": beside, "pid": me})).is_err());
        assert_eq!(
            read_own_token(&lg.join("server.json"), &url, me, &beside).unwrap_err(),
            format!(
                "its token file {} is open to other users (mode 640; a server writes it 0600)",
                beside.display()
            )
        );
        assert!(
            read_own_token(&lg.join("server.json"), &url, me, &link)
                .unwrap_err()
                .contains("is a symbolic link")
        );
        // A token in another directory: only the data directory of the
        // server at that pid, whose own server.json names it, that URL and
        // that token file.
        let own = elsewhere.path().join("server.json");
        let naming = |info: Value| {
            write_private(&own, &info.to_string());
            found(json!({"url": url, "token_file": other, "pid": me}))
        };
        let e = naming(json!({"url": url, "token_file": other, "pid": me})).unwrap();
        assert_eq!(e.token.as_deref(), Some("users-real-token"));
        // By its relative path too: refused above for its location alone.
        let e = found(json!({"url": url, "token_file": relative, "pid": me})).unwrap();
        assert_eq!(e.token.as_deref(), Some("users-real-token"));
        for mismatch in [
            json!({"url": url, "token_file": other, "pid": me + 1}),
            json!({"url": url, "token_file": other}),
            json!({"url": "http://127.0.0.1:1", "token_file": other, "pid": me}),
            json!({"url": url, "token_file": beside, "pid": me}),
        ] {
            assert!(naming(mismatch.clone()).is_err(), "{mismatch}");
        }
        std::fs::remove_file(&own).unwrap();

        // An explicit token goes to a proven server whose own token would.
        std::fs::set_permissions(&beside, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_private(
            &lg.join("server.json"),
            &json!({"url": url, "token_file": beside, "pid": me}).to_string(),
        );
        let e = discover_with(
            &ConnectArgs {
                server: None,
                token: Some("mine".into()),
            },
            app.path(),
            data.path(),
        )
        .unwrap();
        assert_eq!(
            (e.url.as_str(), e.token.as_deref()),
            (url.as_str(), Some("mine"))
        );

        // The data directory's server.json, written by the user's own
        // `lockgate server`, may name a non-loopback URL and a token anywhere.
        std::fs::remove_file(lg.join("server.json")).unwrap();
        write_private(
            &data.path().join("server.json"),
            &json!({"url": "http://192.0.2.7:4610", "token_file": other}).to_string(),
        );
        let e = discover_with(&ConnectArgs::default(), app.path(), data.path()).unwrap();
        assert_eq!(e.url, "http://192.0.2.7:4610");
        assert_eq!(e.token.as_deref(), Some("users-real-token"));
    }

    /// A token given by flag or environment goes to a walked-up URL only
    /// when that URL is the API its server wrote into its data directory's
    /// server.json, not to any other port the process listens on (a stage's
    /// gateway, here a second listener of this process).
    #[test]
    fn an_explicit_token_goes_only_to_the_url_its_server_wrote_for_its_api() {
        if !no_env() {
            return;
        }
        let app = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let lg = app.path().join(".lockgate");
        std::fs::create_dir_all(&lg).unwrap();
        let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gateway = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let api = format!("http://{}", api.local_addr().unwrap());
        let gateway = format!("http://{}", gateway.local_addr().unwrap());
        let me = std::process::id();
        let admin = data.path().join("admin.token");
        write_private(&admin, "users-real-token\n");
        let args = ConnectArgs {
            server: None,
            token: Some("mine".into()),
        };
        let judged = |info: Value| {
            write_private(&lg.join("server.json"), &info.to_string());
            judge(&lg.join("server.json"), true, Some("mine"), data.path()).unwrap()
        };
        let ignored = |info: Value, why: &str| match judged(info.clone()) {
            Verdict::Ignore(got) => assert!(
                got.contains(why)
                    && got.contains(&format!(
                        "nothing shows that {gateway} is the API of process {me}"
                    )),
                "{info}: {got}"
            ),
            used => panic!("{info}: {used:?}"),
        };
        let used = |info: Value, url: &str| match judged(info.clone()) {
            Verdict::Use(e) => assert_eq!(
                (e.url.as_str(), e.token.as_deref()),
                (url, Some("mine")),
                "{info}"
            ),
            ignored => panic!("{info}: {ignored:?}"),
        };

        // Nothing names the gateway's URL as the API: no token goes there.
        ignored(json!({"url": gateway, "pid": me}), "it names no token file");
        let e = discover_with(&args, app.path(), data.path()).unwrap_err();
        assert!(e.to_string().contains("no Lockgate server found"), "{e}");

        // The server's data directory names its API.
        write_private(
            &data.path().join("server.json"),
            &json!({"url": api, "token_file": admin, "pid": me}).to_string(),
        );
        ignored(json!({"url": gateway, "pid": me}), "it names no token file");
        ignored(
            json!({"url": gateway, "token_file": admin, "pid": me}),
            "is neither beside it nor in the data directory of process",
        );
        // Skipped, the data directory's server.json is used: its API.
        write_private(
            &lg.join("server.json"),
            &json!({"url": gateway, "pid": me}).to_string(),
        );
        let e = discover_with(&args, app.path(), data.path()).unwrap();
        assert_eq!(
            (e.url.as_str(), e.token.as_deref(), e.source),
            (
                api.as_str(),
                Some("mine"),
                data.path().join("server.json").display().to_string()
            )
        );
        // The API's URL itself, with or without a token file.
        used(json!({"url": api, "pid": me}), &api);
        used(json!({"url": api, "token_file": admin, "pid": me}), &api);
        // The data directory naming another process does not vouch for it.
        write_private(
            &data.path().join("server.json"),
            &json!({"url": api, "token_file": admin, "pid": me + 1}).to_string(),
        );
        match judged(json!({"url": api, "pid": me})) {
            Verdict::Ignore(got) => assert!(got.contains("it names no token file"), "{got}"),
            used => panic!("{used:?}"),
        }
        // A token file of its own beside it: the file's own token would be
        // sent to that URL, so the explicit one is too.
        write_private(&lg.join("admin.token"), "beside\n");
        used(
            json!({"url": api, "token_file": "admin.token", "pid": me}),
            &api,
        );
    }
}
