//! Running a buildspec as CodeBuild does.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::files::{self, expand, glob_set, is_identifier, matching, referenced_names};
use super::reports::ReportSummary;
use super::shell::{CmdOutcome, Session};
use super::spec::{ArtifactSpec, Buildspec, CacheAction, OnFailure, PhaseName, SecretRef, Shell};
use crate::archive;
use crate::cache::{Cache, default_cache_dir};
use crate::digest::Digest;
use crate::error::BuildError;
use crate::fsutil;
use crate::log::{Log, LogSink, Stream};
use crate::sandbox::{self, Jail, Sandbox, SandboxMode};

/// A value the parameter store or secrets manager could not give.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LookupError {
    /// No such parameter or secret.
    #[error("not found")]
    NotFound,
    /// The store answered with an error.
    #[error("{0}")]
    Failed(String),
}

/// Where `env.parameter-store` and `env.secrets-manager` values come from
/// (a stage's parameter store, in the server). Implemented by the caller.
pub trait SecretSource: Send + Sync {
    /// The value of an SSM parameter (SecureStrings decrypted).
    fn parameter(&self, name: &str) -> Result<String, LookupError>;
    /// The secret string of a secret (its whole value; the runner picks the JSON key).
    fn secret(&self, secret: &SecretRef) -> Result<String, LookupError>;
}

/// A [`SecretSource`] over fixed maps (for `--parameter` / `--secret` and tests).
#[derive(Debug, Clone, Default)]
pub struct StaticSecrets {
    /// Parameter name → value.
    pub parameters: BTreeMap<String, String>,
    /// Secret ID → secret string.
    pub secrets: BTreeMap<String, String>,
}

impl SecretSource for StaticSecrets {
    fn parameter(&self, name: &str) -> Result<String, LookupError> {
        self.parameters
            .get(name)
            .cloned()
            .ok_or(LookupError::NotFound)
    }
    fn secret(&self, secret: &SecretRef) -> Result<String, LookupError> {
        self.secrets
            .get(&secret.secret_id)
            .cloned()
            .ok_or(LookupError::NotFound)
    }
}

/// A phase starting or ending, for progress displays.
#[derive(Debug, Clone)]
pub struct PhaseEvent {
    /// The build.
    pub build_id: String,
    /// CodeBuild's phase name (`DOWNLOAD_SOURCE`, `BUILD`, …).
    pub phase: &'static str,
    /// `None` when it starts; its status when it ends.
    pub status: Option<PhaseStatus>,
}

/// A callback for [`PhaseEvent`]s.
pub type PhaseSink = Arc<dyn Fn(&PhaseEvent) + Send + Sync>;

/// How to run a buildspec.
#[derive(Clone)]
pub struct RunOptions {
    /// The source directory (copied into a fresh working copy, `.gitignore`d files left out).
    pub source_dir: PathBuf,
    /// The cache (default: [`default_cache_dir`]).
    pub cache_dir: Option<PathBuf>,
    /// Whether `cache` is restored and saved.
    pub use_cache: bool,
    /// Where the primary artifact's files go (secondary ones in sub-folders named by identifier).
    pub artifacts_dir: Option<PathBuf>,
    /// More environment variables (they override the buildspec's `variables`).
    pub env: Vec<(String, String)>,
    /// Parameter-store and secrets-manager values.
    pub secrets: Option<Arc<dyn SecretSource>>,
    /// The whole build's time limit (CodeBuild's default is 60 minutes).
    pub timeout: Duration,
    /// Whether commands may use the network.
    pub network: bool,
    /// The sandbox.
    pub sandbox: SandboxMode,
    /// Directories commands must never see (a server's data directory).
    pub deny: Vec<PathBuf>,
    /// The project's name (default: the source directory's name).
    pub project: Option<String>,
    /// `AWS_REGION` / `AWS_DEFAULT_REGION`.
    pub region: String,
    /// Live log lines.
    pub log: Option<LogSink>,
    /// Phase progress.
    pub events: Option<PhaseSink>,
}

impl RunOptions {
    /// Options for a source directory with the defaults.
    pub fn new(source_dir: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            source_dir: source_dir.into(),
            cache_dir: None,
            use_cache: true,
            artifacts_dir: None,
            env: Vec::new(),
            secrets: None,
            timeout: Duration::from_secs(60 * 60),
            network: false,
            sandbox: SandboxMode::from_env().unwrap_or_default(),
            deny: Vec::new(),
            project: None,
            region: "us-east-1".into(),
            log: None,
            events: None,
        }
    }
}

/// A build's or a phase's status, with CodeBuild's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PhaseStatus {
    /// It succeeded.
    Succeeded,
    /// It failed.
    Failed,
    /// The build's time limit ran out.
    TimedOut,
}

impl PhaseStatus {
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`.
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseStatus::Succeeded => "SUCCEEDED",
            PhaseStatus::Failed => "FAILED",
            PhaseStatus::TimedOut => "TIMED_OUT",
        }
    }
}

/// One phase that ran.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhaseReport {
    /// CodeBuild's name.
    pub phase: &'static str,
    /// How it ended.
    pub status: PhaseStatus,
    /// Its duration.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
    /// Why it failed.
    pub message: Option<String>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// An artifact produced.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactReport {
    /// `None` for the primary artifact, else the secondary artifact's identifier.
    pub identifier: Option<String>,
    /// Its name (`name`, expanded), if given.
    pub name: Option<String>,
    /// Its files, as uploaded (after base-directory, discard-paths and exclude-paths).
    pub files: Vec<String>,
    /// SHA-256 of its deterministic zip.
    pub digest: Digest,
    /// The zip, in the cache.
    pub zip: PathBuf,
    /// Where its files were written, with `--artifacts-dir`.
    pub directory: Option<PathBuf>,
}

/// What the cache did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CacheReport {
    /// The key looked up.
    pub key: String,
    /// The key restored from (the key itself or a fallback), if any.
    pub restored: Option<String>,
    /// Whether it was saved.
    pub saved: bool,
}

/// A finished build.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildRun {
    /// `project:uuid`, as CODEBUILD_BUILD_ID.
    pub id: String,
    /// The project's build counter.
    pub number: u64,
    /// `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
    pub status: PhaseStatus,
    /// The phases that ran, in order.
    pub phases: Vec<PhaseReport>,
    /// Artifacts (primary first).
    pub artifacts: Vec<ArtifactReport>,
    /// Test reports.
    pub reports: Vec<ReportSummary>,
    /// `env.exported-variables` with their values at the end of the build.
    pub exported_variables: BTreeMap<String, String>,
    /// The cache, if the buildspec has one.
    pub cache: Option<CacheReport>,
    /// The kept log.
    pub log: PathBuf,
    /// Whether commands ran in the sandbox.
    pub sandboxed: bool,
    /// Why not, when they did not.
    pub sandbox_note: Option<String>,
    /// Warnings (about the buildspec and the run).
    pub warnings: Vec<String>,
    /// Total time.
    #[serde(serialize_with = "secs")]
    pub duration: Duration,
}

fn project_name(opts: &RunOptions, source: &Path) -> String {
    let raw = opts.project.clone().unwrap_or_else(|| {
        source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "project".into())
    });
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "project".into() } else { s }
}

fn git(source: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(source)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Copies the source into a fresh working copy: what a clone would hold
/// (`.gitignore`d files and `.git` left out), plus untracked files.
fn working_copy(source: &Path, dest: &Path) -> Result<u64, BuildError> {
    fsutil::create_dir(dest)?;
    let mut count = 0;
    let walker = ignore::WalkBuilder::new(source)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(false)
        .git_global(false)
        .require_git(false)
        .parents(false)
        .filter_entry(|e| {
            let name = e.file_name().to_str();
            name != Some(lockgate_artifact::NEVER_PACKED)
                && !matches!(name, Some(".git" | ".aws-sam"))
        })
        .build();
    for entry in walker {
        let entry = entry
            .map_err(|e| crate::error::io_err(source, std::io::Error::other(e.to_string())))?;
        let Ok(rel) = entry.path().strip_prefix(source) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let to = dest.join(rel);
        let ft = entry.file_type();
        if ft.is_some_and(|t| t.is_dir()) {
            fsutil::create_dir(&to)?;
        } else if ft.is_some_and(|t| t.is_symlink()) {
            if let Ok(target) = std::fs::read_link(entry.path()) {
                // A link that cannot be made is left out, as a clone would fail it too.
                let _ = std::os::unix::fs::symlink(target, &to);
            }
        } else {
            std::fs::copy(entry.path(), &to).map_err(|e| crate::error::io_err(entry.path(), e))?;
            count += 1;
        }
    }
    Ok(count)
}

struct Runner<'a> {
    spec: &'a Buildspec,
    opts: &'a RunOptions,
    id: String,
    log: Log,
    sandbox: Sandbox,
    src: PathBuf,
    home: PathBuf,
    tmp: PathBuf,
    env: BTreeMap<String, String>,
    deny: Vec<PathBuf>,
    deadline: Instant,
    session: Option<Session>,
    phases: Vec<PhaseReport>,
    warnings: Vec<String>,
}

impl Runner<'_> {
    fn emit(&self, phase: &'static str, status: Option<PhaseStatus>) {
        if let Some(sink) = &self.opts.events {
            sink(&PhaseEvent {
                build_id: self.id.clone(),
                phase,
                status,
            });
        }
    }

    fn record(
        &mut self,
        phase: &'static str,
        status: PhaseStatus,
        started: Instant,
        message: Option<String>,
    ) {
        let mut line = format!("Phase complete: {phase} State: {}", status.as_str());
        if let Some(m) = &message {
            line.push_str(&format!("\nPhase context status code: {m}"));
        }
        for l in line.lines() {
            self.log.system(Some(phase), l);
        }
        self.emit(phase, Some(status));
        self.phases.push(PhaseReport {
            phase,
            status,
            duration: started.elapsed(),
            message,
        });
    }

    fn shell_command(&self) -> std::process::Command {
        let (program, args): (String, Vec<OsString>) = match self.spec.shell {
            Shell::Sh => ("/bin/sh".into(), Vec::new()),
            Shell::Bash => (
                sandbox::find_in(
                    "bash",
                    self.env
                        .get("PATH")
                        .map(|p| p.as_ref())
                        .unwrap_or_else(|| "/usr/bin:/bin".as_ref()),
                )
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "/bin/bash".into()),
                vec!["--noprofile".into(), "--norc".into()],
            ),
        };
        let jail = Jail {
            workspace: self.src.clone(),
            home: self.home.clone(),
            tmp: self.tmp.clone(),
            deny: self.deny.clone(),
            network: self.opts.network,
            ..Default::default()
        };
        self.sandbox
            .command(&jail, &program, &args, &self.env, &self.src)
    }

    /// Runs one command in the session (starting a shell when there is none).
    fn command(&mut self, phase: &'static str, command: &str, quiet: bool) -> CmdOutcome {
        if self.session.as_ref().is_none_or(Session::is_dead) {
            match Session::start(self.shell_command()) {
                Ok(s) => self.session = Some(s),
                Err(e) => {
                    self.log
                        .system(Some(phase), &format!("cannot start the shell: {e}"));
                    return CmdOutcome::ShellExited(-1);
                }
            }
        }
        if !quiet {
            self.log
                .system(Some(phase), &format!("Running command {command}"));
        }
        let Some(session) = self.session.as_mut() else {
            return CmdOutcome::ShellExited(-1);
        };
        let log = &self.log;
        let mut captured = Vec::new();
        let outcome = session.run(command, self.deadline, &mut |line| {
            if quiet {
                captured.push(line.to_string());
            } else {
                log.line(Some(phase), Stream::Output, line);
            }
        });
        if let CmdOutcome::ShellExited(code) = outcome
            && !quiet
        {
            self.log.system(
                Some(phase),
                &format!("the shell exited (status {code}); later commands run in a new shell"),
            );
        }
        outcome
    }

    /// The value of a variable in the session now (hex-encoded through the shell, so any bytes survive).
    fn read_var(&mut self, name: &str) -> Option<String> {
        if !is_identifier(name) {
            return None;
        }
        let alive = self.session.as_ref().is_some_and(|s| !s.is_dead());
        if !alive {
            return self.env.get(name).cloned();
        }
        let cmd = format!("printf '%s' \"${{{name}}}\" | od -An -v -tx1 | tr -d ' \\n'; echo");
        let session = self.session.as_mut()?;
        let mut lines = Vec::new();
        match session.run(&cmd, self.deadline, &mut |l| lines.push(l.to_string())) {
            CmdOutcome::Exited(0) => {}
            _ => return self.env.get(name).cloned(),
        }
        let hex = lines.concat();
        let bytes: Vec<u8> = (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Runs a phase's commands then its finally block. Returns its status and, on failure, CodeBuild's context message.
    fn phase(&mut self, name: PhaseName, succeeding: bool) -> (PhaseStatus, Option<String>) {
        let phase = name.upper();
        let Some(p) = self.spec.phase(name).cloned() else {
            return (PhaseStatus::Succeeded, None);
        };
        // CODEBUILD_BUILD_SUCCEEDING is 1 until something failed.
        self.command(
            phase,
            &format!("export CODEBUILD_BUILD_SUCCEEDING={}", u8::from(succeeding)),
            true,
        );
        let mut failure: Option<(PhaseStatus, String)> = None;
        for c in &p.commands {
            match self.command(phase, c, false) {
                CmdOutcome::Exited(0) => {}
                CmdOutcome::TimedOut => {
                    failure = Some((
                        PhaseStatus::TimedOut,
                        format!(
                            "BUILD_TIMEOUT Message: Build timed out while executing command: {c}"
                        ),
                    ));
                    break;
                }
                CmdOutcome::Exited(code) | CmdOutcome::ShellExited(code) => {
                    failure = Some((
                        PhaseStatus::Failed,
                        format!(
                            "COMMAND_EXECUTION_ERROR Message: Error while executing command: {c}. Reason: exit status {code}"
                        ),
                    ));
                    break;
                }
            }
        }
        if !matches!(failure, Some((PhaseStatus::TimedOut, _))) {
            for c in &p.finally {
                match self.command(phase, c, false) {
                    CmdOutcome::Exited(0) => {}
                    CmdOutcome::TimedOut => {
                        failure = Some((
                            PhaseStatus::TimedOut,
                            format!(
                                "BUILD_TIMEOUT Message: Build timed out while executing command: {c}"
                            ),
                        ));
                        break;
                    }
                    CmdOutcome::Exited(code) | CmdOutcome::ShellExited(code) => {
                        failure.get_or_insert((
                            PhaseStatus::Failed,
                            format!("COMMAND_EXECUTION_ERROR Message: Error while executing command: {c}. Reason: exit status {code}"),
                        ));
                        break;
                    }
                }
            }
        }
        match failure {
            None => (PhaseStatus::Succeeded, None),
            Some((s, m)) => (s, Some(m)),
        }
    }
}

/// Splits a cache path into (root: home or source, glob relative to it).
fn cache_root(path: &str) -> (bool, String) {
    for prefix in ["~/", "$HOME/", "${HOME}/", "/root/"] {
        if let Some(rest) = path.strip_prefix(prefix) {
            return (true, rest.to_string());
        }
    }
    (false, path.trim_start_matches("./").to_string())
}

/// Runs a parsed buildspec: provisioning, a fresh working copy, the cache
/// restored, the phases by CodeBuild's rules in one shell session,
/// artifacts, reports, the cache saved after success.
pub fn run(
    spec: &Buildspec,
    warnings: &[String],
    opts: &RunOptions,
) -> Result<BuildRun, BuildError> {
    let started = Instant::now();
    let cache = Cache::new(opts.cache_dir.clone().unwrap_or_else(default_cache_dir));
    let source = std::fs::canonicalize(&opts.source_dir)
        .map_err(|e| crate::error::io_err(&opts.source_dir, e))?;
    let project = project_name(opts, &source);
    let id = format!("{project}:{}", uuid::Uuid::new_v4());
    let number_path = cache.root().join("buildspec").join(&project).join("number");
    let number = std::fs::read_to_string(&number_path)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    fsutil::write_atomic(&number_path, number.to_string().as_bytes())?;
    let sandbox = Sandbox::detect(opts.sandbox)?;
    let work = cache.work_dir(&id.replace(':', "-"))?;
    let (src, home, tmp) = (work.join("src"), work.join("home"), work.join("tmp"));
    for d in [&src, &home, &tmp] {
        fsutil::create_dir(d)?;
    }
    let mut log = Log::create(&cache.log_path(&id), &id, opts.log.clone())?;
    let mut deny = opts.deny.clone();
    deny.push(cache.root().to_path_buf());
    deny.push(source.clone());
    // PROVISIONING: the environment, with parameter-store and secrets-manager values.
    let t = Instant::now();
    if let Some(sink) = &opts.events {
        sink(&PhaseEvent {
            build_id: id.clone(),
            phase: "PROVISIONING",
            status: None,
        });
    }
    let mut env = sandbox::base_env(&home, &tmp);
    let start_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let resolved = git(&source, &["rev-parse", "HEAD"]);
    for (k, v) in [
        ("CODEBUILD_BUILD_ID", id.clone()),
        (
            "CODEBUILD_BUILD_ARN",
            format!("arn:aws:codebuild:{}:000000000000:build/{id}", opts.region),
        ),
        ("CODEBUILD_BUILD_NUMBER", number.to_string()),
        ("CODEBUILD_BUILD_IMAGE", "lockgate/local".into()),
        ("CODEBUILD_BUILD_SUCCEEDING", "1".into()),
        ("CODEBUILD_CI", "true".into()),
        ("CODEBUILD_INITIATOR", "lockgate".into()),
        (
            "CODEBUILD_LOG_PATH",
            id.rsplit(':').next().unwrap_or("").to_string(),
        ),
        ("CODEBUILD_SRC_DIR", src.display().to_string()),
        ("CODEBUILD_START_TIME", start_ms.to_string()),
        (
            "CODEBUILD_SOURCE_VERSION",
            git(&source, &["rev-parse", "--abbrev-ref", "HEAD"])
                .or(resolved.clone())
                .unwrap_or_default(),
        ),
        (
            "CODEBUILD_RESOLVED_SOURCE_VERSION",
            resolved.unwrap_or_default(),
        ),
        (
            "CODEBUILD_SOURCE_REPO_URL",
            git(&source, &["config", "--get", "remote.origin.url"]).unwrap_or_default(),
        ),
        ("AWS_REGION", opts.region.clone()),
        ("AWS_DEFAULT_REGION", opts.region.clone()),
    ] {
        env.insert(k.to_string(), v);
    }
    for (k, v) in &spec.variables {
        env.insert(k.clone(), v.clone());
    }
    let mut provisioning_error = None;
    let mut masks = Vec::new();
    for (var, name) in &spec.parameter_store {
        match opts.secrets.as_ref().map(|s| s.parameter(name)) {
            Some(Ok(v)) => {
                masks.push(v.clone());
                env.insert(var.clone(), v);
            }
            Some(Err(e)) => {
                provisioning_error
                    .get_or_insert(format!("parameter-store: {var}: parameter `{name}`: {e}"));
            }
            None => {
                provisioning_error.get_or_insert(format!("parameter-store: {var}: parameter `{name}`: no parameter store was given to this build"));
            }
        }
    }
    for (var, sref) in &spec.secrets_manager {
        let value = match opts.secrets.as_ref().map(|s| s.secret(sref)) {
            Some(Ok(v)) => match &sref.json_key {
                None => Ok(v),
                Some(k) => match serde_json::from_str::<serde_json::Value>(&v)
                    .ok()
                    .and_then(|j| j.get(k).cloned())
                {
                    Some(serde_json::Value::String(s)) => Ok(s),
                    Some(other) => Ok(other.to_string()),
                    None => Err(format!("the secret's value has no JSON key `{k}`")),
                },
            },
            Some(Err(e)) => Err(e.to_string()),
            None => Err("no secrets manager was given to this build".into()),
        };
        match value {
            Ok(v) => {
                masks.push(v.clone());
                env.insert(var.clone(), v);
            }
            Err(e) => {
                provisioning_error.get_or_insert(format!(
                    "secrets-manager: {var}: secret `{}`: {e}",
                    sref.secret_id
                ));
            }
        }
    }
    for (k, v) in &opts.env {
        env.insert(k.clone(), v.clone());
    }
    log.mask(masks);
    let mut r = Runner {
        spec,
        opts,
        id: id.clone(),
        log,
        sandbox,
        src: src.clone(),
        home: home.clone(),
        tmp: tmp.clone(),
        env,
        deny,
        deadline: started + opts.timeout,
        session: None,
        phases: Vec::new(),
        warnings: warnings.to_vec(),
    };
    if let Some(note) = r.sandbox.note() {
        r.log.system(None, note);
        r.warnings.push(note.to_string());
    }
    for w in warnings {
        r.log.system(None, &format!("warning: {w}"));
    }
    let mut status = PhaseStatus::Succeeded;
    if let Some(e) = provisioning_error {
        r.record(
            "PROVISIONING",
            PhaseStatus::Failed,
            t,
            Some(format!("CLIENT_ERROR Message: {e}")),
        );
        status = PhaseStatus::Failed;
    } else {
        r.record("PROVISIONING", PhaseStatus::Succeeded, t, None);
    }

    // DOWNLOAD_SOURCE: the working copy and the cache.
    let mut cache_report = None;
    let cache_key = spec.cache.as_ref().map(|c| {
        (
            c.key.clone().unwrap_or_else(|| "default".into()),
            c.fallback_keys.clone(),
        )
    });
    if status == PhaseStatus::Succeeded {
        let t = Instant::now();
        r.emit("DOWNLOAD_SOURCE", None);
        let n = working_copy(&source, &src)?;
        r.log.system(
            Some("DOWNLOAD_SOURCE"),
            &format!("working copy of {}: {n} files", source.display()),
        );
        let mut download_error = None;
        if let (Some(c), Some((key, fallbacks))) = (&spec.cache, &cache_key) {
            let lookup = |n: &str| r.env.get(n).cloned();
            let expanded = expand(key, &src, &lookup).and_then(|k| {
                let fb: Result<Vec<String>, String> =
                    fallbacks.iter().map(|f| expand(f, &src, &lookup)).collect();
                fb.map(|fb| (k, fb))
            });
            match expanded {
                Err(e) => download_error = Some(format!("CLIENT_ERROR Message: cache key: {e}")),
                Ok((key, fb)) => {
                    let mut report = CacheReport {
                        key: key.clone(),
                        ..Default::default()
                    };
                    if opts.use_cache && c.action != Some(CacheAction::Save) {
                        let ns = format!("buildspec-{project}");
                        let staging = work.join("cache-restore");
                        if let Some(found) = cache.restore_keyed(&ns, &key, &fb, &staging)? {
                            for (sub, into) in [("home", &home), ("src", &src)] {
                                if staging.join(sub).is_dir() {
                                    fsutil::copy_tree(&staging.join(sub), into, &|_| false)?;
                                }
                            }
                            r.log.system(
                                Some("DOWNLOAD_SOURCE"),
                                &format!("restored the cache `{found}`"),
                            );
                            report.restored = Some(found);
                        } else {
                            r.log
                                .system(Some("DOWNLOAD_SOURCE"), &format!("no cache for `{key}`"));
                        }
                        fsutil::remove(&staging)?;
                    }
                    cache_report = Some(report);
                }
            }
        }
        match download_error {
            Some(e) => {
                r.record("DOWNLOAD_SOURCE", PhaseStatus::Failed, t, Some(e));
                status = PhaseStatus::Failed;
            }
            None => r.record("DOWNLOAD_SOURCE", PhaseStatus::Succeeded, t, None),
        }
    }

    // The command phases, by CodeBuild's transitions.
    let mut upload = false;
    if status == PhaseStatus::Succeeded {
        upload = true;
        let mut succeeding = true;
        let mut next = Some(PhaseName::Install);
        while let Some(name) = next {
            let t = Instant::now();
            if r.spec.phase(name).is_some() {
                r.emit(name.upper(), None);
            }
            let (st, msg) = r.phase(name, succeeding);
            if r.spec.phase(name).is_some() {
                r.record(name.upper(), st, t, msg);
            }
            let on_failure = r.spec.phase(name).map(|p| p.on_failure).unwrap_or_default();
            let after = PhaseName::ALL.iter().copied().find(|n| *n > name);
            next = match st {
                PhaseStatus::Succeeded => after,
                PhaseStatus::TimedOut => {
                    status = PhaseStatus::TimedOut;
                    upload = false;
                    None
                }
                PhaseStatus::Failed => {
                    succeeding = false;
                    status = PhaseStatus::Failed;
                    match (on_failure, name) {
                        (OnFailure::Continue, _) => after,
                        // A failed install or pre_build ends the build (no artifacts).
                        (OnFailure::Abort, PhaseName::Install | PhaseName::PreBuild) => {
                            upload = false;
                            None
                        }
                        // post_build still runs after a failed build.
                        (OnFailure::Abort, PhaseName::Build) => Some(PhaseName::PostBuild),
                        (OnFailure::Abort, PhaseName::PostBuild) => None,
                    }
                }
            };
        }
    }

    // Exported variables and names, read from the session before it ends.
    let mut exported = BTreeMap::new();
    for name in &spec.exported_variables {
        if let Some(v) = r.read_var(name) {
            exported.insert(name.clone(), v);
        }
    }
    let mut names_env: BTreeMap<String, String> = BTreeMap::new();
    let all_names: Vec<String> = spec
        .artifacts
        .iter()
        .chain(spec.secondary_artifacts.iter().map(|(_, a)| a))
        .filter_map(|a| a.name.as_deref())
        .flat_map(referenced_names)
        .collect();
    for n in all_names {
        if let Some(v) = r.read_var(&n) {
            names_env.insert(n, v);
        }
    }
    if let Some(s) = r.session.take() {
        s.finish();
    }

    // UPLOAD_ARTIFACTS: always attempted after build and post_build.
    let mut artifacts = Vec::new();
    if upload && (spec.artifacts.is_some() || !spec.secondary_artifacts.is_empty()) {
        let t = Instant::now();
        r.emit("UPLOAD_ARTIFACTS", None);
        let all: Vec<(Option<String>, &ArtifactSpec)> = spec
            .artifacts
            .iter()
            .map(|a| (None, a))
            .chain(
                spec.secondary_artifacts
                    .iter()
                    .map(|(id, a)| (Some(id.clone()), a)),
            )
            .collect();
        let mut error = None;
        for (ident, a) in all {
            match collect_artifact(&r, &cache, &work, ident.clone(), a, &names_env) {
                Ok(rep) => {
                    r.log.system(
                        Some("UPLOAD_ARTIFACTS"),
                        &format!(
                            "artifact {}: {} files, sha256:{}",
                            ident.as_deref().unwrap_or("primary"),
                            rep.files.len(),
                            rep.digest
                        ),
                    );
                    artifacts.push(rep);
                }
                Err(e) => {
                    error.get_or_insert(e);
                }
            }
        }
        match error {
            Some(e) => {
                r.record(
                    "UPLOAD_ARTIFACTS",
                    PhaseStatus::Failed,
                    t,
                    Some(format!("CLIENT_ERROR Message: {e}")),
                );
                status = PhaseStatus::Failed;
            }
            None => r.record("UPLOAD_ARTIFACTS", PhaseStatus::Succeeded, t, None),
        }
    }

    // FINALIZING: reports (also of failed builds), the cache after success.
    let t = Instant::now();
    r.emit("FINALIZING", None);
    let mut reports = Vec::new();
    for rs in &spec.reports {
        let base = src.join(rs.base_directory.as_deref().unwrap_or(""));
        let mut summary = ReportSummary {
            group: rs.group.clone(),
            file_format: rs.file_format.clone(),
            ..Default::default()
        };
        match glob_set(&rs.files) {
            Ok(set) => {
                for f in matching(&base, &set, None)? {
                    summary.add_file(&f.rel, &f.path);
                }
            }
            Err(e) => summary.problems.push(e.to_string()),
        }
        if summary.files.is_empty() && summary.problems.is_empty() {
            summary
                .problems
                .push(format!("no report files matched {}", rs.files.join(", ")));
        }
        r.log.system(
            Some("FINALIZING"),
            &format!(
                "report {}: {} ({} tests: {} succeeded, {} failed, {} error, {} skipped)",
                summary.group,
                summary.status(),
                summary.total,
                summary.succeeded,
                summary.failed,
                summary.error,
                summary.skipped
            ),
        );
        reports.push(summary);
    }
    if status == PhaseStatus::Succeeded
        && opts.use_cache
        && let (Some(c), Some(report)) = (&spec.cache, cache_report.as_mut())
        && c.action != Some(CacheAction::Restore)
    {
        let staging = work.join("cache-save");
        for p in &c.paths {
            let (in_home, glob) = cache_root(p);
            let (root, sub) = if in_home {
                (&home, "home")
            } else {
                (&src, "src")
            };
            if let Ok(set) = glob_set(&[glob]) {
                for f in matching(root, &set, None)? {
                    let to = staging.join(sub).join(&f.rel);
                    if let Some(parent) = to.parent() {
                        fsutil::create_dir(parent)?;
                    }
                    std::fs::copy(&f.path, &to).map_err(|e| crate::error::io_err(&f.path, e))?;
                }
            }
        }
        fsutil::create_dir(&staging)?;
        cache.save_keyed(&format!("buildspec-{project}"), &report.key, &staging)?;
        report.saved = true;
        r.log.system(
            Some("FINALIZING"),
            &format!("saved the cache `{}`", report.key),
        );
    }
    r.record("FINALIZING", PhaseStatus::Succeeded, t, None);
    r.log
        .system(None, &format!("Build {} {}", id, status.as_str()));
    r.log.flush();
    fsutil::remove(&work)?;
    Ok(BuildRun {
        id,
        number,
        status,
        phases: r.phases.clone(),
        artifacts,
        reports,
        exported_variables: exported,
        cache: cache_report,
        log: r.log.path().to_path_buf(),
        sandboxed: r.sandbox.is_sandboxed(),
        sandbox_note: r.sandbox.note().map(str::to_string),
        warnings: r.warnings.clone(),
        duration: started.elapsed(),
    })
}

/// Collects one artifact's files into a staging folder, zips it, and writes
/// it to `--artifacts-dir` when given.
fn collect_artifact(
    r: &Runner<'_>,
    cache: &Cache,
    work: &Path,
    ident: Option<String>,
    a: &ArtifactSpec,
    names_env: &BTreeMap<String, String>,
) -> Result<ArtifactReport, String> {
    let base = r.src.join(a.base_directory.as_deref().unwrap_or(""));
    let include = glob_set(&a.files).map_err(|e| e.to_string())?;
    let exclude = if a.exclude_paths.is_empty() {
        None
    } else {
        Some(glob_set(&a.exclude_paths).map_err(|e| e.to_string())?)
    };
    let found = matching(&base, &include, exclude.as_ref()).map_err(|e| e.to_string())?;
    let what = ident
        .as_deref()
        .map(|i| format!("secondary artifact `{i}`"))
        .unwrap_or_else(|| "the primary artifact".into());
    if found.is_empty() {
        return Err(format!(
            "no matching artifact paths found for {what}: {}",
            a.files.join(", ")
        ));
    }
    let stage = work
        .join("artifacts")
        .join(ident.as_deref().unwrap_or("primary"));
    let mut files = Vec::new();
    for f in &found {
        let rel = if a.discard_paths {
            f.rel.rsplit('/').next().unwrap_or(&f.rel).to_string()
        } else {
            f.rel.clone()
        };
        let to = stage.join(&rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::fs::copy(&f.path, &to).map_err(|e| format!("{}: {e}", f.path.display()))?;
        files.push(rel);
    }
    files.sort();
    files.dedup();
    let tmp_zip = cache.tmp_path("artifact");
    let z = archive::zip_dir(&stage, &tmp_zip).map_err(|e| e.to_string())?;
    let zip = cache.artifact_path(&z.digest);
    if zip.is_file() {
        fsutil::remove(&tmp_zip).map_err(|e| e.to_string())?;
    } else {
        fsutil::move_tree(&tmp_zip, &zip).map_err(|e| e.to_string())?;
    }
    let directory = match &r.opts.artifacts_dir {
        Some(dir) => {
            let dest = match &ident {
                None => dir.clone(),
                Some(i) => dir.join(i),
            };
            fsutil::copy_tree(&stage, &dest, &|_| false).map_err(|e| e.to_string())?;
            Some(dest)
        }
        None => None,
    };
    let name = a.name.as_ref().map(|n| {
        let lookup = |k: &str| names_env.get(k).cloned().or_else(|| r.env.get(k).cloned());
        files::expand(n, &r.src, &lookup).unwrap_or_else(|_| n.clone())
    });
    Ok(ArtifactReport {
        identifier: ident,
        name,
        files,
        digest: z.digest,
        zip,
        directory,
    })
}
