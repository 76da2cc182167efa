//! The engine's errors: what a provider reports, what resolving a
//! resource's properties reports, and how an apply ended.

use std::sync::Arc;

/// What kind of failure a provider met; callers map it to their own
/// vocabulary (an HTTP status, an exit code) without parsing messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ErrorKind {
    /// A property is missing or has a value the type does not accept.
    InvalidProperty,
    /// Something the resource refers to does not exist.
    NotFound,
    /// The resource (or its name) already exists, or is in use.
    Conflict,
    /// The resource asks for something that cannot run locally.
    Unsupported,
    /// A rollout (traffic shift) of the resource failed or was stopped.
    Rollout,
    /// The state store or the machine failed.
    Internal,
}

/// A provider's failure, reported against the resource it was working on.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ProviderError {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// The message, naming the property or the missing thing.
    pub message: String,
    /// The underlying error, when there is one (e.g. the store's).
    #[source]
    pub source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl PartialEq for ProviderError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.message == other.message
    }
}

impl ProviderError {
    /// A failure of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        ProviderError {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// A bad or missing property.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidProperty, message)
    }

    /// Something referred to does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// Something that cannot run locally.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// An internal failure.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Attaches the underlying error.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }
}

/// Why a resource's properties could not be resolved at apply time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A value depends on something that is not known locally.
    #[error("property {path} refers to a value that is not known locally ({function})")]
    Unknown {
        /// Where, e.g. `Environment.Variables.X`.
        path: String,
        /// The intrinsic function left, e.g. `Fn::GetAtt`.
        function: String,
    },
    /// Evaluating the template failed.
    #[error("{0}")]
    Evaluation(String),
}

impl From<ResolveError> for ProviderError {
    fn from(e: ResolveError) -> Self {
        let kind = match e {
            ResolveError::Unknown { .. } => ErrorKind::NotFound,
            ResolveError::Evaluation(_) => ErrorKind::InvalidProperty,
        };
        ProviderError::new(kind, e.to_string())
    }
}

/// How an apply ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// A resource failed; the stack was rolled back to its previous state.
    #[error("resource {logical_id} failed: {error}; the stack was rolled back")]
    RolledBack {
        /// The resource that failed first.
        logical_id: String,
        /// Why.
        error: ProviderError,
    },
    /// A resource failed and so did part of the rollback; the stack needs attention.
    #[error("resource {logical_id} failed: {error}; rollback failed too: {}", rollback_text(.rollback))]
    RollbackFailed {
        /// The resource that failed first.
        logical_id: String,
        /// Why.
        error: ProviderError,
        /// What the rollback could not undo, by logical ID.
        rollback: Vec<(String, ProviderError)>,
    },
    /// The template names a resource type with no provider.
    #[error("no provider for resource type {0}")]
    NoProvider(String),
    /// The dependency graph has a cycle through these resources.
    #[error("circular dependency between resources: {}", .0.join(", "))]
    Cycle(Vec<String>),
}

fn rollback_text(failures: &[(String, ProviderError)]) -> String {
    failures
        .iter()
        .map(|(id, e)| format!("{id}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}
