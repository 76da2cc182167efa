//! Why a deploy, plan or destroy did not happen or did not succeed.

use lockgate_store::StoreError;
use serde_json::{Value, json};

/// Why a deploy did not happen or did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The request itself is wrong (a bad stage name, …); nothing changed.
    #[error("{0}")]
    BadRequest(String),
    /// The template or its parameters are invalid; nothing changed.
    #[error("{message}")]
    Invalid {
        /// One line.
        message: String,
        /// The rendered diagnostics (file, line, column, snippet).
        rendered: String,
        /// The diagnostics as JSON.
        diagnostics: Value,
    },
    /// The stage or stack does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Another deployment is running on the stack.
    #[error("{0}")]
    Conflict(String),
    /// A resource failed; the stack was rolled back (or, when `rollback`
    /// says so, could not be rolled back fully).
    #[error("resource {logical_id} failed: {reason}; {}", match rollback {
        None => "the stack was rolled back to its last good state".to_string(),
        Some(r) => format!("the rollback failed too ({r}); the stack needs attention"),
    })]
    Failed {
        /// The resource.
        logical_id: String,
        /// Why.
        reason: String,
        /// What the rollback could not undo.
        rollback: Option<String>,
    },
    /// The state store failed.
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    /// Something that should not happen.
    #[error("{0}")]
    Internal(String),
}

impl DeployError {
    /// A stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            DeployError::BadRequest(_) => "bad-request",
            DeployError::Invalid { .. } => "invalid-template",
            DeployError::NotFound(_) => "not-found",
            DeployError::Conflict(_) => "conflict",
            DeployError::Failed { .. } => "deploy-failed",
            DeployError::Store(_) => "store",
            DeployError::Internal(_) => "internal",
        }
    }

    /// The HTTP status that carries it.
    pub fn http_status(&self) -> u16 {
        match self {
            DeployError::BadRequest(_) | DeployError::Invalid { .. } => 400,
            DeployError::NotFound(_) => 404,
            DeployError::Conflict(_) => 409,
            DeployError::Failed { .. } => 422,
            DeployError::Store(StoreError::InvalidName { .. }) => 400,
            DeployError::Store(
                StoreError::DeploymentInProgress { .. } | StoreError::AlreadyExists { .. },
            ) => 409,
            DeployError::Store(_) | DeployError::Internal(_) => 500,
        }
    }

    /// An invalid template or request, with one plain message.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        let message = message.into();
        DeployError::Invalid {
            rendered: message.clone(),
            diagnostics: json!([{ "message": message }]),
            message,
        }
    }
}

/// Diagnostics of the template engine as a deploy error.
pub(crate) fn diag_error(d: lockgate_template::Diagnostics) -> DeployError {
    let first = d
        .iter()
        .next()
        .map(|x| match x.location() {
            Some(loc) => format!("{loc}: {}", x.message),
            None => x.message.clone(),
        })
        .unwrap_or_else(|| "invalid template".into());
    let message = if d.len() > 1 {
        format!("{first} (and {} more problems)", d.len() - 1)
    } else {
        first
    };
    DeployError::Invalid {
        message,
        rendered: d.render_plain(100),
        diagnostics: d.to_json(),
    }
}
