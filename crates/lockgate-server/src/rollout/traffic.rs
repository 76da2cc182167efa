//! The stage's [`Traffic`]: a rollout recorded in the store, run by the
//! strategy of the alias's deployment group, over the running stage.

use std::sync::Arc;

use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_store::{
    AliasName, AliasRouting, AliasSpec, DeploymentId, FunctionName, NewRollout, RolloutEvent,
    RolloutId, RolloutStatus, StackRef, StageRef, Store,
};

use super::{RolloutError, Shift, ShiftRequest, Traffic, strategy_for};
use crate::resources::StageCtx;
use crate::resources::context::store_error;
use crate::stage::Stages;

/// CodeDeploy's configuration when a deployment group names none.
pub const DEFAULT_CONFIG: &str = "CodeDeployDefault.LambdaAllAtOnce";

/// Rollouts of one stack deployment.
pub struct StageTraffic {
    /// The state store.
    pub store: Arc<dyn Store>,
    /// The running stages.
    pub stages: Arc<Stages>,
    /// The stack deployment the alias updates belong to (set once it begins).
    pub deployment: std::sync::OnceLock<DeploymentId>,
    /// Its stack.
    pub stack: StackRef,
    /// Aliases shifted by this deployment, whose routing holds until it ends.
    pub shifted: std::sync::Mutex<Vec<String>>,
}

impl StageTraffic {
    /// The deployment ended and its outcome is served: the aliases it
    /// shifted follow the stage's committed state again.
    pub fn end(&self, stage: &StageRef) {
        for alias in self
            .shifted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            self.stages.end_shift(stage, &alias);
        }
    }
}

/// The deployment configuration of the deployment group `group` among the
/// stack's resources (CodeDeploy's default when it names none).
fn config_of(stage: &StageCtx, group: Option<&str>) -> String {
    let Some(group) = group else {
        return DEFAULT_CONFIG.into();
    };
    stage
        .live_resources()
        .into_iter()
        .find(|r| {
            r.resource_type == "AWS::CodeDeploy::DeploymentGroup"
                && r.physical_id.as_deref() == Some(group)
        })
        .and_then(|r| {
            r.properties
                .get("DeploymentConfigName")
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| DEFAULT_CONFIG.into())
}

#[async_trait]
impl Traffic for StageTraffic {
    async fn shift(&self, stage: &StageCtx, req: ShiftRequest) -> Result<(), ProviderError> {
        let config = config_of(stage, req.deployment_group.as_deref());
        let strategy = strategy_for(&config)?;
        let function = FunctionName::new(req.function.clone())
            .map_err(|e| ProviderError::invalid(format!("FunctionName: {e}")))?;
        let alias = AliasName::new(req.alias.clone())
            .map_err(|e| ProviderError::invalid(format!("Name: {e}")))?;
        let rollout = self
            .store
            .begin_rollout(NewRollout {
                deployment: self.deployment.get().copied(),
                stage: stage.stage.clone(),
                logical_id: req.logical_id.clone(),
                function: function.clone(),
                alias: alias.clone(),
                from_version: req.from,
                to_version: req.to,
                config: strategy.name().to_string(),
            })
            .await
            .map_err(store_error)?;
        let shift = StageShift {
            store: self.store.clone(),
            stages: self.stages.clone(),
            stage: stage.stage.clone(),
            function,
            alias,
            request: req,
            rollout: rollout.id,
        };
        // The new version (and any new hook function) runs before traffic moves.
        let staged = self
            .stages
            .stage_in(&stage.stage, &self.stack, stage.live_resources())
            .await
            .map_err(|e| RolloutError::Internal(format!("the new version did not start: {e}")));
        let outcome = match staged {
            Ok(()) => strategy.run(&shift).await,
            Err(e) => Err(e),
        };
        let alias_key = format!("{}:{}", shift.request.function, shift.request.alias);
        match outcome {
            Ok(()) => {
                self.store
                    .finish_rollout(
                        rollout.id,
                        RolloutStatus::Succeeded,
                        None,
                        RolloutEvent::now(
                            "End",
                            None,
                            format!("all traffic on version {}", shift.request.to),
                        ),
                    )
                    .await
                    .map_err(store_error)?;
                // The alias's routing holds until the deployment's commit is served.
                self.shifted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(alias_key);
                Ok(())
            }
            Err(e) => {
                let back = shift.route(0.0).await;
                let status = match e {
                    RolloutError::Stopped(_) => RolloutStatus::Stopped,
                    _ => RolloutStatus::Failed,
                };
                let mut message =
                    format!("{e}; all traffic back on version {}", shift.request.from);
                if let Err(b) = &back {
                    message = format!("{e}; moving traffic back failed too: {b}");
                }
                self.store
                    .finish_rollout(
                        rollout.id,
                        status,
                        Some(e.to_string()),
                        RolloutEvent::now("Rollback", Some(0.0), message),
                    )
                    .await
                    .map_err(store_error)?;
                self.stages.end_shift(&stage.stage, &alias_key);
                Err(e.into())
            }
        }
    }
}

/// A running shift of one alias.
struct StageShift {
    store: Arc<dyn Store>,
    stages: Arc<Stages>,
    stage: StageRef,
    function: FunctionName,
    alias: AliasName,
    request: ShiftRequest,
    rollout: RolloutId,
}

impl StageShift {
    /// Routes `weight` of the alias's traffic to the new version, in the
    /// running stage and in the store (so a restart knows where it was).
    async fn route(&self, weight: f64) -> Result<(), RolloutError> {
        let r = &self.request;
        let key = |v: u64| format!("{}:{v}", r.function);
        let (targets, version, routing) = if weight >= 1.0 {
            (vec![(key(r.to), 1.0)], r.to, AliasRouting::default())
        } else if weight <= 0.0 {
            (vec![(key(r.from), 1.0)], r.from, AliasRouting::default())
        } else {
            let mut routing = AliasRouting::default();
            routing.additional_version_weights.insert(r.to, weight);
            (
                vec![(key(r.from), 1.0 - weight), (key(r.to), weight)],
                r.from,
                routing,
            )
        };
        self.stages
            .route_alias(&self.stage, &format!("{}:{}", r.function, r.alias), targets)
            .await
            .map_err(|e| RolloutError::Internal(format!("moving traffic failed: {e}")))?;
        self.store
            .put_alias(
                &self.stage,
                AliasSpec {
                    function: self.function.clone(),
                    name: self.alias.clone(),
                    version,
                    routing,
                    description: None,
                },
            )
            .await
            .map_err(|e| RolloutError::Internal(format!("recording the alias failed: {e}")))?;
        Ok(())
    }
}

#[async_trait]
impl Shift for StageShift {
    fn request(&self) -> &ShiftRequest {
        &self.request
    }

    fn rollout(&self) -> RolloutId {
        self.rollout
    }

    async fn set_weight(&self, weight: f64, message: &str) -> Result<(), RolloutError> {
        if !(0.0..=1.0).contains(&weight) {
            return Err(RolloutError::Internal(format!(
                "weight {weight} is outside 0..=1"
            )));
        }
        self.route(weight).await?;
        self.store
            .record_rollout(
                self.rollout,
                RolloutEvent::now("Shift", Some(weight), message),
            )
            .await
            .map_err(|e| RolloutError::Internal(format!("recording the shift failed: {e}")))?;
        crate::test_hooks::pause_at(&format!("shift:{}", self.request.logical_id)).await;
        Ok(())
    }
}
