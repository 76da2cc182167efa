//! Finding the server: flags, environment, the nearest
//! `.lockgate/server.json` upward from the current directory, the per-user
//! data directory — and trusting only a `server.json` the user owns, named
//! by the server that wrote it.

use super::*;

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

/// Why the server at `url` is not the process `pid` that wrote the
/// `server.json` naming it, if it is not (a stale file whose port another
/// program took): the token goes only to the server that wrote the file.
/// Checked for loopback URLs, through `/proc`; `None` when it holds.
fn not_its_writer(url: &str, pid: u32) -> Option<String> {
    let host_port = url.strip_prefix("http://")?.split('/').next()?;
    let addr: std::net::SocketAddr = host_port.replace("localhost:", "127.0.0.1:").parse().ok()?;
    if !addr.ip().is_loopback() || !Path::new("/proc/net/tcp").exists() {
        return None;
    }
    let held = lockgate_cloud::peer::listening_inode(addr)
        .is_some_and(|inode| lockgate_cloud::peer::held_by(&[pid], inode));
    (!held).then(|| format!("{url} is not served by process {pid}, which wrote it"))
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

/// Finds the server: flags, then `LOCKGATE_SERVER` (+ `LOCKGATE_TOKEN` or
/// `LOCKGATE_TOKEN_FILE`), then the nearest `.lockgate/server.json` in `cwd`
/// or an ancestor, then the per-user data directory's `server.json`.
pub fn discover(args: &ConnectArgs, cwd: &Path) -> Result<Endpoint, ClientError> {
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
    let mut candidates: Vec<PathBuf> = cwd
        .ancestors()
        .map(|d| d.join(".lockgate/server.json"))
        .collect();
    candidates.push(default_data_dir().join("server.json"));
    for path in candidates {
        if !path.is_file() {
            continue;
        }
        if let Some(why) = distrust(&path) {
            eprintln!("warning: ignoring {}: {why}", path.display());
            continue;
        }
        let (url, token_file, pid) = read_server_json(&path)?;
        if let Some(why) = pid.and_then(|pid| not_its_writer(&url, pid)) {
            eprintln!(
                "warning: ignoring {}: {why}; the admin token is sent only to the server that wrote it",
                path.display()
            );
            continue;
        }
        let token = match (explicit_token.clone(), token_file) {
            (Some(t), _) => Some(t),
            (None, Some(f)) => Some(read_token_file(&f)?),
            (None, None) => None,
        };
        return Ok(Endpoint {
            url,
            token,
            source: path.display().to_string(),
        });
    }
    Err(ClientError::Unreachable(format!(
        "no Lockgate server found (looked for --server, LOCKGATE_SERVER, .lockgate/server.json in {} and its parents, and {}); {HOW_TO_START}",
        cwd.display(),
        default_data_dir().join("server.json").display()
    )))
}
