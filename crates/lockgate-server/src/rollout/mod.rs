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
//! Around the strategy, the deployment group's lifecycle hooks run
//! (`BeforeAllowTraffic` before any traffic moves, `AfterAllowTraffic` after
//! all of it has) and every wait is watched by the alarms, the canary
//! judgement and the operators (promote, abort) — see [`traffic`].
//!
//! Adding a strategy: implement [`Strategy`] in its own file and name it in
//! [`strategy_for`].

mod all_at_once;
mod canary;
pub mod clock;
pub mod config;
mod linear;
pub mod service;
pub mod traffic;

use async_trait::async_trait;
use lockgate_engine::{Cancel, ErrorKind, ProviderError};
use lockgate_store::RolloutId;
use serde_json::Value;

pub use all_at_once::AllAtOnce;
pub use canary::Canary;
pub use clock::Clock;
pub use config::{DeploymentConfig, TrafficRouting};
pub use linear::Linear;
pub use lockgate_store::StageRef;
pub use service::{Control, ControlError, HookStatus, Rollouts, Shifting};

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
    /// version, or fails with all traffic back on the old one — at once
    /// when `cancel` fires (another resource of the deploy failed).
    async fn shift(
        &self,
        stage: &StageCtx,
        request: ShiftRequest,
        cancel: &Cancel,
    ) -> Result<(), ProviderError>;
}

/// Why a rollout did not finish.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RolloutError {
    /// A lifecycle hook failed, or did not report in time.
    #[error("{0}")]
    Hook(String),
    /// An alarm of the deployment group went to ALARM.
    #[error("{0}")]
    Alarm(String),
    /// The canary judgement found the new version worse than the old.
    #[error("{0}")]
    Judgement(String),
    /// The deployment could not run as configured.
    #[error("{0}")]
    Failed(String),
    /// An operator stopped it (abort, rollback).
    #[error("{0}")]
    Stopped(String),
    /// Another resource of the stack update failed: the update is rolled
    /// back, this rollout with it.
    #[error("{0}")]
    Cancelled(String),
    /// Moving traffic or recording it failed.
    #[error("{0}")]
    Internal(String),
}

impl RolloutError {
    /// CodeDeploy's `errorInformation.code` for it.
    pub fn code(&self) -> &'static str {
        match self {
            RolloutError::Hook(_) => "HOOK_EXECUTION_FAILURE",
            RolloutError::Alarm(_) => "ALARM_ACTIVE",
            RolloutError::Judgement(_) => "CANARY_ANALYSIS_FAILURE",
            RolloutError::Failed(_) => "DEPLOYMENT_FAILURE",
            RolloutError::Stopped(_) => "MANUAL_STOP",
            RolloutError::Cancelled(_) => "CLOUDFORMATION_STACK_FAILURE",
            RolloutError::Internal(_) => "INTERNAL_ERROR",
        }
    }
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

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// The whole period passed.
    Elapsed,
    /// An operator promoted the rollout: move the rest now.
    Promoted,
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
    /// Waits `period` of rollout time (scaled by the clock), watched by the
    /// deployment group's alarms, the canary judgement and the operators:
    /// an alarm or a failed judgement fails the rollout, an abort stops it,
    /// a promotion ends the wait early.
    async fn wait(&self, period: std::time::Duration) -> Result<Waited, RolloutError>;
}

/// How traffic moves from the old version to the new one.
#[async_trait]
pub trait Strategy: Send + Sync {
    /// Its deployment configuration name.
    fn name(&self) -> &str;
    /// Moves all traffic to the new version, or fails.
    async fn run(&self, shift: &dyn Shift) -> Result<(), RolloutError>;
}

/// The strategy of a deployment configuration.
pub fn strategy_for(config: &DeploymentConfig) -> Box<dyn Strategy> {
    let name = config.name.clone();
    match config.routing {
        TrafficRouting::AllAtOnce => Box::new(AllAtOnce),
        TrafficRouting::Canary { percent, interval } => Box::new(Canary {
            name,
            percent,
            interval,
        }),
        TrafficRouting::Linear { percent, interval } => Box::new(Linear {
            name,
            percent,
            interval,
        }),
    }
}

/// A rollout's ID as CodeDeploy writes deployment IDs: `d-` and nine
/// upper-case letters and digits.
pub fn deployment_id(id: RolloutId) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = u64::try_from(id.0).unwrap_or(0);
    let mut out = [b'0'; 9];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    format!("d-{}", String::from_utf8_lossy(&out))
}

/// The rollout a deployment ID (`d-00000000C`) or a plain number (`12`) names.
pub fn parse_deployment_id(text: &str) -> Option<RolloutId> {
    if let Ok(n) = text.parse::<i64>() {
        return (n > 0).then_some(RolloutId(n));
    }
    let digits = text.strip_prefix("d-")?;
    if digits.len() != 9 {
        return None;
    }
    let mut n: i64 = 0;
    for c in digits.chars() {
        n = n.checked_mul(36)?.checked_add(i64::from(c.to_digit(36)?))?;
    }
    (n > 0).then_some(RolloutId(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_ids_read_like_codedeploys_and_back() {
        let id = RolloutId(12);
        assert_eq!(deployment_id(id), "d-00000000C");
        assert_eq!(parse_deployment_id("d-00000000C"), Some(id));
        assert_eq!(parse_deployment_id("d-00000000c"), Some(id));
        assert_eq!(parse_deployment_id("12"), Some(id));
        assert_eq!(parse_deployment_id("d-1"), None);
        assert_eq!(parse_deployment_id("0"), None);
        assert_eq!(parse_deployment_id("x"), None);
        let big = RolloutId(1_000_000_007);
        assert_eq!(parse_deployment_id(&deployment_id(big)), Some(big));
    }
}

/// A [`Shift`] that records what a strategy does, for the strategies' tests.
#[cfg(test)]
pub(crate) mod fake {
    use std::sync::Mutex;
    use std::time::Duration;

    use async_trait::async_trait;
    use lockgate_store::RolloutId;

    use super::{RolloutError, Shift, ShiftRequest, Waited};

    /// Records weights and waits; promotes at the `promote_at`-th wait.
    pub(crate) struct FakeShift {
        pub request: ShiftRequest,
        pub steps: Mutex<Vec<String>>,
        pub promote_at: Option<usize>,
        pub abort_at: Option<usize>,
    }

    impl FakeShift {
        pub(crate) fn new() -> FakeShift {
            FakeShift {
                request: ShiftRequest {
                    logical_id: "FnAliaslive".into(),
                    function: "app-dev-Fn".into(),
                    alias: "live".into(),
                    from: 1,
                    to: 2,
                    application: None,
                    deployment_group: None,
                    before_hook: None,
                    after_hook: None,
                },
                steps: Mutex::default(),
                promote_at: None,
                abort_at: None,
            }
        }

        pub(crate) fn steps(&self) -> Vec<String> {
            self.steps.lock().unwrap().clone()
        }
    }

    #[async_trait]
    impl Shift for FakeShift {
        fn request(&self) -> &ShiftRequest {
            &self.request
        }

        fn rollout(&self) -> RolloutId {
            RolloutId(1)
        }

        async fn set_weight(&self, weight: f64, _message: &str) -> Result<(), RolloutError> {
            self.steps
                .lock()
                .unwrap()
                .push(format!("{:.0}%", weight * 100.0));
            Ok(())
        }

        async fn wait(&self, period: Duration) -> Result<Waited, RolloutError> {
            let mut steps = self.steps.lock().unwrap();
            let n = steps.iter().filter(|s| s.starts_with("wait")).count();
            steps.push(format!("wait {}s", period.as_secs()));
            if self.abort_at == Some(n) {
                return Err(RolloutError::Stopped("stop".into()));
            }
            Ok(if self.promote_at == Some(n) {
                Waited::Promoted
            } else {
                Waited::Elapsed
            })
        }
    }
}
