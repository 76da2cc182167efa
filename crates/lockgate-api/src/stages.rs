//! Apps, stages and stacks: `GET /v1/apps`, `GET /v1/apps/{app}/stages/{stage}`,
//! and `GET /v1/health`.

use serde::{Deserialize, Serialize};

use crate::deploy::StackOutput;

/// `GET /v1/health`: the server is up (the one call without a token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// The server's version.
    pub version: String,
    /// Why functions are not isolated from each other and from the server,
    /// when they are not (no bubblewrap here, or `LOCKGATE_SANDBOX=off`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unisolated: Option<String>,
}

/// `?stack=NAME`: a stack of the stage other than the app's own (which is
/// named as the app).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StackQuery {
    /// The stack; the app's own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
}

/// One app of `GET /v1/apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AppSummary {
    /// The app.
    pub app: String,
    /// Every stack of every stage of the app.
    pub stages: Vec<StackSummary>,
}

/// One stack of a stage, in `GET /v1/apps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StackSummary {
    /// The stage.
    pub stage: String,
    /// The stack (the app's own is named as the app).
    pub stack: String,
    /// Its status (`CREATE_COMPLETE`, `DELETE_COMPLETE`, …).
    pub status: String,
    /// How many times it was committed.
    pub version: u64,
    /// When it last changed, in milliseconds since the epoch.
    pub updated_at: i64,
    /// The stage's URL (`null` when it serves nothing).
    pub url: Option<String>,
}

/// `GET /v1/apps/{app}/stages/{stage}`: a stack's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageInfo {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// The stack's status.
    pub status: String,
    /// Why it has that status (a rollback's cause), or `null`.
    pub status_reason: Option<String>,
    /// How many times it was committed.
    pub version: u64,
    /// The stage's URL (`null` when it serves nothing).
    pub url: Option<String>,
    /// The stack's outputs.
    pub outputs: Vec<StackOutput>,
    /// The stack's resources.
    pub resources: Vec<StageResource>,
}

/// One resource of [`StageInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StageResource {
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Its physical ID (`null` when it has none).
    pub physical_id: Option<String>,
    /// Its status.
    pub status: String,
    /// False for types that are recorded but not emulated locally.
    pub emulated: bool,
}

/// `server.json`, which a running server writes into its data directory
/// (`lockgate up`: the app's `.lockgate/`) and the CLI reads to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServerInfo {
    /// The API's URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The file holding the admin token (relative paths are relative to
    /// the `server.json` file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// The server's process ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}
