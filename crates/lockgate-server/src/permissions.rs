//! Least privilege on Lockgate's AWS APIs: a call a function makes with its
//! role's credentials is allowed only when the role's policies allow it, as
//! IAM evaluates them (`lockgate-iam`).
//!
//! Each stage's roles and their policies are read from its committed
//! resources whenever the stage is (re)built: an `AWS::IAM::Role`'s inline
//! `Policies` and `ManagedPolicyArns` (AWS managed policies by their
//! published documents, the stage's own `AWS::IAM::ManagedPolicy`
//! resources by ARN), and every `AWS::IAM::Policy` or
//! `AWS::IAM::ManagedPolicy` naming the role in `Roles` (and every
//! `AWS::IAM::RolePolicy` naming it in `RoleName`). SAM's policy templates
//! arrive expanded into inline policies by the transform. A policy document
//! may be JSON text, as CloudFormation allows for its Json-typed properties.
//!
//! A stage is in one of two modes ([`PermissionsMode`]): `enforce` (the
//! default) refuses a call the role does not allow with AWS's
//! `AccessDeniedException`; `report` logs what would be refused and lets it
//! through, so a team can adopt least privilege one finding at a time.
//! Either way every refusal is logged.
//!
//! What Lockgate cannot see, it does not deny, so that no call AWS would
//! allow is refused locally:
//!
//! - a role that is not an `AWS::IAM::Role` of the stage (a function's
//!   `Role` naming an existing role of the account) is not evaluated: the
//!   stage's build warns about it, and its first call is logged as not
//!   evaluated. Only an explicit `Deny` in a policy of the stage attached
//!   to it (an `AWS::IAM::Policy` naming it) refuses a call, as AWS would;
//! - a role with a managed policy Lockgate does not know is refused only by
//!   an explicit `Deny`: what nothing known allows is let through (and
//!   logged), since the unknown policy may allow it;
//! - a caller with the stage's credentials and no role (a function without
//!   `Role`, which Lambda does not allow) is not evaluated either;
//! - a statement whose `Condition` reads a key Lockgate cannot see (one AWS
//!   sets from where and how the call is made: `aws:SourceIp`,
//!   `aws:SourceVpce`, `aws:PrincipalOrgID`, `aws:ResourceOrgID`,
//!   `aws:CalledVia`, `aws:ResourceTag/…`; see `absent_on_aws` for the keys
//!   Lockgate knows are missing on AWS, and [`request_context`] and
//!   [`Permissions::check`] for those it supplies) is not evaluated, since
//!   IAM's rules for a missing key would make a negated operator, an
//!   `...IfExists` or `Null: true` hold where AWS has the key. A `Deny`
//!   such as a data perimeter's (`StringNotEquals aws:PrincipalOrgID`) is
//!   not applied, and logged as not evaluated (once per statement and
//!   build); an `Allow` conditioned on such a key may allow the call on
//!   AWS, so a call that only such statements could allow is let through
//!   and logged, as with an unknown managed policy. Denies on the keys
//!   Lockgate does supply (`StringNotEquals aws:ResourceAccount
//!   ${aws:PrincipalAccount}`) are evaluated as on AWS.
//!
//! A policy Lockgate cannot read fails closed instead: the resource types
//! refuse a malformed document at deploy time as IAM does
//! (`MalformedPolicyDocument`), and should one still be found (state from
//! an older Lockgate) every call of the role is refused.
//!
//! The stage-prefix rule of the SSM API applies to every stage's functions
//! as a floor.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};

use lockgate_iam::{Decision, Policy, Request};
use lockgate_sigv4::Caller;
use lockgate_store::{ResourceState, Stack};
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

/// A stage's mode from its live stacks (each keeps the mode its last
/// deploy gave it, or had): `report` only when every one of them says
/// `report`, else `enforce` — least privilege wins, so `lockgate deploy
/// --permissions enforce` of any stack enforces the stage. With a mixed
/// stage, a warning for the deploy naming the stacks that still enforce.
pub fn stage_mode<'a>(
    stacks: impl IntoIterator<Item = &'a Stack>,
) -> (PermissionsMode, Option<String>) {
    let (mut report, mut enforce) = (Vec::new(), Vec::new());
    for s in stacks.into_iter().filter(|s| !s.status.is_gone()) {
        match mode_of_parameters(&s.parameters) {
            PermissionsMode::Report => report.push(s.stack.name.to_string()),
            PermissionsMode::Enforce => enforce.push(s.stack.name.to_string()),
        }
    }
    match (report.is_empty(), enforce.is_empty()) {
        (false, true) => (PermissionsMode::Report, None),
        (false, false) => (
            PermissionsMode::Enforce,
            Some(format!(
                "permissions: the stage enforces its roles' policies: stack(s) {} say report, but {} enforce, and a stage is in report mode only when all its stacks are (deploy each with --permissions report)",
                report.join(", "),
                enforce.join(", ")
            )),
        ),
        _ => (PermissionsMode::Enforce, None),
    }
}

/// The condition keys every request carries, whatever the service:
/// `aws:RequestedRegion`, `aws:CurrentTime` / `aws:EpochTime` (now), and
/// `aws:SecureTransport` / `aws:ViaAWSService` / `aws:PrincipalIsAWSService`.
///
/// `aws:SecureTransport` is `true`: the local endpoints are plain HTTP, but
/// the code under test calls AWS over HTTPS, as every SDK does, and a
/// policy's usual guard (`Deny` when it is `false`) must not refuse locally
/// what AWS allows. The principal's keys (`aws:PrincipalArn`, …) are added
/// by [`Permissions::check`], which knows the role.
pub fn request_context(region: &str) -> HashMap<String, Vec<String>> {
    let now = chrono::Utc::now();
    let one = |v: String| vec![v];
    HashMap::from([
        ("aws:RequestedRegion".to_string(), one(region.to_string())),
        (
            "aws:CurrentTime".to_string(),
            one(now.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
        ),
        (
            "aws:EpochTime".to_string(),
            one(now.timestamp().to_string()),
        ),
        ("aws:SecureTransport".to_string(), one("true".into())),
        ("aws:ViaAWSService".to_string(), one("false".into())),
        ("aws:PrincipalIsAWSService".to_string(), one("false".into())),
    ])
}

/// What the stage says of one role.
#[derive(Debug, Default)]
struct RoleEntry {
    /// An `AWS::IAM::Role` of the stage (else only policies of the stage
    /// attached to a role outside it are known).
    defined: bool,
    /// Its ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME`), when defined.
    arn: Option<String>,
    /// Its unique ID (`AROA…`), when defined.
    id: Option<String>,
    /// Its tags.
    tags: Vec<(String, String)>,
    /// Its policies, each with the name answers use.
    policies: Vec<(String, Policy)>,
    /// Managed policies attached to it that Lockgate does not know.
    unknown_managed: Vec<String>,
    /// Policies attached to it that could not be read, and why.
    unreadable: Vec<String>,
}

impl RoleEntry {
    /// Whether every policy of the role is known, so that what none
    /// allows is denied.
    fn complete(&self) -> bool {
        self.defined && self.unknown_managed.is_empty()
    }
}

/// Role name → what the stage says of it.
type Roles = HashMap<String, RoleEntry>;

/// One stage's roles and their policies.
#[derive(Debug, Default)]
struct StagePolicies {
    mode: PermissionsMode,
    roles: Roles,
    /// Roles whose calls were let through unevaluated and that the log
    /// already says so of (once per role and build of the stage).
    noted: Mutex<HashSet<String>>,
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
        tracing::warn!("{app}/{stage}: {line}");
        if let Some(logs) = &self.logs {
            logs.push(&format!("{app}/{stage}"), function, line);
        }
    }

    /// Records a stage's roles and mode from its committed `resources`;
    /// answers the deploy's warnings: a policy that could not be read, a
    /// managed policy not known locally, a function whose role is not one
    /// of the stage's (its calls are not evaluated) or that has none.
    pub fn set_stage(
        &self,
        app: &str,
        stage: &str,
        mode: PermissionsMode,
        resources: &[ResourceState],
    ) -> Vec<String> {
        let (mut roles, mut warnings) = role_policies(resources);
        warnings.extend(function_warnings(resources, &roles));
        outside_role_arns(resources, &mut roles);
        self.stages
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (app.to_string(), stage.to_string()),
                StagePolicies {
                    mode,
                    roles,
                    noted: Mutex::default(),
                },
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
    /// `resource` (an ARN, or `*` for an action on no particular resource,
    /// which AWS's message then does not name), as IAM would answer for its
    /// role. `context` holds the request's condition keys
    /// ([`request_context`] and the service's own); the principal's
    /// (`aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalTag/…`,
    /// `aws:userid`, `aws:PrincipalType`) are added here. The admin and
    /// callers without a role are not evaluated; see the module's
    /// documentation for roles Lockgate does not fully know.
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
        // Whether this is the first time the log would say `key` (once per
        // build of the stage).
        let first_time = |key: String| {
            s.noted
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key)
        };
        let note_once = |why: &str| {
            if first_time(assumed.role.clone()) {
                let line = format!(
                    "[lockgate] not evaluated: {action} on {resource} by role {}: {why}; allowed (later calls of this role are not logged)",
                    assumed.role
                );
                self.log(app, stage, &assumed.session, &line);
            }
        };
        let Some(entry) = s.roles.get(&assumed.role) else {
            note_once("the role is not a role of this stage, so Lockgate cannot see its policies");
            return Ok(());
        };
        let mut context = context.clone();
        add_principal_keys(&mut context, entry, assumed, account_id);
        let evaluation = lockgate_iam::evaluate_seeing(
            &entry.policies,
            &Request {
                action,
                resource,
                context: &context,
            },
            &|key| absent_on_aws(key, entry),
        );
        // Denies Lockgate could not evaluate: not applied, and said (once
        // per statement), when the call goes through.
        let say_denies_not_evaluated = || {
            for skipped in &evaluation.denies_not_evaluated {
                let statement = statement_label(skipped);
                if first_time(format!("{}\0{statement}", assumed.role)) {
                    let line = format!(
                        "[lockgate] not evaluated: Deny {statement} reads {}, which Lockgate cannot see locally (on AWS it depends on where and how the call is made), so it is not applied to {action} on {resource} by role {}; allowed (later calls are not logged for this statement)",
                        skipped.keys.join(", "),
                        assumed.role
                    );
                    self.log(app, stage, &assumed.session, &line);
                }
            }
        };
        let decision = evaluation.decision.clone();
        let mut why = None;
        let shown = match decision {
            Decision::ExplicitDeny { .. } => decision,
            // A policy that could not be read may deny it: fail closed.
            _ if !entry.unreadable.is_empty() => {
                why = Some(format!(
                    " (Lockgate could not read {}, and refuses every call of the role rather than guess; fix the policy and deploy again)",
                    entry.unreadable.join("; ")
                ));
                Decision::ImplicitDeny
            }
            _ if !entry.defined => {
                say_denies_not_evaluated();
                note_once(
                    "the role is not a role of this stage, so Lockgate cannot see its policies (only the explicit denies of this stage's policies attached to it apply)",
                );
                return Ok(());
            }
            Decision::Allow => {
                say_denies_not_evaluated();
                return Ok(());
            }
            // Only statements Lockgate cannot evaluate may allow it: they
            // may on AWS, so it is not refused.
            Decision::ImplicitDeny if !evaluation.allows_not_evaluated.is_empty() => {
                say_denies_not_evaluated();
                let statements: Vec<String> = evaluation
                    .allows_not_evaluated
                    .iter()
                    .map(|n| format!("Allow {} (reads {})", statement_label(n), n.keys.join(", ")))
                    .collect();
                let line = format!(
                    "[lockgate] not evaluated: no statement Lockgate can evaluate allows {action} on {resource} by role {}, but {} may: Lockgate cannot see those keys locally (on AWS they depend on where and how the call is made); allowed",
                    assumed.role,
                    statements.join("; ")
                );
                self.log(app, stage, &assumed.session, &line);
                return Ok(());
            }
            Decision::ImplicitDeny if !entry.complete() => {
                say_denies_not_evaluated();
                let line = format!(
                    "[lockgate] not evaluated: no policy Lockgate knows allows {action} on {resource} by role {}, but the role has managed policies Lockgate does not know ({}) that may; allowed",
                    assumed.role,
                    entry.unknown_managed.join(", ")
                );
                self.log(app, stage, &assumed.session, &line);
                return Ok(());
            }
            Decision::ImplicitDeny => decision,
        };
        let message = lockgate_iam::access_denied_message(
            &caller.principal_arn(account_id),
            action,
            if resource == "*" { "" } else { resource },
            &shown,
        );
        let why = why.unwrap_or_default();
        match s.mode {
            PermissionsMode::Enforce => {
                let line = format!("[lockgate] AccessDenied: {message}{why}");
                self.log(app, stage, &assumed.session, &line);
                Err(Denied(message))
            }
            PermissionsMode::Report => {
                let line =
                    format!("[lockgate] would be denied (permissions: report): {message}{why}");
                self.log(app, stage, &assumed.session, &line);
                Ok(())
            }
        }
    }
}

/// The principal's condition keys, as IAM sets them for a role session:
/// `aws:PrincipalArn` is the role's ARN (not the session's; for a role
/// outside the stage, the function's `Role` ARN as given, path and all),
/// `aws:userid` is `ROLEID:SESSION`. And `aws:ResourceAccount`: every
/// resource the local APIs serve (parameters, metrics and alarms,
/// deployment groups) is the stage's, in the same account.
fn add_principal_keys(
    context: &mut HashMap<String, Vec<String>>,
    entry: &RoleEntry,
    assumed: &lockgate_sigv4::AssumedRole,
    account_id: &str,
) {
    // The region the call was made in (the request's own key).
    let region = context
        .get("aws:RequestedRegion")
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default();
    context
        .entry("aws:ResourceAccount".into())
        .or_insert_with(|| vec![account_id.to_string()]);
    // The principal's keys are the principal's: never the request's.
    let mut put = |k: String, v: String| {
        context.insert(k, vec![v]);
    };
    put(
        "aws:PrincipalArn".into(),
        entry
            .arn
            .clone()
            .unwrap_or_else(|| format!("arn:aws:iam::{account_id}:role/{}", assumed.role)),
    );
    put("aws:PrincipalAccount".into(), account_id.to_string());
    put("aws:PrincipalType".into(), "AssumedRole".into());
    // Lambda adds the calling function's ARN to every AWS call made with
    // its execution role's credentials (the session is the function).
    put(
        "lambda:SourceFunctionArn".into(),
        format!(
            "arn:aws:lambda:{region}:{account_id}:function:{}",
            assumed.session
        ),
    );
    if let Some(id) = &entry.id {
        put("aws:userid".into(), format!("{id}:{}", assumed.session));
    }
    for (k, v) in &entry.tags {
        put(format!("aws:PrincipalTag/{k}"), v.clone());
    }
}

/// Global condition keys AWS does not put in the requests Lockgate's APIs
/// serve — a Lambda function's role session calling SSM, CloudWatch or
/// CodeDeploy itself — so that IAM's rules for a missing key (a negated
/// operator, `...IfExists` and `Null: true` hold) apply to them locally as
/// they do on AWS. Each is present on AWS only for another kind of caller
/// or call: a service acting for a resource (`aws:SourceArn`…), a service
/// principal, an IAM user, a federated or MFA session, a session with a
/// source identity (Lambda sets none), EC2 instance credentials, a root
/// session, a call that tags (none of these does).
const ABSENT_ON_AWS: &[&str] = &[
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceOwner",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:username",
    "aws:FederatedProvider",
    "aws:MultiFactorAuthAge",
    "aws:SourceIdentity",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:AssumedRoot",
    "aws:TagKeys",
    "aws:RequestTag/*",
];

/// Whether `key`, missing from the context Lockgate built, is known to be
/// missing on AWS too (IAM's missing-key rules then apply): the keys of
/// [`ABSENT_ON_AWS`]; the role's `aws:PrincipalTag/…` when the role is the
/// stage's (its tags are all known); and a service's own key (`ssm:…`,
/// `cloudwatch:…`), since the local APIs supply every one AWS defines for
/// the operations they serve (`ssm:Recursive`, `cloudwatch:namespace`) —
/// but for resource-tag keys (`ssm:resourceTag/…`), which Lockgate does not
/// know. Every other key — `aws:SourceIp`, `aws:SourceVpc(e)`,
/// `aws:VpcSourceIp`, `aws:PrincipalOrgID`, `aws:PrincipalOrgPaths`,
/// `aws:ResourceOrgID`, `aws:ResourceOrgPaths`, `aws:ResourceTag/…`,
/// `aws:CalledVia…`, `aws:TokenIssueTime`, `aws:MultiFactorAuthPresent`,
/// `aws:UserAgent`… — AWS may well set, from what Lockgate cannot model: a
/// statement reading it is not evaluated (see [`Permissions::check`]).
fn absent_on_aws(key: &str, entry: &RoleEntry) -> bool {
    let lower = key.to_ascii_lowercase();
    let listed = ABSENT_ON_AWS.iter().any(|k| match k.strip_suffix('*') {
        Some(prefix) => lower.starts_with(&prefix.to_ascii_lowercase()),
        None => lower == k.to_ascii_lowercase(),
    });
    if listed {
        return true;
    }
    if lower.starts_with("aws:principaltag/") {
        return entry.defined;
    }
    !lower.starts_with("aws:") && !lower.contains(":resourcetag/")
}

/// A statement as the log names it: `Statement[2] (Sid Org) of policy P`.
fn statement_label(n: &lockgate_iam::NotEvaluated) -> String {
    match n.sid.as_deref().filter(|s| !s.is_empty()) {
        Some(sid) => format!("Statement[{}] (Sid {sid}) of policy {}", n.index, n.policy),
        None => format!("Statement[{}] of policy {}", n.index, n.policy),
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

/// A policy document as IAM reads it (an object, or JSON text holding one,
/// as CloudFormation passes a Json-typed property written as a string);
/// what IAM would refuse is its `MalformedPolicyDocument` reason. The
/// resource types call this when a document is put, so that a malformed
/// one fails the deploy as it fails on AWS.
pub fn parse_policy_document(doc: &Value) -> Result<Policy, String> {
    Policy::parse(doc).map_err(|e| format!("MalformedPolicyDocument: {e}"))
}

/// Each role of `resources` with its policies, and warnings for policies
/// Lockgate cannot read or does not know.
fn role_policies(resources: &[ResourceState]) -> (Roles, Vec<String>) {
    let mut roles = Roles::new();
    let mut warnings = Vec::new();
    // Reads a document into the role's policies, or records why it could
    // not (the role then fails closed).
    let attach = |warnings: &mut Vec<String>,
                  entry: &mut RoleEntry,
                  owner: &str,
                  name: String,
                  doc: Option<&Value>| {
        let Some(doc) = doc else {
            return;
        };
        match parse_policy_document(doc) {
            Ok(p) => entry.policies.push((name, p)),
            Err(e) => {
                warnings.push(format!(
                    "{owner}: policy {name}: {e} (the role's calls are refused until it is fixed)"
                ));
                entry
                    .unreadable
                    .push(format!("policy {name} of {owner} ({e})"));
            }
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
                let entry = roles.entry(role).or_default();
                entry.defined = true;
                entry.arn = r
                    .attributes
                    .get("Arn")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                entry.id = r
                    .attributes
                    .get("RoleId")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                entry.tags = r
                    .properties
                    .get("Tags")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| {
                        Some((
                            t.get("Key")?.as_str()?.to_string(),
                            match t.get("Value")? {
                                Value::String(s) => s.clone(),
                                Value::Number(n) => n.to_string(),
                                Value::Bool(b) => b.to_string(),
                                _ => return None,
                            },
                        ))
                    })
                    .collect();
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
                    attach(
                        &mut warnings,
                        entry,
                        &r.logical_id,
                        name,
                        p.get("PolicyDocument"),
                    );
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
                        entry.policies.push((arn.to_string(), p));
                    } else if let Some((id, doc)) = managed.get(arn) {
                        attach(&mut warnings, entry, id, arn.to_string(), Some(doc));
                    } else {
                        warnings.push(format!(
                            "{}: managed policy {arn} is not known locally: a call no other policy of the role allows is let through (and logged), as it may allow it; its denies are not known",
                            r.logical_id
                        ));
                        entry.unknown_managed.push(arn.to_string());
                    }
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                let name = r
                    .properties
                    .get("PolicyName")
                    .or_else(|| r.properties.get("ManagedPolicyName"))
                    .and_then(Value::as_str)
                    .unwrap_or(&r.logical_id)
                    .to_string();
                let mut targets = names(r.properties.get("Roles"));
                if let Some(role) = r.properties.get("RoleName").and_then(Value::as_str) {
                    targets.push(role_name(role).to_string());
                }
                for role in targets {
                    attach(
                        &mut warnings,
                        roles.entry(role).or_default(),
                        &r.logical_id,
                        name.clone(),
                        r.properties.get("PolicyDocument"),
                    );
                }
            }
            _ => {}
        }
    }
    (roles, warnings)
}

/// The ARN of each role outside the stage that a policy of the stage
/// names, from a function's `Role` as given (with its path:
/// `arn:aws:iam::ACCOUNT:role/team/existing`): its `aws:PrincipalArn`.
fn outside_role_arns(resources: &[ResourceState], roles: &mut Roles) {
    for arn in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::Lambda::Function")
        .filter_map(|r| r.properties.get("Role").and_then(Value::as_str))
        .filter(|role| role.starts_with("arn:") && role.contains(":role/"))
    {
        if let Some(entry) = roles.get_mut(role_name(arn))
            && !entry.defined
            && entry.arn.is_none()
        {
            entry.arn = Some(arn.to_string());
        }
    }
}

/// A warning per function whose calls Lockgate cannot evaluate: its `Role`
/// is not a role of the stage, or it has none.
fn function_warnings(resources: &[ResourceState], roles: &Roles) -> Vec<String> {
    let mut warnings = Vec::new();
    for r in resources
        .iter()
        .filter(|r| r.resource_type == "AWS::Lambda::Function")
    {
        match r.properties.get("Role").and_then(Value::as_str) {
            Some(role) if roles.get(role_name(role)).is_some_and(|e| e.defined) => {}
            Some(role) => warnings.push(format!(
                "{}: role {role} is not a role of this stage: Lockgate cannot see its policies, so the function's calls to the local AWS APIs (SSM, CloudWatch, CodeDeploy) are not evaluated against them (only explicit denies of this stage's policies attached to it apply)",
                r.logical_id
            )),
            None => warnings.push(format!(
                "{}: no Role (Lambda requires one): the function calls the local AWS APIs with the stage's credentials, which no IAM policy governs",
                r.logical_id
            )),
        }
    }
    warnings
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

    const ACCOUNT: &str = "123456789012";

    fn param(name: &str) -> String {
        format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}")
    }

    fn role(id: &str, name: &str, properties: Value) -> ResourceState {
        let mut r = resource(id, "AWS::IAM::Role", name, properties);
        r.attributes = json!({"Arn": format!("arn:aws:iam::{ACCOUNT}:role/team/{name}"),
                              "RoleId": "AROAEXAMPLE"});
        r
    }

    fn get(p: &Permissions, role: &str, name: &str) -> Result<(), Denied> {
        p.check(
            &caller(role),
            ACCOUNT,
            "ssm:GetParameter",
            &param(name),
            &request_context("us-east-1"),
        )
    }

    const ALLOW_DEV: &str = r#"{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/dev/*"}]}"#;

    #[test]
    fn policy_documents_as_json_text_are_evaluated() {
        // CloudFormation takes a Json-typed property as a string: the
        // documents below are text, and the Deny in them must hold.
        let deny_root = r#"{"Statement": {"Effect": "Deny", "Action": "ssm:GetParameter",
            "Resource": "arn:aws:ssm:*:*:parameter/dev/root"}}"#;
        let deny_other = r#"{"Statement": {"Effect": "Deny", "Action": "ssm:*",
            "Resource": "arn:aws:ssm:*:*:parameter/dev/other"}}"#;
        let resources = vec![
            role(
                "R",
                "greeter-dev-R",
                json!({"Policies": [
                    {"PolicyName": "Read", "PolicyDocument": ALLOW_DEV},
                    {"PolicyName": "NoRoot", "PolicyDocument": deny_root},
                ]}),
            ),
            resource(
                "P",
                "AWS::IAM::Policy",
                "greeter-dev-P",
                json!({"PolicyName": "NoOther", "Roles": ["greeter-dev-R"], "PolicyDocument": deny_other}),
            ),
        ];
        let p = Permissions::default();
        let warnings = p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(get(&p, "greeter-dev-R", "/dev/x").is_ok());
        for denied in ["/dev/root", "/dev/other"] {
            let m = get(&p, "greeter-dev-R", denied).unwrap_err().0;
            assert!(
                m.ends_with("with an explicit deny in an identity-based policy"),
                "{m}"
            );
        }
    }

    #[test]
    fn a_policy_that_cannot_be_read_fails_closed() {
        // State a deploy could not produce any more (the resource types
        // refuse it), e.g. from an older Lockgate: a Deny may hide in it.
        let broken = json!({"Statement": [{"Effect": "Deny", "Action": "ssm:*", "Resource": "*",
            "Condition": {"StringEqualz": {"aws:RequestedRegion": "us-east-1"}}}]});
        let resources = vec![role(
            "R",
            "greeter-dev-R",
            json!({"Policies": [
                {"PolicyName": "Read", "PolicyDocument": ALLOW_DEV},
                {"PolicyName": "Broken", "PolicyDocument": broken},
            ]}),
        )];
        let p = Permissions::default();
        let warnings = p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("R: policy Broken: MalformedPolicyDocument:")
                && warnings[0].contains("refused"),
            "{warnings:?}"
        );
        let m = get(&p, "greeter-dev-R", "/dev/x").unwrap_err().0;
        assert!(m.contains("because no identity-based policy allows"), "{m}");
    }

    #[test]
    fn roles_outside_the_stage_are_said_and_not_evaluated() {
        let deny = json!({"Statement": {"Effect": "Deny", "Action": "ssm:*",
            "Resource": "arn:aws:ssm:*:*:parameter/dev/root"}});
        let function = |id: &str, props: Value| {
            resource(
                id,
                "AWS::Lambda::Function",
                &format!("greeter-dev-{id}"),
                props,
            )
        };
        let resources = vec![
            role("R", "greeter-dev-R", json!({})),
            function(
                "Inside",
                json!({"Role": format!("arn:aws:iam::{ACCOUNT}:role/team/greeter-dev-R")}),
            ),
            function(
                "Outside",
                json!({"Role": format!("arn:aws:iam::{ACCOUNT}:role/existing")}),
            ),
            function("NoRole", json!({})),
            resource(
                "P",
                "AWS::IAM::Policy",
                "greeter-dev-P",
                json!({"PolicyName": "NoRoot", "Roles": ["existing"], "PolicyDocument": deny}),
            ),
        ];
        let logs = std::sync::Arc::new(crate::logs::LogHub::default());
        let p = Permissions::with_logs(logs.clone());
        let warnings = p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].starts_with(&format!(
                "Outside: role arn:aws:iam::{ACCOUNT}:role/existing is not a role of this stage: Lockgate cannot see its policies"
            )),
            "{warnings:?}"
        );
        assert!(warnings[1].starts_with("NoRole: no Role"), "{warnings:?}");
        // The stage's role allows nothing: denied.
        assert!(get(&p, "greeter-dev-R", "/dev/x").is_err());
        // A role outside the stage: allowed, and said once in the log…
        assert!(get(&p, "existing", "/dev/x").is_ok());
        assert!(get(&p, "existing", "/dev/y").is_ok());
        let lines: Vec<_> = logs
            .read("greeter/dev", "", 0)
            .into_iter()
            .filter(|l| l.line.contains("not evaluated"))
            .collect();
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0]
                .line
                .starts_with("[lockgate] not evaluated: ssm:GetParameter on ")
                && lines[0].line.contains("by role existing"),
            "{lines:?}"
        );
        // …but the stage's explicit deny attached to it holds, as on AWS.
        let m = get(&p, "existing", "/dev/root").unwrap_err().0;
        assert!(m.contains("explicit deny"), "{m}");
        // A role nothing of the stage names: not evaluated either.
        assert!(get(&p, "elsewhere", "/dev/x").is_ok());
    }

    #[test]
    fn unknown_managed_policies_let_implicit_denies_through() {
        let resources = vec![role(
            "R",
            "greeter-dev-R",
            json!({"ManagedPolicyArns": [format!("arn:aws:iam::{ACCOUNT}:policy/ReadConfig")],
                   "Policies": [{"PolicyName": "NoRoot", "PolicyDocument": {"Statement": {
                       "Effect": "Deny", "Action": "ssm:*", "Resource": "arn:aws:ssm:*:*:parameter/dev/root"}}}]}),
        )];
        let p = Permissions::default();
        let warnings = p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources);
        assert!(
            warnings.len() == 1 && warnings[0].contains("ReadConfig is not known locally"),
            "{warnings:?}"
        );
        assert!(get(&p, "greeter-dev-R", "/dev/x").is_ok());
        assert!(get(&p, "greeter-dev-R", "/dev/root").is_err());
    }

    #[test]
    fn condition_keys_known_locally() {
        let allow_if = |sid: &str, condition: Value| {
            json!({"Sid": sid, "Effect": "Allow", "Action": "ssm:GetParameter",
                   "Resource": param(&format!("/dev/{sid}")), "Condition": condition})
        };
        let doc = json!({"Version": "2012-10-17", "Statement": [
            allow_if("arn", json!({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/team/*"}})),
            allow_if("account", json!({"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})),
            allow_if("after", json!({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})),
            allow_if("before", json!({"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})),
            allow_if("epoch", json!({"NumericGreaterThan": {"aws:EpochTime": "1577836800"}})),
            allow_if("tls", json!({"Bool": {"aws:SecureTransport": "true"}})),
            allow_if("team", json!({"StringEquals": {"aws:PrincipalTag/team": "blue"}})),
            allow_if("red", json!({"StringEquals": {"aws:PrincipalTag/team": "red"}})),
            allow_if("userid", json!({"StringLike": {"aws:userid": "AROAEXAMPLE:greeter-dev-Hello"}})),
            allow_if("region", json!({"StringEquals": {"aws:RequestedRegion": "us-east-1"}})),
            {"Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": "arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team}/*"},
            // A deny on insecure transport does not refuse local calls,
            // as it does not refuse the same code calling AWS over HTTPS.
            {"Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ]});
        let resources = vec![role(
            "R",
            "greeter-dev-R",
            json!({"Policies": [{"PolicyName": "Keys", "PolicyDocument": doc}],
                   "Tags": [{"Key": "team", "Value": "blue"}]}),
        )];
        let p = Permissions::default();
        assert!(
            p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources)
                .is_empty()
        );
        for ok in [
            "/dev/arn",
            "/dev/account",
            "/dev/after",
            "/dev/epoch",
            "/dev/tls",
            "/dev/team",
            "/dev/userid",
            "/dev/region",
            "/blue/x",
        ] {
            assert!(get(&p, "greeter-dev-R", ok).is_ok(), "{ok}");
        }
        for denied in ["/dev/before", "/dev/red", "/red/x"] {
            assert!(get(&p, "greeter-dev-R", denied).is_err(), "{denied}");
        }
    }

    fn not_evaluated(logs: &crate::logs::LogHub) -> Vec<String> {
        logs.read("greeter/dev", "", 0)
            .into_iter()
            .map(|l| l.line)
            .filter(|l| l.contains("not evaluated"))
            .collect()
    }

    #[test]
    fn data_perimeter_denies_on_keys_lockgate_supplies_are_evaluated() {
        // AWS's usual perimeter: the resource must be in the caller's
        // account. Lockgate's resources are: no deny.
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": param("/dev/*")},
            {"Sid": "Account", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}},
            // A key known absent on AWS for these calls: IAM's missing-key
            // rules apply (Null: true holds), and this deny does.
            {"Sid": "NoUser", "Effect": "Deny", "Action": "ssm:GetParameter",
             "Resource": param("/dev/user"), "Condition": {"Null": {"aws:username": "true"}}},
        ]});
        let logs = std::sync::Arc::new(crate::logs::LogHub::default());
        let p = Permissions::with_logs(logs.clone());
        let resources = vec![role(
            "R",
            "greeter-dev-R",
            json!({"Policies": [{"PolicyName": "Perimeter", "PolicyDocument": doc}]}),
        )];
        assert!(
            p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources)
                .is_empty()
        );
        assert!(get(&p, "greeter-dev-R", "/dev/x").is_ok());
        let m = get(&p, "greeter-dev-R", "/dev/user").unwrap_err().0;
        assert!(m.contains("explicit deny"), "{m}");
        assert!(not_evaluated(&logs).is_empty());
        // Another account's resource is denied by it, as on AWS.
        let other = p.check(
            &caller("greeter-dev-R"),
            ACCOUNT,
            "ssm:GetParameter",
            &param("/dev/x"),
            &HashMap::from([(
                "aws:ResourceAccount".to_string(),
                vec!["111122223333".into()],
            )]),
        );
        assert!(other.unwrap_err().0.contains("explicit deny"));
    }

    /// Lambda puts the calling function's ARN in every call made with its
    /// role (`lambda:SourceFunctionArn`): the usual guard against stolen
    /// credentials (deny when it is absent) lets the function through, and
    /// an allow on it matches the function.
    #[test]
    fn the_calling_function_is_a_condition_key() {
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": param("/dev/*"),
             "Condition": {"ArnLike": {"lambda:SourceFunctionArn":
                 format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:greeter-dev-*")}}},
            {"Sid": "NotStolen", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Null": {"lambda:SourceFunctionArn": "true"}}},
            {"Effect": "Deny", "Action": "ssm:GetParameter", "Resource": param("/dev/hello-only"),
             "Condition": {"ArnNotEquals": {"lambda:SourceFunctionArn":
                 format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:greeter-dev-Other")}}},
        ]});
        let p = Permissions::default();
        let resources = vec![role(
            "R",
            "greeter-dev-R",
            json!({"Policies": [{"PolicyName": "Guard", "PolicyDocument": doc}]}),
        )];
        p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources);
        assert!(get(&p, "greeter-dev-R", "/dev/x").is_ok());
        let m = get(&p, "greeter-dev-R", "/dev/hello-only").unwrap_err().0;
        assert!(m.contains("explicit deny"), "{m}");
    }

    #[test]
    fn statements_on_keys_lockgate_cannot_see_are_not_evaluated_and_said() {
        let doc = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": param("/dev/*")},
            // Denies on keys AWS sets from where the call comes from.
            {"Sid": "Org", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}},
            {"Sid": "Vpce", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}},
            {"Sid": "Direct", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Null": {"aws:CalledVia": "true"}, "Bool": {"aws:ViaAWSService": "true"}}},
            // An allow on one: what only it allows is let through, said.
            {"Sid": "Ip", "Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": param("/ops/*"),
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
            {"Effect": "Deny", "Action": "ssm:GetParameter", "Resource": param("/ops/root")},
        ]});
        let logs = std::sync::Arc::new(crate::logs::LogHub::default());
        let p = Permissions::with_logs(logs.clone());
        let resources = vec![role(
            "R",
            "greeter-dev-R",
            json!({"Policies": [{"PolicyName": "Perimeter", "PolicyDocument": doc}]}),
        )];
        p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources);
        assert!(get(&p, "greeter-dev-R", "/dev/x").is_ok());
        assert!(get(&p, "greeter-dev-R", "/dev/y").is_ok());
        let lines = not_evaluated(&logs);
        // Once per statement; `Direct` is decided by the key it sees.
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with(
                "[lockgate] not evaluated: Deny Statement[1] (Sid Org) of policy Perimeter reads aws:PrincipalOrgID, which Lockgate cannot see locally"
            ) && lines[0].contains("by role greeter-dev-R; allowed"),
            "{lines:?}"
        );
        assert!(
            lines[1]
                .contains("Deny Statement[2] (Sid Vpce) of policy Perimeter reads aws:SourceVpce"),
            "{lines:?}"
        );
        // Only the allow on aws:SourceIp may allow /ops/x: let through.
        assert!(get(&p, "greeter-dev-R", "/ops/x").is_ok());
        let lines = not_evaluated(&logs);
        assert!(
            lines[2].contains(&format!(
                "no statement Lockgate can evaluate allows ssm:GetParameter on {} by role greeter-dev-R, but Allow Statement[4] (Sid Ip) of policy Perimeter (reads aws:SourceIp) may"
            , param("/ops/x"))),
            "{lines:?}"
        );
        // An explicit deny Lockgate sees still wins; what nothing allows is
        // still denied.
        assert!(get(&p, "greeter-dev-R", "/ops/root").is_err());
        assert!(get(&p, "greeter-dev-R", "/prod/x").is_err());
    }

    #[test]
    fn a_role_outside_the_stage_has_its_functions_role_arn() {
        let deny = json!({"Statement": {"Effect": "Deny", "Action": "ssm:*", "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/team/*"}}}});
        let resources = vec![
            resource(
                "Fn",
                "AWS::Lambda::Function",
                "greeter-dev-Fn",
                json!({"Role": format!("arn:aws:iam::{ACCOUNT}:role/team/existing")}),
            ),
            resource(
                "P",
                "AWS::IAM::Policy",
                "greeter-dev-P",
                json!({"PolicyName": "NoTeam", "Roles": ["existing"], "PolicyDocument": deny}),
            ),
        ];
        let p = Permissions::default();
        p.set_stage("greeter", "dev", PermissionsMode::Enforce, &resources);
        // aws:PrincipalArn is arn:aws:iam::…:role/team/existing, path and all.
        let m = get(&p, "existing", "/dev/x").unwrap_err().0;
        assert!(m.contains("explicit deny"), "{m}");
    }

    #[test]
    fn actions_on_no_resource_are_said_as_aws_says_them() {
        let p = Permissions::default();
        p.set_stage(
            "greeter",
            "dev",
            PermissionsMode::Enforce,
            &[role("R", "greeter-dev-R", json!({}))],
        );
        let m = p
            .check(
                &caller("greeter-dev-R"),
                ACCOUNT,
                "cloudwatch:PutMetricData",
                "*",
                &request_context("us-east-1"),
            )
            .unwrap_err()
            .0;
        assert_eq!(
            m,
            format!(
                "User: arn:aws:sts::{ACCOUNT}:assumed-role/greeter-dev-R/greeter-dev-Hello is not authorized to perform: cloudwatch:PutMetricData because no identity-based policy allows the cloudwatch:PutMetricData action"
            )
        );
    }

    #[test]
    fn a_stage_reports_only_when_all_its_stacks_do() {
        use lockgate_store::{StackRef, StackStatus, Timestamp};
        let stack = |name: &str, mode: Option<&str>, status: StackStatus| Stack {
            stack: StackRef::parse("greeter", "dev", name).unwrap(),
            status,
            status_reason: None,
            template: json!({}),
            parameters: match mode {
                Some(m) => json!({PERMISSIONS_PARAMETER: m}),
                None => json!({}),
            },
            version: 1,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
        };
        use PermissionsMode::{Enforce, Report};
        use StackStatus::{CreateComplete, DeleteComplete, UpdateComplete};
        assert_eq!(stage_mode(&[]), (Enforce, None));
        let report = stack("api", Some("report"), UpdateComplete);
        // `web` deployed with --permissions enforce (which records no
        // parameter): the stage enforces, though `api` says report.
        let (mode, warning) = stage_mode(&[report.clone(), stack("web", None, CreateComplete)]);
        assert_eq!(mode, Enforce);
        let warning = warning.unwrap();
        assert!(
            warning.contains("stack(s) api say report, but web enforce"),
            "{warning}"
        );
        // Every live stack says report: the stage reports.
        let both = [report.clone(), stack("web", Some("report"), UpdateComplete)];
        assert_eq!(stage_mode(&both), (Report, None));
        // A deleted stack says nothing.
        let gone = [report, stack("web", None, DeleteComplete)];
        assert_eq!(stage_mode(&gone), (Report, None));
    }

    #[test]
    fn role_names_come_from_arns() {
        assert_eq!(role_name("arn:aws:iam::123:role/path/to/Name"), "Name");
        assert_eq!(role_name("arn:aws:iam::123:role/Name"), "Name");
        assert_eq!(role_name("Name"), "Name");
    }
}
