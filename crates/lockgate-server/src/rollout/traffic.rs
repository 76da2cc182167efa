//! The stage's [`Traffic`]: a rollout recorded in the store, run by the
//! strategy of the alias's deployment group over the running stage, with
//! the group's lifecycle hooks around it and every wait watched.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use lockgate_api::{ProgressEvent, RolloutStep};
use lockgate_cloud::InvokeRequest;
use lockgate_engine::{Cancel, ProviderError};
use lockgate_store::{
    AliasName, AliasRouting, AliasSpec, DeploymentId, FunctionName, NewRollout, ResourceState,
    RolloutEvent, RolloutFailure, RolloutId, RolloutStatus, StackRef, StageRef,
};
use serde_json::Value;
use tokio::sync::{mpsc, watch};

use lockgate_metrics::Timestamp;
use lockgate_metrics::canary::{CanaryConfig, CanaryJudge, Verdict};

use super::config::DeploymentConfig;
use super::service::{Control, HookStatus, Rollouts};
use super::{RolloutError, Shift, ShiftRequest, Traffic, Waited, deployment_id, strategy_for};
use crate::resources::StageCtx;
use crate::resources::context::store_error;
use crate::stage::metrics::StageMetrics;

/// How often the canary judgement looks (real time).
const JUDGE_EVERY: Duration = Duration::from_millis(250);

/// Rollouts of one stack deployment.
pub struct StageTraffic {
    /// What every rollout shares.
    pub rollouts: Arc<Rollouts>,
    /// The stack deployment the alias updates belong to (set once it begins).
    pub deployment: OnceLock<DeploymentId>,
    /// Its stack.
    pub stack: StackRef,
    /// Where the deploy's client follows the shifts.
    pub progress: mpsc::UnboundedSender<ProgressEvent>,
    /// Aliases shifted by this deployment, whose routing holds until it ends.
    pub shifted: Mutex<Vec<String>>,
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
            self.rollouts.stages.end_shift(stage, &alias);
        }
    }
}

/// What a deployment group says about a shift.
struct Group {
    config: DeploymentConfig,
    /// The alarms that stop it (`AlarmConfiguration`, when enabled).
    alarms: Vec<String>,
}

/// The tag that opts a function into the statistical canary judgement.
pub const CANARY_ANALYSIS_TAG: &str = "lockgate:canary-analysis";

/// Whether the function `name` of the stack opted into the canary
/// judgement: its `Tags` hold `lockgate:canary-analysis` = `on` (or `true`).
fn judged(live: &[ResourceState], name: &str) -> bool {
    let on = |v: &Value| {
        v.as_str()
            .is_some_and(|s| matches!(s.to_ascii_lowercase().as_str(), "on" | "true" | "enabled"))
    };
    live.iter()
        .filter(|r| {
            r.resource_type == "AWS::Lambda::Function" && r.physical_id.as_deref() == Some(name)
        })
        .filter_map(|r| r.properties.get("Tags"))
        .any(|tags| match tags {
            Value::Array(list) => list.iter().any(|t| {
                t.get("Key").and_then(Value::as_str) == Some(CANARY_ANALYSIS_TAG)
                    && t.get("Value").is_some_and(on)
            }),
            Value::Object(m) => m.get(CANARY_ANALYSIS_TAG).is_some_and(on),
            _ => false,
        })
}

/// The deployment group `name` among the stack's resources, and its
/// configuration: predefined, an `AWS::CodeDeploy::DeploymentConfig` of
/// the stack, or CodeDeploy's all-at-once when the group names none.
fn group_of(live: &[ResourceState], name: Option<&str>) -> Result<Group, RolloutError> {
    let group = name.and_then(|n| {
        live.iter().find(|r| {
            r.resource_type == "AWS::CodeDeploy::DeploymentGroup"
                && r.physical_id.as_deref() == Some(n)
        })
    });
    let config_name = group
        .and_then(|g| g.properties.get("DeploymentConfigName"))
        .and_then(Value::as_str);
    let alarm_config = group.and_then(|g| g.properties.get("AlarmConfiguration"));
    let enabled = alarm_config
        .and_then(|a| a.get("Enabled"))
        .is_none_or(|e| e.as_bool() != Some(false) && e.as_str() != Some("false"));
    let alarms: Vec<String> = if enabled {
        alarm_config
            .and_then(|a| a.get("Alarms"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| a.get("Name").and_then(Value::as_str).map(str::to_string))
            .collect()
    } else {
        Vec::new()
    };
    let config = match config_name {
        None => DeploymentConfig::all_at_once(),
        Some(n) => match DeploymentConfig::predefined(n) {
            Some(c) => c,
            None => {
                let custom = live.iter().find(|r| {
                    r.resource_type == "AWS::CodeDeploy::DeploymentConfig"
                        && r.physical_id.as_deref() == Some(n)
                });
                match custom {
                    Some(r) => DeploymentConfig::from_resource(n, &r.properties)
                        .map_err(RolloutError::Failed)?,
                    None => {
                        return Err(RolloutError::Failed(format!(
                            "deployment configuration `{n}` does not exist: expected one of \
                             CodeDeploy's predefined Lambda configurations or an \
                             AWS::CodeDeploy::DeploymentConfig of this stack"
                        )));
                    }
                }
            }
        },
    };
    Ok(Group { config, alarms })
}

#[async_trait]
impl Traffic for StageTraffic {
    async fn shift(
        &self,
        stage: &StageCtx,
        req: ShiftRequest,
        cancel: &Cancel,
    ) -> Result<(), ProviderError> {
        let live = stage.live_resources();
        let mut group = group_of(&live, req.deployment_group.as_deref())?;
        let honour = self.rollouts.shifting.honours(&stage.stage);
        if !honour {
            group.config = DeploymentConfig::all_at_once();
        }
        let strategy = strategy_for(&group.config);
        let function = FunctionName::new(req.function.clone())
            .map_err(|e| ProviderError::invalid(format!("FunctionName: {e}")))?;
        let alias = AliasName::new(req.alias.clone())
            .map_err(|e| ProviderError::invalid(format!("Name: {e}")))?;
        let store = &self.rollouts.store;
        let rollout = store
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
        let control = self.rollouts.register(rollout.id);
        let judge = (honour && judged(&live, &req.function)).then(|| {
            Mutex::new(CanaryJudge::new(
                CanaryConfig::default(),
                &req.function,
                &req.alias,
                &req.from.to_string(),
                &req.to.to_string(),
                Timestamp::now(),
            ))
        });
        let shift = StageShift {
            metrics: self.rollouts.stages.metrics(&stage.stage),
            alarms: if honour {
                group.alarms.clone()
            } else {
                Vec::new()
            },
            judge,
            rollouts: self.rollouts.clone(),
            stage: stage.stage.clone(),
            function,
            alias,
            id: deployment_id(rollout.id),
            stack: self.stack.clone(),
            request: req,
            rollout: rollout.id,
            control,
            progress: self.progress.clone(),
            weight: Mutex::new(0.0),
        };
        shift.report(
            "Start",
            0.0,
            &format!(
                "release {} of {}:{} from version {} to {} with {}{}",
                shift.id,
                shift.request.function,
                shift.request.alias,
                shift.request.from,
                shift.request.to,
                strategy.name(),
                if honour {
                    String::new()
                } else {
                    " (traffic shifting off: all at once, no hooks)".into()
                }
            ),
        );
        // A failure elsewhere in the deploy stops the shift as an operator's
        // abort does (all traffic back at once); the shift then ends as usual.
        let run = shift.run(stage, strategy.as_ref(), honour);
        tokio::pin!(run);
        let outcome = tokio::select! {
            outcome = &mut run => outcome,
            reason = cancel.fired() => {
                // The rollout may have ended meanwhile: nothing to stop.
                let _ = self.rollouts.cancel(rollout.id, &reason);
                run.await
            }
        };
        self.rollouts.unregister(rollout.id);
        let alias_key = format!("{}:{}", shift.request.function, shift.request.alias);
        match outcome {
            Ok(()) => {
                let message = format!("all traffic on version {}", shift.request.to);
                store
                    .finish_rollout(
                        rollout.id,
                        RolloutStatus::Succeeded,
                        None,
                        RolloutEvent::now("End", Some(1.0), message.clone()),
                    )
                    .await
                    .map_err(store_error)?;
                shift.report("End", 1.0, &message);
                // The alias's routing holds until the deployment commits or rolls back.
                self.shifted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(alias_key);
                Ok(())
            }
            Err(e) => {
                let back = shift.route(0.0).await;
                let status = match e {
                    RolloutError::Stopped(_) | RolloutError::Cancelled(_) => RolloutStatus::Stopped,
                    _ => RolloutStatus::Failed,
                };
                let message = match &back {
                    Ok(()) => format!("{e}; all traffic back on version {}", shift.request.from),
                    Err(b) => format!("{e}; moving traffic back failed too: {b}"),
                };
                store
                    .finish_rollout(
                        rollout.id,
                        status,
                        Some(RolloutFailure {
                            code: e.code().into(),
                            message: e.to_string(),
                        }),
                        RolloutEvent::now("Rollback", Some(0.0), message.clone()),
                    )
                    .await
                    .map_err(store_error)?;
                shift.report("Rollback", 0.0, &message);
                self.shifted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(alias_key);
                Err(ProviderError::from(RolloutError::Failed(format!(
                    "release {} {}: {e}",
                    shift.id,
                    if status == RolloutStatus::Stopped {
                        "stopped"
                    } else {
                        "failed"
                    }
                ))))
            }
        }
    }
}

/// A running shift of one alias.
struct StageShift {
    rollouts: Arc<Rollouts>,
    /// The stage's metrics and alarms.
    metrics: Arc<StageMetrics>,
    /// The deployment group's alarms.
    alarms: Vec<String>,
    /// The canary judgement, when the function asked for it.
    judge: Option<Mutex<CanaryJudge>>,
    stage: StageRef,
    function: FunctionName,
    alias: AliasName,
    /// Its deployment ID (`d-…`).
    id: String,
    /// The stack whose alias this is.
    stack: StackRef,
    request: ShiftRequest,
    rollout: RolloutId,
    control: watch::Receiver<Control>,
    progress: mpsc::UnboundedSender<ProgressEvent>,
    /// The new version's share of traffic now.
    weight: Mutex<f64>,
}

/// Lifecycle events of a deployment group's hooks.
#[derive(Clone, Copy)]
enum Hook {
    Before,
    After,
}

impl Hook {
    fn event(self) -> &'static str {
        match self {
            Hook::Before => "BeforeAllowTraffic",
            Hook::After => "AfterAllowTraffic",
        }
    }
}

impl StageShift {
    /// The whole shift: stage the new version in, the `BeforeAllowTraffic`
    /// hook, the strategy, the `AfterAllowTraffic` hook.
    async fn run(
        &self,
        stage: &StageCtx,
        strategy: &dyn super::Strategy,
        honour: bool,
    ) -> Result<(), RolloutError> {
        // The new version (and any new hook function) runs before traffic moves.
        self.rollouts
            .stages
            .stage_in(&stage.stage, &self.stack, || stage.live_resources())
            .await
            .map_err(|e| RolloutError::Internal(format!("the new version did not start: {e}")))?;
        if honour && let Some(hook) = self.request.before_hook.clone() {
            self.hook(Hook::Before, &hook).await?;
        }
        if !self.alarms.is_empty() {
            let (_, unknown) = self.metrics.breaching(&self.alarms, Timestamp::now());
            if let Some(name) = unknown.first() {
                return Err(RolloutError::Failed(format!(
                    "the deployment group names alarm `{name}`, which does not exist in this stage"
                )));
            }
        }
        strategy.run(self).await?;
        self.watch().await?;
        if honour && let Some(hook) = self.request.after_hook.clone() {
            self.hook(Hook::After, &hook).await?;
        }
        Ok(())
    }

    /// Sends a step to the deploy's client (who may have gone away: then
    /// nobody is told, and the rollout goes on).
    fn report(&self, kind: &str, weight: f64, message: &str) {
        let _ = self.progress.send(ProgressEvent {
            logical_id: self.request.logical_id.clone(),
            resource_type: "AWS::Lambda::Alias".into(),
            status: "UPDATE_IN_PROGRESS".into(),
            reason: Some(message.to_string()),
            rollout: Some(RolloutStep {
                deployment_id: self.id.clone(),
                weight,
                kind: kind.to_string(),
            }),
        });
    }

    /// Records and reports a step of the timeline.
    async fn record(
        &self,
        kind: &str,
        weight: Option<f64>,
        message: &str,
    ) -> Result<(), RolloutError> {
        self.rollouts
            .store
            .record_rollout(self.rollout, RolloutEvent::now(kind, weight, message))
            .await
            .map_err(|e| RolloutError::Internal(format!("recording the rollout failed: {e}")))?;
        let w = weight.unwrap_or_else(|| self.current_weight());
        self.report(kind, w, message);
        Ok(())
    }

    fn current_weight(&self) -> f64 {
        *self.weight.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Fails when an alarm of the deployment group is in ALARM or the
    /// canary judgement finds a regression.
    async fn watch(&self) -> Result<(), RolloutError> {
        let now = Timestamp::now();
        if !self.alarms.is_empty() {
            let (breaching, _) = self.metrics.breaching(&self.alarms, now);
            if let Some((name, reason)) = breaching.into_iter().next() {
                let message = format!("alarm {name} went to ALARM: {reason}");
                self.record("Alarm", None, &message).await?;
                return Err(RolloutError::Alarm(message));
            }
        }
        if let Some(judge) = &self.judge {
            let judgement = judge
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .judge(&self.metrics.store, now);
            if judgement.verdict == Verdict::Fail {
                let message = format!("canary judgement: {}", judgement.explanation);
                self.record("Judgement", None, &message).await?;
                return Err(RolloutError::Judgement(message));
            }
        }
        Ok(())
    }

    /// When the next watch is due: the next complete alarm period, or soon
    /// for the canary judgement.
    fn next_watch(&self, deadline: tokio::time::Instant) -> tokio::time::Instant {
        let now = Timestamp::now();
        let mut wake = deadline;
        if let Some(next) = self.metrics.next_evaluation(&self.alarms, now) {
            let micros = u64::try_from(next.0.saturating_sub(now.0)).unwrap_or(0);
            wake = wake.min(tokio::time::Instant::now() + Duration::from_micros(micros));
        }
        if self.judge.is_some() {
            wake = wake.min(tokio::time::Instant::now() + JUDGE_EVERY);
        }
        wake
    }

    /// Fails at once when an operator aborted.
    fn check_control(&self) -> Result<(), RolloutError> {
        match &*self.control.borrow() {
            Control::Stop(e) => Err(e.clone()),
            _ => Ok(()),
        }
    }

    /// Runs a lifecycle hook: invokes the hook function with the
    /// deployment's ID and a hook execution ID, then waits for its
    /// `PutLifecycleEventHookExecutionStatus` (within the hook timeout).
    async fn hook(&self, which: Hook, function: &str) -> Result<(), RolloutError> {
        let event = which.event();
        let cloud = self
            .rollouts
            .stages
            .cloud(&self.stage)
            .await
            .ok_or_else(|| {
                RolloutError::Internal(format!("{event} hook {function}: the stage does not run"))
            })?;
        // What a hook's IAM policy names: its deployment group's ARN.
        let group = format!(
            "arn:aws:codedeploy:{}:{}:deploymentgroup:{}/{}",
            self.rollouts.stages.region(),
            crate::ACCOUNT_ID,
            self.request.application.as_deref().unwrap_or("*"),
            self.request.deployment_group.as_deref().unwrap_or("*"),
        );
        let (execution, report) = self.rollouts.expect_hook(&self.stage, &self.id, group);
        self.record(
            event,
            None,
            &format!("{event} hook {function} invoked (execution {execution})"),
        )
        .await?;
        let payload = serde_json::json!({
            "DeploymentId": self.id,
            "LifecycleEventHookExecutionId": execution,
        })
        .to_string();
        let invocation = cloud.invoke(
            function,
            InvokeRequest {
                payload: payload.into_bytes().into(),
                ..Default::default()
            },
        );
        let timeout = self.rollouts.clock.real(self.rollouts.hook_timeout);
        let fail = |why: String| RolloutError::Hook(format!("{event} hook {function} {why}"));
        let mut report = report;
        let mut control = self.control.clone();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(invocation, deadline);
        let mut ran = false;
        // The hook's verdict is the status it reports, which may come before
        // its invocation returns; a hook that fails to run fails at once.
        let outcome = loop {
            tokio::select! {
                r = &mut report => break match r {
                    Ok(HookStatus::Succeeded) => Ok(()),
                    Ok(HookStatus::Failed) => Err(fail("reported Failed".into())),
                    Err(_) => Err(fail("reported no status".into())),
                },
                invoked = &mut invocation, if !ran => match invoked {
                    Err(e) => break Err(fail(format!("cannot be invoked: {e}"))),
                    Ok(Err(e)) => break Err(fail(format!("did not run: {e}"))),
                    Ok(Ok(o)) if o.function_error.is_some() => break Err(fail(format!(
                        "failed: {}",
                        String::from_utf8_lossy(&o.body)
                    ))),
                    Ok(Ok(_)) => ran = true,
                },
                () = &mut deadline => break Err(fail(format!(
                    "reported no status within {}",
                    self.rollouts.clock.describe(self.rollouts.hook_timeout)
                ))),
                stop = stopped(&mut control) => break Err(stop),
            }
        };
        self.rollouts.forget_hook(&execution);
        outcome?;
        self.record(event, None, &format!("{event} hook {function} succeeded"))
            .await
    }

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
        self.rollouts
            .stages
            .route_alias(&self.stage, &format!("{}:{}", r.function, r.alias), targets)
            .await
            .map_err(|e| RolloutError::Internal(format!("moving traffic failed: {e}")))?;
        self.rollouts
            .store
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
        *self.weight.lock().unwrap_or_else(|e| e.into_inner()) = weight.clamp(0.0, 1.0);
        Ok(())
    }
}

/// Resolves when an operator aborts (with the error to fail with).
async fn stopped(control: &mut watch::Receiver<Control>) -> RolloutError {
    loop {
        let now = control.borrow_and_update().clone();
        if let Control::Stop(e) = now {
            return e;
        }
        if control.changed().await.is_err() {
            // The controls went away with the rollout: nothing will abort it.
            std::future::pending::<()>().await;
        }
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
        self.check_control()?;
        self.route(weight).await?;
        self.record("Shift", Some(weight), message).await?;
        crate::test_hooks::pause_at(&format!("shift:{}", self.request.logical_id)).await;
        Ok(())
    }

    async fn wait(&self, period: Duration) -> Result<Waited, RolloutError> {
        self.check_control()?;
        let real = self.rollouts.clock.real(period);
        self.record(
            "Wait",
            None,
            &format!("waiting {}", self.rollouts.clock.describe(period)),
        )
        .await?;
        let deadline = tokio::time::Instant::now() + real;
        let mut control = self.control.clone();
        loop {
            self.watch().await?;
            if tokio::time::Instant::now() >= deadline {
                return Ok(Waited::Elapsed);
            }
            let wake = self.next_watch(deadline);
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                changed = control.changed() => {
                    if changed.is_err() {
                        // The controls went away: nobody can promote or abort.
                        tokio::time::sleep_until(wake).await;
                        continue;
                    }
                    let now = control.borrow_and_update().clone();
                    match now {
                        Control::Promote => {
                            self.record("Promote", None, "promoted by an operator: the wait ends").await?;
                            return Ok(Waited::Promoted);
                        }
                        Control::Stop(e) => return Err(e),
                        Control::Run => {}
                    }
                }
            }
        }
    }
}
