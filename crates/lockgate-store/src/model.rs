//! Domain types for apps, stages, stacks and their resources, outputs and events.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::names::{AppName, ExportName, StackRef, StageRef};
use crate::status::{EventStatus, ResourceStatus, StackStatus, Timestamp};

/// An application: a template and everything deployed from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct App {
    /// Its name.
    pub name: AppName,
    /// When it was created.
    pub created_at: Timestamp,
}

/// An isolated stage of an app (`dev`, `prod`, `pr-42`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// The app and stage names.
    pub stage: StageRef,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A stack's committed state (resources, outputs and events are listed separately).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stack {
    /// Which stack.
    pub stack: StackRef,
    /// Its status.
    pub status: StackStatus,
    /// Why it has that status, when there is a reason worth telling.
    pub status_reason: Option<String>,
    /// The (CloudFormation) template last committed, as JSON.
    pub template: Value,
    /// The parameter values last committed, as a JSON object.
    pub parameters: Value,
    /// Incremented by every finished deployment; 0 before the first.
    pub version: u64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The state of one resource of a stack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// The template's logical ID (`MyFunction`).
    pub logical_id: String,
    /// The resource type (`AWS::Lambda::Function`).
    pub resource_type: String,
    /// The physical ID in the local cloud, once created.
    pub physical_id: Option<String>,
    /// The resolved properties it was created or updated with.
    pub properties: Value,
    /// Its status.
    pub status: ResourceStatus,
    /// Why it has that status.
    pub status_reason: Option<String>,
    /// Its attributes for `Fn::GetAtt` (`{"Arn": "…"}`).
    pub attributes: Value,
}

/// The key of a stack's parameters where the server records which
/// committed property values derive from a NoEcho parameter (JSON pointers
/// into each resource's properties, by logical ID; `""`: all of them), so
/// that a later plan masks them even where the new template no longer
/// derives them from one. Names and places only: nothing derived from a
/// secret's value.
pub const NO_ECHO_PATHS: &str = "Lockgate::NoEchoPaths";

/// One output of a stack.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The output's key in the template.
    pub key: String,
    /// Its resolved value as shown: `****` when it derives from a NoEcho
    /// parameter.
    pub value: String,
    /// Its description.
    pub description: Option<String>,
    /// The name it is exported under, if any.
    pub export_name: Option<ExportName>,
    /// The value its export gives `Fn::ImportValue`, when it is not `value`:
    /// the real value of an exported output shown masked. Never shown; sealed
    /// at rest (every export value is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export_value: Option<String>,
}

impl Output {
    /// What its export (if any) gives `Fn::ImportValue`.
    pub fn exported(&self) -> &str {
        self.export_value.as_deref().unwrap_or(&self.value)
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("key", &self.key)
            .field("value", &self.value)
            .field("description", &self.description)
            .field("export_name", &self.export_name)
            .field("export_value", &self.export_value.as_ref().map(|_| "****"))
            .finish()
    }
}

/// A value exported by a stack, importable by other stacks of the same stage
/// with `Fn::ImportValue`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Export {
    /// The export's name, unique in its app and stage.
    pub name: ExportName,
    /// Its value.
    pub value: String,
    /// The stack exporting it.
    pub exporting_stack: StackRef,
    /// The output that declares it.
    pub output_key: String,
}

/// Identifies a stack event; ids grow with time, so they serve as a cursor.
pub type EventId = i64;

/// One entry of a stack's event history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StackEvent {
    /// Its id.
    pub id: EventId,
    /// The stack.
    pub stack: StackRef,
    /// The deployment that produced it, if any.
    pub deployment: Option<crate::deploy::DeploymentId>,
    /// When it happened.
    pub at: Timestamp,
    /// The resource's logical ID, or the stack name for events about the stack.
    pub logical_id: String,
    /// The physical ID, when known.
    pub physical_id: Option<String>,
    /// The resource type (`AWS::CloudFormation::Stack` for the stack itself).
    pub resource_type: String,
    /// The status reached.
    pub status: EventStatus,
    /// Why.
    pub reason: Option<String>,
}

/// The resource type used for events about the stack itself.
pub const STACK_RESOURCE_TYPE: &str = "AWS::CloudFormation::Stack";

/// An event to append (the store assigns id, time and stack).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// The resource's logical ID, or the stack name.
    pub logical_id: String,
    /// The physical ID, when known.
    pub physical_id: Option<String>,
    /// The resource type.
    pub resource_type: String,
    /// The status reached.
    pub status: EventStatus,
    /// Why.
    pub reason: Option<String>,
}

impl NewEvent {
    /// An event about a resource.
    pub fn resource(
        logical_id: impl Into<String>,
        resource_type: impl Into<String>,
        status: ResourceStatus,
    ) -> Self {
        NewEvent {
            logical_id: logical_id.into(),
            physical_id: None,
            resource_type: resource_type.into(),
            status: status.into(),
            reason: None,
        }
    }

    /// Sets the reason.
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the physical ID.
    pub fn with_physical_id(mut self, id: impl Into<String>) -> Self {
        self.physical_id = Some(id.into());
        self
    }
}
