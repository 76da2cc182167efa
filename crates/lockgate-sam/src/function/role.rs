//! The function's execution role (`_construct_role`, `construct_role_for_resource`)
//! and the managed-policy name lookup.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use super::SamFunction;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::{if_items, is_if, is_intrinsic, is_no_value};

/// The AWS SAM translator's bundled map of AWS managed policy names to ARNs
/// for the `aws` partition (`samtranslator/internal/data/aws_managed_policies.json`,
/// Apache-2.0, from the AWS SAM translator).
static BUNDLED_MANAGED_POLICIES: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    serde_json::from_str(include_str!("aws_managed_policies.json")).unwrap_or_default()
});

/// `IAMRolePolicies.lambda_assume_role_policy()`.
pub fn lambda_assume_role_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]
    })
}

/// `arn:{partition}:iam::aws:policy/{name}`.
pub fn aws_managed_policy_arn(ctx: &Ctx, name: &str) -> Value {
    Value::String(format!("arn:{}:iam::aws:policy/{name}", ctx.opts.partition))
}

/// `_get_managed_policy_arn`: bundled map, then ARNs as they are, then the caller's map.
pub fn managed_policy_arn(ctx: &Ctx, name: &str) -> Value {
    if ctx.opts.partition == "aws"
        && let Some(arn) = BUNDLED_MANAGED_POLICIES.get(name)
    {
        return arn.clone();
    }
    if name.starts_with("arn:") {
        return Value::String(name.to_string());
    }
    if let Some(arn) = ctx
        .opts
        .managed_policy_map
        .get(name)
        .filter(|v| !crate::ids::is_falsy(v))
    {
        return arn.clone();
    }
    Value::String(name.to_string())
}

/// The kind of one `Policies` entry (`ResourcePolicies._get_type`), after policy
/// templates have been expanded into statements.
#[derive(Debug, PartialEq, Clone, Copy)]
pub enum PolicyKind {
    /// A managed policy name or ARN (or an intrinsic giving one).
    Managed,
    /// An IAM policy document (`Statement`).
    Statement,
    /// A policy template (`{TemplateName: {params}}`).
    Template,
    /// None of the above.
    Unknown,
}

/// `ResourcePolicies._get_type`.
pub fn policy_kind(
    policy: &Value,
    is_template: &dyn Fn(&Value) -> bool,
) -> Result<PolicyKind, ErrorItem> {
    if policy.is_string() {
        return Ok(PolicyKind::Managed);
    }
    if is_if(policy) {
        let items = if_items(policy).map_err(ErrorItem::template)?;
        let (a, b) = (&items[1], &items[2]);
        let ta = policy_kind(a, is_template)?;
        let tb = policy_kind(b, is_template)?;
        if ta == tb {
            return Ok(ta);
        }
        if is_no_value(a) {
            return Ok(tb);
        }
        if is_no_value(b) {
            return Ok(ta);
        }
        return Err(ErrorItem::template(
            "Different policy types within the same Fn::If statement is unsupported. Separate different policy types into different Fn::If statements",
        ));
    }
    if is_intrinsic(policy) {
        return Ok(PolicyKind::Managed);
    }
    if policy
        .as_object()
        .is_some_and(|m| m.contains_key("Statement"))
    {
        return Ok(PolicyKind::Statement);
    }
    if is_template(policy) {
        return Ok(PolicyKind::Template);
    }
    Ok(PolicyKind::Unknown)
}

/// `Policies` as a list (a single policy becomes a one-item list).
pub fn policies_list(policies: Option<&Value>) -> Vec<Value> {
    match policies {
        None => Vec::new(),
        Some(v) if crate::ids::is_falsy(v) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
    }
}

/// The `Policies` loop shared by function and state machine roles: documents
/// become `{PolicyName: {role_id}Policy{index}, PolicyDocument}` entries (through
/// `Fn::If` branches), managed policy names become ARNs (deduplicated); policy
/// templates or anything else are rejected as not valid on resource `id`.
pub fn add_inline_and_managed(
    ctx: &Ctx,
    id: &str,
    role_id: &str,
    policies: Vec<Value>,
    documents: &mut Vec<Value>,
    managed: &mut Vec<Value>,
) -> Result<(), ErrorItem> {
    let no_templates = |_: &Value| false;
    for (index, policy) in policies.into_iter().enumerate() {
        match policy_kind(&policy, &no_templates)? {
            PolicyKind::Statement => {
                let name = format!("{role_id}Policy{index}");
                if is_if(&policy) {
                    let mut p = policy.clone();
                    if let Some(Value::Array(items)) = p.get_mut("Fn::If") {
                        for item in items.iter_mut().skip(1) {
                            if !is_no_value(item) {
                                *item = json!({"PolicyName": name, "PolicyDocument": item.clone()});
                            }
                        }
                    }
                    documents.push(p);
                } else {
                    documents.push(json!({"PolicyName": name, "PolicyDocument": policy}));
                }
            }
            PolicyKind::Managed => {
                let arn = match &policy {
                    Value::String(name) => managed_policy_arn(ctx, name),
                    p if is_if(p) => {
                        let mut p = p.clone();
                        if let Some(Value::Array(items)) = p.get_mut("Fn::If") {
                            for item in items.iter_mut().skip(1) {
                                if let Value::String(name) = item {
                                    *item = managed_policy_arn(ctx, name);
                                }
                            }
                        }
                        p
                    }
                    p => p.clone(),
                };
                if !managed.contains(&arn) {
                    managed.push(arn);
                }
            }
            _ => {
                return Err(ErrorItem::resource(
                    id,
                    format!("Policy at index {index} in the 'Policies' property is not valid"),
                ));
            }
        }
    }
    Ok(())
}

/// `_construct_role` + `construct_role_for_resource`.
pub fn construct(
    ctx: &Ctx,
    f: &SamFunction,
    event_invoke_policies: Vec<Value>,
) -> Result<Resource, ErrorItem> {
    let role_id = format!("{}Role", f.id);
    let mut role = Resource::new(&role_id, "AWS::IAM::Role").with_attrs(&f.passthrough());
    let assume = f
        .get("AssumeRolePolicyDocument")
        .cloned()
        .unwrap_or_else(lambda_assume_role_policy);

    let mut managed: Vec<Value> = Vec::new();
    if f.get("DurableConfig")
        .is_some_and(|v| !crate::ids::is_falsy(v))
    {
        managed.push(aws_managed_policy_arn(
            ctx,
            "service-role/AWSLambdaBasicDurableExecutionRolePolicy",
        ));
    } else {
        managed.push(aws_managed_policy_arn(
            ctx,
            "service-role/AWSLambdaBasicExecutionRole",
        ));
    }
    if let Some(tracing) = f.get("Tracing").filter(|v| !crate::ids::is_falsy(v)) {
        let resolved = ctx.resolve_params(tracing)?;
        if resolved.as_str() != Some("Disabled") {
            let name = if ctx.opts.partition == "aws" {
                "AWSXrayWriteOnlyAccess"
            } else {
                "AWSXRayDaemonWriteAccess"
            };
            managed.push(aws_managed_policy_arn(ctx, name));
        }
    }
    if f.get("VpcConfig").is_some_and(|v| !crate::ids::is_falsy(v)) {
        managed.push(aws_managed_policy_arn(
            ctx,
            "service-role/AWSLambdaVPCAccessExecutionRole",
        ));
    }

    let mut documents: Vec<Value> = Vec::new();
    if let Some(dlq) = f
        .get("DeadLetterQueue")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        let action = match dlq.get("Type").and_then(Value::as_str) {
            Some("SNS") => "sns:Publish",
            _ => "sqs:SendMessage",
        };
        documents.push(json!({
            "PolicyName": "DeadLetterQueuePolicy",
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": action, "Resource": dlq.get("TargetArn").cloned().unwrap_or(Value::Null), "Effect": "Allow"}]
            }
        }));
    }
    if f.get("EventInvokeConfig")
        .is_some_and(|v| !crate::ids::is_falsy(v))
    {
        documents.extend(event_invoke_policies);
    }

    add_inline_and_managed(
        ctx,
        &f.id,
        &role_id,
        policies_list(f.get("Policies")),
        &mut documents,
        &mut managed,
    )?;

    let mut props = Map::new();
    props.insert("AssumeRolePolicyDocument".into(), assume);
    props.insert("ManagedPolicyArns".into(), Value::Array(managed));
    if !documents.is_empty() {
        props.insert("Policies".into(), Value::Array(documents));
    }
    if let Some(path) = f.get("RolePath") {
        props.insert("Path".into(), path.clone());
    }
    if let Some(pb) = f.get("PermissionsBoundary") {
        props.insert("PermissionsBoundary".into(), pb.clone());
    }
    props.insert(
        "Tags".into(),
        Value::Array(super::tag_list(&f.id, f.get("Tags"))?),
    );
    role.properties = props;
    Ok(role)
}

/// Adds a managed policy ARN to a generated role unless already there.
pub fn add_managed_policy(role: &mut Resource, arn: Value) {
    let entry = role
        .properties
        .entry("ManagedPolicyArns")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = entry
        && !items.contains(&arn)
    {
        items.push(arn);
    }
}

/// Adds an inline policy unless the same policy (or document) is already there
/// (`PullEventSource._link_policy`).
pub fn add_policy(role: &mut Resource, policy: Value) {
    let entry = role
        .properties
        .entry("Policies")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(items) = entry {
        let doc = policy.get("PolicyDocument");
        if !items.contains(&policy) && !items.iter().any(|p| p.get("PolicyDocument") == doc) {
            items.push(policy);
        }
    }
}
