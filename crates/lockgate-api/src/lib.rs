//! The wire types of Lockgate's HTTP API: every request body, query,
//! response, stream line and error body under `/v1`, used by both the server
//! (`lockgate-server`, which parses requests into these types and answers
//! with them) and the CLI (`lockgate`, which sends and reads them). The
//! reference of the routes is `docs/server.md`; `docs/openapi.yaml` describes
//! the same types, and a test holds the two together.
//!
//! # Conventions
//!
//! - **One spelling per field: `snake_case`**, as the server has always
//!   emitted them (`logical_id`, `resource_type`, `stack_exists`,
//!   `elapsed_ms`). The CLI's `--output json` prints these documents, so a
//!   field is never renamed or removed; new fields may be added.
//! - Values that come from CloudFormation keep CloudFormation's spelling:
//!   statuses (`CREATE_COMPLETE`), actions (`Add`, `Modify`, `Remove`),
//!   replacement (`True`, `False`, `Conditional`), parameter types
//!   (`String`, `StringList`, `SecureString`).
//! - An optional field is either left out when absent (documented as such
//!   on the field) or, where it always was, sent as `null`.
//! - Request bodies refuse unknown fields, so a misspelled field is an
//!   error naming it rather than a silently ignored value.
//! - Errors are always [`ErrorBody`]: `{"error": {"code", "message", …}}`
//!   with a 4xx or 5xx status; on a stream that has already said 200, the
//!   last line is `{"error": {…}}` instead ([`DeployStreamItem::Error`]).
//! - Artifact digests are 64 lowercase hex digits of SHA-256 (the
//!   `lockgate-artifact` crate computes them; this crate carries them as
//!   text and stays free of anything but serde).
//!
//! This crate depends on serde and serde_json only (and, with the `schema`
//! feature, schemars): where the server has a domain type (the engine's
//! change set, the store's parameter), the API has its own wire shape and
//! the server converts.

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod artifacts;
mod deploy;
mod deployments;
mod error;
mod logs;
mod params;
mod schedules;
mod stages;

pub use artifacts::{ArtifactStored, MissingArtifacts, MissingArtifactsRequest};
pub use deploy::{
    Action, Change, DeployOutcome, DeployRequest, DeployResult, DeployStreamItem, Evaluation,
    PermissionsMode, Plan, ProgressEvent, PropertyChange, Recreation, Replacement, RolloutStep,
    StackOutput,
};
pub use deployments::{
    Deployment, DeploymentAction, DeploymentsQuery, ErrorInformation, StopRequest, TimelineEvent,
};
pub use error::{ApiError, ErrorBody, ErrorCode};
pub use logs::{LogLine, LogsQuery};
pub use params::{
    DeletedParameter, GetParameterQuery, ListParametersQuery, Parameter, ParameterType,
    ParameterVersion, PutParameterRequest,
};
pub use schedules::{Schedule, ScheduleFired};
pub use stages::{
    AppSummary, Health, ServerInfo, StackQuery, StackSummary, StageInfo, StageResource,
};

/// The largest body `PUT /v1/artifacts/{digest}` takes: 256 MiB (AWS Lambda's
/// limit for a function's unpacked code and layers is 250 MB, so no file of a
/// deployable function is larger).
pub const MAX_ARTIFACT_BYTES: usize = 256 * 1024 * 1024;

/// The content type of the newline-delimited JSON streams (deploy, destroy, logs).
pub const NDJSON: &str = "application/x-ndjson";

#[cfg(test)]
mod tests;
