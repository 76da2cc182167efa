//! Least privilege on Lockgate's AWS APIs: a call a function makes with its
//! role's credentials is allowed only when the role's policies allow it, as
//! IAM evaluates them (`lockgate-iam`).
//!
//! Each stage's roles and their policies are read from its committed
//! resources whenever the stage is (re)built: an `AWS::IAM::Role`'s inline
//! `Policies` and `ManagedPolicyArns` (AWS managed policies by their
//! published documents, the stage's own `AWS::IAM::ManagedPolicy`
//! resources by ARN), and every `AWS::IAM::Policy` or
//! `AWS::IAM::ManagedPolicy` naming the role in `Roles`. SAM's policy
//! templates arrive expanded into inline policies by the transform.
//!
//! A stage is in one of two modes ([`PermissionsMode`]): `enforce` (the
//! default) refuses a call the role does not allow with AWS's
//! `AccessDeniedException`; `report` logs what would be refused and lets it
//! through, so a team can adopt least privilege one finding at a time.
//! Either way every refusal is logged. A role Lockgate does not know (an
//! ARN of a role outside the stage) is not evaluated, and the stage-prefix
//! rule of the SSM API still applies to every stage's functions as a floor.

use std::collections::HashMap;
use std::sync::RwLock;

use lockgate_iam::{Decision, Policy, Request};
use lockgate_sigv4::Caller;
use lockgate_store::ResourceState;
use serde_json::Value;

/// Where a stack's stored parameters keep the stage's permissions mode.
pub const PERMISSIONS_PARAMETER: &str = "Lockgate::Permissions";

pub use lockgate_api::PermissionsMode;

/// The mode recorded in a stack's stored parameters (enforce when none).
pub fn mode_of_parameters(parameters: &Value) -> PermissionsMode {
    parameters
        .get(PERMISSIONS_PARAMETER)
        .and_then(Value::as_str)
        .and_then(PermissionsMode::parse)
        .unwrap_or_default()
}

/// Role name → its policies, each with the name answers use.
type RolePolicies = HashMap<String, Vec<(String, Policy)>>;

/// One stage's roles and their policies.
#[derive(Debug, Default)]
struct StagePolicies {
    mode: PermissionsMode,
    roles: RolePolicies,
}

/// Every stage's roles and policies, rebuilt with each stage.
#[derive(Default)]
pub struct Permissions {
    stages: RwLock<HashMap<(String, String), StagePolicies>>,
    /// Where refusals (and report-mode findings) are also logged: the
    /// calling function's own log, which `lockgate logs` reads.
    logs: Option<std::sync::Arc<crate::logs::LogHub>>,
}

impl std::fmt::Debug for Permissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permissions").finish_non_exhaustive()
    }
}

/// Why a call was refused: AWS's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

impl Permissions {
    /// Permissions that also log each refusal in the calling function's log.
    pub fn with_logs(logs: std::sync::Arc<crate::logs::LogHub>) -> Permissions {
        Permissions {
            logs: Some(logs),
            ..Default::default()
        }
    }

    fn log(&self, app: &str, stage: &str, function: &str, line: &str) {
        if let Some(logs) = &self.logs {
            logs.push(&format!("{app}/{stage}"), function, line);
        }
    }

    /// Records a stage's roles and mode from its committed `resources`;
    /// answers a warning per policy IAM would refuse (it is left out).
    pub fn set_stage(
        &self,
        app: &str,
        stage: &str,
        mode: PermissionsMode,
        resources: &[ResourceState],
    ) -> Vec<String> {
        let (roles, warnings) = role_policies(resources);
        self.stages
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (app.to_string(), stage.to_string()),
                StagePolicies { mode, roles },
            );
        warnings
    }

    /// Forgets a stage (destroyed).
    pub fn remove_stage(&self, app: &str, stage: &str) {
        self.stages
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(app.to_string(), stage.to_string()));
    }

    /// Whether `caller` may perform `action` (`ssm:GetParameter`) on
    /// `resource` (an ARN), as IAM would answer for its role. The admin and
    /// callers without a role (or with one Lockgate does not know) are not
    /// evaluated here.
    pub fn check(
        &self,
        caller: &Caller,
        account_id: &str,
        action: &str,
        resource: &str,
        context: &HashMap<String, Vec<String>>,
    ) -> Result<(), Denied> {
        let Caller::Stage {
            app,
            stage,
            role: Some(assumed),
        } = caller
        else {
            return Ok(());
        };
        let stages = self.stages.read().unwrap_or_else(|e| e.into_inner());
        let Some(s) = stages.get(&(app.clone(), stage.clone())) else {
            return Ok(());
        };
        let Some(policies) = s.roles.get(&assumed.role) else {
            return Ok(());
        };
        let decision = lockgate_iam::evaluate(
            policies,
            &Request {
                action,
                resource,
                context,
            },
        );
        if decision == Decision::Allow {
            return Ok(());
        }
        let message = lockgate_iam::access_denied_message(
            &caller.principal_arn(account_id),
            action,
            resource,
            &decision,
        );
        match s.mode {
            PermissionsMode::Enforce => {
                let line = format!("[lockgate] AccessDenied: {message}");
                tracing::warn!("{app}/{stage}: {line}");
                self.log(app, stage, &assumed.session, &line);
                Err(Denied(message))
            }
            PermissionsMode::Report => {
                let line = format!("[lockgate] would be denied (permissions: report): {message}");
                tracing::warn!("{app}/{stage}: {line}");
                self.log(app, stage, &assumed.session, &line);
                Ok(())
            }
        }
    }
}

/// The name of a role from its ARN (`arn:aws:iam::123:role/path/Name` →
/// `Name`), or the name itself.
pub fn role_name(arn_or_name: &str) -> &str {
    match arn_or_name.split_once(":role/") {
        Some((_, path)) => path.rsplit('/').next().unwrap_or(path),
        None => arn_or_name,
    }
}

/// Each role of `resources` with its policies, and warnings for policies
/// IAM would refuse.
fn role_policies(resources: &[ResourceState]) -> (RolePolicies, Vec<String>) {
    let mut roles = RolePolicies::new();
    let mut warnings = Vec::new();
    let parse = |warnings: &mut Vec<String>,
                 owner: &str,
                 name: String,
                 doc: Option<&Value>|
     -> Option<(String, Policy)> {
        match doc.map(Policy::parse) {
            Some(Ok(p)) => Some((name, p)),
            Some(Err(e)) => {
                warnings.push(format!("{owner}: policy {name}: {e} (left out)"));
                None
            }
            None => None,
        }
    };
    // The stage's customer managed policies, by ARN.
    let mut managed: HashMap<String, (String, Value)> = HashMap::new();
    for r in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::IAM::ManagedPolicy")
    {
        if let (Some(arn), Some(doc)) = (&r.physical_id, r.properties.get("PolicyDocument")) {
            managed.insert(arn.clone(), (r.logical_id.clone(), doc.clone()));
        }
    }
    let names = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|s| role_name(s).to_string())
            .collect()
    };
    for r in resources {
        match r.resource_type.as_str() {
            "AWS::IAM::Role" => {
                let Some(role) = r.physical_id.clone() else {
                    continue;
                };
                let list = roles.entry(role).or_default();
                for p in r
                    .properties
                    .get("Policies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = p
                        .get("PolicyName")
                        .and_then(Value::as_str)
                        .unwrap_or("inline")
                        .to_string();
                    if let Some(x) =
                        parse(&mut warnings, &r.logical_id, name, p.get("PolicyDocument"))
                    {
                        list.push(x);
                    }
                }
                for arn in r
                    .properties
                    .get("ManagedPolicyArns")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if let Some(p) = Policy::aws_managed(arn) {
                        list.push((arn.to_string(), p));
                    } else if let Some((id, doc)) = managed.get(arn) {
                        if let Some(x) = parse(&mut warnings, id, arn.to_string(), Some(doc)) {
                            list.push(x);
                        }
                    } else {
                        warnings.push(format!(
                            "{}: managed policy {arn} is not known locally: its permissions are not granted",
                            r.logical_id
                        ));
                    }
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let name = r
                    .properties
                    .get("PolicyName")
                    .or_else(|| r.properties.get("ManagedPolicyName"))
                    .and_then(Value::as_str)
                    .unwrap_or(&r.logical_id)
                    .to_string();
                for role in names(r.properties.get("Roles")) {
                    if let Some(x) = parse(
                        &mut warnings,
                        &r.logical_id,
                        name.clone(),
                        r.properties.get("PolicyDocument"),
                    ) {
                        roles.entry(role).or_default().push(x);
                    }
                }
            }
            _ => {}
        }
    }
    (roles, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockgate_sigv4::AssumedRole;
    use lockgate_store::ResourceStatus;
    use serde_json::json;

    fn resource(id: &str, ty: &str, physical: &str, properties: Value) -> ResourceState {
        ResourceState {
            logical_id: id.into(),
            resource_type: ty.into(),
            physical_id: Some(physical.into()),
            properties,
            status: ResourceStatus::CreateComplete,
            status_reason: None,
            attributes: json!({}),
        }
    }

    fn caller(role: &str) -> Caller {
        Caller::Stage {
            app: "greeter".into(),
            stage: "dev".into(),
            role: Some(AssumedRole {
                role: role.into(),
                session: "greeter-dev-Hello".into(),
            }),
        }
    }

    fn stage() -> Vec<ResourceState> {
        let read = json!({"Statement": [{"Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/dev/db/*"}]});
        vec![
            resource(
                "HelloRole",
                "AWS::IAM::Role",
                "greeter-dev-HelloRole",
                json!({"Policies": [{"PolicyName": "ReadDb", "PolicyDocument": read}],
                       "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]}),
            ),
            resource(
                "NoSecrets",
                "AWS::IAM::Policy",
                "greeter-dev-NoSecrets",
                json!({"PolicyName": "NoSecrets", "Roles": ["greeter-dev-HelloRole"],
                       "PolicyDocument": {"Statement": [{"Effect": "Deny", "Action": "ssm:*",
                         "Resource": "arn:aws:ssm:*:*:parameter/dev/db/root"}]}}),
            ),
        ]
    }

    #[test]
    fn roles_get_their_inline_attached_and_managed_policies() {
        let p = Permissions::default();
        assert!(
            p.set_stage("greeter", "dev", PermissionsMode::Enforce, &stage())
                .is_empty()
        );
        let ctx = HashMap::new();
        let arn = |n: &str| format!("arn:aws:ssm:us-east-1:123456789012:parameter{n}");
        let c = caller("greeter-dev-HelloRole");
        let check = |name: &str| p.check(&c, "123456789012", "ssm:GetParameter", &arn(name), &ctx);
        assert!(check("/dev/db/password").is_ok());
        let denied = check("/dev/other").unwrap_err().0;
        assert!(
            denied.contains("assumed-role/greeter-dev-HelloRole/greeter-dev-Hello")
                && denied.contains("ssm:GetParameter")
                && denied.contains(&arn("/dev/other")),
            "{denied}"
        );
        // An explicit deny wins over the allow.
        assert!(check("/dev/db/root").is_err());
        // A role Lockgate does not know is not evaluated.
        assert!(
            p.check(
                &caller("elsewhere"),
                "123456789012",
                "ssm:GetParameter",
                &arn("/x"),
                &ctx
            )
            .is_ok()
        );
        // Report mode lets it through.
        p.set_stage("greeter", "dev", PermissionsMode::Report, &stage());
        assert!(check("/dev/other").is_ok());
    }

    #[test]
    fn role_names_come_from_arns() {
        assert_eq!(role_name("arn:aws:iam::123:role/path/to/Name"), "Name");
        assert_eq!(role_name("arn:aws:iam::123:role/Name"), "Name");
        assert_eq!(role_name("Name"), "Name");
    }
}
