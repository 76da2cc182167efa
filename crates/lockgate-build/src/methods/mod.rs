//! Build methods: one file per method, each filling an output directory
//! with the files of one function's or layer's artifact.
//!
//! | method | file | what it runs |
//! |---|---|---|
//! | `python` | [`python`] | pip, for `requirements.txt` |
//! | `node` | [`node`] | `npm ci` / `npm install`, production dependencies only |
//! | `makefile` | [`makefile`] | `make build-<LogicalId>` with `ARTIFACTS_DIR` |
//! | `cargo` | [`cargo`] | `cargo build --release`, the binary as `bootstrap` |
//! | `java` | [`java`] | `javac` against Lockgate's stand-in Lambda API, the jars of `lib/` and `pom.xml` |
//! | `copy` | here | nothing: the code directory as it is |
//!
//! Every step that runs a tool runs in a fresh workspace under the cache's
//! `work/` directory, with its own `HOME` and `TMPDIR`, confined by the
//! [`Sandbox`]; the network is open only to steps that fetch dependencies.

pub mod cargo;
pub mod java;
pub mod makefile;
pub mod node;
pub mod python;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::cache::Cache;
use crate::digest::{Digest, KeyHasher};
use crate::error::BuildError;
use crate::fsutil;
use crate::log::{Log, Stream};
use crate::process;
use crate::sandbox::{self, Jail, Sandbox};
use crate::template::{Kind, Method, Target};

/// Bumped when what a method produces changes, so older results are not reused.
const FORMAT: &str = "lockgate-build/1";

/// Everything one build may use.
pub(crate) struct Ctx<'a> {
    pub target: &'a Target,
    pub cache: &'a Cache,
    pub sandbox: &'a Sandbox,
    pub log: &'a Log,
    /// This build's ephemeral directory (removed when it ends).
    pub work: PathBuf,
    pub deadline: Instant,
    pub use_cache: bool,
    /// Directories no step may see.
    pub deny: Vec<PathBuf>,
}

/// Entries never copied from a code directory: Lockgate's state at any
/// depth (a server started in a subdirectory keeps its admin token there,
/// which a build step — a dependency's install script — must not read).
pub(crate) fn skip_common(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    matches!(name, ".git" | "__pycache__")
        || name == lockgate_artifact::NEVER_PACKED
        || (!rel.contains('/') && name == ".aws-sam")
}

/// What a method skips when copying a code directory.
pub(crate) fn skip_for(method: &Method) -> fn(&str) -> bool {
    match method {
        Method::Node { .. } => |rel| skip_common(rel) || rel == "node_modules",
        Method::Cargo { .. } => |rel| skip_common(rel) || rel == "target",
        // Maven's and Gradle's outputs.
        Method::Java { .. } => {
            |rel| skip_common(rel) || matches!(rel, "target" | "build" | ".gradle")
        }
        _ => skip_common,
    }
}

/// The tool a method runs, looked up on `PATH` (part of the input key, so a
/// different interpreter means a different build).
fn tool_of(method: &Method) -> String {
    let name = match method {
        Method::Python { version } => format!("python{version}"),
        Method::Node { .. } => "npm".into(),
        Method::Makefile => "make".into(),
        Method::Cargo { .. } => "cargo".into(),
        Method::Java { .. } => {
            return java::javac()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "javac".into());
        }
        Method::Copy => return String::new(),
    };
    sandbox::find_on_path(&name)
        .map(|p| p.display().to_string())
        .unwrap_or(name)
}

/// The input key of a build: everything its result depends on (the code
/// directory's files, the method and its settings, the runtime, the
/// architecture, the tool). The same key means the same artifact, so a build
/// whose key is in the index is not run again.
pub(crate) fn input_key(target: &Target, make_target: &str) -> Result<Digest, BuildError> {
    let mut k = KeyHasher::new(FORMAT);
    k.text(match target.kind {
        Kind::Function => "function",
        Kind::Layer => "layer",
    });
    k.text(&serde_json::to_string(&target.method).unwrap_or_default());
    k.text(target.runtime.as_deref().unwrap_or(""));
    k.text(&target.architecture);
    k.text(&target.build_properties.to_string());
    k.text(&tool_of(&target.method));
    if target.method == Method::Makefile {
        k.text(make_target);
    }
    let skip = skip_for(&target.method);
    k.tree(&target.code_dir, &skip)?;
    Ok(k.finish())
}

/// Builds `ctx.target` into `out` (created). `make_target` is the logical
/// ID whose `build-<id>` Makefile target runs.
pub(crate) fn build(ctx: &Ctx<'_>, out: &Path, make_target: &str) -> Result<(), BuildError> {
    fsutil::create_dir(out)?;
    match &ctx.target.method {
        Method::Python { version } => python::build(ctx, version, out),
        Method::Node { major } => node::build(ctx, major, out),
        Method::Makefile => makefile::build(ctx, make_target, out),
        Method::Cargo { binary } => cargo::build(ctx, binary.as_deref(), out),
        Method::Java { version } => java::build(ctx, version, out),
        Method::Copy => {
            ctx.log.system(
                Some("copy"),
                &format!("copying {}", ctx.target.code_dir.display()),
            );
            fsutil::copy_tree(&ctx.target.code_dir, out, &skip_common).map(|_| ())
        }
    }
}

/// One tool invocation of a build.
pub(crate) struct Step<'a> {
    /// Its name in logs and errors (`pip install`).
    pub name: &'a str,
    pub program: String,
    pub args: Vec<OsString>,
    /// Where it runs (the workspace).
    pub cwd: PathBuf,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    pub writable: Vec<PathBuf>,
    pub readable: Vec<PathBuf>,
    pub network: bool,
}

impl Ctx<'_> {
    /// The step's home directory (created).
    pub fn home(&self) -> Result<PathBuf, BuildError> {
        let h = self.work.join("home");
        fsutil::create_dir(&h)?;
        Ok(h)
    }

    /// Runs a step confined to the workspace, its home and its temporary
    /// directory; fails with the log's tail when it does not exit 0.
    /// `on_line` sees each output line first and says whether to log it.
    pub fn run(
        &self,
        step: Step<'_>,
        on_line: &mut dyn FnMut(&str) -> bool,
    ) -> Result<(), BuildError> {
        let home = self.home()?;
        let tmp = self.work.join("tmp");
        fsutil::create_dir(&tmp)?;
        let mut env = sandbox::base_env(&home, &tmp);
        env.extend(step.env.iter().cloned());
        let jail = Jail {
            workspace: step.cwd.clone(),
            home,
            tmp,
            writable: step.writable.clone(),
            readable: step.readable.clone(),
            deny: self.deny.clone(),
            network: step.network,
        };
        let cmd = self
            .sandbox
            .command(&jail, &step.program, &step.args, &env, &step.cwd);
        let shown: Vec<String> = std::iter::once(step.program.clone())
            .chain(step.args.iter().map(|a| a.to_string_lossy().into_owned()))
            .collect();
        self.log
            .system(Some(step.name), &format!("Running {}", shown.join(" ")));
        let log = self.log;
        let outcome = process::run(cmd, self.deadline, &mut |line| {
            if on_line(line) {
                log.line(Some(step.name), Stream::Output, line);
            }
        })
        .map_err(|e| BuildError::StepFailed {
            logical_id: self.target.logical_id.clone(),
            step: step.name.to_string(),
            outcome: format!("could not start `{}`: {e}", step.program),
            log: self.log.path().to_path_buf(),
            tail: Vec::new(),
        })?;
        if outcome.success() {
            return Ok(());
        }
        self.log.system(
            Some(step.name),
            &format!("{} {}", step.name, outcome.describe()),
        );
        self.log.flush();
        Err(BuildError::StepFailed {
            logical_id: self.target.logical_id.clone(),
            step: step.name.to_string(),
            outcome: outcome.describe(),
            log: self.log.path().to_path_buf(),
            tail: self.log.tail(),
        })
    }

    /// A resource error about this target.
    pub fn error(&self, file: &str, message: String) -> BuildError {
        BuildError::Resource {
            file: file.to_string(),
            logical_id: self.target.logical_id.clone(),
            message,
        }
    }

    /// A fresh copy of the code directory to run a tool in.
    pub fn workspace(&self) -> Result<PathBuf, BuildError> {
        let ws = self.work.join("src");
        let skip = skip_for(&self.target.method);
        fsutil::copy_tree(&self.target.code_dir, &ws, &skip)?;
        Ok(ws)
    }
}

/// A layer's files go under this folder of the artifact (`python/`, `nodejs/`).
pub(crate) fn layer_prefix(target: &Target, folder: &str) -> PathBuf {
    match target.kind {
        Kind::Layer => PathBuf::from(folder),
        Kind::Function => PathBuf::new(),
    }
}

/// Copies `deps` then the code directory into `dest` (the code wins where both have a file).
pub(crate) fn assemble(ctx: &Ctx<'_>, deps: Option<&Path>, dest: &Path) -> Result<(), BuildError> {
    if let Some(d) = deps {
        fsutil::copy_tree(d, dest, &|rel| rel == ".complete")?;
    }
    let skip = skip_for(&ctx.target.method);
    fsutil::copy_tree(&ctx.target.code_dir, dest, &skip)?;
    Ok(())
}
