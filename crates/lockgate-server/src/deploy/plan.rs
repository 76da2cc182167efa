//! Phase 2, plan: the change set from the committed state to the template
//! (the engine's planner over this deploy's [`Evaluator`]), with the
//! stage-level checks CloudFormation makes before it changes anything:
//! export names valid and free, no export in use removed.

use std::collections::HashSet;

use lockgate_engine::ChangeSet;
use lockgate_engine::plan::{PlanInputs, plan as engine_plan};
use lockgate_store::{ExportName, StackRef, StageRef};
use serde_json::Value;

use super::error::{DeployError, diag_error};
use super::prepare::Prepared;
use super::resolve::Evaluator;
use super::{Deployer, PlanChange};

/// Where a stack's stored parameters keep the digests of its NoEcho values.
pub(crate) const NO_ECHO_DIGESTS: &str = "Lockgate::NoEchoDigests";

/// The digest a NoEcho value is remembered by.
pub(crate) fn digest_text(s: &str) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

/// A computed plan.
pub(crate) struct Planned {
    /// The template evaluated with what is known before apply.
    pub view: Value,
    /// The change set.
    pub changes: ChangeSet,
}

impl Deployer {
    /// The change set of a prepared deploy; changes nothing.
    pub(crate) async fn plan_prepared(&self, p: &Prepared) -> Result<Planned, DeployError> {
        let old_digests: HashSet<String> = p
            .snapshot
            .as_ref()
            .and_then(|s| s.parameters.get(NO_ECHO_DIGESTS))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let removal_order: Vec<String> = match &p.snapshot {
            Some(s) => {
                let (graph, _) = lockgate_template::build_graph(&s.template, &HashSet::new());
                graph.order().into_iter().map(str::to_string).collect()
            }
            None => Vec::new(),
        };
        let eval = Evaluator::new(&p.loaded, &p.lookups);
        let planned = engine_plan(
            &eval,
            PlanInputs {
                deployed: &p.deployed,
                secrets: &p.secrets,
                was_secret: &|s| !old_digests.is_empty() && old_digests.contains(&digest_text(s)),
                removal_order: &removal_order,
                catalog: self.registry.as_ref(),
            },
        )
        .map_err(diag_error)?;
        self.check_exports(p, &planned.view).await?;
        Ok(Planned {
            view: planned.view,
            changes: planned.changes,
        })
    }

    /// Export names valid and not taken by another stack of the stage; no
    /// export another stack imports removed.
    async fn check_exports(&self, p: &Prepared, view: &Value) -> Result<(), DeployError> {
        let outputs = view.get("Outputs").and_then(Value::as_object);
        for (key, o) in outputs.into_iter().flatten() {
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
            if let Some(other) = p.lookups.exporters.get(name)
                && *other != p.stack.name.as_str()
            {
                return Err(DeployError::invalid(format!(
                    "Outputs.{key}.Export.Name: export `{name}` is already exported by stack {other} of this stage"
                )));
            }
        }
        if let Some(s) = &p.snapshot {
            let kept: HashSet<&str> = outputs
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
            let users = self.importers(&p.stage, &p.stack, &removed).await?;
            if let Some((e, by)) = users.first() {
                return Err(DeployError::invalid(format!(
                    "export `{e}` would be removed but stack {by} imports it: remove the import first"
                )));
            }
        }
        Ok(())
    }

    /// Other stacks of the stage that import one of `names`: `(export, stack)`.
    pub(crate) async fn importers(
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

    /// A change set as clients see it: each change with whether it runs locally.
    pub(crate) fn plan_changes(&self, c: &ChangeSet) -> Vec<PlanChange> {
        c.changes
            .iter()
            .map(|x| crate::wire::change(x, self.registry.is_emulated(&x.resource_type)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::deploy::testing::{fixture, request};

    #[tokio::test]
    async fn a_plan_masks_a_changed_secret_on_both_sides() {
        let f = fixture().await;
        let t = |pw: &str| {
            format!(
                "Parameters:\n  Pw:\n    Type: String\n    NoEcho: true\n    Default: {pw}\nResources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/p\n      Type: String\n      Value: !Sub 'x-${{Pw}}'\n"
            )
        };
        f.deploy(&t("oldsecret1")).await.unwrap();
        let plan = f
            .deployer
            .plan("app", "dev", &request(&t("newsecret2")))
            .await
            .unwrap();
        let shown = serde_json::to_string(&plan).unwrap();
        assert!(
            !shown.contains("oldsecret1") && !shown.contains("newsecret2"),
            "{shown}"
        );
        assert_eq!(plan.changes.len(), 1);
        assert!(shown.contains("x-****"), "{shown}");
    }

    #[tokio::test]
    async fn an_export_in_use_cannot_be_removed() {
        let f = fixture().await;
        let exporter = "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/e\n      Type: String\n      Value: v\nOutputs:\n  N:\n    Value: !Ref P\n    Export:\n      Name: shared\n";
        f.deploy(exporter).await.unwrap();
        let importer = "Resources:\n  I:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/i\n      Type: String\n      Value: !ImportValue shared\n";
        let mut req = request(importer);
        req.stack = Some("other".into());
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        f.deployer
            .deploy("app", "dev", &req, "test", tx)
            .await
            .unwrap();
        let without = exporter.split("Outputs:").next().unwrap();
        let e = f
            .deployer
            .plan("app", "dev", &request(without))
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "export `shared` would be removed but stack other imports it: remove the import first"
        );
    }
}
