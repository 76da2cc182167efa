//! The wire types of deploys (moving to the `lockgate-api` crate).

use std::collections::BTreeMap;
use std::path::PathBuf;

use lockgate_engine::changeset::ResourceChange;
use serde::{Deserialize, Serialize};

/// What a client asks to deploy (or plan).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DeployRequest {
    /// The template's text.
    pub template: String,
    /// The template's file name, for diagnostics.
    #[serde(default = "default_template_path")]
    pub template_path: String,
    /// The directory local code paths are relative to (the template's).
    pub base_dir: PathBuf,
    /// Parameter values.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// The stack of the stage to deploy (default: the app's own, named as the app).
    #[serde(default)]
    pub stack: Option<String>,
    /// Whether to apply the change set (false: create it and stop, like `--no-execute-changeset`).
    #[serde(default = "yes")]
    pub execute: bool,
}

fn default_template_path() -> String {
    "template.yaml".into()
}

fn yes() -> bool {
    true
}

/// One change of a plan, with whether its type runs locally.
#[derive(Debug, Clone, Serialize)]
pub struct PlanChange {
    /// The change, as CloudFormation's change sets describe it.
    #[serde(flatten)]
    pub change: ResourceChange,
    /// False for types that are recorded but not emulated locally.
    pub emulated: bool,
}

/// A change set of a stage.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// Whether the stack exists yet.
    pub stack_exists: bool,
    /// The changes; unchanged resources are not listed.
    pub changes: Vec<PlanChange>,
    /// Warnings of the template (unknown parameters given, …).
    pub warnings: Vec<String>,
}

/// A stack output as clients see it.
#[derive(Debug, Clone, Serialize)]
pub struct OutputView {
    /// `OutputKey`.
    pub key: String,
    /// `OutputValue` (API URLs point at the stage's local gateway).
    pub value: String,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `ExportName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
}

/// What a finished deploy answers.
#[derive(Debug, Clone, Serialize)]
pub struct DeployResult {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// The stack's status (`CREATE_COMPLETE`, `UPDATE_COMPLETE`, `UNCHANGED`, `DELETE_COMPLETE`, or with `--no-execute` `PLANNED`).
    pub status: String,
    /// The changes made.
    pub changes: Vec<PlanChange>,
    /// The outputs.
    pub outputs: Vec<OutputView>,
    /// The stage's URL, when it serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Things worth knowing (not emulated types, routes left out…).
    pub warnings: Vec<String>,
    /// Milliseconds from request to commit.
    pub elapsed_ms: u64,
}

/// A progress event of a deploy, streamed to the client.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressEvent {
    /// The resource's logical ID.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, …
    pub status: String,
    /// Why, on failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
