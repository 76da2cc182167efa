//! Rollouts: how an alias moves to a new version when its update policy
//! asks CodeDeploy to do it (`UpdatePolicy: CodeDeployLambdaAliasUpdate`,
//! what SAM's `DeploymentPreference` makes).
//!
//! The alias resource type hands the update to the stage's [`Traffic`]
//! ([`ShiftRequest`]); the stack update waits for it, as CloudFormation
//! waits for CodeDeploy. [`traffic::StageTraffic`] records a rollout in the
//! store, stages the new version into the running stage, and runs the
//! [`Strategy`] the deployment group's configuration names, which moves the
//! alias's weights through a [`Shift`] (a direct routing change: no
//! rebuild, no failed request). A failed shift puts all traffic back on the
//! old version and fails the alias update, so the stack update rolls back.
//! A server killed mid-shift rolls the deployment back at restart.
//!
//! Adding a strategy: implement [`Strategy`] in its own file and name it in
//! [`strategy_for`].

mod all_at_once;
pub mod traffic;

use async_trait::async_trait;
use lockgate_engine::{ErrorKind, ProviderError};
use lockgate_store::RolloutId;
use serde_json::Value;

pub use all_at_once::AllAtOnce;

use crate::resources::{Ctx, StageCtx};

/// An alias update a CodeDeploy update policy hands to a rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftRequest {
    /// The alias resource's logical ID.
    pub logical_id: String,
    /// The function's name.
    pub function: String,
    /// The alias's name.
    pub alias: String,
    /// The version traffic is on.
    pub from: u64,
    /// The version traffic moves to.
    pub to: u64,
    /// `ApplicationName` of the policy.
    pub application: Option<String>,
    /// `DeploymentGroupName` of the policy.
    pub deployment_group: Option<String>,
    /// `BeforeAllowTrafficHook`: a function invoked before traffic moves.
    pub before_hook: Option<String>,
    /// `AfterAllowTrafficHook`: a function invoked after all traffic moved.
    pub after_hook: Option<String>,
}

impl ShiftRequest {
    /// The shift an alias update asks for: `None` when its update policy
    /// does not name CodeDeploy, or when the update is a rollback (which
    /// moves traffic back at once, as CodeDeploy's rollback does).
    pub fn of(
        cx: &Ctx<'_>,
        function: &str,
        alias: &str,
        from: u64,
        to: u64,
    ) -> Result<Option<ShiftRequest>, ProviderError> {
        if cx.step.rollback {
            return Ok(None);
        }
        let Some(policy) = cx
            .policies()
            .update
            .as_ref()
            .and_then(|u| u.get("CodeDeployLambdaAliasUpdate"))
        else {
            return Ok(None);
        };
        let text = |key: &str| -> Result<Option<String>, ProviderError> {
            match policy.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(ProviderError::invalid(format!(
                    "UpdatePolicy.CodeDeployLambdaAliasUpdate.{key}: expected a name, got {other}"
                ))),
            }
        };
        Ok(Some(ShiftRequest {
            logical_id: cx.id().to_string(),
            function: function.to_string(),
            alias: alias.to_string(),
            from,
            to,
            application: text("ApplicationName")?,
            deployment_group: text("DeploymentGroupName")?,
            before_hook: text("BeforeAllowTrafficHook")?,
            after_hook: text("AfterAllowTrafficHook")?,
        }))
    }
}

/// Moves an alias's traffic from one version to another for the stage's
/// resource types.
#[async_trait]
pub trait Traffic: Send + Sync {
    /// Shifts `request`'s alias; returns once all traffic is on the new
    /// version, or fails with all traffic back on the old one.
    async fn shift(&self, stage: &StageCtx, request: ShiftRequest) -> Result<(), ProviderError>;
}

/// Why a rollout did not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RolloutError {
    /// A hook, an alarm or a judgement failed it.
    #[error("{0}")]
    Failed(String),
    /// An operator stopped it.
    #[error("{0}")]
    Stopped(String),
    /// Moving traffic or recording it failed.
    #[error("{0}")]
    Internal(String),
}

impl From<RolloutError> for ProviderError {
    fn from(e: RolloutError) -> Self {
        let kind = match e {
            RolloutError::Internal(_) => ErrorKind::Internal,
            _ => ErrorKind::Rollout,
        };
        ProviderError::new(kind, e.to_string())
    }
}

/// What a strategy moves traffic with.
#[async_trait]
pub trait Shift: Send + Sync {
    /// The request.
    fn request(&self) -> &ShiftRequest;
    /// The rollout's record.
    fn rollout(&self) -> RolloutId;
    /// Sends `weight` (0 to 1) of the alias's traffic to the new version
    /// now, and records it with `message`.
    async fn set_weight(&self, weight: f64, message: &str) -> Result<(), RolloutError>;
}

/// How traffic moves from the old version to the new one.
#[async_trait]
pub trait Strategy: Send + Sync {
    /// Its deployment configuration name.
    fn name(&self) -> &str;
    /// Moves all traffic to the new version, or fails.
    async fn run(&self, shift: &dyn Shift) -> Result<(), RolloutError>;
}

/// The strategy of a deployment configuration name (with or without the
/// `CodeDeployDefault.` prefix).
pub fn strategy_for(config: &str) -> Result<Box<dyn Strategy>, RolloutError> {
    let name = config.strip_prefix("CodeDeployDefault.").unwrap_or(config);
    match name {
        "LambdaAllAtOnce" | "AllAtOnce" => Ok(Box::new(AllAtOnce)),
        other => Err(RolloutError::Failed(format!(
            "deployment configuration `{other}` is not supported: expected \
             CodeDeployDefault.LambdaAllAtOnce"
        ))),
    }
}
