//! Confinement of child processes with bubblewrap (`bwrap`).
//!
//! Build steps (`lockgate-build`) and function instances (`lockgate-cloud`)
//! run in the same kind of sandbox, described by a [`Jail`]:
//!
//! - the system directories (`/usr`, `/bin`, `/lib*`, `/etc`, `/opt`) and
//!   the directories the caller lists as readable are visible read-only;
//! - the directories it lists as writable, and `/tmp` (a bound directory
//!   or a fresh size-capped tmpfs), are the only writable places; the root
//!   itself is read-only;
//! - nothing else exists: paths in [`Jail::deny`] are hidden even under a
//!   visible directory, and files in [`Jail::mask`] read as empty;
//! - new PID, IPC and UTS namespaces (the process cannot see or signal
//!   anything outside), no capabilities, `/dev/tty` reading as `/dev/null`
//!   (no way to a terminal), no network unless [`Jail::network`], and it
//!   dies with its parent.
//!
//! Without bubblewrap a process still runs, unconfined, and
//! [`Sandbox::note`] says why.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Whether to sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SandboxMode {
    /// Sandbox with bubblewrap when it runs here; else run unsandboxed and say so.
    #[default]
    Auto,
    /// Refuse to run anything without the sandbox.
    Required,
    /// Never sandbox.
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

/// Why the sandbox cannot be had.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("the sandbox is required but unavailable: {0}")]
pub struct Unavailable(pub String);

/// System directories visible (read-only) inside the sandbox.
pub const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt",
];

/// Files under the system directories that hold secrets of the machine:
/// they read as empty inside the sandbox.
const SECRET_FILES: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
];

/// The gate of a sandbox made ahead of need: a small static program
/// (`gate.c`) that says the sandbox is made, waits at its gate for `go`
/// and runs the program in its place (see [`Sandbox::wrap`]). The
/// caller writes it to an executable file and gives the sandbox an open
/// descriptor of it ([`GateFds::program`]): it is run from the descriptor,
/// and nothing of it is left in the sandbox once the program runs.
pub const GATE_PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/lockgate-gate"));

/// The descriptors a gated sandbox's child inherits: the gate program,
/// the read end of its gate (where `go` comes) and the write end of its
/// ready pipe (where it says `r`), at the numbers they have in the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GateFds {
    /// The gate program ([`GATE_PROGRAM`] written out), open for reading.
    pub program: i32,
    /// The gate's read end.
    pub gate: i32,
    /// The ready pipe's write end.
    pub ready: i32,
}

/// Whether the dynamic loader or the C library acts on variable `name` in
/// the process that has it (loads code, reads files, changes the
/// allocator): such variables are not given to bubblewrap, which runs
/// outside the sandbox, but set by it for the program inside.
pub fn is_loader_variable(name: &str) -> bool {
    name.starts_with("LD_")
        || matches!(
            name,
            "GCONV_PATH"
                | "GLIBC_TUNABLES"
                | "LOCPATH"
                | "NLSPATH"
                | "MALLOC_CHECK_"
                | "MALLOC_TRACE"
                | "HOSTALIASES"
                | "RESOLV_HOST_CONF"
        )
}

/// A program ready to start: what to run, its arguments and the
/// environment to give the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    /// The program (bubblewrap, or the program itself without a sandbox).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// The environment of the process (without the loader's variables,
    /// which bubblewrap sets inside).
    pub env: Vec<(String, String)>,
}

/// Makes a gated sandbox's descriptors inheritable in a child about to
/// exec the command [`Sandbox::wrap`] made (at the numbers they have:
/// none is moved, so none can land on a descriptor the child uses for
/// something else).
///
/// # Safety
///
/// Only between fork and exec (a `pre_exec` hook), with the three
/// descriptors open. It calls only async-signal-safe functions.
pub unsafe fn inherit_gate(fds: GateFds) -> std::io::Result<()> {
    for fd in [fds.program, fds.gate, fds.ready] {
        // SAFETY: fcntl(2) on an open descriptor (the caller's promise).
        if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The sandbox of this machine: bubblewrap if it runs, else none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sandbox {
    bwrap: Option<PathBuf>,
    note: Option<String>,
}

/// Where a sandboxed process's `/tmp` comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Tmp {
    /// No `/tmp` of its own (an empty read-only directory).
    #[default]
    None,
    /// A directory of the host, writable, seen as `/tmp`.
    Bind(PathBuf),
    /// A fresh tmpfs of at most this many bytes, gone with the process.
    Fresh(u64),
}

/// One process's confinement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Jail {
    /// Directories and files visible read-only (besides the system's).
    pub readable: Vec<PathBuf>,
    /// Directories or files of the host shown read-only at another path
    /// (`(host, inside)`: a function's code at `/var/task`).
    pub mapped: Vec<(PathBuf, PathBuf)>,
    /// Directories visible and writable.
    pub writable: Vec<PathBuf>,
    /// What `/tmp` is.
    pub tmp: Tmp,
    /// Directories that must not be visible even under a visible one (the
    /// build cache, a server's data directory).
    pub deny: Vec<PathBuf>,
    /// Whether the process may use the network (the host's, loopback
    /// included).
    pub network: bool,
}

impl Jail {
    /// What a sandbox made for this jail was made from, beyond its
    /// arguments: the identity (device and inode) of every path it names,
    /// or `None` for one that does not exist. A sandbox's mounts are fixed
    /// when it is made; one made ahead of need is still right to use when
    /// [`bwrap_args`] gives the same arguments and this the same identities
    /// (a denied directory removed and made again, or a code directory
    /// replaced by another, changes the identity but not the arguments).
    pub fn identity(&self) -> Vec<Option<(u64, u64)>> {
        use std::os::unix::fs::MetadataExt;
        let tmp = match &self.tmp {
            Tmp::Bind(dir) => Some(dir),
            Tmp::None | Tmp::Fresh(_) => None,
        };
        self.readable
            .iter()
            .chain(self.mapped.iter().map(|(host, _)| host))
            .chain(&self.writable)
            .chain(tmp)
            .chain(&self.deny)
            .map(|p| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino())))
            .collect()
    }
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
    /// The sandbox for `mode`: bubblewrap when asked for and working here
    /// (probed once per process).
    pub fn detect(mode: SandboxMode) -> Result<Sandbox, Unavailable> {
        if mode == SandboxMode::Off {
            return Ok(Sandbox::off("the sandbox is turned off"));
        }
        match PROBE.get_or_init(probe) {
            Ok(b) => Ok(Sandbox {
                bwrap: Some(b.clone()),
                note: None,
            }),
            Err(why) if mode == SandboxMode::Required => Err(Unavailable(why.clone())),
            Err(why) => Ok(Sandbox::off(why)),
        }
    }

    /// No sandbox, for the reason given.
    pub fn off(why: &str) -> Sandbox {
        Sandbox {
            bwrap: None,
            note: Some(format!("unsandboxed: {why}")),
        }
    }

    /// Whether processes run in a sandbox.
    pub fn is_sandboxed(&self) -> bool {
        self.bwrap.is_some()
    }

    /// Why processes run unsandboxed, when they do.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// What runs `program args…` in `cwd` confined by `jail` with the
    /// environment `env` (unchanged without a sandbox: the caller then sets
    /// the working directory itself). With `gate` (the descriptors of the
    /// gate program, [`GATE_PROGRAM`] written out, and of the gate's and
    /// the ready pipe's ends), the sandbox is made at once but `program`
    /// started only when its gate opens: a sandbox made ahead of need,
    /// whose namespaces and mounts are ready when its process is wanted.
    /// Inside, the gate program — run from its descriptor, which it closes
    /// — writes `r` to the ready descriptor (the sandbox is made), then
    /// reads from the gate: `go` and a newline runs `program` in its place,
    /// with the environment as given and none of the three descriptors;
    /// anything else, or the end of the file — the caller gone — ends it
    /// without running anything. The child must inherit the three
    /// descriptors ([`inherit_gate`]). (Not
    /// bubblewrap's `--block-fd`, whose sandbox runs the program at the end
    /// of the file too, nor a shell, which reads the program's environment.)
    /// Without a sandbox there is nothing to make ahead and `gate` is not
    /// used.
    pub fn wrap(
        &self,
        jail: &Jail,
        program: &OsStr,
        args: &[OsString],
        cwd: &Path,
        env: &[(String, String)],
        gate: Option<GateFds>,
    ) -> Wrapped {
        let Some(bwrap) = &self.bwrap else {
            return Wrapped {
                program: program.to_os_string(),
                args: args.to_vec(),
                env: env.to_vec(),
            };
        };
        let mut a = bwrap_args(jail, cwd);
        let (loader, env): (Vec<_>, Vec<_>) = env
            .iter()
            .cloned()
            .partition(|(k, _)| is_loader_variable(k));
        for (k, v) in loader {
            a.extend(["--setenv".into(), k.into(), v.into()]);
        }
        a.push("--".into());
        if let Some(fds) = gate {
            // Run from its descriptor (the sandbox's own /proc), which it
            // closes: no file of it is mounted in the sandbox.
            a.extend([
                format!("/proc/self/fd/{}", fds.program).into(),
                fds.program.to_string().into(),
                fds.gate.to_string().into(),
                fds.ready.to_string().into(),
            ]);
        }
        a.push(program.to_os_string());
        a.extend(args.iter().cloned());
        Wrapped {
            program: bwrap.clone().into_os_string(),
            args: a,
            env,
        }
    }

    /// A command running `program args…` in `cwd` confined by `jail`, with
    /// exactly the environment `env`.
    pub fn command<'a>(
        &self,
        jail: &Jail,
        program: &str,
        args: &[OsString],
        env: impl IntoIterator<Item = (&'a String, &'a String)>,
        cwd: &Path,
    ) -> Command {
        let env: Vec<(String, String)> = env
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let w = self.wrap(jail, program.as_ref(), args, cwd, &env, None);
        let mut cmd = Command::new(w.program);
        cmd.args(w.args).env_clear().envs(w.env);
        if !self.is_sandboxed() {
            cmd.current_dir(cwd);
        }
        cmd
    }
}

/// The directories of a `PATH` outside the system directories (toolchains
/// such as pyenv's or rustup's), to be made readable in a sandbox.
pub fn toolchain_dirs(path: &OsStr) -> Vec<PathBuf> {
    std::env::split_paths(path)
        .filter(|entry| {
            entry.is_absolute() && !SYSTEM_DIRS.iter().any(|d| entry.starts_with(Path::new(d)))
        })
        .collect()
}

/// bubblewrap's arguments for `jail`, working directory `cwd`.
pub fn bwrap_args(jail: &Jail, cwd: &Path) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |items: &[&OsStr]| a.extend(items.iter().map(|s| s.to_os_string()));
    push(&[
        // No `--new-session`: a new session is a new scheduler autogroup,
        // which on a loaded machine gives each instance its own share of
        // the CPU apart from the server's and made warm requests through
        // the gateway several times slower at the tail. What the session
        // guarded against — reaching the user's terminal (TIOCSTI) — is
        // closed instead by `/dev/tty` below and by no process inheriting
        // a terminal descriptor.
        "--die-with-parent".as_ref(),
        "--unshare-ipc".as_ref(),
        "--unshare-pid".as_ref(),
        "--unshare-uts".as_ref(),
        "--unshare-cgroup-try".as_ref(),
        "--cap-drop".as_ref(),
        "ALL".as_ref(),
    ]);
    // Root needs no user namespace to build the sandbox (and its
    // capabilities are dropped); anyone else does.
    if !is_root() {
        push(&["--unshare-user".as_ref()]);
    }
    if !jail.network {
        push(&["--unshare-net".as_ref()]);
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
    // `/tmp` first: what is shown from under the host's /tmp (a test's
    // temporary directory) goes on top of it.
    match &jail.tmp {
        Tmp::None => {}
        Tmp::Bind(dir) => push(&["--bind".as_ref(), dir.as_os_str(), "/tmp".as_ref()]),
        Tmp::Fresh(bytes) => {
            let size = OsString::from(bytes.to_string());
            push(&[
                "--size".as_ref(),
                size.as_os_str(),
                "--perms".as_ref(),
                "1777".as_ref(),
                "--tmpfs".as_ref(),
                "/tmp".as_ref(),
            ]);
        }
    }
    readable.extend(jail.readable.iter().cloned());
    // Mounts go shallowest first, so a denied directory inside a visible
    // one is covered by an empty tmpfs, and a directory inside a denied one
    // (a function's code in the data directory) is still shown on top.
    readable.retain(|r| r.exists() && !jail.deny.contains(r));
    readable.sort();
    readable.dedup();
    // A directory inside another visible one is visible already: one mount
    // fewer each (every mount costs the sandbox's start).
    let shown = readable.clone();
    readable.retain(|r| {
        !shown.iter().any(|o| {
            o != r
                && r.starts_with(o)
                && !jail
                    .deny
                    .iter()
                    .any(|d| r.starts_with(d) && d.starts_with(o))
        })
    });
    #[derive(Clone, Copy)]
    enum Mount<'a> {
        Read,
        Write,
        Hide,
        From(&'a Path),
    }
    let mut mounts: Vec<(&Path, Mount)> = readable
        .iter()
        .map(|r| (r.as_path(), Mount::Read))
        .collect();
    // A denied directory inside a mapped one is hidden where the mapping
    // shows it too (a server's state in the directory a function's code is
    // run from). Compared as real paths: a code path may be written with
    // `..` or through a symbolic link.
    let real = |p: &Path| std::fs::canonicalize(p).ok();
    let denied: Vec<PathBuf> = jail.deny.iter().filter_map(|d| real(d)).collect();
    let hidden_inside: Vec<PathBuf> = jail
        .mapped
        .iter()
        .filter_map(|(host, inside)| Some((real(host)?, inside)))
        .flat_map(|(host, inside)| {
            denied.iter().filter_map(move |d| {
                let rest = d.strip_prefix(&host).ok()?;
                (!rest.as_os_str().is_empty() && d.is_dir()).then(|| inside.join(rest))
            })
        })
        .collect();
    for (host, inside) in &jail.mapped {
        if host.exists() {
            mounts.push((inside.as_path(), Mount::From(host.as_path())));
        }
    }
    for d in &jail.deny {
        if d.exists() && readable.iter().any(|r| d.starts_with(r) && d != r) {
            mounts.push((d.as_path(), Mount::Hide));
        }
    }
    for h in &hidden_inside {
        mounts.push((h.as_path(), Mount::Hide));
    }
    for w in jail.writable.iter().filter(|w| !w.as_os_str().is_empty()) {
        mounts.push((w.as_path(), Mount::Write));
    }
    mounts.sort_by_key(|(p, _)| p.components().count());
    for (p, how) in mounts {
        match how {
            Mount::Read => push(&["--ro-bind".as_ref(), p.as_os_str(), p.as_os_str()]),
            Mount::Write => push(&["--bind".as_ref(), p.as_os_str(), p.as_os_str()]),
            Mount::Hide => push(&["--tmpfs".as_ref(), p.as_os_str()]),
            Mount::From(host) => push(&["--ro-bind".as_ref(), host.as_os_str(), p.as_os_str()]),
        }
    }
    // Only root could read them (as their owner, even without capabilities).
    for f in SECRET_FILES.iter().filter(|_| is_root()) {
        if Path::new(f).exists() {
            push(&["--ro-bind".as_ref(), "/dev/null".as_ref(), f.as_ref()]);
        }
    }
    push(&[
        "--dev".as_ref(),
        "/dev".as_ref(),
        // The controlling terminal, if the server has one, is not reachable.
        "--ro-bind".as_ref(),
        "/dev/null".as_ref(),
        "/dev/tty".as_ref(),
        "--proc".as_ref(),
        "/proc".as_ref(),
    ]);
    push(&[
        "--remount-ro".as_ref(),
        "/".as_ref(),
        "--chdir".as_ref(),
        cwd.as_os_str(),
    ]);
    a
}

fn is_root() -> bool {
    // SAFETY: geteuid(2) cannot fail and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

/// The first executable named `name` on the caller's `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    find_in(name, &std::env::var_os("PATH")?)
}

/// The first executable named `name` in a `PATH`-style list.
pub fn find_in(name: &str, path: &OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(path).map(|d| d.join(name)).find(|p| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gated sandbox says when it is made, runs its program only for
    /// `go`, and ends without running it when its gate closes unopened —
    /// what happens to a parked sandbox when the server that made it dies.
    #[test]
    fn a_gated_sandbox_runs_its_program_only_when_told() {
        let sandbox = Sandbox::detect(SandboxMode::Auto).unwrap();
        if !sandbox.is_sandboxed() {
            assert!(
                std::env::var_os("CI").is_none(),
                "bubblewrap is needed in CI (.ci/install installs it)"
            );
            // Skipped (said on stderr): no bubblewrap outside CI.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("a_gated_sandbox_runs_its_program_only_when_told: skipped");
            }
            return;
        }
        use std::io::{Read, Write};
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let dir = tempfile::tempdir().unwrap();
        let gate_program = dir.path().join("gate");
        std::fs::write(&gate_program, GATE_PROGRAM).unwrap();
        std::fs::set_permissions(
            &gate_program,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        // A loader variable the program is given (set inside by
        // bubblewrap, not given to it) and one of its own: the gate runs
        // neither and passes both on.
        let env = [
            ("LD_PRELOAD".to_string(), "/nonexistent/hook.so".to_string()),
            ("OWN".to_string(), "value".to_string()),
        ];
        for (told, runs) in [
            (&b"go\n"[..], true),
            (&b""[..], false),
            (&b"stop\n"[..], false),
            (&b"g"[..], false),
        ] {
            let (gate_reader, mut gate) = std::io::pipe().unwrap();
            let (mut ready, ready_writer) = std::io::pipe().unwrap();
            let program = std::fs::File::open(&gate_program).unwrap();
            let fds = GateFds {
                program: program.as_raw_fd(),
                gate: gate_reader.as_raw_fd(),
                ready: ready_writer.as_raw_fd(),
            };
            // The program says what it was given, whether any of the
            // gate's descriptors is still open in it, and what is at the
            // root of its sandbox (nothing of the gate).
            let script = format!(
                "echo ran \"$OWN\" \"$LD_PRELOAD\"; \
                 for fd in {} {} {}; do [ -e /proc/self/fd/$fd ] && echo open $fd; done; \
                 ls -a /",
                fds.program, fds.gate, fds.ready
            );
            let w = sandbox.wrap(
                &Jail::default(),
                "/bin/sh".as_ref(),
                &["-c".into(), script.into()],
                Path::new("/"),
                &env,
                Some(fds),
            );
            assert!(
                w.env.iter().all(|(k, _)| !is_loader_variable(k)),
                "{:?}",
                w.env
            );
            let mut cmd = Command::new(w.program);
            cmd.args(w.args)
                .env_clear()
                .envs(w.env)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null());
            // SAFETY: run between fork and exec, with descriptors that stay
            // open until the spawn returns.
            let hook = move || unsafe { inherit_gate(fds) };
            // SAFETY: the hook calls only async-signal-safe functions.
            unsafe {
                cmd.pre_exec(hook);
            }
            let child = cmd.spawn().unwrap();
            drop((program, gate_reader, ready_writer));
            let mut said = [0u8; 1];
            ready.read_exact(&mut said).unwrap();
            assert_eq!(&said, b"r", "the sandbox says it is made");
            gate.write_all(told).unwrap();
            drop(gate);
            let out = child.wait_with_output().unwrap();
            let out = String::from_utf8_lossy(&out.stdout);
            assert_eq!(
                out.starts_with("ran value /nonexistent/hook.so\n"),
                runs,
                "told {told:?}: {out}"
            );
            if !runs {
                assert!(out.is_empty(), "told {told:?}: {out}");
            }
            if runs {
                assert!(
                    !out.contains("open"),
                    "the gate's descriptors leaked: {out}"
                );
                assert!(
                    out.lines().skip(1).all(|l| !l.contains("gate")),
                    "the gate is seen in the sandbox: {out}"
                );
                assert!(out.lines().any(|l| l == "proc"), "{out}");
            }
        }
    }

    fn text(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn position(text: &[String], flag: &str, path: &str) -> Option<usize> {
        text.windows(2).position(|w| w[0] == flag && w[1] == path)
    }

    #[test]
    fn denied_directories_are_hidden_and_inner_ones_shown_on_top() {
        let tmp = std::env::temp_dir();
        let jail = Jail {
            readable: vec![tmp.clone()],
            deny: vec![tmp.clone()],
            ..Default::default()
        };
        let t = text(&bwrap_args(&jail, Path::new("/")));
        let tmp_text = tmp.display().to_string();
        assert!(position(&t, "--ro-bind", &tmp_text).is_none(), "{t:?}");
        assert!(t.contains(&"--unshare-pid".to_string()));
        assert!(t.contains(&"--unshare-net".to_string()));

        // A denied directory inside a visible one is covered after it is
        // shown, and a directory inside the denied one shown after that.
        let inner = Path::new("/usr/share/doc");
        let jail = Jail {
            readable: vec![inner.to_path_buf()],
            deny: vec!["/usr/share".into()],
            network: true,
            ..Default::default()
        };
        let t = text(&bwrap_args(&jail, Path::new("/")));
        let shown = position(&t, "--ro-bind", "/usr");
        let hidden = position(&t, "--tmpfs", "/usr/share");
        let inner_shown = position(&t, "--ro-bind", "/usr/share/doc");
        assert!(
            shown.is_some() && shown < hidden && hidden < inner_shown,
            "{t:?}"
        );
        assert!(!t.contains(&"--unshare-net".to_string()));
    }

    /// Inside a real sandbox `/dev/tty` is `/dev/null`, so a sandboxed
    /// process cannot reach a terminal the server runs in.
    #[test]
    fn the_terminal_is_out_of_reach() {
        let Ok(sandbox) = Sandbox::detect(SandboxMode::Auto) else {
            return;
        };
        if !sandbox.is_sandboxed() {
            assert!(
                std::env::var_os("CI").is_none(),
                "bubblewrap is needed here: {:?}",
                sandbox.note()
            );
            // Skipped (said on stderr): no bubblewrap outside CI.
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "the_terminal_is_out_of_reach: skipped: {:?}",
                    sandbox.note()
                );
            }
            return;
        }
        let jail = Jail {
            tmp: Tmp::Fresh(1 << 20),
            ..Default::default()
        };
        let env = [("PATH".to_string(), "/usr/bin:/bin".to_string())];
        let out = sandbox
            .command(
                &jail,
                "/bin/sh",
                &["-c".into(), "stat -L -c %t:%T /dev/tty".into()],
                env.iter().map(|(k, v)| (k, v)),
                Path::new("/"),
            )
            .output()
            .expect("bwrap runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // /dev/null is character device 1:3.
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1:3");
    }

    #[test]
    fn a_fresh_tmp_is_size_capped_and_the_root_read_only() {
        let jail = Jail {
            tmp: Tmp::Fresh(512 << 20),
            ..Default::default()
        };
        let t = text(&bwrap_args(&jail, Path::new("/")));
        let size = t.iter().position(|a| a == "--size").expect("--size");
        assert_eq!(t[size + 1], (512u64 << 20).to_string());
        assert!(position(&t, "--tmpfs", "/tmp").is_some_and(|p| p > size));
        assert!(position(&t, "--remount-ro", "/").is_some());
    }

    #[test]
    fn mapped_paths_are_shown_where_asked_after_their_parents() {
        let jail = Jail {
            mapped: vec![("/usr/share".into(), "/opt".into())],
            ..Default::default()
        };
        let t = text(&bwrap_args(&jail, Path::new("/opt")));
        let system = position(&t, "--ro-bind", "/opt");
        let mapped = t
            .windows(3)
            .position(|w| w[0] == "--ro-bind" && w[1] == "/usr/share" && w[2] == "/opt");
        assert!(mapped.is_some(), "{t:?}");
        if system.is_some() {
            assert!(system < mapped, "{t:?}");
        }
    }

    /// A denied directory inside a mapped one is covered where the mapping
    /// shows it, after the mapping itself.
    #[test]
    fn denied_directories_are_hidden_inside_mapped_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let app = tmp.path().join("app");
        std::fs::create_dir_all(app.join(".lockgate/keys")).unwrap();
        // The code path as a template may write it: through `..`.
        let written = app.join("../app");
        let jail = Jail {
            mapped: vec![(written.clone(), "/var/task".into())],
            deny: vec![app.join(".lockgate"), tmp.path().join("elsewhere")],
            ..Default::default()
        };
        let t = text(&bwrap_args(&jail, Path::new("/var/task")));
        let app_text = written.to_string_lossy().into_owned();
        let mapped = t
            .windows(3)
            .position(|w| w[0] == "--ro-bind" && w[1] == app_text && w[2] == "/var/task")
            .expect("the code is mapped");
        let hidden = position(&t, "--tmpfs", "/var/task/.lockgate").expect("hidden");
        assert!(mapped < hidden, "{t:?}");
        // Only what exists under the mapped directory.
        assert!(!t.iter().any(|a| a.contains("elsewhere")), "{t:?}");
    }

    #[test]
    fn toolchains_are_the_path_entries_outside_the_system() {
        let dirs = toolchain_dirs("/usr/bin:/root/.cargo/bin:relative:/bin".as_ref());
        assert_eq!(dirs, vec![PathBuf::from("/root/.cargo/bin")]);
    }
}
