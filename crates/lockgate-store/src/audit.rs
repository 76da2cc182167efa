//! The audit log: who did what to which target, and when.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::status::Timestamp;

/// One audit log entry.
///
/// `details` must never hold secret values: the store writes parameter
/// entries itself (name, type and version only), and callers pass metadata.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Its id; ids grow with time.
    pub id: i64,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it (a user, a token name, `system`).
    pub actor: String,
    /// What was done (`stack.deploy`, `parameter.put`).
    pub action: String,
    /// What it was done to (`shop/dev/shop`, `/dev/databasePassword`).
    pub target: String,
    /// Further facts, as JSON.
    pub details: Value,
}

/// An audit entry to append.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewAuditEntry {
    /// Who did it.
    pub actor: String,
    /// What was done.
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// Further facts (never secret values).
    pub details: Value,
}

impl NewAuditEntry {
    /// An entry with empty details.
    pub fn new(
        actor: impl Into<String>,
        action: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        NewAuditEntry {
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            details: Value::Object(Default::default()),
        }
    }

    /// Sets the details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Which audit entries to list, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditQuery {
    /// Only entries about this exact target.
    pub target: Option<String>,
    /// Only entries by this actor.
    pub actor: Option<String>,
    /// Only entries older than this id (paging).
    pub before: Option<i64>,
    /// At most this many (default 100).
    pub limit: Option<u32>,
}
