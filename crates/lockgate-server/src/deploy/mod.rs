//! Deploys: a template and its code onto one stack of one stage, in phases,
//! each in its own module:
//!
//! 1. [`prepare`]: parse, find the code, load (parameters, SAM transform,
//!    conditions), read SSM parameters, exports and the committed state —
//!    nothing changes;
//! 2. [`plan`]: the change set (the engine's planner over [`resolve`]'s
//!    evaluator), export checks — nothing changes;
//! 3. [`execute`]: begin a deployment, apply the change set through the
//!    resource types (alias updates through their rollouts), commit or roll
//!    back, then clean up what left the stack — one executor for deploys,
//!    destroys and recovery;
//! 4. [`record`]: every provider call recorded before and after, and the
//!    commits;
//! 5. [`recover`]: at start, interrupted deployments rolled back (or a
//!    destroy finished), interrupted rollouts closed, leftovers deleted;
//! 6. [`outputs`]: the stack's outputs, with API URLs pointing at the stage.
//!
//! The stage's runtime is rebuilt from what was committed
//! ([`crate::stage::Stages::realize`]).

mod error;
mod execute;
mod outputs;
mod plan;
mod prepare;
mod provenance;
mod record;
mod recover;
mod resolve;
#[cfg(test)]
mod testing;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use lockgate_store::{ArtifactStore, ResourceState, StackRef, StageRef, Store};

pub use error::DeployError;
pub use lockgate_api::{
    Change as PlanChange, DeployRequest, DeployResult, Plan, ProgressEvent,
    StackOutput as OutputView,
};

use crate::resources::{Naming, Registry, StageCtx};
use crate::rollout::{Rollouts, Traffic};
use crate::stage::Stages;

/// How a deployer names and runs what it deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Stages of a server: physical names carry app and stage
    /// (`greeter-dev-HelloFunction`), code comes from the artifact store,
    /// aliases with a CodeDeploy update policy shift through rollouts.
    Stages,
    /// `lockgate local`: resources named by their logical IDs, as `sam
    /// local` names functions; code runs in place from the template's
    /// directory; aliases move at once.
    Local,
}

/// Deploys onto stages.
pub struct Deployer {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) artifacts: Arc<ArtifactStore>,
    pub(crate) stages: Arc<Stages>,
    pub(crate) registry: Arc<Registry>,
    pub(crate) region: String,
    pub(crate) account: String,
    pub(crate) mode: Mode,
    /// How aliases with a CodeDeploy update policy move (none: at once).
    pub(crate) rollouts: Option<Arc<Rollouts>>,
    /// One lock per stack, held from prepare to commit, so a change set is
    /// never applied to a state other than the one it was computed on.
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Deployer {
    /// A deployer over `store` and `artifacts`, running stages with `stages`.
    pub fn new(
        store: Arc<dyn Store>,
        artifacts: Arc<ArtifactStore>,
        stages: Arc<Stages>,
        registry: Arc<Registry>,
        account: &str,
        mode: Mode,
        rollouts: Option<Arc<Rollouts>>,
    ) -> Deployer {
        Deployer {
            rollouts,
            region: stages.region().to_string(),
            store,
            artifacts,
            stages,
            registry,
            account: account.to_string(),
            mode,
            locks: Mutex::default(),
        }
    }

    /// The running stages.
    pub fn stages(&self) -> &Arc<Stages> {
        &self.stages
    }

    /// The resource types.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    async fn lock(&self, stack: &StackRef) -> tokio::sync::OwnedMutexGuard<()> {
        let m = self
            .locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(stack.to_string())
            .or_default()
            .clone();
        m.lock_owned().await
    }

    /// A stack of a stage: `name`, or the app's own stack (named as the app).
    fn stack_of(stage: &StageRef, name: Option<&str>) -> Result<StackRef, DeployError> {
        let name = name.unwrap_or(stage.app.as_str());
        StackRef::parse(stage.app.as_str(), stage.stage.as_str(), name)
            .map_err(|e| DeployError::BadRequest(e.to_string()))
    }

    /// What the resource types of `stack` share during one deployment.
    fn stage_ctx(
        &self,
        stack: &StackRef,
        actor: &str,
        committed: &[ResourceState],
        traffic: Option<Arc<dyn Traffic>>,
    ) -> Arc<StageCtx> {
        let functions = committed
            .iter()
            .filter(|r| r.resource_type == "AWS::Lambda::Function")
            .filter_map(|r| {
                Some((
                    r.physical_id.clone()?,
                    r.properties.as_object().cloned().unwrap_or_default(),
                ))
            })
            .collect();
        let live: BTreeMap<String, ResourceState> = committed
            .iter()
            .map(|r| (r.logical_id.clone(), r.clone()))
            .collect();
        Arc::new(StageCtx {
            stage: stack.stage_ref(),
            naming: match self.mode {
                Mode::Stages => Naming::Prefixed(format!("{}-{}", stack.name, stack.stage)),
                Mode::Local => Naming::Logical,
            },
            region: self.region.clone(),
            account: self.account.clone(),
            store: self.store.clone(),
            code: self.stages.code().clone(),
            actor: actor.to_string(),
            functions: Mutex::new(functions),
            live: Mutex::new(live),
            traffic,
        })
    }
}
