//! What every rollout of a server shares: the clock, operators' controls
//! (promote, abort) of the rollouts in progress, and the lifecycle hooks
//! waiting for their `PutLifecycleEventHookExecutionStatus` report.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lockgate_store::{RolloutId, StageRef, Store};
use tokio::sync::{oneshot, watch};

use super::RolloutError;
use super::clock::Clock;
use crate::stage::Stages;

/// An operator's word on a rollout in progress.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// Keep going.
    Run,
    /// Skip the waits: move all traffic now.
    Promote,
    /// Stop with this error: all traffic back on the old version, the
    /// stack update rolled back.
    Stop(RolloutError),
}

/// What a lifecycle hook reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookStatus {
    /// The hook's checks passed.
    Succeeded,
    /// They failed.
    Failed,
}

/// Why an operator's word or a hook's report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    /// No such rollout runs here.
    #[error("deployment {0} is not in progress")]
    NotRunning(String),
    /// No hook execution of that ID is waiting (unknown, finished, or
    /// another stage's).
    #[error("lifecycle event hook execution {0} is not waiting for a status")]
    UnknownHook(String),
}

/// Whether aliases move as their deployment preferences say.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Shifting {
    /// As configured: canary, linear, hooks, alarms.
    #[default]
    Honour,
    /// All at once on these stages, hooks and alarms skipped (`lockgate
    /// up`'s dev stage by default, as `sam sync` skips CodeDeploy); as
    /// configured on the others.
    AllAtOnceOn(Vec<StageRef>),
}

impl Shifting {
    /// Whether a stage's releases follow their deployment preferences.
    pub fn honours(&self, stage: &StageRef) -> bool {
        match self {
            Shifting::Honour => true,
            Shifting::AllAtOnceOn(stages) => !stages.contains(stage),
        }
    }
}

struct PendingHook {
    stage: StageRef,
    deployment_id: String,
    /// The deployment group's ARN: the resource IAM evaluates the hook
    /// function's report against.
    resource: String,
    report: oneshot::Sender<HookStatus>,
}

/// What every rollout of a server shares.
pub struct Rollouts {
    /// The state store.
    pub store: Arc<dyn Store>,
    /// The running stages.
    pub stages: Arc<Stages>,
    /// How fast rollout time runs.
    pub clock: Clock,
    /// How long a hook may take to report (rollout time; CodeDeploy's is an hour).
    pub hook_timeout: Duration,
    /// Whether deployment preferences are honoured.
    pub shifting: Shifting,
    controls: Mutex<HashMap<RolloutId, watch::Sender<Control>>>,
    hooks: Mutex<HashMap<String, PendingHook>>,
}

impl Rollouts {
    /// The rollouts of a server.
    pub fn new(
        store: Arc<dyn Store>,
        stages: Arc<Stages>,
        clock: Clock,
        shifting: Shifting,
    ) -> Self {
        Rollouts {
            store,
            stages,
            clock,
            hook_timeout: Duration::from_secs(3600),
            shifting,
            controls: Mutex::default(),
            hooks: Mutex::default(),
        }
    }

    /// Registers a rollout in progress; its controls arrive on the receiver.
    pub(crate) fn register(&self, id: RolloutId) -> watch::Receiver<Control> {
        let (tx, rx) = watch::channel(Control::Run);
        self.controls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        rx
    }

    /// A rollout ended.
    pub(crate) fn unregister(&self, id: RolloutId) {
        self.controls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }

    fn send(&self, id: RolloutId, control: Control) -> Result<(), ControlError> {
        let controls = self.controls.lock().unwrap_or_else(|e| e.into_inner());
        let tx = controls
            .get(&id)
            .ok_or_else(|| ControlError::NotRunning(super::deployment_id(id)))?;
        tx.send_replace(control);
        Ok(())
    }

    /// Skips the rollout's waits: all traffic moves now (hooks still run).
    pub fn promote(&self, id: RolloutId) -> Result<(), ControlError> {
        self.send(id, Control::Promote)
    }

    /// Stops the rollout: all traffic back on the old version, and the
    /// stack update it belongs to rolled back.
    pub fn abort(&self, id: RolloutId, reason: &str) -> Result<(), ControlError> {
        self.send(id, Control::Stop(RolloutError::Stopped(reason.to_string())))
    }

    /// Stops the rollout because the deploy it belongs to failed elsewhere.
    pub(crate) fn cancel(&self, id: RolloutId, reason: &str) -> Result<(), ControlError> {
        self.send(
            id,
            Control::Stop(RolloutError::Cancelled(reason.to_string())),
        )
    }

    /// The rollouts in progress here.
    pub fn running(&self) -> Vec<RolloutId> {
        self.controls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// A hook execution of `deployment_id` in `stage` waits for its status:
    /// answers its ID and where the report arrives.
    pub(crate) fn expect_hook(
        &self,
        stage: &StageRef,
        deployment_id: &str,
        resource: String,
    ) -> (String, oneshot::Receiver<HookStatus>) {
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        self.hooks.lock().unwrap_or_else(|e| e.into_inner()).insert(
            id.clone(),
            PendingHook {
                stage: stage.clone(),
                deployment_id: deployment_id.to_string(),
                resource,
                report: tx,
            },
        );
        (id, rx)
    }

    /// The deployment group ARN a hook execution reports on, while it waits.
    pub fn hook_resource(&self, execution_id: &str) -> Option<String> {
        self.hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(execution_id)
            .map(|h| h.resource.clone())
    }

    /// Forgets a hook execution (it reported, failed or timed out).
    pub(crate) fn forget_hook(&self, execution_id: &str) {
        self.hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(execution_id);
    }

    /// A hook's report (`PutLifecycleEventHookExecutionStatus`), from a
    /// function of `caller` (its stage's credentials signed the call).
    pub fn report_hook(
        &self,
        caller: Option<&StageRef>,
        deployment_id: &str,
        execution_id: &str,
        status: HookStatus,
    ) -> Result<(), ControlError> {
        let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        let matches = hooks.get(execution_id).is_some_and(|h| {
            h.deployment_id == deployment_id && caller.is_none_or(|c| *c == h.stage)
        });
        if !matches {
            return Err(ControlError::UnknownHook(execution_id.to_string()));
        }
        match hooks.remove(execution_id) {
            // The waiting side may have timed out at this very moment: then
            // the report is simply too late, as on CodeDeploy.
            Some(h) => {
                let _ = h.report.send(status);
                Ok(())
            }
            None => Err(ControlError::UnknownHook(execution_id.to_string())),
        }
    }
}
