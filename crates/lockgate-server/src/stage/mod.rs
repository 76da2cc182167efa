//! A stage's running side: its local cloud (functions, aliases, routes) on
//! its own gateway port, built from its committed resources by the resource
//! types' `realize`, its schedules, and direct traffic changes (an alias's
//! weights moved in place during a rollout).

pub mod metrics;
mod runtime;
pub(crate) mod schedules;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use lockgate_cloud::{Cloud, CloudError};
use lockgate_store::{FunctionName, ResourceState, StackRef, StageRef, Store, StoreError};

pub use runtime::Runtimes;

use crate::permissions::{Permissions, PermissionsMode};
use crate::resources::realize::{RealizeInputs, stage_model};
use crate::resources::{CodeStore, Registry, StageModel};
use lockgate_sigv4::AssumedRole;

/// The environment a stage's functions get on top of their own
/// (endpoints of Lockgate's AWS APIs, the stage's credentials): with a
/// role, the credentials of that function acting as that role.
pub type FunctionEnv =
    Arc<dyn Fn(&StageRef, Option<&AssumedRole>) -> BTreeMap<String, String> + Send + Sync>;

/// Called when a stage no longer runs anything (its last stack destroyed).
pub type OnGone = Arc<dyn Fn(&StageRef) + Send + Sync>;

/// An alias's routing: `(function key, weight)` pairs.
pub type Targets = Vec<(String, f64)>;

/// Why a stage's runtime could not be built.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    /// Reading the stage's resources failed.
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    /// The local cloud refused the configuration.
    #[error("{0}")]
    Cloud(#[from] CloudError),
    /// The stage does not run.
    #[error("stage {0} does not run")]
    NotRunning(String),
}

/// Every stage's runtime, built from the state store.
pub struct Stages {
    runtimes: Runtimes,
    store: Arc<dyn Store>,
    registry: Arc<Registry>,
    code: Arc<dyn CodeStore>,
    region: String,
    function_env: FunctionEnv,
    /// One realize of a stage at a time, so the last one reads the last commit.
    locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Called when a stage no longer runs anything.
    on_gone: Option<OnGone>,
    /// Alias routing of shifts in progress, by stage key and alias: a
    /// rebuild of the stage's cloud (another alias staging in) keeps them.
    shifting: std::sync::Mutex<HashMap<String, BTreeMap<String, Targets>>>,
    /// Each stage's roles and policies, for the AWS APIs' checks.
    permissions: Arc<Permissions>,
}

/// A stage's permissions mode, with the warning a mixed stage gets.
type StageMode = (PermissionsMode, Option<String>);

/// `app/stage`, the key of a stage's runtime and logs.
pub fn key(stage: &StageRef) -> String {
    format!("{}/{}", stage.app, stage.stage)
}

impl Stages {
    /// Stages over `runtimes`, reading `store`, with code from `code`.
    pub fn new(
        runtimes: Runtimes,
        store: Arc<dyn Store>,
        registry: Arc<Registry>,
        code: Arc<dyn CodeStore>,
        region: &str,
        function_env: FunctionEnv,
    ) -> Stages {
        let runtimes_logs = runtimes.logs().clone();
        Stages {
            runtimes,
            store,
            registry,
            code,
            region: region.to_string(),
            function_env,
            on_gone: None,
            locks: Default::default(),
            shifting: Default::default(),
            permissions: Arc::new(Permissions::with_logs(runtimes_logs)),
        }
    }

    /// Each stage's roles and policies, as its last build read them.
    pub fn permissions(&self) -> &Arc<Permissions> {
        &self.permissions
    }

    /// Calls `f` when a stage no longer runs anything (its last stack
    /// destroyed): the server revokes the stage's credentials there.
    pub fn with_on_gone(mut self, f: OnGone) -> Stages {
        self.on_gone = Some(f);
        self
    }

    /// Where function code lives.
    pub fn code(&self) -> &Arc<dyn CodeStore> {
        &self.code
    }

    /// The runtimes of its stages.
    pub fn runtimes(&self) -> &Runtimes {
        &self.runtimes
    }

    /// The region its stages run in.
    pub fn region(&self) -> &str {
        &self.region
    }

    async fn lock(&self, stage: &StageRef) -> tokio::sync::OwnedMutexGuard<()> {
        let m = self
            .locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key(stage))
            .or_default()
            .clone();
        m.lock_owned().await
    }

    /// The committed resources of every live stack of a stage but `except`.
    /// With them, the stage's permissions mode: `report` only when all its
    /// live stacks (`except` included) say so
    /// ([`crate::permissions::stage_mode`]), and a warning when they differ.
    async fn committed(
        &self,
        stage: &StageRef,
        except: Option<&StackRef>,
    ) -> Result<(Vec<ResourceState>, StageMode), StoreError> {
        let mut resources = Vec::new();
        let stacks = self.store.list_stacks(stage).await?;
        let mode = crate::permissions::stage_mode(&stacks);
        for s in stacks {
            if s.status.is_gone() || Some(&s.stack) == except {
                continue;
            }
            if let Some(snap) = self.store.stack_snapshot(&s.stack).await? {
                resources.extend(snap.resources);
            }
        }
        Ok((resources, mode))
    }

    /// The model of a stage with `resources` live.
    async fn model(
        &self,
        stage: &StageRef,
        resources: &[ResourceState],
        (mode, mode_warning): StageMode,
    ) -> Result<StageModel, StoreError> {
        let env = (self.function_env)(stage, None);
        let role_env = |role: &str, function: &str| {
            let assumed = AssumedRole {
                role: role.to_string(),
                session: function.to_string(),
            };
            (self.function_env)(stage, Some(&assumed))
        };
        let policy_warnings =
            self.permissions
                .set_stage(stage.app.as_str(), stage.stage.as_str(), mode, resources);
        let mut versions = HashMap::new();
        for r in resources
            .iter()
            .filter(|r| r.resource_type == "AWS::Lambda::Function")
        {
            let Some(name) = r
                .physical_id
                .as_deref()
                .and_then(|n| FunctionName::new(n).ok())
            else {
                continue;
            };
            for v in self.store.list_versions(stage, &name).await? {
                versions.insert((name.to_string(), v.version), v.config);
            }
        }
        let mut model = stage_model(
            resources,
            &self.registry,
            RealizeInputs {
                region: &self.region,
                env: &env,
                role_env: &role_env,
                code: self.code.as_ref(),
                versions: &versions,
            },
        );
        model.warnings.extend(policy_warnings);
        model.warnings.extend(mode_warning);
        // Shifts in progress keep their routing across rebuilds.
        let shifting = self.shifting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(routes) = shifting.get(&key(stage)) {
            for a in &mut model.cloud.aliases {
                if let Some(targets) = routes.get(&a.name) {
                    a.targets = targets.clone();
                }
            }
        }
        Ok(model)
    }

    /// Starts, replaces or stops a stage's runtime from the committed
    /// resources of all its stacks; answers its URL and what was left out.
    /// On a store error the stage keeps serving what it served.
    pub async fn realize(&self, stage: &StageRef) -> (Option<String>, Vec<String>) {
        let _lock = self.lock(stage).await;
        let k = key(stage);
        let (resources, mode) = match self.committed(stage, None).await {
            Ok(r) => r,
            Err(e) => {
                return (
                    self.runtimes.url(&k).await,
                    vec![format!("state store: {e}")],
                );
            }
        };
        if resources.is_empty() {
            self.runtimes.remove(&k).await;
            self.permissions
                .remove_stage(stage.app.as_str(), stage.stage.as_str());
            if let Some(gone) = &self.on_gone {
                gone(stage);
            }
            return (None, Vec::new());
        }
        let model = match self.model(stage, &resources, mode).await {
            Ok(m) => m,
            Err(e) => {
                return (
                    self.runtimes.url(&k).await,
                    vec![format!("state store: {e}")],
                );
            }
        };
        let mut warnings = model.warnings.clone();
        match self.runtimes.run(&k, model).await {
            Ok(url) => (Some(url), warnings),
            Err(e) => {
                warnings.push(format!("the stage's runtime did not start: {e}"));
                (self.runtimes.url(&k).await, warnings)
            }
        }
    }

    /// Serves a stage with `stack`'s resources as `live` says (a deployment
    /// in progress) and its other stacks as committed, so the versions and
    /// hook functions a rollout needs run before traffic moves. Aliases keep
    /// the routing `live` gives them, or a shift in progress.
    ///
    /// `live` is read once the stage's lock is held: another alias's shift
    /// of the same deployment (which routes under that lock) can then only
    /// route to versions `live` already holds.
    pub async fn stage_in(
        &self,
        stage: &StageRef,
        stack: &StackRef,
        live: impl FnOnce() -> Vec<ResourceState> + Send,
    ) -> Result<(), StageError> {
        let _lock = self.lock(stage).await;
        let (mut resources, mode) = self.committed(stage, Some(stack)).await?;
        resources.extend(live());
        let model = self.model(stage, &resources, mode).await?;
        self.runtimes.run(&key(stage), model).await?;
        Ok(())
    }

    /// Moves an alias's traffic in place (no rebuild): `targets` are
    /// `(function key, weight)` pairs. The routing holds until
    /// [`Stages::end_shift`], also across rebuilds of the stage's cloud.
    pub async fn route_alias(
        &self,
        stage: &StageRef,
        alias: &str,
        targets: Targets,
    ) -> Result<(), StageError> {
        let k = key(stage);
        let _lock = self.lock(stage).await;
        let cloud = self
            .runtimes
            .cloud(&k)
            .await
            .ok_or_else(|| StageError::NotRunning(k.clone()))?;
        cloud.route_alias(alias, targets.clone())?;
        self.shifting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(k)
            .or_default()
            .insert(alias.to_string(), targets);
        Ok(())
    }

    /// A shift of `alias` ended: the stage's committed state routes it again.
    pub fn end_shift(&self, stage: &StageRef, alias: &str) {
        let mut shifting = self.shifting.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(routes) = shifting.get_mut(&key(stage)) {
            routes.remove(alias);
            if routes.is_empty() {
                shifting.remove(&key(stage));
            }
        }
    }

    /// A stage's metrics and alarms.
    pub fn metrics(&self, stage: &StageRef) -> Arc<metrics::StageMetrics> {
        self.runtimes.metrics(&key(stage))
    }

    /// The URL of a stage that runs.
    pub async fn url(&self, stage: &StageRef) -> Option<String> {
        self.runtimes.url(&key(stage)).await
    }

    /// The model a stage runs.
    pub async fn running_model(&self, stage: &StageRef) -> Option<StageModel> {
        self.runtimes.model(&key(stage)).await
    }

    /// The cloud a stage runs.
    pub async fn cloud(&self, stage: &StageRef) -> Option<Arc<Cloud>> {
        self.runtimes.cloud(&key(stage)).await
    }

    /// `value` with API Gateway URLs pointing at the stage's local gateway.
    pub async fn local_urls(&self, stage: &StageRef, value: &str) -> String {
        let k = key(stage);
        match (self.runtimes.url(&k).await, self.runtimes.model(&k).await) {
            (Some(url), Some(m)) => m.local_urls(value, &url, &self.region),
            _ => value.to_string(),
        }
    }

    /// Stops every stage.
    pub async fn shutdown(&self) {
        self.runtimes.shutdown().await;
    }
}
