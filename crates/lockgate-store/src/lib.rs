//! Lockgate's state layer.
//!
//! - [`Store`]: the async, dyn-compatible interface to the state of a server
//!   (apps, stages, stacks and their resources, outputs, exports and events,
//!   crash-safe deployments, function versions and weighted aliases, SSM-style
//!   parameters with encrypted secure strings, the audit log). It speaks only
//!   domain types; [`SqliteStore`] implements it over an embedded SQLite
//!   database, and a PostgreSQL backend can follow behind the same trait and
//!   the same conformance suite (the `conformance` module and the
//!   `conformance_tests!` macro, behind the `conformance` feature that a
//!   backend's tests turn on).
//! - [`ArtifactStore`]: the content-addressed (SHA-256) artifact store on disk.
//! - [`Keyring`]: the master key (outside the database) sealing secrets.
//!
//! See `docs/state.md` for the schema and the crash-safety protocol.

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod artifacts;
pub mod audit;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod deploy;
pub mod error;
pub mod function;
pub mod model;
pub mod names;
pub mod param;
pub mod rollout;
pub mod secret;
pub mod sqlite;
pub mod status;
mod store;

pub use artifacts::{ArtifactStore, Digest, Manifest, ManifestEntry, NEVER_PACKED};
pub use audit::{AuditEntry, AuditQuery, NewAuditEntry};
pub use deploy::{
    BeginDeployment, Deployment, DeploymentId, DeploymentKind, DeploymentOutcome, DeploymentStatus,
    InterruptedDeployment, ResourceProgress, StackCommit, StackSnapshot, StackTarget,
};
pub use error::{Result, StoreError};
pub use function::{Alias, AliasRouting, AliasSpec, FunctionVersion, NewFunctionVersion};
pub use model::{
    App, EventId, Export, NO_ECHO_PATHS, NewEvent, Output, ResourceState, STACK_RESOURCE_TYPE,
    Stack, StackEvent, Stage,
};
pub use names::{
    AliasName, AppName, ExportName, FunctionName, ParameterName, StackName, StackRef, StageName,
    StageRef,
};
pub use param::{NewParameterValue, Parameter, ParameterType, ParameterValue, PutParameter};
pub use rollout::{
    Leftover, NewLeftover, NewRollout, Rollout, RolloutEvent, RolloutFailure, RolloutId,
    RolloutStatus,
};
pub use secret::{Keyring, SealedValue, SecretString, create_private_dir};
pub use sqlite::SqliteStore;
pub use status::{EventStatus, ResourceStatus, StackStatus, Timestamp};
pub use store::Store;
