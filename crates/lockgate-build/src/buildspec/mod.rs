//! A CodeBuild-compatible buildspec runner (version 0.2).
//!
//! [`spec::read`] / [`spec::parse`] read a `buildspec.yml` with the line and
//! column of every key; [`run`] runs it:
//!
//! - **PROVISIONING**: a clean environment ([`crate::sandbox::base_env`]),
//!   the `CODEBUILD_*` variables (`CODEBUILD_BUILD_ID`, `CODEBUILD_SRC_DIR`,
//!   `CODEBUILD_RESOLVED_SOURCE_VERSION`, …), `env.variables`, and
//!   `env.parameter-store` / `env.secrets-manager` values from the caller's
//!   [`SecretSource`] (masked as `***` in the log);
//! - **DOWNLOAD_SOURCE**: a fresh working copy of the source (what a clone
//!   holds: `.gitignore`d files and `.git` left out), and the `cache` restored
//!   (its key, else the newest entry matching a fallback key as a prefix);
//! - **INSTALL, PRE_BUILD, BUILD, POST_BUILD**: every command in one shell
//!   session (`env.shell`: `/bin/sh` by default, or `bash`), so `cd` and
//!   `export` carry over; `finally` runs after a phase's commands even when
//!   one failed; CodeBuild's rules: a failed install or pre_build ends the
//!   build, a failed build still runs post_build with
//!   `CODEBUILD_BUILD_SUCCEEDING=0`, `on-failure: CONTINUE` goes on with the
//!   next phase;
//! - **UPLOAD_ARTIFACTS**, after build and post_build (even failed ones):
//!   `artifacts` and `secondary-artifacts` (`files` globs, `base-directory`,
//!   `discard-paths`, `exclude-paths`, `name`), each a deterministic zip
//!   named by its SHA-256, written to the artifacts directory when given;
//! - **FINALIZING**: `reports` (JUnit XML) collected and summarised, also for
//!   failed builds; the cache saved after a successful build.
//!
//! Everything runs in the build's own workspace, `HOME` and `TMPDIR`, with
//! a time limit, sandboxed where bubblewrap runs, with no network unless
//! [`RunOptions::network`] is set.

mod artifacts;
mod files;
mod outcome;
pub mod reports;
mod run;
mod runner;
mod secrets;
pub mod shell;
mod source;
pub mod spec;

pub use files::{BadGlob, expand, glob_set};
pub use outcome::{
    ArtifactReport, BuildRun, CacheReport, PhaseEvent, PhaseReport, PhaseSink, PhaseStatus,
};
pub use reports::{ReportSummary, TestFailure};
pub use run::{RunOptions, run};
pub use secrets::{LookupError, SecretSource, StaticSecrets};
pub use spec::{Buildspec, Parsed, PhaseName, Problem, SecretRef, SpecError, parse, read};
