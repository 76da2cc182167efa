//! What a buildspec run reports: phase events as they happen, and the
//! run's outcome.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::reports::ReportSummary;
use crate::digest::Digest;

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
