//! Confinement of build steps.
//!
//! Every step runs with a clean environment ([`base_env`]): its own `HOME`
//! and `TMPDIR`, the caller's `PATH`, and only the toolchain, trust and
//! proxy settings listed in [`PASSED_ENV`]. Where bubblewrap (`bwrap`) runs,
//! the step also runs in a sandbox ([`Sandbox::command`]):
//!
//! - the system directories (`/usr`, `/bin`, `/lib*`, `/etc`, `/opt`) and
//!   the toolchains on `PATH` (plus `PYENV_ROOT` and `RUSTUP_HOME`) are
//!   visible read-only;
//! - the step's workspace, home and temporary directory are the only
//!   writable places (`/tmp` is the step's own temporary directory);
//! - nothing else exists: not the source tree it was copied from, not the
//!   other builds, not the caches, not a server's data directory (paths
//!   given in [`Jail::deny`] are hidden even under a visible directory);
//! - no network unless the step asks for it ([`Jail::network`]), new PID,
//!   IPC and UTS namespaces, and it dies with its parent.
//!
//! Without bubblewrap a step still runs, with the clean environment only,
//! and [`Sandbox::note`] says it is unsandboxed.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::error::BuildError;

/// Whether to sandbox build steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    /// Sandbox with bubblewrap when it runs here; else run unsandboxed and say so.
    #[default]
    Auto,
    /// Refuse to build without the sandbox.
    Required,
    /// Never sandbox (a clean environment only).
    Off,
}

impl SandboxMode {
    /// The mode named by `LOCKGATE_SANDBOX` (`auto`, `required`, `off`), if set and valid.
    pub fn from_env() -> Option<SandboxMode> {
        match std::env::var(ENV_SANDBOX).ok()?.as_str() {
            "auto" => Some(SandboxMode::Auto),
            "required" => Some(SandboxMode::Required),
            "off" => Some(SandboxMode::Off),
            _ => None,
        }
    }
}

/// Environment variable choosing the sandbox mode (`auto`, `required`, `off`).
pub const ENV_SANDBOX: &str = "LOCKGATE_SANDBOX";

/// Variables passed from Lockgate's environment into every build step, when
/// set: where the toolchains are, which certificates to trust, which proxy
/// to use. Nothing else of the caller's environment reaches a build.
pub const PASSED_ENV: &[&str] = &[
    "PATH",
    "PYENV_ROOT",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "PIP_CERT",
    "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
];

/// System directories visible (read-only) inside the sandbox.
const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
];

/// The sandbox of this machine: bubblewrap if it runs, else none.
#[derive(Debug, Clone)]
pub struct Sandbox {
    bwrap: Option<PathBuf>,
    note: Option<String>,
}

/// One step's confinement.
#[derive(Debug, Clone, Default)]
pub struct Jail {
    /// The working copy (writable).
    pub workspace: PathBuf,
    /// The step's `HOME` (writable).
    pub home: PathBuf,
    /// The step's `TMPDIR`, also seen as `/tmp` (writable).
    pub tmp: PathBuf,
    /// More writable directories.
    pub writable: Vec<PathBuf>,
    /// More read-only directories (an interpreter's prefix).
    pub readable: Vec<PathBuf>,
    /// Directories that must not be visible even under a read-only one
    /// (the build cache, a server's data directory).
    pub deny: Vec<PathBuf>,
    /// Whether the step may use the network.
    pub network: bool,
}

static PROBE: OnceLock<Result<PathBuf, String>> = OnceLock::new();

fn probe() -> Result<PathBuf, String> {
    let Some(bwrap) = find_on_path("bwrap") else {
        return Err("bubblewrap (`bwrap`) is not installed (Debian package `bubblewrap`)".into());
    };
    let out = Command::new(&bwrap)
        .args([
            "--ro-bind",
            "/",
            "/",
            "--unshare-all",
            "--die-with-parent",
            "true",
        ])
        .env_clear()
        .output();
    match out {
        Ok(o) if o.status.success() => Ok(bwrap),
        Ok(o) => Err(format!(
            "`bwrap` cannot create a sandbox here: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => Err(format!("`bwrap` cannot run: {e}")),
    }
}

impl Sandbox {
    /// The sandbox for `mode`: bubblewrap when asked for and working here.
    pub fn detect(mode: SandboxMode) -> Result<Sandbox, BuildError> {
        if mode == SandboxMode::Off {
            return Ok(Sandbox {
                bwrap: None,
                note: Some("unsandboxed: the sandbox is turned off".into()),
            });
        }
        match PROBE.get_or_init(probe) {
            Ok(b) => Ok(Sandbox {
                bwrap: Some(b.clone()),
                note: None,
            }),
            Err(why) if mode == SandboxMode::Required => {
                Err(BuildError::SandboxUnavailable(why.clone()))
            }
            Err(why) => Ok(Sandbox {
                bwrap: None,
                note: Some(format!("unsandboxed: {why}")),
            }),
        }
    }

    /// Whether steps run in a sandbox.
    pub fn is_sandboxed(&self) -> bool {
        self.bwrap.is_some()
    }

    /// Why steps run unsandboxed, when they do.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// A command running `program args…` in `cwd` confined by `jail`, with
    /// exactly the environment `env` (see [`base_env`]).
    pub fn command(
        &self,
        jail: &Jail,
        program: &str,
        args: &[OsString],
        env: &BTreeMap<String, String>,
        cwd: &Path,
    ) -> Command {
        let mut cmd = match &self.bwrap {
            None => {
                let mut c = Command::new(program);
                c.args(args).current_dir(cwd);
                c
            }
            Some(bwrap) => {
                let mut c = Command::new(bwrap);
                c.args(bwrap_args(jail, env, cwd));
                c.arg("--").arg(program).args(args);
                c
            }
        };
        cmd.env_clear().envs(env);
        cmd
    }
}

fn is_under(path: &Path, dir: &Path) -> bool {
    path.starts_with(dir)
}

fn bwrap_args(jail: &Jail, env: &BTreeMap<String, String>, cwd: &Path) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&std::ffi::OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    push(&[
        "--die-with-parent".as_ref(),
        "--new-session".as_ref(),
        "--unshare-all".as_ref(),
    ]);
    if jail.network {
        push(&["--share-net".as_ref()]);
    }
    let mut readable: Vec<PathBuf> = Vec::new();
    for dir in SYSTEM_DIRS {
        let p = Path::new(dir);
        match std::fs::symlink_metadata(p) {
            Ok(m) if m.file_type().is_symlink() => {
                if let Ok(target) = std::fs::read_link(p) {
                    push(&["--symlink".as_ref(), target.as_os_str(), p.as_os_str()]);
                }
            }
            Ok(_) => readable.push(p.to_path_buf()),
            Err(_) => {}
        }
    }
    // Toolchains: PATH entries outside the system directories, and the
    // version managers' roots they need.
    if let Some(path) = env.get("PATH") {
        for entry in std::env::split_paths(path) {
            if entry.is_absolute() && !SYSTEM_DIRS.iter().any(|d| is_under(&entry, Path::new(d))) {
                readable.push(entry);
            }
        }
    }
    for var in ["PYENV_ROOT", "RUSTUP_HOME"] {
        if let Some(v) = env.get(var) {
            readable.push(PathBuf::from(v));
        }
    }
    readable.extend(jail.readable.iter().cloned());
    let writable: Vec<&PathBuf> = [&jail.workspace, &jail.home, &jail.tmp]
        .into_iter()
        .chain(jail.writable.iter())
        .filter(|p| !p.as_os_str().is_empty())
        .collect();
    // Mounts go shallowest first, so a denied directory inside a visible
    // one is covered by an empty tmpfs, and a toolchain inside a denied
    // directory (a project in the home directory) is still shown on top.
    readable.retain(|r| r.exists() && !jail.deny.contains(r));
    readable.sort();
    readable.dedup();
    let mut mounts: Vec<(&Path, bool)> = readable.iter().map(|r| (r.as_path(), true)).collect();
    for d in &jail.deny {
        if d.exists() && readable.iter().any(|r| is_under(d, r) && d != r) {
            mounts.push((d.as_path(), false));
        }
    }
    mounts.sort_by_key(|(p, _)| p.components().count());
    for (p, visible) in mounts {
        let kind: &std::ffi::OsStr = if visible {
            "--ro-bind".as_ref()
        } else {
            "--tmpfs".as_ref()
        };
        if visible {
            push(&[kind, p.as_os_str(), p.as_os_str()]);
        } else {
            push(&[kind, p.as_os_str()]);
        }
    }
    push(&[
        "--dev".as_ref(),
        "/dev".as_ref(),
        "--proc".as_ref(),
        "/proc".as_ref(),
    ]);
    if !jail.tmp.as_os_str().is_empty() {
        push(&["--bind".as_ref(), jail.tmp.as_os_str(), "/tmp".as_ref()]);
    }
    for w in writable {
        push(&["--bind".as_ref(), w.as_os_str(), w.as_os_str()]);
    }
    push(&["--chdir".as_ref(), cwd.as_os_str()]);
    a
}

/// The environment of a build step: `HOME`, `TMPDIR`, `LANG=C.UTF-8`, the
/// variables of [`PASSED_ENV`] that are set (with `PYENV_ROOT` and
/// `RUSTUP_HOME` pinned to the caller's, since `HOME` changes), nothing else.
pub fn base_env(home: &Path, tmp: &Path) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for var in PASSED_ENV {
        if let Ok(v) = std::env::var(var) {
            env.insert(var.to_string(), v);
        }
    }
    env.entry("PATH".into())
        .or_insert_with(|| "/usr/local/bin:/usr/bin:/bin".into());
    if let Some(caller_home) = std::env::var_os("HOME").map(PathBuf::from) {
        for (var, dir) in [("PYENV_ROOT", ".pyenv"), ("RUSTUP_HOME", ".rustup")] {
            let d = caller_home.join(dir);
            if !env.contains_key(var) && d.is_dir() {
                env.insert(var.into(), d.display().to_string());
            }
        }
    }
    env.insert("HOME".into(), home.display().to_string());
    env.insert("TMPDIR".into(), tmp.display().to_string());
    env.insert("LANG".into(), "C.UTF-8".into());
    env
}

/// The first executable named `name` on the caller's `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    find_in(name, &std::env::var_os("PATH")?)
}

/// The first executable named `name` in a `PATH`-style list.
pub fn find_in(name: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path).map(|d| d.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_is_clean() {
        let env = base_env(Path::new("/w/home"), Path::new("/w/tmp"));
        assert_eq!(env["HOME"], "/w/home");
        assert_eq!(env["TMPDIR"], "/w/tmp");
        assert!(env.keys().all(|k| PASSED_ENV.contains(&k.as_str())
            || ["HOME", "TMPDIR", "LANG"].contains(&k.as_str())));
    }

    #[test]
    fn denied_directories_under_visible_ones_are_hidden() {
        let jail = Jail {
            workspace: "/work/cache/work/1/src".into(),
            home: "/work/cache/work/1/home".into(),
            tmp: "/work/cache/work/1/tmp".into(),
            readable: vec![std::env::temp_dir()],
            deny: vec![std::env::temp_dir()],
            ..Default::default()
        };
        let args = bwrap_args(&jail, &BTreeMap::new(), Path::new("/work/cache/work/1/src"));
        let text: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let tmp = std::env::temp_dir().display().to_string();
        assert!(
            !text.windows(2).any(|w| w[0] == "--ro-bind" && w[1] == tmp),
            "{text:?}"
        );
        assert!(text.contains(&"--unshare-all".to_string()));
        assert!(!text.contains(&"--share-net".to_string()));

        // A denied directory inside a visible one is covered after it is shown.
        let jail = Jail {
            deny: vec!["/usr/share".into()],
            ..jail
        };
        let args = bwrap_args(&jail, &BTreeMap::new(), Path::new("/"));
        let text: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let shown = text
            .windows(2)
            .position(|w| w[0] == "--ro-bind" && w[1] == "/usr");
        let hidden = text
            .windows(2)
            .position(|w| w[0] == "--tmpfs" && w[1] == "/usr/share");
        assert!(
            shown.is_some() && hidden.is_some() && shown < hidden,
            "{text:?}"
        );
    }
}
