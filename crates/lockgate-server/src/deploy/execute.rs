//! Phase 3, execute: one way to carry out a change set — begin a
//! deployment, apply through the recorded resource types, commit or roll
//! back, clean up what left the stack — for deploys and destroys (and, in
//! [`super::recover`], for rolling back what a crash interrupted).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use lockgate_engine::apply::{
    self as engine, Applied, ApplyError, CleanupFailure, DeployedResource, Event, Leftover,
    LeftoverKind, Physical, PlannedResource, Policies, Providers,
};
use lockgate_engine::changeset::SecretPaths;
use lockgate_engine::{Action, ChangeSet};
use lockgate_store::{
    BeginDeployment, Deployment, DeploymentKind, DeploymentOutcome, ResourceState, ResourceStatus,
    StackCommit, StackRef, StackStatus, StackTarget, StageRef, StoreError,
};
use serde_json::Value;
use tokio::sync::mpsc;

use super::error::DeployError;
use super::plan::Planned;
use super::prepare::{Prepared, deployed_map, imports_of};
use super::provenance::{Provenance, record_of, recorded_secrets};
use super::record::{
    masked, masking, recording, rollback_commit, rollback_failed, stored_leftover,
};
use super::resolve::Evaluator;
use super::{DeployRequest, DeployResult, Deployer, Plan, ProgressEvent};
use crate::resources::StageCtx;
use crate::rollout::traffic::StageTraffic;
use crate::stage;
use lockgate_store::NO_ECHO_PATHS;

/// Where a run's progress goes: the client's stream.
type Events = mpsc::UnboundedSender<ProgressEvent>;

/// Sends engine events to the client's stream, with each resource's type.
fn progress(events: &Events, types: HashMap<String, String>) -> impl Fn(Event) + Send + Sync + '_ {
    move |e: Event| {
        // A client that went away does not stop the deployment.
        let _ = events.send(ProgressEvent {
            resource_type: types.get(&e.logical_id).cloned().unwrap_or_default(),
            logical_id: e.logical_id,
            status: e.status.to_string(),
            reason: e.reason,
            rollout: None,
        });
    }
}

/// The resources of an evaluated template as apply needs them.
fn planned_resources(
    p: &Prepared,
    view: &Value,
    active: &std::collections::HashSet<String>,
) -> Result<BTreeMap<String, PlannedResource>, DeployError> {
    let mut out = BTreeMap::new();
    for (id, r) in view
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if !active.contains(id) {
            continue;
        }
        let policies = Policies::of_template_resource(id, r)
            .map_err(|e| DeployError::invalid(format!("Resources.{e}")))?;
        out.insert(
            id.clone(),
            PlannedResource {
                resource_type: r
                    .get("Type")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                depends_on: p
                    .loaded
                    .graph
                    .dependencies_of(id)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                policies,
            },
        );
    }
    Ok(out)
}

/// The types a run may call providers of.
fn types_of(
    planned: &BTreeMap<String, PlannedResource>,
    deployed: &BTreeMap<String, DeployedResource>,
) -> HashMap<String, String> {
    deployed
        .iter()
        .map(|(k, v)| (k.clone(), v.resource_type.clone()))
        .chain(
            planned
                .iter()
                .map(|(k, v)| (k.clone(), v.resource_type.clone())),
        )
        .collect()
}

impl Deployer {
    /// The change set a deploy would apply; nothing changes.
    pub async fn plan(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
    ) -> Result<Plan, DeployError> {
        let p = self.prepare(app, stage, req).await?;
        let planned = self.plan_prepared(&p).await?;
        let settings_change = planned.changes.is_empty() && p.settings_change();
        Ok(Plan {
            app: p.stage.app.to_string(),
            stage: p.stage.stage.to_string(),
            stack_exists: p.snapshot.is_some(),
            changes: self.plan_changes(&planned.changes),
            warnings: p.warnings.into_iter().chain(planned.warnings).collect(),
            settings_change,
        })
    }

    /// Providers of `ctx`'s stage, recorded under `deployment`; a failure's
    /// reason never shows a value at `secrets`.
    fn providers(
        &self,
        ctx: &Arc<StageCtx>,
        deployment: &Deployment,
        types: &HashMap<String, String>,
        secrets: SecretPaths,
    ) -> Providers {
        let mut all: Vec<String> = types.values().cloned().collect();
        all.sort();
        all.dedup();
        recording(
            &self.registry.providers(ctx),
            all,
            &self.store,
            deployment.id,
            ctx,
            secrets,
        )
    }

    /// Deploys; progress events go to `events` as they happen.
    pub async fn deploy(
        &self,
        app: &str,
        stage: &str,
        req: &DeployRequest,
        actor: &str,
        events: Events,
    ) -> Result<DeployResult, DeployError> {
        let started = std::time::Instant::now();
        let stage_ref =
            StageRef::parse(app, stage).map_err(|e| DeployError::BadRequest(e.to_string()))?;
        let _lock = self
            .lock(&Self::stack_of(&stage_ref, req.stack.as_deref())?)
            .await;
        let p = self.prepare(app, stage, req).await?;
        let planned = self.plan_prepared(&p).await?;
        let mut warnings = p.warnings.clone();
        warnings.extend(planned.warnings.iter().cloned());
        for c in &planned.changes.changes {
            if !self.registry.is_emulated(&c.resource_type) && c.action != Action::Remove {
                warnings.push(format!(
                    "{} ({}) is recorded but not emulated locally",
                    c.logical_id, c.resource_type
                ));
            }
        }
        // New outputs or parameters (a new permissions mode among them)
        // change the stack even when no resource changes.
        let settings_change = p.settings_change();
        let result = |status: &str, outputs, url, warnings| DeployResult {
            app: p.stage.app.to_string(),
            stage: p.stage.stage.to_string(),
            status: status.to_string(),
            changes: self.plan_changes(&planned.changes),
            outputs,
            url,
            warnings,
            elapsed_ms: started.elapsed().as_millis() as u64,
            settings_change: settings_change && planned.changes.is_empty(),
        };
        if !req.execute || (planned.changes.is_empty() && !settings_change) {
            let outputs = match &p.snapshot {
                Some(s) => self.outputs_view(&p.stage, &s.outputs).await,
                None => Vec::new(),
            };
            let status = if req.execute { "UNCHANGED" } else { "PLANNED" };
            return Ok(result(
                status,
                outputs,
                self.stages.url(&p.stage).await,
                warnings,
            ));
        }
        let status = self
            .execute(&p, &planned, actor, &events, &mut warnings)
            .await?;
        // `execute` served what it committed.
        let url = self.stages.url(&p.stage).await;
        self.clean_up_committed(&p.stack, &events, &mut warnings)
            .await;
        let outputs = match self.store.stack_snapshot(&p.stack).await? {
            Some(s) => self.outputs_view(&p.stage, &s.outputs).await,
            None => Vec::new(),
        };
        Ok(result(status.as_str(), outputs, url, warnings))
    }

    /// Begins the deployment of a prepared plan, applies it, commits it (or
    /// rolls it back), serves the outcome; answers the stack's new status.
    async fn execute(
        &self,
        p: &Prepared,
        planned: &Planned,
        actor: &str,
        events: &Events,
        warnings: &mut Vec<String>,
    ) -> Result<StackStatus, DeployError> {
        let traffic = self.rollouts.as_ref().map(|rollouts| {
            Arc::new(StageTraffic {
                rollouts: rollouts.clone(),
                deployment: Default::default(),
                stack: p.stack.clone(),
                progress: events.clone(),
                shifted: Default::default(),
            })
        });
        let outcome = self
            .apply_and_commit(p, planned, actor, events, traffic.clone())
            .await;
        // The shifts' routing overrides end with the commit (or rollback):
        // from here the committed aliases say where traffic goes — an alias
        // whose shift completed but whose update was then rolled back points
        // at its old version again. Until the rebuild below, the running
        // stage keeps the routing the shifts left.
        if let Some(t) = traffic {
            t.end(&p.stage);
        }
        // Serve what was committed (a rollout may have staged versions in).
        let (_, w) = self.stages.realize(&p.stage).await;
        warnings.extend(w);
        outcome
    }

    /// Begins the deployment, applies it, commits it or rolls it back.
    async fn apply_and_commit(
        &self,
        p: &Prepared,
        planned: &Planned,
        actor: &str,
        events: &Events,
        traffic: Option<Arc<StageTraffic>>,
    ) -> Result<StackStatus, DeployError> {
        self.store.ensure_stage(&p.stage).await?;
        let kind = if p.snapshot.is_some() {
            DeploymentKind::Update
        } else {
            DeploymentKind::Create
        };
        let target = &p.target;
        let change_set = serde_json::to_value(self.plan_changes(&planned.changes))
            .map_err(|e| DeployError::Internal(format!("cannot encode the change set: {e}")))?;
        let deployment = self
            .store
            .begin_deployment(BeginDeployment {
                stack: p.stack.clone(),
                kind,
                initiated_by: actor.to_string(),
                change_set,
                target: target.clone(),
            })
            .await
            .map_err(|e| match e {
                StoreError::DeploymentInProgress { .. } => DeployError::Conflict(format!(
                    "another deployment is running on {}: {e}",
                    p.stack
                )),
                other => DeployError::Store(other),
            })?;
        if let Some(t) = &traffic {
            // Set once: this deployment is the only one to begin here.
            let _ = t.deployment.set(deployment.id);
        }
        let traffic = traffic.map(|t| t as Arc<dyn crate::rollout::Traffic>);
        let committed = p
            .snapshot
            .as_ref()
            .map(|s| s.resources.clone())
            .unwrap_or_default();
        let ctx = self.stage_ctx(&p.stack, actor, &committed, traffic);
        let eval = Evaluator::new(&p.loaded, &p.lookups);
        let plan = planned_resources(p, &planned.view, eval.active())?;
        let types = types_of(&plan, &p.deployed);
        let providers = self.providers(&ctx, &deployment, &types, planned.secret_paths.clone());
        let report = progress(events, types);
        let fail =
            |logical_id: String, reason: String, rollback: Option<String>| DeployError::Failed {
                logical_id,
                reason,
                rollback,
            };
        let applied = engine::apply(
            &p.deployed,
            &plan,
            &planned.changes,
            &providers,
            &eval,
            &report,
        )
        .await;
        let applied = match applied {
            Ok(a) => a,
            Err(e) => {
                let (logical_id, reason, rollback) = match &e {
                    ApplyError::RolledBack { logical_id, error } => {
                        (logical_id.clone(), error.message.clone(), None)
                    }
                    ApplyError::RollbackFailed {
                        logical_id,
                        error,
                        rollback,
                    } => (
                        logical_id.clone(),
                        error.message.clone(),
                        Some(failures_text(rollback)),
                    ),
                    other => (String::new(), other.to_string(), None),
                };
                self.finish_rolled_back(&deployment, target, e.to_string(), rollback.is_some())
                    .await?;
                return Err(fail(logical_id, reason, rollback));
            }
        };
        let known: HashMap<String, Physical> = applied
            .state
            .iter()
            .map(|(k, v)| (k.clone(), v.physical.clone()))
            .collect();
        let provenance = Provenance::new(
            eval.loaded(),
            &p.lookups,
            self.registry.as_ref(),
            &planned.secret_imports,
        );
        // One trace of the final state for the outputs and the record.
        let traced = provenance.trace(&known);
        let outputs = self.outputs(&eval, &provenance.outputs(&known, &traced), &known);
        // Where the committed properties derive from NoEcho values, for the
        // next plan to mask them whatever its template does with them.
        let mut parameters = target.parameters.clone();
        if let Value::Object(m) = &mut parameters {
            m.insert(NO_ECHO_PATHS.into(), record_of(&traced.paths));
        }
        let status = match kind {
            DeploymentKind::Create => StackStatus::CreateComplete,
            _ => StackStatus::UpdateComplete,
        };
        let commit = outputs.map(|outputs| StackCommit {
            status,
            status_reason: None,
            template: target.template.clone(),
            parameters,
            resources: applied
                .state
                .iter()
                .map(|(id, r)| ResourceState {
                    logical_id: id.clone(),
                    resource_type: r.resource_type.clone(),
                    physical_id: Some(r.physical.physical_id.clone()),
                    properties: Value::Object(r.properties.clone()),
                    status: if p.deployed.contains_key(id)
                        && planned
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
                .collect(),
            outputs,
            imports: imports_of(&p.loaded.template),
            events: Vec::new(),
            // Leftovers carry the committed state's properties, so the
            // record of that state says where they derive from a secret.
            leftovers: {
                let committed = p
                    .snapshot
                    .as_ref()
                    .map(recorded_secrets)
                    .unwrap_or_default();
                applied
                    .leftovers
                    .iter()
                    .filter_map(|l| stored_leftover(l, &committed))
                    .collect()
            },
        });
        let refused = match commit {
            Ok(commit) => match self
                .store
                .finish_deployment(deployment.id, DeploymentOutcome::Succeeded, commit)
                .await
            {
                Ok(_) => return Ok(status),
                // The store refused the result (an export in use, …).
                Err(e) => format!("the result could not be committed: {e}"),
            },
            Err(e) => e.to_string(),
        };
        // Keep the old state: undo what was applied, then record the rollback.
        let undone = engine::undo(applied, &providers, &report).await;
        let rollback = (!undone.is_empty()).then(|| failures_text(&undone));
        self.finish_rolled_back(&deployment, target, refused.clone(), rollback.is_some())
            .await?;
        Err(fail(String::new(), refused, rollback))
    }

    /// Records a deployment as rolled back (or, when `partial`, as a
    /// rollback that failed: the stack's status says so).
    async fn finish_rolled_back(
        &self,
        deployment: &Deployment,
        target: &StackTarget,
        reason: String,
        partial: bool,
    ) -> Result<(), DeployError> {
        let mut commit = rollback_commit(deployment, target, reason);
        let outcome = if partial {
            commit.status = rollback_failed(commit.status);
            DeploymentOutcome::Failed
        } else {
            DeploymentOutcome::RolledBack
        };
        self.store
            .finish_deployment(deployment.id, outcome, commit)
            .await?;
        Ok(())
    }

    /// Deletes the physical resources that left `stack` in its last commit
    /// (old copies of replaced resources, removed resources), as their
    /// policies say, and forgets them; what cannot be deleted is reported.
    pub(crate) async fn clean_up_committed(
        &self,
        stack: &StackRef,
        events: &Events,
        warnings: &mut Vec<String>,
    ) {
        let pending = match self.store.pending_leftovers().await {
            Ok(l) => l,
            Err(e) => {
                warnings.push(format!(
                    "cleanup postponed to the next start: state store: {e}"
                ));
                return;
            }
        };
        let pending: Vec<_> = pending.into_iter().filter(|l| l.stack == *stack).collect();
        if pending.is_empty() {
            return;
        }
        let ctx = self.stage_ctx(stack, "cleanup", &[], None);
        // What a provider's failure says (to the events and the warnings)
        // never shows a value derived from a secret.
        let mut secrets = SecretPaths::new();
        for l in &pending {
            secrets
                .entry(l.logical_id.clone())
                .or_default()
                .extend(l.secret_paths.iter().cloned());
        }
        let providers = masking(
            &self.registry.providers(&ctx),
            pending.iter().map(|l| l.resource_type.clone()),
            secrets.clone(),
        );
        let types = pending
            .iter()
            .map(|l| (l.logical_id.clone(), l.resource_type.clone()))
            .collect();
        let report = progress(events, types);
        for l in pending {
            let leftover = Leftover {
                logical_id: l.logical_id.clone(),
                resource: DeployedResource {
                    resource_type: l.resource_type.clone(),
                    properties: l.properties.as_object().cloned().unwrap_or_default(),
                    physical: Physical {
                        physical_id: l.physical_id.clone(),
                        attributes: l.attributes.as_object().cloned().unwrap_or_default(),
                    },
                    policies: Policies {
                        deletion: lockgate_engine::RemovalPolicy::parse(&l.policy)
                            .unwrap_or_default(),
                        ..Policies::default()
                    },
                },
                kind: LeftoverKind::Removed,
            };
            for CleanupFailure { leftover, error } in
                engine::clean_up(&[leftover], &providers, &report).await
            {
                let text = format!(
                    "{} ({}) was left in place: {error}",
                    leftover.logical_id, leftover.resource.physical.physical_id
                );
                warnings.push(match secrets.get(&leftover.logical_id) {
                    // The physical ID too, when it is such a value.
                    Some(paths) => masked(&text, &leftover.resource.properties, paths),
                    None => text,
                });
            }
            if let Err(e) = self.store.clear_leftover(l.id).await {
                warnings.push(format!("cleanup of {} not recorded: {e}", l.logical_id));
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
        events: Events,
    ) -> Result<DeployResult, DeployError> {
        let started = std::time::Instant::now();
        let stage =
            StageRef::parse(app, stage).map_err(|e| DeployError::BadRequest(e.to_string()))?;
        let stack = Self::stack_of(&stage, stack)?;
        let _lock = self.lock(&stack).await;
        let key = stage::key(&stage);
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
        let deployed = deployed_map(&snapshot.resources, &snapshot.template);
        let changes = engine_removal(&deployed, &snapshot.template);
        let change_set = serde_json::to_value(self.plan_changes(&changes))
            .map_err(|e| DeployError::Internal(format!("cannot encode the change set: {e}")))?;
        let deployment = self
            .store
            .begin_deployment(BeginDeployment {
                stack: stack.clone(),
                kind: DeploymentKind::Delete,
                initiated_by: actor.to_string(),
                change_set,
                target: StackTarget {
                    template: snapshot.template.clone(),
                    parameters: snapshot.parameters.clone(),
                },
            })
            .await?;
        let ctx = self.stage_ctx(&stack, actor, &snapshot.resources, None);
        let failures = self
            .remove_all(
                &ctx,
                &deployment,
                (&deployed, recorded_secrets(&snapshot)),
                &changes,
                &events,
            )
            .await?;
        self.finish_delete(&deployment, &snapshot.resources, &failures)
            .await?;
        let (url, _) = self.stages.realize(&stage).await;
        if let Some(f) = failures.first() {
            return Err(DeployError::Failed {
                logical_id: f.leftover.logical_id.clone(),
                reason: format!(
                    "{} (the stack is DELETE_FAILED; destroy again to retry)",
                    failures_text(
                        &failures
                            .iter()
                            .map(|f| (f.leftover.logical_id.clone(), f.error.clone()))
                            .collect::<Vec<_>>()
                    )
                ),
                rollback: None,
            });
        }
        Ok(DeployResult {
            app: stage.app.to_string(),
            stage: stage.stage.to_string(),
            status: StackStatus::DeleteComplete.as_str().into(),
            changes: self.plan_changes(&changes),
            outputs: Vec::new(),
            url,
            warnings: Vec::new(),
            elapsed_ms: started.elapsed().as_millis() as u64,
            settings_change: false,
        })
    }

    /// Carries out a removal change set within `deployment`: every resource
    /// of `deployed` (with where its properties derive from secrets) leaves
    /// the stack and is deleted (or kept) by its policy.
    pub(crate) async fn remove_all(
        &self,
        ctx: &Arc<StageCtx>,
        deployment: &Deployment,
        (deployed, secrets): (&BTreeMap<String, DeployedResource>, SecretPaths),
        changes: &ChangeSet,
        events: &Events,
    ) -> Result<Vec<CleanupFailure>, DeployError> {
        let planned = BTreeMap::new();
        let types = types_of(&planned, deployed);
        let providers = self.providers(ctx, deployment, &types, secrets);
        let report = progress(events, types);
        let nothing = super::resolve::AsCommitted(&HashMap::new());
        let applied: Applied =
            engine::apply(deployed, &planned, changes, &providers, &nothing, &report)
                .await
                .map_err(|e| DeployError::Internal(format!("removal: {e}")))?;
        Ok(engine::clean_up(&applied.leftovers, &providers, &report).await)
    }

    /// Commits a (possibly interrupted) delete: empty when everything went,
    /// `DELETE_FAILED` with what is left otherwise.
    pub(crate) async fn finish_delete(
        &self,
        deployment: &Deployment,
        resources: &[ResourceState],
        failures: &[CleanupFailure],
    ) -> Result<(), DeployError> {
        let target = &deployment.target;
        let (outcome, commit) = if failures.is_empty() {
            (
                DeploymentOutcome::Succeeded,
                StackCommit::empty(
                    StackStatus::DeleteComplete,
                    target.template.clone(),
                    target.parameters.clone(),
                ),
            )
        } else {
            let left: std::collections::HashSet<&str> = failures
                .iter()
                .map(|f| f.leftover.logical_id.as_str())
                .collect();
            let mut commit = StackCommit::empty(
                StackStatus::DeleteFailed,
                target.template.clone(),
                target.parameters.clone(),
            );
            commit.resources = resources
                .iter()
                .filter(|r| left.contains(r.logical_id.as_str()))
                .cloned()
                .collect();
            commit.status_reason = Some(format!(
                "could not delete: {}",
                failures
                    .iter()
                    .map(|f| format!("{} ({})", f.leftover.logical_id, f.error))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
            (DeploymentOutcome::Failed, commit)
        };
        self.store
            .finish_deployment(deployment.id, outcome, commit)
            .await?;
        Ok(())
    }
}

/// The removal change set of a stack, in its template's dependency order.
pub(crate) fn engine_removal(
    deployed: &BTreeMap<String, DeployedResource>,
    template: &Value,
) -> ChangeSet {
    let (graph, _) = lockgate_template::build_graph(template, &std::collections::HashSet::new());
    let order: Vec<String> = graph.order().into_iter().map(str::to_string).collect();
    lockgate_engine::plan::removal(deployed, &order)
}

/// `id: reason; id: reason`.
fn failures_text(f: &[(String, lockgate_engine::ProviderError)]) -> String {
    f.iter()
        .map(|(id, e)| format!("{id}: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use crate::deploy::testing::{fixture, stack};
    use lockgate_store::StackStatus;

    const ONE: &str = "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/one\n      Type: String\n      Value: a\n";

    /// Two NoEcho values reach properties, outputs and an export, plainly
    /// and as their base64; two deploys (the second's deployment keeps a
    /// snapshot of the first's state) and a plan later, no file of the data
    /// directory — the database, its WAL — holds either value, its base64
    /// or its plain SHA-256 digest.
    #[tokio::test]
    async fn no_form_of_a_no_echo_value_is_at_rest_in_clear() {
        use crate::deploy::testing::request;
        use base64::Engine as _;
        use sha2::Digest as _;

        const CONTROL: &str = "plain-control-value-3b9d";
        let t = format!(
            r#"
Parameters:
  Pw:
    Type: String
    NoEcho: true
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      Tags:
        - Key: pw
          Value: !Ref Pw
        - Key: b64
          Value: !Base64 {{Ref: Pw}}
Outputs:
  B64:
    Value: !Base64 {{Ref: Pw}}
    Export:
      Name: pw-b64
  Direct:
    Value: !Sub "pw=${{Pw}}"
  Control:
    Value: {CONTROL}
"#
        );
        let f = fixture().await;
        let with = |pw: &str| {
            let mut req = request(&t);
            req.parameters.insert("Pw".into(), pw.into());
            req
        };
        let secrets = ["hunter2-first-secret", "hunter2-second-secret"];
        for pw in secrets {
            f.deploy_request(&with(pw)).await.unwrap();
        }
        f.deployer
            .plan("app", "dev", &with("hunter2-third-secret"))
            .await
            .unwrap();
        // What was deployed is all there, opened.
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        let q = snap.resources.iter().find(|r| r.logical_id == "Q").unwrap();
        assert_eq!(q.properties["Tags"][0]["Value"], secrets[1]);
        let export = &f.store.list_exports(&stack().stage_ref()).await.unwrap()[0];
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(export.value, b64(secrets[1]));

        let mut forbidden = Vec::new();
        for s in secrets {
            forbidden.push(s.to_string());
            forbidden.push(b64(s));
            forbidden.push(hex::encode(sha2::Sha256::digest(s.as_bytes())));
        }
        let mut files = vec![f._dir.path().to_path_buf()];
        let mut control_found = false;
        let mut scanned = Vec::new();
        while let Some(p) = files.pop() {
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "keys") {
                    continue;
                }
                files.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            control_found |= bytes
                .windows(CONTROL.len())
                .any(|w| w == CONTROL.as_bytes());
            for x in &forbidden {
                assert!(
                    !bytes.windows(x.len()).any(|w| w == x.as_bytes()),
                    "{} holds `{x}`",
                    p.display()
                );
            }
            scanned.push(p);
        }
        assert!(control_found, "the scan is blind");
        assert!(
            scanned
                .iter()
                .any(|p| p.to_string_lossy().ends_with("-wal")),
            "the WAL was scanned: {scanned:?}"
        );
    }

    /// A changed NoEcho value is a change (shown masked); the same value is
    /// none, however short; the stack keeps where its values went, never a
    /// digest of them.
    #[tokio::test]
    async fn a_no_echo_change_is_detected_and_the_same_value_is_not() {
        use crate::deploy::testing::request;
        use lockgate_store::NO_ECHO_PATHS;

        let t = "Parameters:\n  Pw:\n    Type: String\n    NoEcho: true\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      Tags:\n        - Key: pw\n          Value: !Ref Pw\n";
        let f = fixture().await;
        let deploy = |pw: &'static str| {
            let mut req = request(t);
            req.parameters.insert("Pw".into(), pw.into());
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
            let d = &f.deployer;
            async move { d.deploy("app", "dev", &req, "test", tx).await.unwrap() }
        };
        assert_eq!(deploy("1").await.status, "CREATE_COMPLETE");
        let same = deploy("1").await;
        assert_eq!(same.status, "UNCHANGED");
        assert!(same.changes.is_empty());
        let changed = deploy("2").await;
        assert_eq!(changed.status, "UPDATE_COMPLETE");
        let d = &changed.changes[0].details[0];
        assert_eq!(d.name, "Tags");
        let masked = serde_json::json!([{"Key": "pw", "Value": "****"}]);
        assert_eq!(d.before.as_ref(), Some(&masked));
        assert_eq!(d.after.as_ref(), Some(&masked));
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        assert_eq!(snap.resources[0].properties["Tags"][0]["Value"], "2");
        assert_eq!(
            snap.parameters,
            serde_json::json!({"Pw": "****", NO_ECHO_PATHS: {"Q": ["/Tags/0/Value"]}})
        );
        assert_eq!(deploy("2").await.status, "UNCHANGED");
    }

    /// A template whose resources do not change is still an update when
    /// its outputs or parameters do (CloudFormation executes the empty
    /// change set): the new output is there to read, the new parameter
    /// value kept; the same template again is UNCHANGED.
    #[tokio::test]
    async fn outputs_or_parameters_alone_are_an_update() {
        use crate::deploy::testing::request;

        let base = "Parameters:\n  Tier:\n    Type: String\n    Default: a\nResources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/p\n      Type: String\n      Value: v\n";
        let with_output =
            format!("{base}Outputs:\n  Name:\n    Value: !Ref P\n  Tier:\n    Value: !Ref Tier\n");
        let f = fixture().await;
        let outputs = || async {
            let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
            let kv: Vec<(String, String)> =
                snap.outputs.into_iter().map(|o| (o.key, o.value)).collect();
            (kv, snap.parameters["Tier"].clone())
        };
        assert_eq!(f.deploy(base).await.unwrap().status, "CREATE_COMPLETE");
        assert_eq!(f.deploy(base).await.unwrap().status, "UNCHANGED");
        // A plan says so (its changes list resources only).
        let mut plan = request(&with_output);
        plan.execute = false;
        let planned = f.deploy_request(&plan).await.unwrap();
        assert_eq!(planned.status, "PLANNED");
        assert!(planned.changes.is_empty() && planned.settings_change);
        let plan = f.deployer.plan("app", "dev", &plan).await.unwrap();
        assert!(plan.changes.is_empty() && plan.settings_change);
        let r = f.deploy(&with_output).await.unwrap();
        assert_eq!(r.status, "UPDATE_COMPLETE");
        assert!(r.changes.is_empty(), "{:?}", r.changes);
        let want = |tier: &str| {
            vec![
                ("Name".to_string(), "/dev/p".to_string()),
                ("Tier".to_string(), tier.to_string()),
            ]
        };
        assert_eq!(outputs().await, (want("a"), serde_json::json!("a")));
        assert_eq!(f.deploy(&with_output).await.unwrap().status, "UNCHANGED");
        // A parameter no resource uses.
        let mut req = request(&with_output);
        req.parameters.insert("Tier".into(), "b".into());
        let r = f.deploy_request(&req).await.unwrap();
        assert_eq!(r.status, "UPDATE_COMPLETE");
        assert!(r.changes.is_empty(), "{:?}", r.changes);
        assert_eq!(outputs().await, (want("b"), serde_json::json!("b")));
        // Outputs removed.
        assert_eq!(f.deploy(base).await.unwrap().status, "UPDATE_COMPLETE");
        assert_eq!(outputs().await.0, vec![]);
    }

    crate::resource_type! {
        /// A test type: made with its `Name` as physical ID; its deletion
        /// fails, quoting the name (as a provider refusing a name does).
        struct InUse = "Test::InUse";
    }

    #[async_trait::async_trait]
    impl crate::resources::ResourceType for InUse {
        fn replacing_properties(&self) -> &'static [&'static str] {
            &["*"]
        }

        async fn put(
            &self,
            _: &crate::resources::Ctx<'_>,
            _: Option<&lockgate_engine::apply::Physical>,
            p: &crate::resources::Props<'_>,
        ) -> Result<lockgate_engine::apply::Physical, lockgate_engine::ProviderError> {
            Ok(lockgate_engine::apply::Physical {
                physical_id: p.required_str("Name")?.to_string(),
                attributes: Default::default(),
            })
        }

        async fn delete(
            &self,
            _: &crate::resources::Ctx<'_>,
            current: &lockgate_engine::apply::Physical,
            _: &crate::resources::Props<'_>,
        ) -> Result<(), lockgate_engine::ProviderError> {
            Err(lockgate_engine::ProviderError::internal(format!(
                "{} is in use",
                current.physical_id
            )))
        }
    }

    /// A removed resource whose deletion fails, with properties derived
    /// from a NoEcho value: the leftover keeps where they are, and what
    /// its cleanup reports (the deploy's warnings, its progress events)
    /// shows them `****`.
    #[tokio::test]
    async fn a_leftovers_failure_never_shows_a_secret() {
        use crate::deploy::testing::{fixture_with, request};
        use crate::resources::registry;

        const SECRET: &str = "hunter2-leftover-4b1d";
        let f = fixture_with(registry::standard().with(std::sync::Arc::new(InUse))).await;
        let t = "Parameters:\n  Secret:\n    Type: String\n    NoEcho: true\nResources:\n  Keep:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/keep\n      Type: String\n      Value: k\n  Held:\n    Type: Test::InUse\n    Properties:\n      Name: !Sub \"held-${Secret}\"\n";
        let with = |template: &str| {
            let mut req = request(template);
            req.parameters.insert("Secret".into(), SECRET.into());
            req
        };
        f.deploy_request(&with(t)).await.unwrap();
        let without = t.split("  Held:").next().unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let r = f
            .deployer
            .deploy("app", "dev", &with(without), "test", tx)
            .await
            .unwrap();
        assert_eq!(r.status, "UPDATE_COMPLETE");
        let left = r
            .warnings
            .iter()
            .find(|w| w.contains("was left in place"))
            .expect("the failed deletion is warned about");
        assert_eq!(left, "Held (****) was left in place: **** is in use");
        let mut shown = vec![format!("{r:?}")];
        while let Ok(event) = rx.try_recv() {
            shown.push(format!("{event:?}"));
        }
        // The value derived from the secret is masked whole, as a
        // deployment's own failures mask it.
        assert!(shown.iter().any(|s| s.contains("**** is in use")));
        for s in &shown {
            assert!(!s.contains(SECRET), "{s}");
        }
    }

    /// Every file of a data directory but its key, and whether any holds `needle`.
    fn data_dir_holds(dir: &std::path::Path, needle: &str) -> bool {
        let mut files = vec![dir.to_path_buf()];
        while let Some(p) = files.pop() {
            if p.is_dir() {
                if p.file_name().is_none_or(|n| n != "keys") {
                    files.extend(std::fs::read_dir(&p).unwrap().flatten().map(|e| e.path()));
                }
            } else if std::fs::read(&p)
                .unwrap()
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
            {
                return true;
            }
        }
        false
    }

    /// A name AWS refuses, built from a NoEcho value: the refusal's reason
    /// (which quotes the name) shows it `****` — in the deploy's answer, its
    /// progress events, the stack's events and status reason, the
    /// deployment's record — and no file of the data directory holds it.
    #[tokio::test]
    async fn a_refused_name_built_from_a_secret_is_never_shown() {
        use crate::deploy::testing::request;

        const SECRET: &str = "hunter2-in-a-name-5c1e";
        let t = "Parameters:\n  Secret:\n    Type: String\n    NoEcho: true\nResources:\n  Rule:\n    Type: AWS::Events::Rule\n    Properties:\n      Name: !Sub \"/${AWS::StackName}/${Secret}\"\n      ScheduleExpression: rate(1 minute)\n";
        let f = fixture().await;
        let mut req = request(t);
        req.parameters.insert("Secret".into(), SECRET.into());
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let e = f
            .deployer
            .deploy("app", "dev", &req, "test", tx)
            .await
            .unwrap_err();
        let crate::deploy::DeployError::Failed { reason, .. } = &e else {
            panic!("{e}");
        };
        // The refusal, with the name masked whole.
        assert!(reason.contains("Value '****' at 'name'"), "{reason}");
        let mut shown = vec![e.to_string(), format!("{e:?}")];
        while let Ok(event) = rx.try_recv() {
            shown.push(format!("{event:?}"));
        }
        let events = f.store.list_events(&stack(), None, 100).await.unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.reason.as_deref().is_some_and(|r| r.contains("'****'")))
        );
        shown.push(format!("{events:?}"));
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        shown.push(format!("{:?}", snap.status_reason));
        shown.push(format!(
            "{:?}",
            f.store.list_deployments(&stack(), 10).await.unwrap()
        ));
        for s in &shown {
            assert!(!s.contains(SECRET), "{s}");
        }
        assert!(
            !data_dir_holds(f._dir.path(), SECRET),
            "the data directory holds the secret"
        );
    }

    /// A resource named from a NoEcho value is made (its physical ID is
    /// its name, in clear, as on AWS) and the plan and the deploy warn so,
    /// without the value; a resource named otherwise is not warned about.
    #[tokio::test]
    async fn a_name_built_from_a_secret_is_warned_about() {
        use crate::deploy::provenance::secret_name_warning;
        use crate::deploy::testing::request;

        const SECRET: &str = "s3cret-queue-name-part";
        let t = "Parameters:\n  Secret:\n    Type: String\n    NoEcho: true\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub \"q-${Secret}\"\n  Plain:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: plain\n      Tags:\n        - Key: k\n          Value: !Ref Secret\n";
        let f = fixture().await;
        let mut req = request(t);
        req.parameters.insert("Secret".into(), SECRET.into());
        let plan = f.deployer.plan("app", "dev", &req).await.unwrap();
        let r = f.deploy_request(&req).await.unwrap();
        assert_eq!(r.status, "CREATE_COMPLETE");
        for warnings in [&plan.warnings, &r.warnings] {
            assert!(warnings.contains(&secret_name_warning("Q")), "{warnings:?}");
            assert!(
                !warnings.contains(&secret_name_warning("Plain")),
                "{warnings:?}"
            );
            assert!(!format!("{warnings:?}").contains(SECRET), "{warnings:?}");
        }
    }

    #[tokio::test]
    async fn a_replacement_commits_then_deletes_the_old_copy() {
        let f = fixture().await;
        let r = f.deploy(ONE).await.unwrap();
        assert_eq!(r.status, "CREATE_COMPLETE");
        // A new name replaces the parameter: the new one first, then the old one goes.
        let renamed = ONE.replace("/dev/one", "/dev/two");
        let r = f.deploy(&renamed).await.unwrap();
        assert_eq!(r.status, "UPDATE_COMPLETE");
        assert_eq!(f.parameter("/dev/two").await.as_deref(), Some("a"));
        assert_eq!(
            f.parameter("/dev/one").await,
            None,
            "the old copy was cleaned up"
        );
        assert!(f.store.pending_leftovers().await.unwrap().is_empty());
        let r = f.deploy(&renamed).await.unwrap();
        assert_eq!(r.status, "UNCHANGED");
    }

    #[tokio::test]
    async fn retained_resources_outlive_their_removal_and_their_stack() {
        let f = fixture().await;
        let kept = "Resources:\n  K:\n    Type: AWS::SSM::Parameter\n    DeletionPolicy: Retain\n    Properties:\n      Name: /dev/kept\n      Type: String\n      Value: k\n  Gone:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/gone\n      Type: String\n      Value: g\n";
        f.deploy(kept).await.unwrap();
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let r = f
            .deployer
            .destroy("app", "dev", None, "test", tx)
            .await
            .unwrap();
        assert_eq!(r.status, "DELETE_COMPLETE");
        assert_eq!(f.parameter("/dev/kept").await.as_deref(), Some("k"));
        assert_eq!(f.parameter("/dev/gone").await, None);
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        assert_eq!(snap.status, StackStatus::DeleteComplete);
    }

    #[tokio::test]
    async fn a_failing_resource_rolls_back_and_names_itself() {
        let f = fixture().await;
        f.deploy(ONE).await.unwrap();
        let broken = format!(
            "{ONE}  Bad:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/bad\n      Type: SecureString\n      Value: x\n"
        );
        let e = f.deploy(&broken).await.unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("resource Bad failed: Type: expected String or StringList"),
            "{text}"
        );
        assert!(text.contains("rolled back"), "{text}");
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        assert_eq!(snap.status, StackStatus::UpdateRollbackComplete);
        assert_eq!(f.parameter("/dev/one").await.as_deref(), Some("a"));
        assert_eq!(f.parameter("/dev/bad").await, None);
    }

    /// What real templates bring and AWS takes: a runtime this machine
    /// cannot run deploys with a warning (its invocations answer
    /// Runtime.Unavailable), and AWS's public parameters stand in with a
    /// warning; a permission on a function that does not exist fails the
    /// deploy, rolled back and named, as Lambda refuses it.
    #[tokio::test]
    async fn real_world_parts_deploy_and_aws_failures_fail() {
        let f = fixture().await;
        let t = r#"
Parameters:
  Ami:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
Resources:
  Dotnet:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: dotnet8
      Handler: App::App.Function::Handler
      Role: arn:aws:iam::123456789012:role/r
      Code:
        ZipFile: "not runnable here"
Outputs:
  Ami:
    Value: !Ref Ami
"#;
        let r = f.deploy(t).await.unwrap();
        assert_eq!(r.status, "CREATE_COMPLETE");
        let said = r.warnings.join("\n");
        assert!(
            said.contains("runtime dotnet8 cannot run on this machine"),
            "{said}"
        );
        assert!(said.contains("one of AWS's public parameters"), "{said}");
        let ami = &r.outputs.iter().find(|o| o.key == "Ami").unwrap().value;
        assert!(ami.starts_with("ami-") && ami.len() == 21, "{ami}");
        // Invoking it answers why it cannot run.
        let url = r.url.expect("the stage serves");
        let answer = reqwest::Client::new()
            .post(format!(
                "{url}/2015-03-31/functions/app-dev-Dotnet/invocations"
            ))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(
            answer
                .headers()
                .get("x-amz-function-error")
                .map(|v| v.to_str().unwrap().to_string()),
            Some("Unhandled".to_string())
        );
        let body = answer.text().await.unwrap();
        assert!(
            body.contains("Runtime.Unavailable") && body.contains("dotnet8"),
            "{body}"
        );

        // A permission on a function that does not exist: rolled back, named.
        let typo = t.replace(
            "Outputs:",
            "  Perm:\n    Type: AWS::Lambda::Permission\n    Properties:\n      FunctionName: app-dev-Dotnett\n      Action: lambda:InvokeFunction\n      Principal: s3.amazonaws.com\nOutputs:",
        );
        let e = f.deploy(&typo).await.unwrap_err().to_string();
        assert!(
            e.contains("Perm") && e.contains("Function not found") && e.contains("app-dev-Dotnett"),
            "{e}"
        );
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        assert_eq!(snap.status, StackStatus::UpdateRollbackComplete);
    }
}
