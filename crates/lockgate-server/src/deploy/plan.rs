//! Phase 2, plan: the change set from the committed state to the template
//! (the engine's planner over this deploy's [`Evaluator`]), with the
//! stage-level checks CloudFormation makes before it changes anything:
//! export names valid and free, no export in use removed.
//!
//! Also where the deploy's values derive from a NoEcho parameter
//! ([`Provenance`]): the change set and the outputs show those masked.

use std::collections::{BTreeSet, HashMap, HashSet};

use lockgate_engine::apply::Physical;
use lockgate_engine::changeset::{REDACTED, SecretPaths, differences};
use lockgate_engine::plan::{PlanInputs, plan as engine_plan};
use lockgate_engine::{Catalog, ChangeSet};
use lockgate_store::{ExportName, StackRef, StackSnapshot, StageRef};
use lockgate_template::eval::{ConditionValue, evaluate_conditions};
use lockgate_template::params::ParamType;
use lockgate_template::{LoadedTemplate, Path, PathSeg, Resolver, Scope, Unresolved};
use serde_json::{Map, Value};

use super::error::{DeployError, diag_error};
use super::prepare::Prepared;
use super::resolve::{Evaluator, Known, Lookups};
use super::{Deployer, PlanChange};

/// Where a stack's stored parameters record which committed property
/// values derive from a NoEcho parameter (JSON pointers into each
/// resource's properties, by logical ID), so that a later plan masks them
/// even where the new template no longer derives them from one. Names and
/// places only: nothing derived from a secret's value.
pub(crate) const NO_ECHO_PATHS: &str = "Lockgate::NoEchoPaths";

/// Where the committed properties of `snapshot` derive from a NoEcho
/// parameter: its record; for a stack deployed before records were kept
/// that had NoEcho values (`****` among its parameters), every property of
/// every resource. (The unsalted digests older servers kept instead,
/// `Lockgate::NoEchoDigests`, the store replaces when it opens by such a
/// record: everywhere.)
pub(crate) fn recorded_secrets(snapshot: &StackSnapshot) -> SecretPaths {
    if let Some(Value::Object(record)) = snapshot.parameters.get(NO_ECHO_PATHS) {
        return record
            .iter()
            .map(|(id, paths)| {
                let paths = paths
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect()
                    })
                    // Not a list: unreadable, so everything.
                    .unwrap_or_else(|| BTreeSet::from([String::new()]));
                (id.clone(), paths)
            })
            .collect();
    }
    let legacy = snapshot
        .parameters
        .as_object()
        .is_some_and(|m| m.values().any(|v| v == REDACTED));
    if !legacy {
        return SecretPaths::new();
    }
    snapshot
        .resources
        .iter()
        .map(|r| (r.logical_id.clone(), BTreeSet::from([String::new()])))
        .collect()
}

/// The record of `paths` kept in a stack's parameters ([`NO_ECHO_PATHS`]).
pub(crate) fn record_of(paths: &SecretPaths) -> Value {
    Value::Object(
        paths
            .iter()
            .map(|(id, p)| (id.clone(), p.iter().cloned().map(Value::String).collect()))
            .collect(),
    )
}

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

/// The warning for a resource whose name (so its physical ID) derives
/// from a NoEcho parameter: CloudFormation shows physical IDs in clear, and
/// so does Lockgate — in events, the stack's resources and its API.
pub(crate) fn secret_name_warning(logical_id: &str) -> String {
    format!(
        "{logical_id}: its name derives from a NoEcho parameter, so its physical ID does; \
         physical IDs are shown and stored in clear (as CloudFormation shows them): \
         keep secrets out of names"
    )
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

/// Which values of a deploy derive from a NoEcho parameter, found by
/// provenance, never by text (a short secret's text occurs in values that
/// have nothing to do with it; its base64 or a piece of it does not
/// contain it).
///
/// Each value is evaluated as the deploy evaluates it, and again with every
/// NoEcho parameter replaced by a stand-in of the same shape, twice (two
/// sets of stand-ins: a value may coincide with one), conditions evaluated
/// with the stand-ins too; whatever derives from a NoEcho value gets a
/// stand-in as well: the attributes of a resource whose properties derive
/// from one (the `Ref` too when a property that names it does), an export
/// of another stack derived from one. Where the evaluations differ, the
/// value derives from a secret, whichever intrinsics carried it (`Ref`,
/// `Fn::Sub` and its variable map, `Fn::Join`, `Fn::Split`, `Fn::Select`,
/// `Fn::Base64`, `Fn::If` whose condition reads one, nested); where they
/// agree it does not, and it is shown as it is. Only effective values
/// count: an overridden default is no longer a value of the stack.
pub(crate) struct Provenance<'a> {
    loaded: &'a LoadedTemplate,
    lookups: &'a Lookups,
    catalog: &'a dyn Catalog,
    secret_imports: &'a HashSet<String>,
    active: HashSet<String>,
    /// Empty when nothing of the deploy is secret.
    probes: Vec<Probe>,
}

/// Where the values of a template, evaluated with some physical resources,
/// derive from a secret ([`Provenance::trace`]).
#[derive(Clone, Debug, Default)]
pub(crate) struct Traced {
    /// Where each resource's properties do.
    pub paths: SecretPaths,
    /// The resources whose properties do; true when a property that names
    /// the resource does, so its physical ID (what `Ref` gives) too.
    tainted: HashMap<String, bool>,
}

impl Traced {
    /// The resources whose physical ID derives from a secret, sorted.
    pub(crate) fn secret_names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .tainted
            .iter()
            .filter(|(_, named)| **named)
            .map(|(id, _)| id.as_str())
            .collect();
        out.sort_unstable();
        out
    }
}

/// One set of stand-ins.
struct Probe {
    /// Marks its stand-ins.
    tag: String,
    /// The parameter values, NoEcho ones replaced.
    params: Map<String, Value>,
    /// The conditions with those values.
    conditions: HashMap<String, ConditionValue>,
    /// The resources whose condition holds with them.
    active: HashSet<String>,
}

impl<'a> Provenance<'a> {
    /// The provenance of the values of `loaded` evaluated with `lookups`;
    /// `catalog` says which properties name a resource (their change
    /// replaces it); `secret_imports` are the exports derived from secrets.
    pub(crate) fn new(
        loaded: &'a LoadedTemplate,
        lookups: &'a Lookups,
        catalog: &'a dyn Catalog,
        secret_imports: &'a HashSet<String>,
    ) -> Self {
        let secret_params = loaded.parameters.iter().any(|p| p.no_echo);
        let probes = if secret_params || !secret_imports.is_empty() {
            (0..2).map(|k| Probe::new(loaded, k)).collect()
        } else {
            Vec::new()
        };
        Provenance {
            loaded,
            lookups,
            catalog,
            secret_imports,
            active: loaded.active_resources(),
            probes,
        }
    }

    /// The keys of the outputs whose values, evaluated with `known`, derive
    /// from a secret (shown masked whole); `traced` is [`Provenance::trace`]
    /// of the same `known` (the deploy's commit needs both: one trace).
    pub(crate) fn outputs(
        &self,
        known: &HashMap<String, Physical>,
        traced: &Traced,
    ) -> HashSet<String> {
        let mut out = HashSet::new();
        if self.probes.is_empty() {
            return out;
        }
        let base = Known::new(known, self.lookups);
        for (key, o) in self
            .loaded
            .template
            .get("Outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(raw) = o.get("Value") else {
                continue;
            };
            let path = Path(vec![
                PathSeg::Key("Outputs".into()),
                PathSeg::Key(key.clone()),
                PathSeg::Key("Value".into()),
            ]);
            if !self
                .differing(raw, &path, &base, &traced.tainted)
                .is_empty()
            {
                out.insert(key.clone());
            }
        }
        out
    }

    /// Where the properties of the template's active resources, evaluated
    /// with `known`, derive from a secret, and which resources do.
    pub(crate) fn trace(&self, known: &HashMap<String, Physical>) -> Traced {
        let mut traced = Traced::default();
        if self.probes.is_empty() {
            return traced;
        }
        let base = Known::new(known, self.lookups);
        let resources = self.loaded.template.get("Resources");
        // Dependencies first: what a resource reads is traced before it.
        for id in self.loaded.graph.order() {
            if !self.active.contains(id) {
                continue;
            }
            let Some(r) = resources.and_then(|r| r.get(id)) else {
                continue;
            };
            let Some(raw) = r.get("Properties") else {
                continue;
            };
            let path = Path(vec![
                PathSeg::Key("Resources".into()),
                PathSeg::Key(id.to_string()),
                PathSeg::Key("Properties".into()),
            ]);
            let found = self.differing(raw, &path, &base, &traced.tainted);
            if found.is_empty() {
                continue;
            }
            let ty = r.get("Type").and_then(Value::as_str).unwrap_or("");
            traced
                .tainted
                .insert(id.to_string(), self.names_tainted(ty, &found));
            traced.paths.insert(id.to_string(), found);
        }
        traced
    }

    /// Whether a property that names a resource of type `ty` (so its
    /// physical ID, what `Ref` gives) is among `paths`.
    fn names_tainted(&self, ty: &str, paths: &BTreeSet<String>) -> bool {
        let kind = ty.rsplit("::").next().unwrap_or("");
        let own_name = format!("{kind}Name");
        let naming = self.catalog.replacing_properties(ty);
        paths.iter().any(|p| {
            let first = p
                .split('/')
                .nth(1)
                .map(|t| t.replace("~1", "/").replace("~0", "~"));
            match first {
                None => true,
                Some(f) => f == "Name" || f == own_name || naming.contains(&f.as_str()),
            }
        })
    }

    /// Where `raw` (found at `path`) evaluates differently with the
    /// stand-ins: JSON pointers into its value (`""`, the whole, when an
    /// evaluation fails).
    fn differing(
        &self,
        raw: &Value,
        path: &Path,
        base: &Known<'_>,
        tainted: &HashMap<String, bool>,
    ) -> BTreeSet<String> {
        let eval = |scope: &Scope<'_>| scope.eval(raw, path).ok().map(|v| v.unwrap_or(Value::Null));
        let real = eval(&self.loaded.scope(&self.active, base, self.lookups));
        let mut out = BTreeSet::new();
        for probe in &self.probes {
            let resolver = Probing {
                base,
                tag: &probe.tag,
                tainted,
                secret_imports: self.secret_imports,
            };
            let scope = Scope {
                params: &probe.params,
                conditions: &probe.conditions,
                ..self.loaded.scope(&probe.active, &resolver, self.lookups)
            };
            match (&real, eval(&scope)) {
                (Some(a), Some(b)) => out.extend(differences(a, &b)),
                _ => {
                    out.insert(String::new());
                }
            }
        }
        out
    }
}

impl Probe {
    /// The `k`th set of stand-ins of `loaded`'s NoEcho parameters.
    fn new(loaded: &LoadedTemplate, k: usize) -> Self {
        let tag = format!("lockgate-noecho-stand-in-{k}");
        let mut params = loaded.parameter_values.clone();
        for p in loaded.parameters.iter().filter(|p| p.no_echo) {
            let one = |i: usize| match p.ty {
                ParamType::Number | ParamType::NumberList => {
                    Value::String((9_000_001 + 10 * k + i).to_string())
                }
                _ => Value::String(format!("{tag}-{}-{i}", p.name)),
            };
            let value = if p.ty.is_list() {
                // Another length too (what `Fn::Length` and `Fn::Select` see).
                let n = loaded
                    .parameter_values
                    .get(&p.name)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len);
                Value::Array((0..n + 1 + k).map(one).collect())
            } else {
                one(0)
            };
            params.insert(p.name.clone(), value);
        }
        let ids: HashSet<String> = loaded
            .template
            .get("Resources")
            .and_then(Value::as_object)
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        let no_conditions = HashMap::new();
        let conditions = match loaded.template.get("Conditions").and_then(Value::as_object) {
            Some(c) => {
                let base = Scope {
                    params: &params,
                    conditions: &no_conditions,
                    in_condition: true,
                    ..loaded.scope(&ids, &Unresolved, &Unresolved)
                };
                evaluate_conditions(c, &base).0
            }
            None => HashMap::new(),
        };
        let active = loaded
            .template
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, r)| {
                r.get("Condition")
                    .and_then(Value::as_str)
                    .and_then(|c| conditions.get(c).copied().flatten())
                    != Some(false)
            })
            .map(|(id, _)| id.clone())
            .collect();
        Probe {
            tag,
            params,
            conditions,
            active,
        }
    }
}

/// [`Known`], with stand-ins for what derives from a secret: the
/// attributes (and, when a naming property derives from one, the `Ref`) of
/// a tainted resource, and the exports derived from secrets.
struct Probing<'a> {
    base: &'a Known<'a>,
    tag: &'a str,
    tainted: &'a HashMap<String, bool>,
    secret_imports: &'a HashSet<String>,
}

impl Resolver for Probing<'_> {
    fn resource_ref(&self, id: &str) -> Option<Value> {
        match self.tainted.get(id) {
            Some(true) => Some(Value::String(format!("{}-ref-{id}", self.tag))),
            _ => self.base.resource_ref(id),
        }
    }

    fn get_att(&self, id: &str, attribute: &str) -> Option<Value> {
        if self.tainted.contains_key(id) {
            return Some(Value::String(format!("{}-att-{id}.{attribute}", self.tag)));
        }
        self.base.get_att(id, attribute)
    }

    fn import_value(&self, name: &str) -> Option<Value> {
        if self.secret_imports.contains(name) {
            return Some(Value::String(format!("{}-import-{name}", self.tag)));
        }
        self.base.import_value(name)
    }

    fn ssm_parameter(&self, name: &str) -> Option<String> {
        self.base.ssm_parameter(name)
    }
}

#[cfg(test)]
mod tests {
    use super::NO_ECHO_PATHS;
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
