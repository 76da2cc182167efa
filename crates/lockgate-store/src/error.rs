//! The one error type of the state layer.

use std::path::PathBuf;

use crate::deploy::{DeploymentId, DeploymentStatus};
use crate::status::StackStatus;

/// A boxed error from a database driver, kept opaque so no backend type leaks
/// into the [`Store`](crate::Store) interface.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in the state layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A name (app, stage, stack, parameter, …) does not have the expected shape.
    #[error("invalid {kind} name `{value}`: expected {expected}")]
    InvalidName {
        /// What was being named ("app", "stage", …).
        kind: &'static str,
        /// The rejected value.
        value: String,
        /// What a valid name looks like.
        expected: &'static str,
    },
    /// A request was malformed (duplicate keys, bad weights, oversized values, …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The named thing does not exist.
    #[error("{kind} `{name}` not found")]
    NotFound {
        /// The kind of thing ("app", "stage", "stack", …).
        kind: &'static str,
        /// Its name or id.
        name: String,
    },
    /// The named thing exists already.
    #[error("{kind} `{name}` already exists")]
    AlreadyExists {
        /// The kind of thing.
        kind: &'static str,
        /// Its name.
        name: String,
    },
    /// The thing still holds live children and cannot be deleted.
    #[error("{kind} `{name}` is not empty: {reason}")]
    NotEmpty {
        /// The kind of thing.
        kind: &'static str,
        /// Its name.
        name: String,
        /// What is still inside.
        reason: String,
    },
    /// A deployment is already running on the stack.
    #[error("stack `{stack}` already has deployment {deployment} in progress")]
    DeploymentInProgress {
        /// The stack.
        stack: String,
        /// The running deployment.
        deployment: DeploymentId,
    },
    /// The deployment is finished and cannot take progress or a commit.
    #[error("deployment {deployment} is {status}, not IN_PROGRESS")]
    DeploymentNotInProgress {
        /// The deployment.
        deployment: DeploymentId,
        /// Its current status.
        status: DeploymentStatus,
    },
    /// The stack's status does not allow the requested operation.
    #[error("stack `{stack}` is {status}; cannot {operation}")]
    InvalidStackState {
        /// The stack.
        stack: String,
        /// Its current status.
        status: StackStatus,
        /// The refused operation.
        operation: &'static str,
    },
    /// The stack changed under a deployment (optimistic concurrency check).
    #[error("stack `{stack}` is at version {actual}, deployment expected {expected}")]
    VersionConflict {
        /// The stack.
        stack: String,
        /// The version the deployment started from.
        expected: u64,
        /// The version found.
        actual: u64,
    },
    /// An export name is already taken in the stage by another stack.
    #[error("export `{name}` is already exported by stack `{owner}` in this stage")]
    ExportConflict {
        /// The export name.
        name: String,
        /// The stack that owns it.
        owner: String,
    },
    /// An export cannot be removed or changed while other stacks import it.
    #[error("export `{name}` cannot be removed or changed: imported by {importers:?}")]
    ExportInUse {
        /// The export name.
        name: String,
        /// The importing stacks.
        importers: Vec<String>,
    },
    /// A stack imports an export that no stack in the stage provides.
    #[error("no export named `{name}` in this stage")]
    ImportNotFound {
        /// The missing export name.
        name: String,
    },
    /// The key file is missing, malformed or too widely readable.
    #[error("key file {}: {reason}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Encryption or decryption failed (wrong key or tampered ciphertext).
    #[error("cannot decrypt `{what}`: wrong key or tampered ciphertext")]
    Decrypt {
        /// What was being decrypted.
        what: String,
    },
    /// A stored artifact's bytes do not hash to its digest.
    #[error("artifact {expected} is corrupt: its content hashes to {actual}")]
    DigestMismatch {
        /// The digest asked for.
        expected: String,
        /// The digest of the bytes found.
        actual: String,
    },
    /// A file system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "write", …).
        action: &'static str,
        /// The path concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Stored data could not be decoded (a bug or a corrupted database).
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database error: {0}")]
    Backend(#[source] BackendError),
    /// The schema migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[source] BackendError),
}

impl StoreError {
    /// Builds an [`StoreError::Io`] error.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Builds a [`StoreError::NotFound`] error.
    pub fn not_found(kind: &'static str, name: impl Into<String>) -> Self {
        StoreError::NotFound {
            kind,
            name: name.into(),
        }
    }
}

/// The result type of the state layer.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
