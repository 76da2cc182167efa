//! Releases: an alias's traffic shift from one version to another, what
//! CodeDeploy calls a deployment. `GET …/deployments`,
//! `GET /v1/deployments/{id}`, `POST /v1/deployments/{id}/promote|abort`,
//! `POST …/functions/{function}/rollback`.
//!
//! These documents use CodeDeploy's field names (camelCase) and status
//! vocabulary, so what a CodeDeploy user scripts against reads the same.

use serde::{Deserialize, Serialize};

/// One deployment (an alias's traffic shift).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    /// `d-` and nine letters and digits (`d-00000000C`).
    pub deployment_id: String,
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// The stack whose update moved the alias, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// The alias resource's logical ID.
    pub logical_id: String,
    /// The function (its physical name).
    pub function_name: String,
    /// The alias.
    pub alias: String,
    /// The version traffic moves from.
    pub current_version: u64,
    /// The version traffic moves to.
    pub target_version: u64,
    /// `InProgress`, `Succeeded`, `Failed` or `Stopped`.
    pub status: String,
    /// `CodeDeployDefault.LambdaCanary10Percent5Minutes`, … or a custom one.
    pub deployment_config_name: String,
    /// The target version's share of the alias's traffic now (0 to 1).
    pub traffic_weight: f64,
    /// When it began (RFC 3339).
    pub create_time: String,
    /// When it ended (RFC 3339); left out while in progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub complete_time: Option<String>,
    /// Why it did not succeed; left out otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_information: Option<ErrorInformation>,
    /// Its steps, oldest first; with `GET /v1/deployments/{id}` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<TimelineEvent>>,
}

/// CodeDeploy's `errorInformation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorInformation {
    /// `ALARM_ACTIVE`, `HOOK_EXECUTION_FAILURE`, `MANUAL_STOP`,
    /// `CLOUDFORMATION_STACK_FAILURE`, `CANARY_ANALYSIS_FAILURE`,
    /// `DEPLOYMENT_FAILURE`, `INTERNAL_ERROR`.
    pub code: String,
    /// What happened.
    pub message: String,
}

/// One step of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TimelineEvent {
    /// When (RFC 3339, milliseconds).
    pub time: String,
    /// `Start`, `BeforeAllowTraffic`, `Shift`, `Wait`, `Alarm`, `Judgement`,
    /// `Promote`, `AfterAllowTraffic`, `End`, `Rollback`.
    pub kind: String,
    /// The target version's share of traffic after the step, when it moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// What happened.
    pub message: String,
}

/// `?limit=N`: at most this many deployments, newest first (default 50).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct DeploymentsQuery {
    /// The most to list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The body of `POST /v1/deployments/{id}/abort` and of a rollback.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct StopRequest {
    /// Why, for the deployment's error information (default: "stopped by an operator").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What a promote, abort or rollback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct DeploymentAction {
    /// `Promote` or `Abort`.
    pub action: String,
    /// The deployments it applied to.
    pub deployment_ids: Vec<String>,
}
