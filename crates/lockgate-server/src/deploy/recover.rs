//! Phase 5, recover: at start, whatever a crash interrupted is settled
//! before anything serves — an interrupted deployment is rolled back (a
//! destroy is finished), its rollouts closed with traffic back on the old
//! version, the leftovers of committed deployments deleted — then every
//! stage's runtime starts from its committed state.

use std::collections::{BTreeMap, HashMap};

use lockgate_engine::apply::{
    self as engine, DeployedResource, Leftover, LeftoverKind, Physical, PlannedResource, Policies,
};
use lockgate_engine::{Action, ChangeSet, ProviderError, Replacement, ResourceChange};
use lockgate_store::{
    DeploymentKind, InterruptedDeployment, ResourceState, ResourceStatus, RolloutEvent,
    RolloutStatus,
};
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::Deployer;
use super::error::DeployError;
use super::execute::engine_removal;
use super::prepare::deployed_map;
use super::provenance::recorded_secrets;
use super::record::{recording, rollback_commit, rollback_failed};
use super::resolve::AsCommitted;
use crate::stage;

impl Deployer {
    /// Settles what a crash interrupted, then starts every stage's runtime
    /// from its committed state. Answers what it did, line by line.
    pub async fn recover(&self) -> Result<Vec<String>, DeployError> {
        let mut report = Vec::new();
        for interrupted in self.store.recover_interrupted().await? {
            let d = &interrupted.deployment;
            let line = if d.kind == DeploymentKind::Delete {
                self.finish_interrupted_delete(&interrupted).await?
            } else {
                self.roll_back_interrupted(&interrupted).await?
            };
            report.push(line);
        }
        for r in self.store.running_rollouts().await? {
            let message = format!(
                "the server stopped during the shift; all traffic back on version {}",
                r.from_version
            );
            self.store
                .finish_rollout(
                    r.id,
                    RolloutStatus::Stopped,
                    Some(lockgate_store::RolloutFailure {
                        code: "INTERNAL_ERROR".into(),
                        message: message.clone(),
                    }),
                    RolloutEvent::now("Rollback", Some(0.0), message),
                )
                .await?;
            report.push(format!(
                "stopped interrupted rollout {} of {}:{} in {}",
                r.id, r.function, r.alias, r.stage
            ));
        }
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut stacks = Vec::new();
        for l in self.store.pending_leftovers().await? {
            if !stacks.contains(&l.stack) {
                stacks.push(l.stack);
            }
        }
        for stack in stacks {
            let mut warnings = Vec::new();
            self.clean_up_committed(&stack, &tx, &mut warnings).await;
            report.push(format!(
                "cleaned up what left {stack} in its last deployment"
            ));
            report.extend(warnings);
        }
        for app in self.store.list_apps().await? {
            for stage in self.store.list_stages(&app.name).await? {
                // A stage with nothing live releases its port here.
                let (url, warnings) = self.stages.realize(&stage.stage).await;
                report.extend(warnings);
                if let Some(url) = url {
                    report.push(format!("{} serves on {url}", stage::key(&stage.stage)));
                }
            }
        }
        Ok(report)
    }

    /// A destroy is finished, not undone: what it already deleted is gone.
    async fn finish_interrupted_delete(
        &self,
        interrupted: &InterruptedDeployment,
    ) -> Result<String, DeployError> {
        let d = &interrupted.deployment;
        let previous: Vec<ResourceState> = d
            .previous
            .as_ref()
            .filter(|p| !p.status.is_gone())
            .map(|p| p.resources.clone())
            .unwrap_or_default();
        let gone: std::collections::HashSet<&str> = interrupted
            .progress
            .iter()
            .filter(|p| p.status == ResourceStatus::DeleteComplete)
            .map(|p| p.logical_id.as_str())
            .collect();
        let left: Vec<ResourceState> = previous
            .into_iter()
            .filter(|r| !gone.contains(r.logical_id.as_str()))
            .collect();
        let deployed = deployed_map(&left, &d.target.template);
        let changes = engine_removal(&deployed, &d.target.template);
        let ctx = self.stage_ctx(&d.stack, "recovery", &left, None);
        let (tx, _rx) = mpsc::unbounded_channel();
        let secrets = d
            .previous
            .as_ref()
            .map(recorded_secrets)
            .unwrap_or_default();
        let failures = self
            .remove_all(&ctx, d, (&deployed, secrets), &changes, &tx)
            .await?;
        self.finish_delete(d, &left, &failures).await?;
        Ok(if failures.is_empty() {
            format!("finished interrupted deletion {} of {}", d.id, d.stack)
        } else {
            format!(
                "interrupted deletion {} of {} left {} resources: the stack is DELETE_FAILED",
                d.id,
                d.stack,
                failures.len()
            )
        })
    }

    /// Puts back the state before an interrupted create or update: what it
    /// created is deleted (as a rollback's `DeletionPolicy` says), what it
    /// updated in place gets its old properties back — through the same
    /// executor as any change set, every step recorded.
    async fn roll_back_interrupted(
        &self,
        interrupted: &InterruptedDeployment,
    ) -> Result<String, DeployError> {
        let d = &interrupted.deployment;
        let previous: Vec<ResourceState> = d
            .previous
            .as_ref()
            .filter(|p| !p.status.is_gone())
            .map(|p| p.resources.clone())
            .unwrap_or_default();
        let before = d
            .previous
            .as_ref()
            .map(|p| deployed_map(&previous, &p.template))
            .unwrap_or_default();
        let target_policies = |id: &str| {
            d.target
                .template
                .get("Resources")
                .and_then(|r| r.get(id))
                .and_then(|r| Policies::of_template_resource(id, r).ok())
                .unwrap_or_default()
        };
        // What exists now, as the progress records say.
        let mut now: BTreeMap<String, DeployedResource> = before.clone();
        let mut created: Vec<Leftover> = Vec::new();
        for step in &interrupted.progress {
            let Some(physical_id) = step.physical_id.clone() else {
                continue;
            };
            if step.status == ResourceStatus::DeleteComplete {
                continue;
            }
            let current = DeployedResource {
                resource_type: step.resource_type.clone(),
                properties: step
                    .properties
                    .as_ref()
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
                physical: Physical {
                    physical_id: physical_id.clone(),
                    attributes: step
                        .attributes
                        .as_ref()
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                },
                policies: target_policies(&step.logical_id),
            };
            match before.get(&step.logical_id) {
                // Updated in place: its current properties are put back.
                Some(old) if old.physical.physical_id == physical_id => {
                    now.insert(step.logical_id.clone(), current);
                }
                // Created (or a replacement's new copy): it goes.
                _ => created.push(Leftover {
                    logical_id: step.logical_id.clone(),
                    resource: DeployedResource {
                        policies: Policies {
                            // A rollback deletes what it created unless kept by `Retain`.
                            deletion: match current.policies.deletion {
                                lockgate_engine::RemovalPolicy::RetainExceptOnCreate => {
                                    lockgate_engine::RemovalPolicy::Delete
                                }
                                other => other,
                            },
                            ..current.policies.clone()
                        },
                        ..current
                    },
                    kind: LeftoverKind::Removed,
                }),
            }
        }
        let changes = ChangeSet {
            changes: before
                .iter()
                .filter(|(id, old)| now.get(*id).is_some_and(|n| n.properties != old.properties))
                .map(|(id, old)| ResourceChange {
                    logical_id: id.clone(),
                    resource_type: old.resource_type.clone(),
                    action: Action::Modify,
                    replacement: Some(Replacement::False),
                    details: Vec::new(),
                })
                .collect(),
        };
        let planned: BTreeMap<String, PlannedResource> = changes
            .changes
            .iter()
            .map(|c| {
                (
                    c.logical_id.clone(),
                    PlannedResource {
                        resource_type: c.resource_type.clone(),
                        depends_on: Vec::new(),
                        policies: before[&c.logical_id].policies.clone(),
                    },
                )
            })
            .collect();
        let props: HashMap<String, Map<String, Value>> = before
            .iter()
            .map(|(id, r)| (id.clone(), r.properties.clone()))
            .collect();
        let ctx = self.stage_ctx(&d.stack, "recovery", &previous, None);
        let mut types: Vec<String> = now
            .values()
            .map(|r| r.resource_type.clone())
            .chain(created.iter().map(|l| l.resource.resource_type.clone()))
            .collect();
        types.sort();
        types.dedup();
        // What it puts back is the committed state, whose record says
        // where secrets are.
        let secrets = d
            .previous
            .as_ref()
            .map(recorded_secrets)
            .unwrap_or_default();
        let providers = recording(
            &self.registry.providers(&ctx),
            types,
            &self.store,
            d.id,
            &ctx,
            secrets,
        );
        let quiet = |_e: engine::Event| {};
        let mut failures: Vec<(String, ProviderError)> = Vec::new();
        // Updates back first, one at a time so one failure undoes no other…
        for c in &changes.changes {
            let one = ChangeSet {
                changes: vec![c.clone()],
            };
            match engine::apply(
                &now,
                &planned,
                &one,
                &providers,
                &AsCommitted(&props),
                &quiet,
            )
            .await
            {
                Ok(_) => {}
                Err(
                    engine::ApplyError::RolledBack { logical_id, error }
                    | engine::ApplyError::RollbackFailed {
                        logical_id, error, ..
                    },
                ) => failures.push((logical_id, error)),
                Err(e) => {
                    failures.push((c.logical_id.clone(), ProviderError::internal(e.to_string())))
                }
            }
        }
        // …then what was created, in reverse.
        created.reverse();
        for f in engine::clean_up(&created, &providers, &quiet).await {
            failures.push((f.leftover.logical_id, f.error));
        }
        let reason = if failures.is_empty() {
            "the server stopped during the deployment; rolled back".to_string()
        } else {
            format!(
                "the server stopped during the deployment; the rollback could not undo: {}",
                failures
                    .iter()
                    .map(|(id, e)| format!("{id}: {e}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        };
        let mut commit = rollback_commit(d, &d.target, reason);
        let outcome = if failures.is_empty() {
            lockgate_store::DeploymentOutcome::RolledBack
        } else {
            commit.status = rollback_failed(commit.status);
            lockgate_store::DeploymentOutcome::Failed
        };
        self.store.finish_deployment(d.id, outcome, commit).await?;
        Ok(if failures.is_empty() {
            format!("rolled back interrupted deployment {} of {}", d.id, d.stack)
        } else {
            format!(
                "interrupted deployment {} of {} could not be fully rolled back ({} failures)",
                d.id,
                d.stack,
                failures.len()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::deploy::testing::{fixture, stack};
    use lockgate_store::{
        BeginDeployment, DeploymentKind, NewParameterValue, ParameterName, PutParameter,
        ResourceProgress, ResourceStatus, StackStatus, StackTarget,
    };
    use serde_json::json;

    /// A create interrupted after it wrote a parameter: recovery deletes it
    /// and records the rollback; the stage is consistent again.
    #[tokio::test]
    async fn an_interrupted_create_is_undone() {
        let f = fixture().await;
        let stage = stack().stage_ref();
        f.store.ensure_stage(&stage).await.unwrap();
        let d = f
            .store
            .begin_deployment(BeginDeployment {
                stack: stack(),
                kind: DeploymentKind::Create,
                initiated_by: "test".into(),
                change_set: json!([]),
                target: StackTarget {
                    template: json!({"Resources": {"P": {"Type": "AWS::SSM::Parameter"}}}),
                    parameters: json!({}),
                },
            })
            .await
            .unwrap();
        // What the deploy did before the crash: the parameter exists.
        f.store
            .put_parameter(PutParameter {
                name: ParameterName::new("/dev/half").unwrap(),
                value: NewParameterValue::String("v".into()),
                description: None,
                overwrite: false,
                actor: "test".into(),
            })
            .await
            .unwrap();
        let mut p =
            ResourceProgress::new("P", "AWS::SSM::Parameter", ResourceStatus::CreateComplete)
                .with_physical_id("/dev/half");
        p.properties = Some(json!({"Name": "/dev/half", "Type": "String", "Value": "v"}));
        f.store.record_progress(d.id, p).await.unwrap();

        let report = f.deployer.recover().await.unwrap();
        assert!(
            report
                .iter()
                .any(|l| l.starts_with("rolled back interrupted deployment")),
            "{report:?}"
        );
        assert_eq!(f.parameter("/dev/half").await, None);
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        assert_eq!(snap.status, StackStatus::RollbackComplete);
        assert!(f.store.recover_interrupted().await.unwrap().is_empty());
    }
}
