//! Deploys: a template and its code onto one stage of one app.
//!
//! A deploy is prepared first, with nothing changed: the template parsed,
//! its local code stored by digest, parameters checked, the SAM transform
//! run, SSM parameters and exports read, and the change set computed against
//! the stage's committed state. Only a prepared deploy with changes begins a
//! deployment in the store; the engine applies it through providers that
//! record every step, and the result is committed (or rolled back) in one
//! transaction. The stage's runtime is rebuilt from what was committed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use lockgate_engine::apply::{
    self as engine, BoxFuture, DeployedResource, Event, Physical, Provider, ProviderError,
    Providers, TemplateResource,
};
use lockgate_engine::changeset::{self, Action, ChangeSet, Deployed, Desired, ResourceChange};
use lockgate_store::{
    ArtifactStore, BeginDeployment, DeploymentId, DeploymentKind, DeploymentOutcome, ExportName,
    FunctionName, Output, ParameterName, ParameterValue, ResourceProgress, ResourceState,
    ResourceStatus, StackCommit, StackRef, StackSnapshot, StackStatus, StackTarget, StageRef,
    Store, StoreError,
};
use lockgate_template::{
    DynamicRef, DynamicResolver, LoadOptions, LoadedTemplate, Overrides, Pseudo, Resolver,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::providers::{self, ARTIFACT_BUCKET, StageCtx, is_emulated};
use crate::realize;
use crate::runtime::Runtimes;

/// What a client asks to deploy (or plan).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct DeployRequest {
    /// The template's text.
    pub template: String,
    /// The template's file name, for diagnostics.
    #[serde(default = "default_template_path")]
    pub template_path: String,
    /// The directory local code paths are relative to (the template's).
    pub base_dir: PathBuf,
    /// Parameter values.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// The stack of the stage to deploy (default: the app's own, named as the app).
    #[serde(default)]
    pub stack: Option<String>,
    /// Whether to apply the change set (false: create it and stop, like `--no-execute-changeset`).
    #[serde(default = "yes")]
    pub execute: bool,
}

fn default_template_path() -> String {
    "template.yaml".into()
}

fn yes() -> bool {
    true
}

/// One change of a plan, with whether its type runs locally.
#[derive(Debug, Clone, Serialize)]
pub struct PlanChange {
    /// The change, as CloudFormation's change sets describe it.
    #[serde(flatten)]
    pub change: ResourceChange,
    /// False for types that are recorded but not emulated locally.
    pub emulated: bool,
}

/// A change set of a stage.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// Whether the stack exists yet.
    pub stack_exists: bool,
    /// The changes; unchanged resources are not listed.
    pub changes: Vec<PlanChange>,
    /// Warnings of the template (unknown parameters given, …).
    pub warnings: Vec<String>,
}

/// A stack output as clients see it.
#[derive(Debug, Clone, Serialize)]
pub struct OutputView {
    /// `OutputKey`.
    pub key: String,
    /// `OutputValue` (API URLs point at the stage's local gateway).
    pub value: String,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `ExportName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<String>,
}

/// What a finished deploy answers.
#[derive(Debug, Clone, Serialize)]
pub struct DeployResult {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// The stack's status (`CREATE_COMPLETE`, `UPDATE_COMPLETE`, `UNCHANGED`, `DELETE_COMPLETE`, or with `--no-execute` `PLANNED`).
    pub status: String,
    /// The changes made.
    pub changes: Vec<PlanChange>,
    /// The outputs.
    pub outputs: Vec<OutputView>,
    /// The stage's URL, when it serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Things worth knowing (not emulated types, routes left out…).
    pub warnings: Vec<String>,
    /// Milliseconds from request to commit.
    pub elapsed_ms: u64,
}

/// A progress event of a deploy, streamed to the client.
#[derive(Debug, Clone, Serialize)]
pub struct ProgressEvent {
    /// The resource's logical ID.
    pub logical_id: String,
    /// Its type.
    pub resource_type: String,
    /// `CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, …
    pub status: String,
    /// Why, on failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Why a deploy did not happen or did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The request itself is wrong (a bad stage name, …); nothing changed.
    #[error("{0}")]
    BadRequest(String),
    /// The template or its parameters are invalid; nothing changed.
    #[error("{message}")]
    Invalid {
        /// One line.
        message: String,
        /// The rendered diagnostics (file, line, column, snippet).
        rendered: String,
        /// The diagnostics as JSON.
        diagnostics: Value,
    },
    /// The stage or stack does not exist.
    #[error("{0}")]
    NotFound(String),
    /// Another deployment is running on the stack.
    #[error("{0}")]
    Conflict(String),
    /// A resource failed; the stack was rolled back.
    #[error(
        "resource {logical_id} failed: {reason}; the stack was rolled back to its last good state"
    )]
    Failed {
        /// The resource.
        logical_id: String,
        /// Why.
        reason: String,
    },
    /// The state store failed.
    #[error("state store: {0}")]
    Store(#[from] StoreError),
    /// Something that should not happen.
    #[error("{0}")]
    Internal(String),
}

impl DeployError {
    /// A stable code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            DeployError::BadRequest(_) => "bad-request",
            DeployError::Invalid { .. } => "invalid-template",
            DeployError::NotFound(_) => "not-found",
            DeployError::Conflict(_) => "conflict",
            DeployError::Failed { .. } => "deploy-failed",
            DeployError::Store(_) => "store",
            DeployError::Internal(_) => "internal",
        }
    }

    /// The HTTP status that carries it.
    pub fn http_status(&self) -> u16 {
        match self {
            DeployError::BadRequest(_) | DeployError::Invalid { .. } => 400,
            DeployError::NotFound(_) => 404,
            DeployError::Conflict(_) => 409,
            DeployError::Failed { .. } => 422,
            DeployError::Store(StoreError::InvalidName { .. }) => 400,
            DeployError::Store(
                StoreError::DeploymentInProgress { .. } | StoreError::AlreadyExists { .. },
            ) => 409,
            DeployError::Store(_) | DeployError::Internal(_) => 500,
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        let message = message.into();
        DeployError::Invalid {
            rendered: message.clone(),
            diagnostics: json!([{ "message": message }]),
            message,
        }
    }
}

/// The environment a stage's functions get on top of their own.
pub(crate) type FunctionEnv = Arc<dyn Fn(&StageRef) -> BTreeMap<String, String> + Send + Sync>;

/// Deploys onto stages.
pub struct Deployer {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) artifacts: Arc<ArtifactStore>,
    pub(crate) runtimes: Arc<Runtimes>,
    pub(crate) code_root: PathBuf,
    pub(crate) region: String,
    pub(crate) account: String,
    /// Added to every function's environment, per stage (endpoints, credentials).
    pub(crate) function_env: FunctionEnv,
    /// Test hook: pause (for a kill) after this logical ID completes.
    pub(crate) pause_after: Option<String>,
    /// One lock per stack, held from prepare to commit, so a change set is
    /// never applied to a state other than the one it was computed on.
    pub(crate) locks: std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// What prepare found.
struct Prepared {
    stage: StageRef,
    stack: StackRef,
    loaded: LoadedTemplate,
    secrets: Vec<String>,
    snapshot: Option<StackSnapshot>,
    /// The committed resources, by logical ID.
    current: BTreeMap<String, DeployedResource>,
    lookups: Lookups,
    changes: ChangeSet,
    warnings: Vec<String>,
}

/// Values read from the store before applying (the evaluator is synchronous).
#[derive(Default)]
struct Lookups {
    exports: HashMap<String, String>,
    ssm: HashMap<(String, Option<String>), String>,
}

impl DynamicResolver for Lookups {
    fn resolve(&self, r: &DynamicRef) -> Result<Option<String>, String> {
        match r {
            DynamicRef::Ssm { name, version } => {
                Ok(self.ssm.get(&(name.clone(), version.clone())).cloned())
            }
            // Secure values are never put into properties or the state.
            DynamicRef::SsmSecure { .. } => Ok(None),
            // Left in place (not emulated): only properties of types that are
            // recorded, not run, take them in practice.
            _ => Ok(None),
        }
    }
}

/// `Ref` / `Fn::GetAtt` over what is deployed.
struct Known<'a> {
    known: &'a HashMap<String, Physical>,
    lookups: &'a Lookups,
}

impl Resolver for Known<'_> {
    fn resource_ref(&self, id: &str) -> Option<Value> {
        self.known
            .get(id)
            .map(|p| Value::String(p.physical_id.clone()))
    }

    fn get_att(&self, id: &str, attribute: &str) -> Option<Value> {
        let p = self.known.get(id)?;
        if let Some(v) = p.attributes.get(attribute) {
            return Some(v.clone());
        }
        // Attributes not modelled locally answer a stand-in, so real templates
        // still deploy.
        Some(Value::String(format!("{}.{attribute}", p.physical_id)))
    }

    fn import_value(&self, name: &str) -> Option<Value> {
        self.lookups
            .exports
            .get(name)
            .map(|v| Value::String(v.clone()))
    }

    fn ssm_parameter(&self, name: &str) -> Option<String> {
        self.lookups.ssm.get(&(name.to_string(), None)).cloned()
    }
}

fn resource_types(template: &Value) -> HashMap<String, String> {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .map(|r| {
            r.iter()
                .map(|(id, v)| {
                    (
                        id.clone(),
                        v.get("Type")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn diag_error(d: lockgate_template::Diagnostics) -> DeployError {
    let first = d
        .iter()
        .next()
        .map(|x| match x.location() {
            Some(loc) => format!("{loc}: {}", x.message),
            None => x.message.clone(),
        })
        .unwrap_or_else(|| "invalid template".into());
    let message = if d.len() > 1 {
        format!("{first} (and {} more problems)", d.len() - 1)
    } else {
        first
    };
    DeployError::Invalid {
        message,
        rendered: d.render_plain(100),
        diagnostics: d.to_json(),
    }
}

/// Every `{{resolve:ssm:…}}` / `{{resolve:ssm-secure:…}}` in a value, as
/// (secure, name, version); malformed ones were reported by the load.
fn dynamic_refs(v: &Value, out: &mut Vec<(bool, String, Option<String>)>) {
    match v {
        Value::String(s) => {
            for (_, r) in lockgate_template::eval::dynamic::find_dynamic(s) {
                match r {
                    Ok(DynamicRef::Ssm { name, version }) => out.push((false, name, version)),
                    Ok(DynamicRef::SsmSecure { name, version }) => out.push((true, name, version)),
                    _ => {}
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| dynamic_refs(x, out)),
        Value::Object(m) => m.values().for_each(|x| dynamic_refs(x, out)),
        _ => {}
    }
}

fn parameter_text(p: &lockgate_store::Parameter) -> Option<String> {
    match &p.value {
        ParameterValue::String(s) => Some(s.clone()),
        ParameterValue::StringList(l) => Some(l.join(",")),
        ParameterValue::SecureString(_) => None,
    }
}

impl Deployer {
    async fn lock(
        &self,
        app: &str,
        stage: &str,
        stack: Option<&str>,
    ) -> tokio::sync::OwnedMutexGuard<()> {
        let key = format!("{app}/{stage}/{}", stack.unwrap_or(app));
        let m = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(key).or_default().clone()
        };
        m.lock_owned().await
    }

    fn stage_key(stage: &StageRef) -> String {
        format!("{}/{}", stage.app, stage.stage)
    }

    /// A stack of a stage: `name`, or the app's own stack (named as the app).
    fn stack_of(stage: &StageRef, name: Option<&str>) -> Result<StackRef, DeployError> {
        let name = name.unwrap_or(stage.app.as_str());
        StackRef::parse(stage.app.as_str(), stage.stage.as_str(), name)
            .map_err(|e| DeployError::BadRequest(e.to_string()))
    }

    /// Parses and checks everything; changes nothing.
    async fn prepare(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
    ) -> Result<Prepared, DeployError> {
        let stage =
            StageRef::parse(app, stage).map_err(|e| DeployError::BadRequest(e.to_string()))?;
        let stack = Self::stack_of(&stage, req.stack.as_deref())?;
        let doc = lockgate_template::parse(&req.template_path, &req.template)
            .map_err(|e| diag_error(lockgate_template::Diagnostic::from(e).into()))?;

        // Local code, stored by digest (what `sam package` uploads).
        let mut paths = Vec::new();
        let mut scratch = doc.to_json();
        lockgate_template::package::package_local_paths(&mut scratch, |p| {
            paths.push(p.to_string());
            lockgate_template::package::local_location(p)
        });
        let mut code_locations = BTreeMap::new();
        for p in paths {
            if code_locations.contains_key(&p) {
                continue;
            }
            let dir = req.base_dir.join(&p);
            if !dir.is_dir() {
                return Err(DeployError::invalid(format!(
                    "{}: code path `{p}` is not a directory ({}): expected a directory \
                     relative to the template",
                    req.template_path,
                    dir.display()
                )));
            }
            let artifacts = self.artifacts.clone();
            let digest = tokio::task::spawn_blocking(move || artifacts.put_dir(&dir))
                .await
                .map_err(|e| DeployError::Internal(e.to_string()))?
                .map_err(|e| DeployError::invalid(format!("code path `{p}`: {e}")))?;
            code_locations.insert(p, format!("s3://{ARTIFACT_BUCKET}/{digest}"));
        }

        let opts = LoadOptions {
            overrides: Overrides(req.parameters.clone().into_iter().collect()),
            pseudo: Pseudo {
                region: self.region.clone(),
                account_id: Some(self.account.clone()),
                stack_name: Some(format!("{}-{}", stack.name, stage.stage)),
                stack_id: Some(format!(
                    "arn:aws:cloudformation:{}:{}:stack/{}-{}/{}",
                    self.region, self.account, stack.name, stage.stage, stage.app
                )),
                notification_arns: Vec::new(),
            },
            require_parameter_values: true,
            sam_transform: true,
            code_locations,
            base_dir: None,
        };
        let loaded = lockgate_template::load_document(doc, &opts).map_err(diag_error)?;
        let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
        let secrets: Vec<String> = loaded.secrets().into_iter().map(str::to_string).collect();

        // Values from the store.
        let mut lookups = Lookups::default();
        let mut refs = Vec::new();
        dynamic_refs(&loaded.template, &mut refs);
        for (param, name) in &loaded.ssm_parameters {
            if let Some(n) = name.as_str() {
                refs.push((false, n.to_string(), None));
                let _ = param;
            }
        }
        for (secure, name, version) in refs {
            let pname = ParameterName::new(name.clone())
                .map_err(|e| DeployError::invalid(format!("SSM parameter `{name}`: {e}")))?;
            let v = version.as_deref().map(|v| v.parse::<u64>().unwrap_or(0));
            let found = self.store.get_parameter(&pname, v).await?;
            let Some(found) = found else {
                return Err(DeployError::invalid(format!(
                    "SSM parameter `{name}`{} does not exist: create it with \
                     `lockgate params put {name} VALUE`",
                    version
                        .as_deref()
                        .map(|v| format!(" version {v}"))
                        .unwrap_or_default()
                )));
            };
            match (secure, parameter_text(&found)) {
                (false, Some(text)) => {
                    lookups.ssm.insert((name, version), text);
                }
                (false, None) => {
                    return Err(DeployError::invalid(format!(
                        "SSM parameter `{name}` is a SecureString: reference it with \
                         {{{{resolve:ssm-secure:{name}}}}}"
                    )));
                }
                (true, _) => {}
            }
        }
        let mut exporters = HashMap::new();
        for e in self.store.list_exports(&stage).await? {
            exporters.insert(e.name.to_string(), e.exporting_stack.name.to_string());
            lookups.exports.insert(e.name.to_string(), e.value);
        }
        for name in imports_of(&loaded.template) {
            if !lookups.exports.contains_key(name.as_str()) {
                return Err(DeployError::invalid(format!(
                    "Fn::ImportValue `{name}`: no stack of {}/{} exports that name",
                    stage.app, stage.stage
                )));
            }
        }

        let snapshot = self
            .store
            .stack_snapshot(&stack)
            .await?
            .filter(|s| !s.status.is_gone());
        if let Some(s) = &snapshot
            && s.status.is_in_progress()
        {
            return Err(DeployError::Conflict(format!(
                "{}/{} stack {} is {}: wait for it to finish",
                stage.app, stage.stage, stack.name, s.status
            )));
        }
        let current = snapshot
            .as_ref()
            .map(|s| deployed_map(&s.resources))
            .unwrap_or_default();
        let deployed: BTreeMap<String, Deployed> = current
            .iter()
            .map(|(id, r)| (id.clone(), r.into()))
            .collect();
        // Plan; then plan again without the physical IDs of what would be
        // replaced, so that what refers to it is changed too (its new value
        // is known only at apply time), until nothing more is replaced.
        let mut known: HashMap<String, Physical> = current
            .iter()
            .map(|(id, r)| (id.clone(), r.physical.clone()))
            .collect();
        let types = resource_types(&loaded.template);
        let mut rounds = 0;
        let (view, mut changes) = loop {
            let view = loaded
                .evaluate(
                    &Known {
                        known: &known,
                        lookups: &lookups,
                    },
                    &lookups,
                )
                .map_err(diag_error)?;
            let desired = desired_of(&view);
            let changes = changeset::plan(&deployed, &desired, &secrets);
            let replaced: Vec<String> = changes
                .changes
                .iter()
                .filter(|c| {
                    c.action == Action::Modify
                        && c.replacement != Some(changeset::Replacement::False)
                        && known.contains_key(&c.logical_id)
                })
                .map(|c| c.logical_id.clone())
                .collect();
            rounds += 1;
            if replaced.is_empty() || rounds > types.len() {
                break (view, changes);
            }
            for id in replaced {
                known.remove(&id);
            }
        };
        // Export names: valid, and not taken by another stack of the stage.
        for (key, o) in view
            .get("Outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(name) = o.pointer("/Export/Name") else {
                continue;
            };
            let Some(name) = name.as_str() else {
                return Err(DeployError::invalid(format!(
                    "Outputs.{key}.Export.Name: expected a name known before deploy"
                )));
            };
            ExportName::new(name)
                .map_err(|e| DeployError::invalid(format!("Outputs.{key}.Export.Name: {e}")))?;
            if let Some(other) = exporters.get(name)
                && *other != stack.name.as_str()
            {
                return Err(DeployError::invalid(format!(
                    "Outputs.{key}.Export.Name: export `{name}` is already exported by stack {other} of this stage"
                )));
            }
        }
        if let Some(s) = &snapshot {
            let kept: HashSet<&str> = view
                .get("Outputs")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .filter_map(|(_, o)| o.pointer("/Export/Name").and_then(Value::as_str))
                .collect();
            let removed: Vec<String> = s
                .outputs
                .iter()
                .filter_map(|o| o.export_name.as_ref().map(|e| e.to_string()))
                .filter(|e| !kept.contains(e.as_str()))
                .collect();
            let users = self.importers(&stage, &stack, &removed).await?;
            if let Some((e, by)) = users.first() {
                return Err(DeployError::invalid(format!(
                    "export `{e}` would be removed but stack {by} imports it: remove the import first"
                )));
            }
        }
        let old_digests: HashSet<String> = snapshot
            .as_ref()
            .and_then(|s| s.parameters.get(NO_ECHO_DIGESTS))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        mask_old_secrets(&mut changes, &old_digests);
        if let Some(s) = &snapshot {
            order_removals(&mut changes, &s.template);
        }
        Ok(Prepared {
            stage,
            stack,
            loaded,
            secrets,
            snapshot,
            current,
            lookups,
            changes,
            warnings,
        })
    }

    /// Other stacks of the stage that import one of `names`: `(export, stack)`.
    async fn importers(
        &self,
        stage: &StageRef,
        stack: &StackRef,
        names: &[String],
    ) -> Result<Vec<(String, String)>, DeployError> {
        let mut out = Vec::new();
        if names.is_empty() {
            return Ok(out);
        }
        for other in self.store.list_stacks(stage).await? {
            if other.stack == *stack || other.status.is_gone() {
                continue;
            }
            let Some(snap) = self.store.stack_snapshot(&other.stack).await? else {
                continue;
            };
            for i in &snap.imports {
                if names.iter().any(|n| n == i.as_str()) {
                    out.push((i.to_string(), other.stack.name.to_string()));
                }
            }
        }
        Ok(out)
    }

    /// The change set a deploy would apply; nothing changes.
    pub async fn plan(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
    ) -> Result<Plan, DeployError> {
        let p = self.prepare(app, stage, req).await?;
        Ok(Plan {
            app: p.stage.app.to_string(),
            stage: p.stage.stage.to_string(),
            stack_exists: p.snapshot.is_some(),
            changes: plan_changes(&p.changes),
            warnings: p.warnings,
        })
    }

    /// Deploys; progress events go to `events` as they happen.
    pub async fn deploy(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
        actor: &str,
        events: mpsc::UnboundedSender<ProgressEvent>,
    ) -> Result<DeployResult, DeployError> {
        let started = std::time::Instant::now();
        let _lock = self.lock(app, stage, req.stack.as_deref()).await;
        let p = self.prepare(app, stage, req).await?;
        let key = Self::stage_key(&p.stage);
        let mut warnings = p.warnings.clone();
        for c in &p.changes.changes {
            if !is_emulated(&c.resource_type) && c.action != Action::Remove {
                warnings.push(format!(
                    "{} ({}) is recorded but not emulated locally",
                    c.logical_id, c.resource_type
                ));
            }
        }
        if !req.execute || p.changes.is_empty() {
            let url = self.runtimes.url(&key).await;
            let outputs = match &p.snapshot {
                Some(s) => self.outputs_view(&key, &s.outputs).await,
                None => Vec::new(),
            };
            return Ok(DeployResult {
                app: p.stage.app.to_string(),
                stage: p.stage.stage.to_string(),
                status: if req.execute { "UNCHANGED" } else { "PLANNED" }.into(),
                changes: plan_changes(&p.changes),
                outputs,
                url,
                warnings,
                elapsed_ms: started.elapsed().as_millis() as u64,
            });
        }
        self.store.ensure_stage(&p.stage).await?;
        let kind = if p.snapshot.is_some() {
            DeploymentKind::Update
        } else {
            DeploymentKind::Create
        };
        let redacted_changes =
            serde_json::to_value(plan_changes(&p.changes)).unwrap_or(Value::Null);
        let target = StackTarget {
            template: p.loaded.redact(p.loaded.template.clone()),
            parameters: {
                let mut params = p
                    .loaded
                    .redact(Value::Object(p.loaded.parameter_values.clone()));
                // Digests of the NoEcho values, so that a later plan can mask
                // them where they are no longer secrets of the template.
                if let Value::Object(m) = &mut params {
                    m.insert(
                        NO_ECHO_DIGESTS.into(),
                        p.secrets
                            .iter()
                            .map(|x| Value::String(digest_text(x)))
                            .collect(),
                    );
                }
                params
            },
        };
        let deployment = self
            .store
            .begin_deployment(BeginDeployment {
                stack: p.stack.clone(),
                kind,
                initiated_by: actor.to_string(),
                change_set: redacted_changes,
                target: target.clone(),
            })
            .await
            .map_err(|e| match e {
                StoreError::DeploymentInProgress { .. } => {
                    DeployError::Conflict(format!("another deployment is running on {key}: {e}"))
                }
                other => DeployError::Store(other),
            })?;

        let deployed = &p.current;
        let ctx = self.stage_ctx(&p.stack, actor, deployed);
        let types = resource_types(&p.loaded.template);
        let providers = self.recording(ctx, deployment.id, &types, deployed);
        let active = p.loaded.active_resources();
        let template: BTreeMap<String, TemplateResource> = types
            .iter()
            .filter(|(id, _)| active.contains(*id))
            .map(|(id, ty)| {
                (
                    id.clone(),
                    TemplateResource {
                        resource_type: ty.clone(),
                        properties: Map::new(),
                        depends_on: p
                            .loaded
                            .graph
                            .dependencies_of(id)
                            .into_iter()
                            .map(str::to_string)
                            .collect(),
                    },
                )
            })
            .collect();
        let resolver = ApplyResolver {
            loaded: &p.loaded,
            lookups: &p.lookups,
            active: &active,
        };
        let tx = events.clone();
        let type_of = types.clone();
        let deployed_types: HashMap<String, String> = deployed
            .iter()
            .map(|(k, v)| (k.clone(), v.resource_type.clone()))
            .collect();
        let progress = move |e: Event| {
            let resource_type = type_of
                .get(&e.logical_id)
                .or_else(|| deployed_types.get(&e.logical_id))
                .cloned()
                .unwrap_or_default();
            let _ = tx.send(ProgressEvent {
                logical_id: e.logical_id,
                resource_type,
                status: e.status.to_string(),
                reason: e.reason,
            });
        };
        let result = engine::apply(
            deployed, &template, &p.changes, &providers, &resolver, &progress,
        )
        .await;
        match result {
            Ok(state) => {
                let known: HashMap<String, Physical> = state
                    .iter()
                    .map(|(k, v)| (k.clone(), v.physical.clone()))
                    .collect();
                let outputs = match self.outputs(&p, &known) {
                    Ok(o) => o,
                    Err(e) => {
                        let commit = rollback_commit(&deployment, &target, e.to_string());
                        self.store
                            .finish_deployment(deployment.id, DeploymentOutcome::RolledBack, commit)
                            .await?;
                        return Err(e);
                    }
                };
                let resources: Vec<ResourceState> = state
                    .iter()
                    .map(|(id, r)| ResourceState {
                        logical_id: id.clone(),
                        resource_type: r.resource_type.clone(),
                        physical_id: Some(r.physical.physical_id.clone()),
                        properties: Value::Object(r.properties.clone()),
                        status: if p
                            .changes
                            .get(id)
                            .is_some_and(|c| c.action == Action::Modify)
                        {
                            ResourceStatus::UpdateComplete
                        } else {
                            ResourceStatus::CreateComplete
                        },
                        status_reason: None,
                        attributes: Value::Object(r.physical.attributes.clone()),
                    })
                    .collect();
                let imports = imports_of(&p.loaded.template);
                let status = match kind {
                    DeploymentKind::Create => StackStatus::CreateComplete,
                    _ => StackStatus::UpdateComplete,
                };
                let committed = self
                    .store
                    .finish_deployment(
                        deployment.id,
                        DeploymentOutcome::Succeeded,
                        StackCommit {
                            status,
                            status_reason: None,
                            template: target.template.clone(),
                            parameters: target.parameters.clone(),
                            resources: resources.clone(),
                            outputs: outputs.clone(),
                            imports,
                            events: Vec::new(),
                        },
                    )
                    .await;
                if let Err(e) = committed {
                    // The store refused the result (an export in use, …): keep the old state.
                    let commit = rollback_commit(&deployment, &target, e.to_string());
                    self.store
                        .finish_deployment(deployment.id, DeploymentOutcome::RolledBack, commit)
                        .await?;
                    return Err(DeployError::Failed {
                        logical_id: String::new(),
                        reason: format!("the result could not be committed: {e}"),
                    });
                }
                let _ = &resources;
                let (url, w) = self.realize(&p.stage).await;
                warnings.extend(w);
                Ok(DeployResult {
                    app: p.stage.app.to_string(),
                    stage: p.stage.stage.to_string(),
                    status: status.as_str().to_string(),
                    changes: plan_changes(&p.changes),
                    outputs: self.outputs_view(&key, &outputs).await,
                    url,
                    warnings,
                    elapsed_ms: started.elapsed().as_millis() as u64,
                })
            }
            Err(e) => {
                let (logical_id, reason) = match &e {
                    engine::ApplyError::RolledBack { logical_id, reason }
                    | engine::ApplyError::RollbackFailed {
                        logical_id, reason, ..
                    } => (logical_id.clone(), reason.clone()),
                    other => (String::new(), other.to_string()),
                };
                let mut commit = rollback_commit(&deployment, &target, e.to_string());
                let outcome = match &e {
                    engine::ApplyError::RollbackFailed { .. } => {
                        // The last good state could not be fully put back: say so.
                        commit.status = if commit.status == StackStatus::RollbackComplete {
                            StackStatus::RollbackFailed
                        } else {
                            StackStatus::UpdateRollbackFailed
                        };
                        DeploymentOutcome::Failed
                    }
                    _ => DeploymentOutcome::RolledBack,
                };
                self.store
                    .finish_deployment(deployment.id, outcome, commit)
                    .await?;
                Err(DeployError::Failed { logical_id, reason })
            }
        }
    }

    /// Deletes every resource of a stage's stack, dependents first.
    pub async fn destroy(
        &self,
        app: &str,
        stage: &str,
        stack: Option<&str>,
        actor: &str,
        events: mpsc::UnboundedSender<ProgressEvent>,
    ) -> Result<DeployResult, DeployError> {
        let started = std::time::Instant::now();
        let _lock = self.lock(app, stage, stack).await;
        let stage =
            StageRef::parse(app, stage).map_err(|e| DeployError::BadRequest(e.to_string()))?;
        let stack = Self::stack_of(&stage, stack)?;
        let key = Self::stage_key(&stage);
        let Some(snapshot) = self
            .store
            .stack_snapshot(&stack)
            .await?
            .filter(|s| !s.status.is_gone())
        else {
            return Err(DeployError::NotFound(format!(
                "stage {key} has no deployed stack"
            )));
        };
        let exported: Vec<String> = snapshot
            .outputs
            .iter()
            .filter_map(|o| o.export_name.as_ref().map(|e| e.to_string()))
            .collect();
        let users = self.importers(&stage, &stack, &exported).await?;
        if !users.is_empty() {
            return Err(DeployError::BadRequest(format!(
                "cannot destroy {key}: its exports are imported by other stacks ({}); remove those imports first",
                users
                    .iter()
                    .map(|(e, s)| format!("`{e}` by {s}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let mut changes = ChangeSet {
            changes: snapshot
                .resources
                .iter()
                .map(|r| ResourceChange {
                    logical_id: r.logical_id.clone(),
                    resource_type: r.resource_type.clone(),
                    action: Action::Remove,
                    replacement: None,
                    details: Vec::new(),
                })
                .collect(),
        };
        order_removals(&mut changes, &snapshot.template);
        let deployment = self
            .store
            .begin_deployment(BeginDeployment {
                stack: stack.clone(),
                kind: DeploymentKind::Delete,
                initiated_by: actor.to_string(),
                change_set: serde_json::to_value(plan_changes(&changes)).unwrap_or(Value::Null),
                target: StackTarget {
                    template: snapshot.template.clone(),
                    parameters: snapshot.parameters.clone(),
                },
            })
            .await?;
        let deployed = deployed_map(&snapshot.resources);
        let ctx = self.stage_ctx(&stack, actor, &deployed);
        let types: HashMap<String, String> = deployed
            .iter()
            .map(|(k, v)| (k.clone(), v.resource_type.clone()))
            .collect();
        let providers = self.recording(ctx, deployment.id, &types, &deployed);
        let tx = events.clone();
        let progress = move |e: Event| {
            let _ = tx.send(ProgressEvent {
                resource_type: types.get(&e.logical_id).cloned().unwrap_or_default(),
                logical_id: e.logical_id,
                status: e.status.to_string(),
                reason: e.reason,
            });
        };
        let nothing = BTreeMap::new();
        let none = NoResolve;
        engine::apply(&deployed, &nothing, &changes, &providers, &none, &progress)
            .await
            .map_err(|e| DeployError::Internal(e.to_string()))?;
        self.store
            .finish_deployment(
                deployment.id,
                DeploymentOutcome::Succeeded,
                StackCommit::empty(
                    StackStatus::DeleteComplete,
                    snapshot.template.clone(),
                    snapshot.parameters.clone(),
                ),
            )
            .await?;
        let (url, _) = self.realize(&stage).await;
        Ok(DeployResult {
            app: stage.app.to_string(),
            stage: stage.stage.to_string(),
            status: "DELETE_COMPLETE".into(),
            changes: plan_changes(&changes),
            outputs: Vec::new(),
            url,
            warnings: Vec::new(),
            elapsed_ms: started.elapsed().as_millis() as u64,
        })
    }

    /// Rolls back every deployment a crash interrupted, then starts every
    /// stage's runtime from its committed state.
    pub async fn recover(&self) -> Result<Vec<String>, DeployError> {
        let mut report = Vec::new();
        for interrupted in self.store.recover_interrupted().await? {
            let d = &interrupted.deployment;
            let previous: Vec<ResourceState> = d
                .previous
                .as_ref()
                .filter(|p| !p.status.is_gone())
                .map(|p| p.resources.clone())
                .unwrap_or_default();
            let before = deployed_map(&previous);
            let ctx = self.stage_ctx(&d.stack, "recovery", &before);
            let all = providers::providers(ctx);
            if d.kind == DeploymentKind::Delete {
                // A delete is finished, not undone: what it already deleted is gone.
                let done: HashSet<&str> = interrupted
                    .progress
                    .iter()
                    .filter(|p| p.status == ResourceStatus::DeleteComplete)
                    .map(|p| p.logical_id.as_str())
                    .collect();
                let mut changes = ChangeSet {
                    changes: previous
                        .iter()
                        .map(|r| ResourceChange {
                            logical_id: r.logical_id.clone(),
                            resource_type: r.resource_type.clone(),
                            action: Action::Remove,
                            replacement: None,
                            details: Vec::new(),
                        })
                        .collect(),
                };
                if let Some(prev) = &d.previous {
                    order_removals(&mut changes, &prev.template);
                }
                for c in changes.changes.iter().rev() {
                    if done.contains(c.logical_id.as_str()) {
                        continue;
                    }
                    if let (Some(r), Some(p)) =
                        (before.get(&c.logical_id), all.get(&c.resource_type))
                    {
                        let _ = p.delete(&c.logical_id, &r.physical, &r.properties).await;
                    }
                }
                self.store
                    .finish_deployment(
                        d.id,
                        DeploymentOutcome::Succeeded,
                        StackCommit::empty(
                            StackStatus::DeleteComplete,
                            d.target.template.clone(),
                            d.target.parameters.clone(),
                        ),
                    )
                    .await?;
                report.push(format!(
                    "finished interrupted deletion {} of {}/{}",
                    d.id, d.stack.app, d.stack.stage
                ));
                continue;
            }
            for step in interrupted.progress.iter().rev() {
                let Some(physical_id) = step.physical_id.clone() else {
                    continue;
                };
                let Some(provider) = all.get(&step.resource_type) else {
                    continue;
                };
                let current = Physical {
                    physical_id: physical_id.clone(),
                    attributes: step
                        .attributes
                        .as_ref()
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                };
                let props = step
                    .properties
                    .as_ref()
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                match before.get(&step.logical_id) {
                    // Created by the interrupted deployment: remove it.
                    None => {
                        let _ = provider.delete(&step.logical_id, &current, &props).await;
                    }
                    Some(old) if old.physical.physical_id != physical_id => {
                        let _ = provider.delete(&step.logical_id, &current, &props).await;
                    }
                    // Updated in place: put the old properties back.
                    Some(old) => {
                        let _ = provider
                            .update(&step.logical_id, &old.physical, &props, &old.properties)
                            .await;
                    }
                }
            }
            let commit = match &d.previous {
                Some(prev) if !prev.status.is_gone() => {
                    let mut c = StackCommit::restore(prev, d.kind.rolled_back_status());
                    c.status_reason =
                        Some("the server stopped during the deployment; rolled back".into());
                    c
                }
                _ => StackCommit::empty(
                    StackStatus::RollbackComplete,
                    d.target.template.clone(),
                    d.target.parameters.clone(),
                ),
            };
            self.store
                .finish_deployment(d.id, DeploymentOutcome::RolledBack, commit)
                .await?;
            report.push(format!(
                "rolled back interrupted deployment {} of {}/{}",
                d.id, d.stack.app, d.stack.stage
            ));
        }
        for app in self.store.list_apps().await? {
            for stage in self.store.list_stages(&app.name).await? {
                // A stage with nothing live releases its port here.
                let (url, warnings) = self.realize(&stage.stage).await;
                report.extend(warnings);
                if let Some(url) = url {
                    report.push(format!(
                        "{}/{} serves on {url}",
                        stage.stage.app, stage.stage.stage
                    ));
                }
            }
        }
        Ok(report)
    }

    fn stage_ctx(
        &self,
        stack: &StackRef,
        actor: &str,
        deployed: &BTreeMap<String, DeployedResource>,
    ) -> Arc<StageCtx> {
        let functions = deployed
            .values()
            .filter(|r| r.resource_type == "AWS::Lambda::Function")
            .map(|r| (r.physical.physical_id.clone(), r.properties.clone()))
            .collect();
        Arc::new(StageCtx {
            stage: StageRef::new(stack.app.clone(), stack.stage.clone()),
            prefix: format!("{}-{}", stack.name, stack.stage),
            region: self.region.clone(),
            account: self.account.clone(),
            store: self.store.clone(),
            artifacts: self.artifacts.clone(),
            code_root: self.code_root.clone(),
            actor: actor.to_string(),
            functions: std::sync::Mutex::new(functions),
        })
    }

    fn recording(
        &self,
        ctx: Arc<StageCtx>,
        deployment: DeploymentId,
        types: &HashMap<String, String>,
        deployed: &BTreeMap<String, DeployedResource>,
    ) -> Providers {
        let base = providers::providers(ctx);
        let mut out = Providers::new(None);
        let all: HashSet<&String> = types
            .values()
            .chain(deployed.values().map(|r| &r.resource_type))
            .collect();
        for ty in all {
            if let Some(inner) = base.get(ty) {
                out.insert(
                    ty,
                    Arc::new(Recording {
                        inner,
                        resource_type: ty.clone(),
                        store: self.store.clone(),
                        deployment,
                        pause_after: self.pause_after.clone(),
                    }),
                );
            }
        }
        out
    }

    /// Starts (or replaces, or stops) a stage's runtime from the committed
    /// resources of all its stacks.
    async fn realize(&self, stage: &StageRef) -> (Option<String>, Vec<String>) {
        let key = Self::stage_key(stage);
        // One realize of a stage at a time, so the last one reads the last commit.
        let _lock = self
            .lock(
                stage.app.as_str(),
                stage.stage.as_str(),
                Some("\u{0}realize"),
            )
            .await;
        let mut resources = Vec::new();
        let stacks = match self.store.list_stacks(stage).await {
            Ok(s) => s,
            // Keep serving what serves rather than stopping the stage.
            Err(e) => {
                return (
                    self.runtimes.url(&key).await,
                    vec![format!("state store: {e}")],
                );
            }
        };
        for s in stacks {
            if s.status.is_gone() {
                continue;
            }
            match self.store.stack_snapshot(&s.stack).await {
                Ok(Some(snap)) => resources.extend(snap.resources),
                Ok(None) => {}
                Err(e) => {
                    return (
                        self.runtimes.url(&key).await,
                        vec![format!("state store: {e}")],
                    );
                }
            }
        }
        if resources.is_empty() {
            self.runtimes.remove(&key).await;
            return (None, Vec::new());
        }
        let resources = &resources;
        let env = (self.function_env)(stage);
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
            for v in self
                .store
                .list_versions(stage, &name)
                .await
                .unwrap_or_default()
            {
                versions.insert((name.to_string(), v.version), v.config);
            }
        }
        let model = realize::stage_model(resources, &self.code_root, &self.region, &env, &versions);
        let mut warnings = model.warnings.clone();
        match self.runtimes.run(&key, model).await {
            Ok(url) => (Some(url), warnings),
            Err(e) => {
                warnings.push(format!("the stage's runtime did not start: {e}"));
                (None, warnings)
            }
        }
    }

    fn outputs(
        &self,
        p: &Prepared,
        known: &HashMap<String, Physical>,
    ) -> Result<Vec<Output>, DeployError> {
        let view = p
            .loaded
            .evaluate(
                &Known {
                    known,
                    lookups: &p.lookups,
                },
                &p.lookups,
            )
            .map_err(diag_error)?;
        let mut out = Vec::new();
        for (key, o) in view
            .get("Outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let value = match o.get("Value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let value = changeset::redact(&Value::String(value), &p.secrets)
                .as_str()
                .unwrap_or_default()
                .to_string();
            let export = match o.pointer("/Export/Name").and_then(Value::as_str) {
                Some(n) => Some(ExportName::new(n).map_err(|e| {
                    DeployError::invalid(format!("Outputs.{key}.Export.Name: {e}"))
                })?),
                None => None,
            };
            out.push(Output {
                key: key.clone(),
                value,
                description: o
                    .get("Description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                export_name: export,
            });
        }
        Ok(out)
    }

    /// Outputs with API Gateway URLs pointing at the stage's local gateway.
    pub async fn outputs_view(&self, key: &str, outputs: &[Output]) -> Vec<OutputView> {
        let url = self.runtimes.url(key).await;
        let model = self.runtimes.model(key).await;
        outputs
            .iter()
            .map(|o| OutputView {
                key: o.key.clone(),
                value: match (&url, &model) {
                    (Some(url), Some(m)) => local_urls(&o.value, url, m, &self.region),
                    _ => o.value.clone(),
                },
                description: o.description.clone(),
                export: o.export_name.as_ref().map(|e| e.to_string()),
            })
            .collect()
    }
}

/// The resources of an evaluated template, in template order.
fn desired_of(view: &Value) -> Vec<(String, Desired)> {
    view.get("Resources")
        .and_then(Value::as_object)
        .map(|r| {
            r.iter()
                .map(|(id, v)| {
                    (
                        id.clone(),
                        Desired {
                            resource_type: v
                                .get("Type")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            properties: v
                                .get("Properties")
                                .and_then(Value::as_object)
                                .cloned()
                                .unwrap_or_default(),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The commit that keeps a stack at its state before `deployment`.
fn rollback_commit(
    deployment: &lockgate_store::Deployment,
    target: &StackTarget,
    reason: String,
) -> StackCommit {
    let mut commit = match &deployment.previous {
        Some(prev) if !prev.status.is_gone() => {
            StackCommit::restore(prev, StackStatus::UpdateRollbackComplete)
        }
        _ => StackCommit::empty(
            StackStatus::RollbackComplete,
            target.template.clone(),
            target.parameters.clone(),
        ),
    };
    commit.status_reason = Some(reason);
    commit
}

/// Rewrites `https://{api}.execute-api.{region}.amazonaws.com[/{stage}]` to the local URL.
fn local_urls(value: &str, url: &str, m: &realize::StageModel, region: &str) -> String {
    let mut v = value.to_string();
    for (api, stages) in &m.rest_stages {
        let host = format!("https://{api}.execute-api.{region}.amazonaws.com");
        for s in stages {
            v = v.replace(&format!("{host}/{s}"), url);
        }
        v = v.replace(&host, url);
    }
    for api in &m.http_apis {
        v = v.replace(
            &format!("https://{api}.execute-api.{region}.amazonaws.com"),
            url,
        );
    }
    v
}

/// Where a stack's stored parameters keep the digests of its NoEcho values.
const NO_ECHO_DIGESTS: &str = "Lockgate::NoEchoDigests";

fn digest_text(s: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// The deployed side of a change holds the old values, which the secrets of
/// the new template do not name: mask every old value whose new value is
/// masked (a NoEcho parameter that changed), and every old value that was a
/// NoEcho value of the last deploy (`old_digests`).
fn mask_old_secrets(changes: &mut ChangeSet, old_digests: &HashSet<String>) {
    fn by_digest(v: &mut Value, digests: &HashSet<String>) {
        match v {
            Value::String(s) if digests.contains(&digest_text(s)) => {
                *s = changeset::REDACTED.into();
            }
            Value::Object(m) => m.values_mut().for_each(|x| by_digest(x, digests)),
            Value::Array(a) => a.iter_mut().for_each(|x| by_digest(x, digests)),
            _ => {}
        }
    }
    fn walk(before: &mut Value, after: &Value) {
        match (before, after) {
            (Value::Object(b), Value::Object(a)) => {
                for (k, v) in b.iter_mut() {
                    if let Some(av) = a.get(k) {
                        walk(v, av);
                    }
                }
            }
            (Value::Array(b), Value::Array(a)) => {
                for (v, av) in b.iter_mut().zip(a) {
                    walk(v, av);
                }
            }
            (b, Value::String(a)) if a.contains(changeset::REDACTED) => {
                *b = Value::String(changeset::REDACTED.into());
            }
            _ => {}
        }
    }
    for c in &mut changes.changes {
        for d in &mut c.details {
            if let (Some(before), Some(after)) = (d.before.as_mut(), d.after.as_ref()) {
                walk(before, after);
            }
            if let Some(before) = d.before.as_mut()
                && !old_digests.is_empty()
            {
                by_digest(before, old_digests);
            }
        }
    }
}

fn plan_changes(c: &ChangeSet) -> Vec<PlanChange> {
    c.changes
        .iter()
        .map(|x| PlanChange {
            emulated: is_emulated(&x.resource_type),
            change: x.clone(),
        })
        .collect()
}

fn deployed_map(resources: &[ResourceState]) -> BTreeMap<String, DeployedResource> {
    resources
        .iter()
        .filter_map(|r| {
            Some((
                r.logical_id.clone(),
                DeployedResource {
                    resource_type: r.resource_type.clone(),
                    properties: r.properties.as_object().cloned().unwrap_or_default(),
                    physical: Physical {
                        physical_id: r.physical_id.clone()?,
                        attributes: r.attributes.as_object().cloned().unwrap_or_default(),
                    },
                },
            ))
        })
        .collect()
}

/// Puts removals in the old template's dependency order (the engine deletes
/// them in reverse: dependents first).
fn order_removals(changes: &mut ChangeSet, old_template: &Value) {
    let (graph, _) = lockgate_template::build_graph(old_template, &HashSet::new());
    let order: HashMap<&str, usize> = graph
        .order()
        .into_iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let (mut removals, rest): (Vec<_>, Vec<_>) = changes
        .changes
        .drain(..)
        .partition(|c| c.action == Action::Remove);
    removals.sort_by_key(|c| {
        order
            .get(c.logical_id.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    changes.changes = rest;
    changes.changes.extend(removals);
}

fn imports_of(template: &Value) -> Vec<ExportName> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<ExportName>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(n)) = m.get("Fn::ImportValue")
                    && let Ok(e) = ExportName::new(n.clone())
                    && !out.contains(&e)
                {
                    out.push(e);
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(template, &mut out);
    out
}

/// Evaluates a resource's properties with what is deployed so far.
struct ApplyResolver<'a> {
    loaded: &'a LoadedTemplate,
    lookups: &'a Lookups,
    active: &'a HashSet<String>,
}

impl engine::Resolver for ApplyResolver<'_> {
    fn resolve(
        &self,
        logical_id: &str,
        _properties: &Map<String, Value>,
        known: &HashMap<String, Physical>,
    ) -> Result<Map<String, Value>, String> {
        let r = Known {
            known,
            lookups: self.lookups,
        };
        let scope = self.loaded.scope(self.active, &r, self.lookups);
        let raw = self
            .loaded
            .template
            .pointer(&format!(
                "/Resources/{}/Properties",
                logical_id.replace('~', "~0").replace('/', "~1")
            ))
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new()));
        let path = lockgate_template::Path(vec![
            lockgate_template::PathSeg::Key("Resources".into()),
            lockgate_template::PathSeg::Key(logical_id.to_string()),
            lockgate_template::PathSeg::Key("Properties".into()),
        ]);
        let v = scope.eval(&raw, &path).map_err(|e| e.to_string())?;
        let v = v.unwrap_or_else(|| Value::Object(Map::new()));
        if let Some(where_) = first_symbolic(&v, String::new()) {
            return Err(format!(
                "property {where_} refers to a value that is not known locally"
            ));
        }
        Ok(v.as_object().cloned().unwrap_or_default())
    }
}

/// The path and function of the first intrinsic left in `v` (never a value).
fn first_symbolic(v: &Value, at: String) -> Option<String> {
    if let Some((f, _)) = lockgate_template::eval::as_intrinsic(v) {
        return Some(format!("{} ({f})", if at.is_empty() { "." } else { &at }));
    }
    match v {
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            first_symbolic(
                x,
                if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                },
            )
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| first_symbolic(x, format!("{at}[{i}]"))),
        _ => None,
    }
}

struct NoResolve;

impl engine::Resolver for NoResolve {
    fn resolve(
        &self,
        _: &str,
        p: &Map<String, Value>,
        _: &HashMap<String, Physical>,
    ) -> Result<Map<String, Value>, String> {
        Ok(p.clone())
    }
}

/// Records every provider call in the store before and after it runs, so a
/// crash leaves a trail recovery can follow.
struct Recording {
    inner: Arc<dyn Provider>,
    resource_type: String,
    store: Arc<dyn Store>,
    deployment: DeploymentId,
    pause_after: Option<String>,
}

impl Recording {
    async fn record(
        &self,
        id: &str,
        status: ResourceStatus,
        physical: Option<&Physical>,
        props: Option<&Map<String, Value>>,
        reason: Option<String>,
    ) -> Result<(), ProviderError> {
        let mut p = ResourceProgress::new(id, self.resource_type.clone(), status);
        if let Some(ph) = physical {
            p.physical_id = Some(ph.physical_id.clone());
            p.attributes = Some(Value::Object(ph.attributes.clone()));
        }
        p.properties = props.map(|m| Value::Object(m.clone()));
        p.reason = reason;
        self.store
            .record_progress(self.deployment, p)
            .await
            .map(|_| ())
            .map_err(|e| ProviderError(format!("cannot record progress: {e}")))
    }

    async fn after(&self, id: &str) {
        if self.pause_after.as_deref() == Some(id) {
            eprintln!("lockgate: test hook: paused after {id}");
            std::future::pending::<()>().await;
        }
    }
}

impl Recording {
    /// Records `begin`, runs `op`, records `done` (or `failed` with the reason).
    async fn step(
        &self,
        id: &str,
        (begin, done, failed): (ResourceStatus, ResourceStatus, ResourceStatus),
        current: Option<&Physical>,
        props: &Map<String, Value>,
        op: BoxFuture<'_, Result<Physical, ProviderError>>,
    ) -> Result<Physical, ProviderError> {
        self.record(id, begin, current, Some(props), None).await?;
        match op.await {
            Ok(ph) => {
                self.record(id, done, Some(&ph), Some(props), None).await?;
                self.after(id).await;
                Ok(ph)
            }
            Err(e) => {
                let _ = self
                    .record(id, failed, current, Some(props), Some(e.0.clone()))
                    .await;
                Err(e)
            }
        }
    }
}

impl Provider for Recording {
    fn create<'a>(
        &'a self,
        id: &'a str,
        props: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        use ResourceStatus::*;
        Box::pin(self.step(
            id,
            (CreateInProgress, CreateComplete, CreateFailed),
            None,
            props,
            self.inner.create(id, props),
        ))
    }

    fn update<'a>(
        &'a self,
        id: &'a str,
        current: &'a Physical,
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        use ResourceStatus::*;
        Box::pin(self.step(
            id,
            (UpdateInProgress, UpdateComplete, UpdateFailed),
            Some(current),
            new,
            self.inner.update(id, current, old, new),
        ))
    }

    fn delete<'a>(
        &'a self,
        id: &'a str,
        current: &'a Physical,
        props: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            self.record(
                id,
                ResourceStatus::DeleteInProgress,
                Some(current),
                Some(props),
                None,
            )
            .await?;
            let r = self.inner.delete(id, current, props).await;
            let status = if r.is_ok() {
                ResourceStatus::DeleteComplete
            } else {
                ResourceStatus::DeleteFailed
            };
            let _ = self
                .record(id, status, Some(current), Some(props), None)
                .await;
            if r.is_ok() {
                self.after(id).await;
            }
            r
        })
    }
}
