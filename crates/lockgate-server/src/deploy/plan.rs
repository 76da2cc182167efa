//! Phase 2, plan: the change set from the committed state to the template
//! (the engine's planner over this deploy's [`Evaluator`]), with the
//! stage-level checks CloudFormation makes before it changes anything:
//! export names valid and free, no export in use removed. Where its values derive from a NoEcho parameter is
//! [`super::provenance`]'s.

use std::collections::{BTreeSet, HashSet};

use lockgate_engine::ChangeSet;
use lockgate_engine::changeset::SecretPaths;
use lockgate_engine::plan::{PlanInputs, plan as engine_plan};
use lockgate_store::{ExportName, StackRef, StageRef};
use serde_json::Value;

use super::error::{DeployError, diag_error};
use super::prepare::Prepared;
use super::provenance::{Provenance, Traced, recorded_secrets, secret_name_warning};
use super::resolve::Evaluator;
use super::{Deployer, PlanChange};

/// A computed plan.
pub(crate) struct Planned {
    /// The template evaluated with what is known before apply.
    pub view: Value,
    /// The change set.
    pub changes: ChangeSet,
    /// The exports of other stacks of the stage whose values derive from a
    /// NoEcho parameter of theirs: importing one is importing a secret.
    pub secret_imports: HashSet<String>,
    /// Where the properties the deploy gives its resources' providers
    /// derive from a secret: the desired ones (as planned) and the
    /// committed ones (as recorded), what a rollback puts back. A provider
    /// failure's reason never shows what is there ([`super::record`]).
    pub secret_paths: SecretPaths,
    /// The plan's warnings: the resources whose physical ID derives from a
    /// secret.
    pub warnings: Vec<String>,
}

impl Deployer {
    /// The change set of a prepared deploy; changes nothing.
    pub(crate) async fn plan_prepared(&self, p: &Prepared) -> Result<Planned, DeployError> {
        let deployed_secrets = p
            .snapshot
            .as_ref()
            .map(recorded_secrets)
            .unwrap_or_default();
        let secret_imports = self.secret_imports(p).await?;
        let provenance = Provenance::new(
            &p.loaded,
            &p.lookups,
            self.registry.as_ref(),
            &secret_imports,
        );
        let removal_order: Vec<String> = match &p.snapshot {
            Some(s) => {
                let (graph, _) = lockgate_template::build_graph(&s.template, &HashSet::new());
                graph.order().into_iter().map(str::to_string).collect()
            }
            None => Vec::new(),
        };
        let eval = Evaluator::new(&p.loaded, &p.lookups);
        // The last round's trace is the plan's.
        let last = std::cell::RefCell::new(Traced::default());
        let planned = engine_plan(
            &eval,
            PlanInputs {
                deployed: &p.deployed,
                desired_secrets: &|known| {
                    let traced = provenance.trace(known);
                    let paths = traced.paths.clone();
                    *last.borrow_mut() = traced;
                    paths
                },
                deployed_secrets: &deployed_secrets,
                removal_order: &removal_order,
                catalog: self.registry.as_ref(),
            },
        )
        .map_err(diag_error)?;
        self.check_exports(p, &planned.view).await?;
        let last = last.into_inner();
        let warnings = last
            .secret_names()
            .into_iter()
            .map(secret_name_warning)
            .collect();
        let mut secret_paths = last.paths;
        for (id, paths) in deployed_secrets {
            secret_paths.entry(id).or_default().extend(paths);
        }
        Ok(Planned {
            view: planned.view,
            changes: planned.changes,
            secret_imports,
            secret_paths,
            warnings,
        })
    }

    /// The exports of the other stacks of the stage whose values derive
    /// from a NoEcho parameter (their outputs show them masked).
    async fn secret_imports(&self, p: &Prepared) -> Result<HashSet<String>, DeployError> {
        let mut out = HashSet::new();
        let exporters: BTreeSet<&String> = p.lookups.exporters.values().collect();
        for name in exporters {
            if *name == p.stack.name.as_str() {
                continue;
            }
            let Ok(stack) = StackRef::parse(p.stage.app.as_str(), p.stage.stage.as_str(), name)
            else {
                continue;
            };
            let Some(snap) = self.store.stack_snapshot(&stack).await? else {
                continue;
            };
            out.extend(
                snap.outputs
                    .iter()
                    .filter(|o| o.export_value.is_some())
                    .filter_map(|o| o.export_name.as_ref().map(ExportName::to_string)),
            );
        }
        Ok(out)
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
    use lockgate_store::NO_ECHO_PATHS;

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
        // Masked whole: not `x-****`, which tells where the secret is.
        let d = &plan.changes[0].details[0];
        assert_eq!(d.before, Some(serde_json::json!("****")), "{shown}");
        assert_eq!(d.after, Some(serde_json::json!("****")), "{shown}");
    }

    const TAGGED: &str = r#"
Parameters:
  Pw:
    Type: String
    NoEcho: true
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      Tags:
        - Key: b64
          Value: !Base64 {Ref: Pw}
        - Key: piece
          Value: !Select [0, !Split ["-", !Ref Pw]]
        - Key: plain
          Value: "1"
"#;

    fn with_pw(template: &str, pw: &str) -> crate::deploy::DeployRequest {
        let mut req = request(template);
        req.parameters.insert("Pw".into(), pw.into());
        req
    }

    fn base64(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// No form of a NoEcho value (its text, its base64, a piece of it) is
    /// shown by a plan, on either side, nor stored with the deployment's
    /// change set; what does not derive from it is shown exactly.
    #[tokio::test]
    async fn a_plan_never_shows_a_value_derived_from_a_secret() {
        let f = fixture().await;
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        f.deployer
            .deploy("app", "dev", &with_pw(TAGGED, "first-secret"), "test", tx)
            .await
            .unwrap();
        let plan = f
            .deployer
            .plan("app", "dev", &with_pw(TAGGED, "second-secret"))
            .await
            .unwrap();
        let shown = serde_json::to_string(&plan).unwrap();
        for leak in [
            "first-secret",
            "second-secret",
            "first",
            "second",
            &base64("first-secret"),
            &base64("second-secret"),
        ] {
            assert!(!shown.contains(leak), "{leak} in {shown}");
        }
        let tags = &plan.changes[0].details[0];
        let masked = serde_json::json!([
            {"Key": "b64", "Value": "****"},
            {"Key": "piece", "Value": "****"},
            {"Key": "plain", "Value": "1"},
        ]);
        assert_eq!(tags.before.as_ref(), Some(&masked), "{shown}");
        assert_eq!(tags.after.as_ref(), Some(&masked), "{shown}");

        // The template stops using the secret: the new value shows, the
        // old one (derived from it, as recorded) stays masked.
        let plain = TAGGED.replace("!Base64 {Ref: Pw}", "now-plain");
        let plan = f
            .deployer
            .plan("app", "dev", &with_pw(&plain, "second-secret"))
            .await
            .unwrap();
        let d = &plan.changes[0].details[0];
        assert_eq!(d.after.as_ref().unwrap()[0]["Value"], "now-plain");
        assert_eq!(d.before.as_ref().unwrap()[0]["Value"], "****");
        assert_eq!(d.before.as_ref().unwrap()[2]["Value"], "1");
        let shown = serde_json::to_string(&plan).unwrap();
        assert!(!shown.contains(&base64("first-secret")), "{shown}");

        // The change set stored with a deployment is the one shown.
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        f.deployer
            .deploy("app", "dev", &with_pw(TAGGED, "second-secret"), "test", tx)
            .await
            .unwrap();
        let deployments = f
            .store
            .list_deployments(&crate::deploy::testing::stack(), 10)
            .await
            .unwrap();
        assert_eq!(deployments.len(), 2);
        for d in deployments {
            let stored = d.change_set.to_string();
            for leak in [
                "first-secret",
                "second-secret",
                &base64("first-secret"),
                &base64("second-secret"),
            ] {
                assert!(!stored.contains(leak), "{leak} in {stored}");
            }
        }
    }

    /// A stack deployed by an older server has NoEcho values (`****`) and
    /// no record of where they went: its next plan masks every deployed
    /// value (it cannot tell which derive from a secret), and its next
    /// deploy records the places.
    #[tokio::test]
    async fn a_stack_without_a_record_is_masked_whole_until_redeployed() {
        use lockgate_store::{BeginDeployment, DeploymentKind, DeploymentOutcome, StackCommit};

        let f = fixture().await;
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        f.deployer
            .deploy("app", "dev", &with_pw(TAGGED, "first-secret"), "test", tx)
            .await
            .unwrap();
        // Rewrite the stored parameters as an older server wrote them.
        let stack = crate::deploy::testing::stack();
        let snap = f.store.stack_snapshot(&stack).await.unwrap().unwrap();
        let legacy = serde_json::json!({"Pw": "****"});
        let target = lockgate_store::StackTarget {
            template: snap.template.clone(),
            parameters: legacy.clone(),
        };
        let d = f
            .store
            .begin_deployment(BeginDeployment {
                stack: stack.clone(),
                kind: DeploymentKind::Update,
                initiated_by: "older server".into(),
                change_set: serde_json::json!([]),
                target,
            })
            .await
            .unwrap();
        let mut commit = StackCommit::restore(&snap, lockgate_store::StackStatus::UpdateComplete);
        commit.parameters = legacy;
        f.store
            .finish_deployment(d.id, DeploymentOutcome::Succeeded, commit)
            .await
            .unwrap();

        let plan = f
            .deployer
            .plan("app", "dev", &with_pw(TAGGED, "second-secret"))
            .await
            .unwrap();
        let d = &plan.changes[0].details[0];
        assert_eq!(d.before, Some(serde_json::json!("****")));
        assert_eq!(d.after.as_ref().unwrap()[2]["Value"], "1");

        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let r = f
            .deployer
            .deploy("app", "dev", &with_pw(TAGGED, "second-secret"), "test", tx)
            .await
            .unwrap();
        assert_eq!(r.status, "UPDATE_COMPLETE");
        let snap = f.store.stack_snapshot(&stack).await.unwrap().unwrap();
        assert_eq!(
            snap.parameters[NO_ECHO_PATHS],
            serde_json::json!({"Q": ["/Tags/0/Value", "/Tags/1/Value"]})
        );
        // From now on only what derives from the secret is masked.
        let plan = f
            .deployer
            .plan("app", "dev", &with_pw(TAGGED, "third-secret"))
            .await
            .unwrap();
        let before = plan.changes[0].details[0].before.clone().unwrap();
        assert_eq!(before[0]["Value"], "****");
        assert_eq!(before[2]["Value"], "1");
    }

    #[tokio::test]
    async fn an_export_in_use_cannot_be_removed() {
        let f = fixture().await;
        let exporter = "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/e\n      Type: String\n      Value: v\nOutputs:\n  N:\n    Value: !Ref P\n    Export:\n      Name: shared\n";
        f.deploy(exporter).await.unwrap();
        let importer = "Resources:\n  I:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/i\n      Type: String\n      Value: !ImportValue shared\n";
        let mut req = request(importer);
        req.stack = Some("other".into());
        f.deploy_request(&req).await.unwrap();
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
