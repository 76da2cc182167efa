//! Running a buildspec as CodeBuild does: the phases in order.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::artifacts::collect_artifact;
use super::files::{expand, glob_set, matching, referenced_names};
use super::outcome::{BuildRun, CacheReport, PhaseEvent, PhaseSink, PhaseStatus};
use super::reports::ReportSummary;
use super::runner::{Runner, cache_root};
use super::secrets::SecretSource;
use super::source::{git, project_name, working_copy};
use super::spec::{ArtifactSpec, Buildspec, CacheAction, OnFailure, PhaseName};
use crate::cache::{Cache, default_cache_dir};
use crate::error::BuildError;
use crate::fsutil;
use crate::log::{Log, LogSink};
use crate::sandbox::{self, Sandbox, SandboxMode};

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
