//! Plans, deploys and destroys: `POST …/plan`, `POST …/deploy`,
//! `DELETE /v1/apps/{app}/stages/{stage}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::ApiError;

/// What a client asks to deploy (or plan): the body of `POST …/plan` and
/// `POST …/deploy`. Everything the server needs is in it or was uploaded
/// before it: the server never reads the client's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeployRequest {
    /// The template's text (YAML or JSON).
    pub template: String,
    /// The template's file name, for diagnostics (default `template.yaml`).
    #[serde(default = "default_template_path")]
    pub template_path: String,
    /// Parameter values by name.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// The stack of the stage to deploy (default: the app's own, named as
    /// the app); left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// Whether to apply the change set (false: compute it and stop, like
    /// `sam deploy --no-execute-changeset`). Default true.
    #[serde(default = "yes")]
    pub execute: bool,
    /// Each local code path exactly as the template writes it (`src/`, `.`)
    /// → the digest of the directory uploaded for it (its manifest's). The
    /// server refuses a request whose template names a path missing here or
    /// a digest it does not hold, before changing anything.
    #[serde(default)]
    pub artifacts: BTreeMap<String, String>,
    /// The stage's permissions mode for its functions' calls to Lockgate's
    /// AWS APIs: `enforce` refuses what a function's role does not allow,
    /// `report` logs it and lets it through. Absent: the stage keeps the
    /// mode it has (`enforce` at first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions: Option<PermissionsMode>,
    /// A token the client chose for this deploy (like CloudFormation's
    /// `ClientRequestToken`): the server keeps the deploy's outcome under it
    /// for a while, so a client whose progress stream broke can ask how the
    /// deploy ended (`GET …/deploys/{token}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_token: Option<String>,
}

/// `GET /v1/apps/{app}/stages/{stage}/deploys/{token}`: how the deploy sent
/// with that client token is doing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeployOutcome {
    /// The client token.
    pub token: String,
    /// Whether the deploy is still running.
    pub running: bool,
    /// Its last stream line once it ended: a `result` or an `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<DeployStreamItem>,
}

/// How a stage treats calls its functions' roles do not allow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum PermissionsMode {
    /// Refuse them with AWS's `AccessDeniedException`.
    #[default]
    Enforce,
    /// Log what would be refused, and allow it.
    Report,
}

impl PermissionsMode {
    /// `enforce` or `report`.
    pub fn as_str(self) -> &'static str {
        match self {
            PermissionsMode::Enforce => "enforce",
            PermissionsMode::Report => "report",
        }
    }

    /// The mode named `s` (`enforce`, `report`).
    pub fn parse(s: &str) -> Option<PermissionsMode> {
        match s {
            "enforce" => Some(PermissionsMode::Enforce),
            "report" => Some(PermissionsMode::Report),
            _ => None,
        }
    }
}

fn default_template_path() -> String {
    "template.yaml".into()
}

fn yes() -> bool {
    true
}

/// The action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Action {
    /// A new resource.
    Add,
    /// An existing resource changes (possibly by replacement).
    Modify,
    /// The resource is deleted.
    Remove,
}

/// Whether a Modify replaces the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Replacement {
    /// A new physical resource is created, then the old one deleted.
    True,
    /// Updated in place.
    False,
    /// Depends on values known only at apply time.
    Conditional,
}

/// How a property's change is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Recreation {
    /// Updated in place.
    Never,
    /// Replaced only in some cases (a value known only at apply time).
    Conditionally,
    /// Always replaced.
    Always,
}

/// Whether a property's new value is known before apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum Evaluation {
    /// Known now.
    Static,
    /// Known only at apply time.
    Dynamic,
}

/// One changed top-level property of a resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PropertyChange {
    /// The property name.
    pub name: String,
    /// How its change is carried out.
    pub requires_recreation: Recreation,
    /// Whether the new value is known before apply.
    pub evaluation: Evaluation,
    /// The deployed value (secrets masked); left out when the property is new.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub before: Option<Value>,
    /// The new value (secrets masked); left out when the property is removed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub after: Option<Value>,
}

/// A field that is present is `Some`, even when its value is `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl Action {
    /// The action as sent (`Add`, `Modify`, `Remove`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "Add",
            Action::Modify => "Modify",
            Action::Remove => "Remove",
        }
    }
}

impl Replacement {
    /// The value as sent (`True`, `False`, `Conditional`).
    pub fn as_str(self) -> &'static str {
        match self {
            Replacement::True => "True",
            Replacement::False => "False",
            Replacement::Conditional => "Conditional",
        }
    }
}

/// The change to one resource, as CloudFormation's change sets describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Change {
    /// The resource's logical ID.
    pub logical_id: String,
    /// Its type (the new one for Add and Modify).
    pub resource_type: String,
    /// What happens to it.
    pub action: Action,
    /// For Modify: whether it is replaced; left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Replacement>,
    /// The properties that differ.
    pub details: Vec<PropertyChange>,
    /// False for types that are recorded but not emulated locally.
    pub emulated: bool,
}

impl Change {
    /// The operation shown to people: `Add`, `Modify`, `Replace` (a Modify
    /// with replacement `True`) or `Remove`.
    pub fn operation(&self) -> &'static str {
        match (self.action, self.replacement) {
            (Action::Add, _) => "Add",
            (Action::Remove, _) => "Remove",
            (Action::Modify, Some(Replacement::True)) => "Replace",
            (Action::Modify, _) => "Modify",
        }
    }
}

/// The change set of a stage: the answer of `POST …/plan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Plan {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// Whether the stack exists yet.
    pub stack_exists: bool,
    /// The changes; unchanged resources are not listed.
    pub changes: Vec<Change>,
    /// Warnings of the template (unknown parameters given, …).
    pub warnings: Vec<String>,
    /// Whether the stack's outputs or parameters change though no resource
    /// does (`changes` lists resources only): a deploy then commits them
    /// as an update. Left out when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub settings_change: bool,
}

/// A stack output as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StackOutput {
    /// `OutputKey`.
    pub key: String,
    /// `OutputValue` (API URLs point at the stage's local gateway).
    pub value: String,
    /// `Description`; left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Export.Name`; left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
}

/// What a finished deploy or destroy answers (the `result` line of its stream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeployResult {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// The stack's status: `CREATE_COMPLETE`, `UPDATE_COMPLETE`, `UNCHANGED`,
    /// `DELETE_COMPLETE`, or `PLANNED` (with `execute: false`).
    pub status: String,
    /// The changes made.
    pub changes: Vec<Change>,
    /// The stack's outputs.
    pub outputs: Vec<StackOutput>,
    /// The stage's URL, when it serves; left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Things worth knowing (types not emulated, routes left out, …).
    pub warnings: Vec<String>,
    /// Milliseconds from request to commit, on the server.
    pub elapsed_ms: u64,
    /// Whether the stack's outputs or parameters change though no resource
    /// does (`changes` lists resources only): a deploy then commits them
    /// as an update. Left out when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub settings_change: bool,
}

/// A resource's progress during a deploy or destroy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProgressEvent {
    /// The resource's logical ID.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `DELETE_FAILED`, …
    pub status: String,
    /// Why, on failures; what happened, on a traffic shift's steps; left
    /// out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// On a step of an alias's traffic shift: its rollout (what CodeDeploy
    /// calls a deployment); left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<RolloutStep>,
}

/// A step of a traffic shift, as a deploy's stream reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RolloutStep {
    /// The deployment's ID (`d-00000000C`), for `lockgate deployment show`.
    pub deployment_id: String,
    /// The new version's share of the alias's traffic after the step (0 to 1).
    pub weight: f64,
    /// `Start`, `BeforeAllowTraffic`, `Shift`, `AfterAllowTraffic`, `End`, `Rollback`, …
    pub kind: String,
}

/// One line of the `application/x-ndjson` answer of a deploy or destroy:
/// `{"event": …}` lines as resources progress, then exactly one
/// `{"result": …}` or `{"error": …}` line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum DeployStreamItem {
    /// A resource's progress.
    Event(ProgressEvent),
    /// The deploy finished: the last line.
    Result(DeployResult),
    /// The deploy was refused or failed (and was rolled back): the last line.
    Error(ApiError),
}
