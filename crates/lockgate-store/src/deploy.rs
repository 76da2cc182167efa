//! Deployments: the records that make a deploy crash-safe.
//!
//! The protocol (see `docs/state.md`):
//! 1. [`Store::begin_deployment`](crate::Store::begin_deployment) writes the
//!    deployment, `IN_PROGRESS`, with the target state and a snapshot of the
//!    previous state, and marks the stack `*_IN_PROGRESS` — one transaction.
//! 2. [`Store::record_progress`](crate::Store::record_progress) records each
//!    resource operation (physical IDs included) and its stack event.
//! 3. [`Store::finish_deployment`](crate::Store::finish_deployment) replaces the
//!    stack's resources, outputs, exports, template and status and closes the
//!    deployment — one transaction, so a crash leaves the old state or the new.
//! 4. At startup, [`Store::recover_interrupted`](crate::Store::recover_interrupted)
//!    lists deployments still `IN_PROGRESS` with their progress, so the engine
//!    can roll them back (to [`Deployment::previous`]) or forward.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{NewEvent, Output, ResourceState};
use crate::names::{ExportName, StackRef};
use crate::status::{ResourceStatus, StackStatus, Timestamp};

/// Identifies a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeploymentId(pub i64);

impl fmt::Display for DeploymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

use crate::status::status_enum;

status_enum!(
    /// What a deployment does to its stack.
    DeploymentKind {
        /// Creates the stack (absent, deleted, or a rolled-back create).
        Create = "CREATE",
        /// Updates a live stack.
        Update = "UPDATE",
        /// Deletes a stack.
        Delete = "DELETE",
    }
);

impl DeploymentKind {
    /// The stack status while a deployment of this kind runs.
    pub fn in_progress_status(self) -> StackStatus {
        match self {
            DeploymentKind::Create => StackStatus::CreateInProgress,
            DeploymentKind::Update => StackStatus::UpdateInProgress,
            DeploymentKind::Delete => StackStatus::DeleteInProgress,
        }
    }

    /// The stack status a rollback of this kind ends in.
    pub fn rolled_back_status(self) -> StackStatus {
        match self {
            DeploymentKind::Create => StackStatus::RollbackComplete,
            DeploymentKind::Update => StackStatus::UpdateRollbackComplete,
            DeploymentKind::Delete => StackStatus::DeleteFailed,
        }
    }
}

status_enum!(
    /// Where a deployment stands.
    DeploymentStatus {
        /// Running (or interrupted by a crash, see `recover_interrupted`).
        InProgress = "IN_PROGRESS",
        /// The target state was committed.
        Succeeded = "SUCCEEDED",
        /// It failed and the stack was rolled back.
        RolledBack = "ROLLED_BACK",
        /// It failed and could not be rolled back fully.
        Failed = "FAILED",
    }
);

/// How a deployment ended; the argument of `finish_deployment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeploymentOutcome {
    /// The target state was reached.
    Succeeded,
    /// It failed and the stack was put back to its previous state.
    RolledBack,
    /// It failed and the stack is left as committed (e.g. `UPDATE_ROLLBACK_FAILED`).
    Failed,
}

impl DeploymentOutcome {
    /// The deployment status this outcome records.
    pub fn status(self) -> DeploymentStatus {
        match self {
            DeploymentOutcome::Succeeded => DeploymentStatus::Succeeded,
            DeploymentOutcome::RolledBack => DeploymentStatus::RolledBack,
            DeploymentOutcome::Failed => DeploymentStatus::Failed,
        }
    }
}

/// What a deployment is meant to reach: a template and its parameter values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackTarget {
    /// The template, as JSON.
    pub template: Value,
    /// The parameter values, as a JSON object.
    pub parameters: Value,
}

/// A stack's complete committed state, as captured before a deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackSnapshot {
    /// Its status.
    pub status: StackStatus,
    /// Its status reason.
    pub status_reason: Option<String>,
    /// Its template.
    pub template: Value,
    /// Its parameter values.
    pub parameters: Value,
    /// Its version.
    pub version: u64,
    /// Its resources, ordered by logical ID.
    pub resources: Vec<ResourceState>,
    /// Its outputs, ordered by key.
    pub outputs: Vec<Output>,
    /// The exports it imports, ordered.
    pub imports: Vec<ExportName>,
}

/// The request that starts a deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BeginDeployment {
    /// The stack (its app and stage must exist).
    pub stack: StackRef,
    /// Create, update or delete.
    pub kind: DeploymentKind,
    /// Who asked for it.
    pub initiated_by: String,
    /// The change set the engine computed, as JSON.
    pub change_set: Value,
    /// The state to reach.
    pub target: StackTarget,
}

/// A deployment record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Its id.
    pub id: DeploymentId,
    /// The stack.
    pub stack: StackRef,
    /// What it does.
    pub kind: DeploymentKind,
    /// Where it stands.
    pub status: DeploymentStatus,
    /// Who asked for it.
    pub initiated_by: String,
    /// The change set, as JSON.
    pub change_set: Value,
    /// The state it aims at.
    pub target: StackTarget,
    /// The stack's state when it began (`None` when the stack was new).
    pub previous: Option<StackSnapshot>,
    /// The stack version it started from.
    pub base_version: u64,
    /// Why it ended as it did.
    pub reason: Option<String>,
    /// When it began.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
}

/// One resource operation of a running deployment.
///
/// Recorded before and after each provider call, so that after a crash the
/// engine knows which physical resources exist that the committed state does
/// not mention.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceProgress {
    /// The logical ID.
    pub logical_id: String,
    /// The resource type.
    pub resource_type: String,
    /// The physical ID, once known.
    pub physical_id: Option<String>,
    /// The status reached.
    pub status: ResourceStatus,
    /// Why.
    pub reason: Option<String>,
    /// The properties applied, when known.
    pub properties: Option<Value>,
    /// The attributes obtained, when known.
    pub attributes: Option<Value>,
}

impl ResourceProgress {
    /// A progress record with only the required fields.
    pub fn new(
        logical_id: impl Into<String>,
        resource_type: impl Into<String>,
        status: ResourceStatus,
    ) -> Self {
        ResourceProgress {
            logical_id: logical_id.into(),
            resource_type: resource_type.into(),
            physical_id: None,
            status,
            reason: None,
            properties: None,
            attributes: None,
        }
    }

    /// Sets the physical ID.
    pub fn with_physical_id(mut self, id: impl Into<String>) -> Self {
        self.physical_id = Some(id.into());
        self
    }
}

/// The complete state a stack is committed to at the end of a deployment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackCommit {
    /// The final status (`CREATE_COMPLETE`, `UPDATE_ROLLBACK_COMPLETE`, …).
    pub status: StackStatus,
    /// Its reason.
    pub status_reason: Option<String>,
    /// The template now in force.
    pub template: Value,
    /// The parameter values now in force.
    pub parameters: Value,
    /// Every resource of the stack (replaces the previous set).
    pub resources: Vec<ResourceState>,
    /// Every output (replaces the previous set; exports follow `export_name`).
    pub outputs: Vec<Output>,
    /// The exports this stack imports (replaces the previous set).
    pub imports: Vec<ExportName>,
    /// Events to append, in order, before the final stack event.
    pub events: Vec<NewEvent>,
    /// Physical resources that left the stack and still await deletion
    /// (cleanup runs after the commit; at startup for what a crash left).
    #[serde(default)]
    pub leftovers: Vec<crate::rollout::NewLeftover>,
}

impl StackCommit {
    /// A commit that puts back a snapshot's state, with a new status
    /// (the usual way to finish a rollback).
    pub fn restore(previous: &StackSnapshot, status: StackStatus) -> Self {
        StackCommit {
            status,
            status_reason: None,
            template: previous.template.clone(),
            parameters: previous.parameters.clone(),
            resources: previous.resources.clone(),
            outputs: previous.outputs.clone(),
            imports: previous.imports.clone(),
            events: Vec::new(),
            leftovers: Vec::new(),
        }
    }

    /// A commit of an empty stack (a rolled-back create or a finished delete).
    pub fn empty(status: StackStatus, template: Value, parameters: Value) -> Self {
        StackCommit {
            status,
            status_reason: None,
            template,
            parameters,
            resources: Vec::new(),
            outputs: Vec::new(),
            imports: Vec::new(),
            events: Vec::new(),
            leftovers: Vec::new(),
        }
    }
}

/// A deployment found `IN_PROGRESS` at startup, with what it had done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterruptedDeployment {
    /// The deployment (with its target and previous state).
    pub deployment: Deployment,
    /// The last recorded progress of each resource it touched, by logical ID.
    pub progress: Vec<ResourceProgress>,
}
