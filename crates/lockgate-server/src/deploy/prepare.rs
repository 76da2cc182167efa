//! Phase 1, prepare: parse the template, find its code, load it (parameters
//! checked, SAM transform, conditions), read what it needs from the store
//! (SSM parameters, exports) and the stack's committed state. Changes nothing.

use std::collections::BTreeMap;

use lockgate_engine::apply::{DeployedResource, Physical, Policies};
use lockgate_engine::changeset::REDACTED;
use lockgate_store::{
    ExportName, NO_ECHO_PATHS, ParameterName, ParameterValue, ResourceState, StackRef,
    StackSnapshot, StackTarget, StageRef,
};
use lockgate_template::{DynamicRef, LoadOptions, LoadedTemplate, Overrides, Pseudo};
use serde_json::{Map, Value};

use super::error::{DeployError, diag_error};
use super::resolve::Lookups;
use super::{DeployRequest, Deployer};
use crate::permissions::PermissionsMode;

/// What prepare found.
pub(crate) struct Prepared {
    pub stage: StageRef,
    pub stack: StackRef,
    pub loaded: LoadedTemplate,
    /// The stack's committed state, when it exists and is not deleted.
    pub snapshot: Option<StackSnapshot>,
    /// The committed resources, by logical ID.
    pub deployed: BTreeMap<String, DeployedResource>,
    pub lookups: Lookups,
    pub warnings: Vec<String>,
    /// What a deployment commits the stack to: the template and the
    /// parameters, the stage's permissions mode after this deploy among
    /// them (the request's, else the stack's until now).
    pub target: StackTarget,
}

impl Prepared {
    /// Whether the stack's outputs or parameters change (a change of the
    /// stack even when no resource changes).
    pub fn settings_change(&self) -> bool {
        self.snapshot
            .as_ref()
            .is_some_and(|s| !same_settings(s, &self.target))
    }
}

/// The committed resources of a stack as the engine sees them, with the
/// policies the template that deployed them gave them.
pub(crate) fn deployed_map(
    resources: &[ResourceState],
    template: &Value,
) -> BTreeMap<String, DeployedResource> {
    resources
        .iter()
        .filter_map(|r| {
            let policies = template
                .get("Resources")
                .and_then(|t| t.get(&r.logical_id))
                .and_then(|t| Policies::of_template_resource(&r.logical_id, t).ok())
                .unwrap_or_default();
            Some((
                r.logical_id.clone(),
                DeployedResource {
                    resource_type: r.resource_type.clone(),
                    properties: r.properties.as_object().cloned().unwrap_or_default(),
                    physical: Physical {
                        physical_id: r.physical_id.clone()?,
                        attributes: r.attributes.as_object().cloned().unwrap_or_default(),
                    },
                    policies,
                },
            ))
        })
        .collect()
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

/// The export names a template imports.
pub(crate) fn imports_of(template: &Value) -> Vec<ExportName> {
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
    let mut out = Vec::new();
    walk(template, &mut out);
    out
}

impl Deployer {
    /// Parses and checks everything; changes nothing.
    pub(crate) async fn prepare(
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
        let code_locations = self.code_locations(&doc, req).await?;
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
        let mut warnings: Vec<String> = loaded.warnings.iter().map(|w| w.message.clone()).collect();
        let lookups = self.lookups(&stage, &loaded, &mut warnings).await?;
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
        let deployed = snapshot
            .as_ref()
            .map(|s| deployed_map(&s.resources, &s.template))
            .unwrap_or_default();
        let permissions = req.permissions.unwrap_or_else(|| {
            snapshot
                .as_ref()
                .map(|s| crate::permissions::mode_of_parameters(&s.parameters))
                .unwrap_or_default()
        });
        let target = target_of(&loaded, permissions);
        Ok(Prepared {
            stage,
            stack,
            loaded,
            snapshot,
            deployed,
            lookups,
            warnings,
            target,
        })
    }

    /// Where each local code path of the template is: an artifact in the
    /// store, or (for `lockgate local`) the path itself.
    async fn code_locations(
        &self,
        doc: &lockgate_template::Document,
        req: &DeployRequest,
    ) -> Result<BTreeMap<String, String>, DeployError> {
        let mut paths = Vec::new();
        let mut scratch = doc.to_json();
        lockgate_template::package::package_local_paths(&mut scratch, |p| {
            paths.push(p.to_string());
            lockgate_template::package::local_location(p)
        });
        if self.mode == super::Mode::Local {
            // Code runs in place: `s3://lockgate-local/<path>` placeholders.
            return Ok(BTreeMap::new());
        }
        crate::uploads::code_locations(&self.artifacts, req, &paths).await
    }

    /// SSM parameters and exports the template reads, from the store
    /// (stand-ins for AWS's public parameters, with a warning each).
    async fn lookups(
        &self,
        stage: &StageRef,
        loaded: &LoadedTemplate,
        warnings: &mut Vec<String>,
    ) -> Result<Lookups, DeployError> {
        let mut lookups = Lookups::default();
        let mut refs = Vec::new();
        dynamic_refs(&loaded.template, &mut refs);
        // The type each SSM-typed parameter's value has (for stand-ins).
        let mut value_types: BTreeMap<String, String> = BTreeMap::new();
        for (param, name) in &loaded.ssm_parameters {
            if let Some(n) = name.as_str() {
                refs.push((false, n.to_string(), None));
                if let Some(p) = loaded.parameters.iter().find(|p| &p.name == param)
                    && let lockgate_template::params::ParamType::Ssm(t) = &p.ty
                {
                    value_types.insert(n.to_string(), t.clone());
                }
            }
        }
        for (secure, name, version) in refs {
            // AWS's public parameters (`/aws/service/…`, the latest AMI ID
            // and the like) are not in the local store: a stand-in of the
            // right shape, said in the deploy's warnings.
            if name.starts_with("/aws/service/") {
                let value = public_parameter_standin(&name, value_types.get(&name));
                warnings.push(format!(
                    "SSM parameter `{name}` is one of AWS's public parameters, not available locally: \
                     `{value}` stands in for it"
                ));
                lookups.ssm.insert((name, version), value);
                continue;
            }
            let pname = ParameterName::new(name.clone())
                .map_err(|e| DeployError::invalid(format!("SSM parameter `{name}`: {e}")))?;
            let v = match version.as_deref() {
                Some(v) => Some(v.parse::<u64>().map_err(|_| {
                    DeployError::invalid(format!(
                        "SSM parameter `{name}`: version `{v}` is not a number"
                    ))
                })?),
                None => None,
            };
            let Some(found) = self.store.get_parameter(&pname, v).await? else {
                return Err(DeployError::invalid(format!(
                    "SSM parameter `{name}`{} does not exist: create it with \
                     `lockgate params put {name} VALUE`",
                    version
                        .as_deref()
                        .map(|v| format!(" version {v}"))
                        .unwrap_or_default()
                )));
            };
            match (secure, &found.value) {
                (true, _) => {}
                (false, ParameterValue::SecureString(_)) => {
                    return Err(DeployError::invalid(format!(
                        "SSM parameter `{name}` is a SecureString: reference it with \
                         {{{{resolve:ssm-secure:{name}}}}}"
                    )));
                }
                (false, ParameterValue::String(s)) => {
                    lookups.ssm.insert((name, version), s.clone());
                }
                (false, ParameterValue::StringList(l)) => {
                    lookups.ssm.insert((name, version), l.join(","));
                }
            }
        }
        for e in self.store.list_exports(stage).await? {
            lookups
                .exporters
                .insert(e.name.to_string(), e.exporting_stack.name.to_string());
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
        Ok(lookups)
    }
}

/// A stand-in for one of AWS's public parameters, shaped as its value
/// type (or its path) says: an AMI ID for `AWS::EC2::Image::Id` and the
/// `…/ami-…` paths, a region for `…/regions`, a comma list for list types;
/// stable for the same name.
fn public_parameter_standin(name: &str, value_type: Option<&String>) -> String {
    use sha2::Digest as _;
    let digest = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    let ty = value_type.map(String::as_str).unwrap_or("String");
    let one = if ty.contains("AWS::EC2::Image::Id") || name.contains("/ami") {
        format!("ami-{}", &digest[..17])
    } else if name.contains("global-infrastructure/regions") {
        lockgate_cloud::DEFAULT_REGION.to_string()
    } else {
        format!("lockgate-stand-in-{}", &digest[..8])
    };
    if ty.starts_with("List<") || ty == "CommaDelimitedList" {
        format!("{one},{one}")
    } else {
        one
    }
}

/// What a deployment of `loaded` commits the stack to: its template (no
/// NoEcho value in its text) and its parameters (NoEcho ones masked; the
/// permissions mode among them when it is `report`).
fn target_of(loaded: &LoadedTemplate, permissions: PermissionsMode) -> StackTarget {
    StackTarget {
        // No NoEcho value (default or given) in the template's text.
        template: loaded.redact(loaded.template.clone()),
        parameters: {
            // NoEcho parameters by name, not by text: another
            // parameter with the same value is no secret.
            let mut params: Map<String, Value> = loaded
                .parameter_values
                .iter()
                .map(|(name, v)| {
                    let secret = loaded
                        .parameters
                        .iter()
                        .any(|d| d.name == *name && d.no_echo);
                    let v = if secret {
                        Value::String(REDACTED.into())
                    } else {
                        v.clone()
                    };
                    (name.clone(), v)
                })
                .collect();
            if permissions == PermissionsMode::Report {
                params.insert(
                    crate::permissions::PERMISSIONS_PARAMETER.into(),
                    Value::String(permissions.as_str().into()),
                );
            }
            Value::Object(params)
        },
    }
}

/// Whether a stack's committed outputs and parameters are `target`'s: a
/// template whose resources do not change is still an update when its
/// outputs or its parameters do, as CloudFormation executes an empty
/// change set then (its "no changes" is for nothing changed at all).
fn same_settings(committed: &StackSnapshot, target: &StackTarget) -> bool {
    let mut before = committed.parameters.clone();
    if let Value::Object(m) = &mut before {
        // The record of where secrets went, not a parameter.
        m.remove(NO_ECHO_PATHS);
    }
    committed.template.get("Outputs") == target.template.get("Outputs")
        && before == target.parameters
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::testing::{fixture, request};
    use lockgate_engine::RemovalPolicy;
    use serde_json::json;

    const READS_SSM: &str = "Resources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Type: String\n      Value: '{{resolve:ssm:/dev/color}}'\n";

    #[tokio::test]
    async fn prepare_reads_what_the_template_needs_and_changes_nothing() {
        let f = fixture().await;
        let e = match f.deployer.prepare("app", "dev", &request(READS_SSM)).await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("a missing SSM parameter is refused"),
        };
        assert!(
            e.contains("`/dev/color` does not exist") && e.contains("lockgate params put"),
            "{e}"
        );
        assert!(
            f.store.list_apps().await.unwrap().is_empty(),
            "nothing was created"
        );
        f.store
            .put_parameter(lockgate_store::PutParameter {
                name: ParameterName::new("/dev/color").unwrap(),
                value: lockgate_store::NewParameterValue::String("blue".into()),
                description: None,
                overwrite: false,
                actor: "test".into(),
            })
            .await
            .unwrap();
        let p = f
            .deployer
            .prepare("app", "dev", &request(READS_SSM))
            .await
            .unwrap();
        assert_eq!(p.lookups.ssm[&("/dev/color".to_string(), None)], "blue");
        assert!(p.snapshot.is_none() && p.deployed.is_empty());
        assert_eq!(p.stack.name.as_str(), "app");
        let bad = f.deployer.prepare("app", "Dev", &request(READS_SSM)).await;
        assert!(matches!(bad, Err(DeployError::BadRequest(_))));
    }

    #[test]
    fn deployed_resources_keep_the_policies_their_template_gave_them() {
        let r = ResourceState {
            logical_id: "Keep".into(),
            resource_type: "AWS::SSM::Parameter".into(),
            physical_id: Some("/x".into()),
            properties: json!({"Value": "v"}),
            status: lockgate_store::ResourceStatus::CreateComplete,
            status_reason: None,
            attributes: json!({}),
        };
        let template = json!({"Resources": {"Keep": {"Type": "AWS::SSM::Parameter", "DeletionPolicy": "Retain"}}});
        let m = deployed_map(std::slice::from_ref(&r), &template);
        assert_eq!(m["Keep"].policies.deletion, RemovalPolicy::Retain);
        assert_eq!(m["Keep"].physical.physical_id, "/x");
        let never_created = ResourceState {
            physical_id: None,
            ..r
        };
        assert!(deployed_map(&[never_created], &template).is_empty());
        assert_eq!(
            imports_of(&json!({"A": {"Fn::ImportValue": "x"}, "B": [{"Fn::ImportValue": "x"}]})),
            vec![ExportName::new("x").unwrap()]
        );
    }
}
