//! Confinement of build steps: the build's policy over the shared
//! sandbox of `lockgate-sandbox`.
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

use crate::error::BuildError;

pub use lockgate_sandbox::{ENV_SANDBOX, SandboxMode, find_in, find_on_path};

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

/// The sandbox of this machine: bubblewrap if it runs, else none.
#[derive(Debug, Clone)]
pub struct Sandbox(lockgate_sandbox::Sandbox);

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

impl Sandbox {
    /// The sandbox for `mode`: bubblewrap when asked for and working here.
    pub fn detect(mode: SandboxMode) -> Result<Sandbox, BuildError> {
        lockgate_sandbox::Sandbox::detect(mode)
            .map(Sandbox)
            .map_err(|e| BuildError::SandboxUnavailable(e.0))
    }

    /// Whether steps run in a sandbox.
    pub fn is_sandboxed(&self) -> bool {
        self.0.is_sandboxed()
    }

    /// Why steps run unsandboxed, when they do.
    pub fn note(&self) -> Option<&str> {
        self.0.note()
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
        self.0
            .command(&confinement(jail, env), program, args, env, cwd)
    }
}

/// The shared sandbox's jail for a build step: its own directories
/// writable, the toolchains on its `PATH` (and the version managers'
/// roots they need) readable.
fn confinement(jail: &Jail, env: &BTreeMap<String, String>) -> lockgate_sandbox::Jail {
    let mut readable: Vec<PathBuf> = env
        .get("PATH")
        .map(|p| lockgate_sandbox::toolchain_dirs(p.as_ref()))
        .unwrap_or_default();
    for var in ["PYENV_ROOT", "RUSTUP_HOME"] {
        if let Some(v) = env.get(var) {
            readable.push(PathBuf::from(v));
        }
    }
    readable.extend(jail.readable.iter().cloned());
    let writable = [&jail.workspace, &jail.home, &jail.tmp]
        .into_iter()
        .chain(jail.writable.iter())
        .filter(|p| !p.as_os_str().is_empty())
        .cloned()
        .collect();
    lockgate_sandbox::Jail {
        readable,
        writable,
        tmp: if jail.tmp.as_os_str().is_empty() {
            lockgate_sandbox::Tmp::None
        } else {
            lockgate_sandbox::Tmp::Bind(jail.tmp.clone())
        },
        deny: jail.deny.clone(),
        mapped: Vec::new(),
        network: jail.network,
    }
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
    fn a_step_sees_its_toolchains_and_writes_its_own_directories() {
        let jail = Jail {
            workspace: "/work/cache/work/1/src".into(),
            home: "/work/cache/work/1/home".into(),
            tmp: "/work/cache/work/1/tmp".into(),
            deny: vec!["/work/cache".into()],
            ..Default::default()
        };
        let env = BTreeMap::from([("PATH".to_string(), "/usr/bin:/root/.cargo/bin".to_string())]);
        let c = confinement(&jail, &env);
        assert_eq!(c.readable, vec![PathBuf::from("/root/.cargo/bin")]);
        assert_eq!(c.writable.len(), 3);
        assert_eq!(
            c.tmp,
            lockgate_sandbox::Tmp::Bind("/work/cache/work/1/tmp".into())
        );
        assert!(!c.network);
    }
}
