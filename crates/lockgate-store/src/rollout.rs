//! Rollouts: an alias's traffic moving from one published version to
//! another (what CodeDeploy calls a deployment), recorded step by step so
//! a restart finds a shift in progress and settles it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::deploy::DeploymentId;
use crate::names::{AliasName, FunctionName, StackRef, StageRef};
use crate::status::{Timestamp, status_enum};

/// Identifies a rollout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RolloutId(pub i64);

impl fmt::Display for RolloutId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

status_enum!(
    /// Where a rollout stands, in CodeDeploy's vocabulary.
    RolloutStatus {
        /// Traffic is moving.
        InProgress = "InProgress",
        /// All traffic is on the new version.
        Succeeded = "Succeeded",
        /// A hook, an alarm or the canary judgement failed it; traffic is
        /// back on the old version.
        Failed = "Failed",
        /// Stopped by an operator (abort) or by a server stop; traffic is
        /// back on the old version.
        Stopped = "Stopped",
    }
);

/// The request that starts a rollout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRollout {
    /// The stack deployment whose alias update this is, if any.
    pub deployment: Option<DeploymentId>,
    /// The stage.
    pub stage: StageRef,
    /// The alias resource's logical ID.
    pub logical_id: String,
    /// The function.
    pub function: FunctionName,
    /// The alias.
    pub alias: AliasName,
    /// The version traffic moves from.
    pub from_version: u64,
    /// The version traffic moves to.
    pub to_version: u64,
    /// The deployment configuration (`CodeDeployDefault.LambdaCanary10Percent5Minutes`, …).
    pub config: String,
}

/// One step of a rollout's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RolloutEvent {
    /// When.
    pub at: Timestamp,
    /// What: `Start`, `BeforeAllowTraffic`, `Shift`, `Alarm`, `AfterAllowTraffic`, `Promote`, `Abort`, `Rollback`, `End`…
    pub kind: String,
    /// The new version's share of traffic after this step (0 to 1), when it changed.
    pub weight: Option<f64>,
    /// What happened, in words.
    pub message: String,
}

impl RolloutEvent {
    /// An event now.
    pub fn now(kind: impl Into<String>, weight: Option<f64>, message: impl Into<String>) -> Self {
        RolloutEvent {
            at: Timestamp::now(),
            kind: kind.into(),
            weight,
            message: message.into(),
        }
    }
}

/// A rollout record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rollout {
    /// Its id.
    pub id: RolloutId,
    /// The stack deployment it belongs to.
    pub deployment: Option<DeploymentId>,
    /// The stack of that deployment, when known.
    pub stack: Option<StackRef>,
    /// The stage.
    pub stage: StageRef,
    /// The alias resource's logical ID.
    pub logical_id: String,
    /// The function.
    pub function: FunctionName,
    /// The alias.
    pub alias: AliasName,
    /// From this version.
    pub from_version: u64,
    /// To this version.
    pub to_version: u64,
    /// The deployment configuration.
    pub config: String,
    /// Where it stands.
    pub status: RolloutStatus,
    /// The new version's share of traffic now (0 to 1).
    pub weight: f64,
    /// Why it did not succeed.
    pub error: Option<RolloutFailure>,
    /// When it began.
    pub started_at: Timestamp,
    /// When it ended.
    pub finished_at: Option<Timestamp>,
    /// Its timeline, oldest first.
    pub events: Vec<RolloutEvent>,
}

/// Why a rollout did not succeed, as CodeDeploy's `errorInformation` says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RolloutFailure {
    /// CodeDeploy's error code: `ALARM_ACTIVE`, `HOOK_EXECUTION_FAILURE`,
    /// `MANUAL_STOP`, `DEPLOYMENT_FAILURE`, `INTERNAL_ERROR`…
    pub code: String,
    /// What happened.
    pub message: String,
}

/// A physical resource that left a stack in a committed deployment and
/// awaits deletion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Leftover {
    /// Its id in the store.
    pub id: i64,
    /// The stack it left.
    pub stack: StackRef,
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// Its physical ID.
    pub physical_id: String,
    /// Its properties.
    pub properties: serde_json::Value,
    /// Its attributes.
    pub attributes: serde_json::Value,
    /// `Delete` or `Snapshot` (kept resources are not recorded).
    pub policy: String,
    /// Where its properties derive from a NoEcho parameter (JSON pointers
    /// into them; `""` is all of them): what its cleanup reports masks
    /// the values there.
    #[serde(default)]
    pub secret_paths: Vec<String>,
}

/// A leftover to record with a commit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewLeftover {
    /// Its logical ID.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// Its physical ID.
    pub physical_id: String,
    /// Its properties.
    pub properties: serde_json::Value,
    /// Its attributes.
    pub attributes: serde_json::Value,
    /// `Delete` or `Snapshot`.
    pub policy: String,
    /// Where its properties derive from a NoEcho parameter (JSON pointers
    /// into them; `""` is all of them): what its cleanup reports masks
    /// the values there.
    #[serde(default)]
    pub secret_paths: Vec<String>,
}
