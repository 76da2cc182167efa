//! `AWS::Serverless::CapacityProvider` → `AWS::Lambda::CapacityProvider` and
//! its operator role (`SamCapacityProvider`, `CapacityProviderGenerator`).

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource, passthrough_attributes};
use crate::error::ErrorItem;
use crate::function::{resource_attributes, user_tags};
use crate::props::{self, Check, Prop, strict};

const TYPE: &str = "AWS::Serverless::CapacityProvider";

pub(crate) const SPEC: &[Prop] = &[
    strict("CapacityProviderName", false, Check::StrOrMap),
    strict("VpcConfig", true, Check::Map),
    strict("OperatorRole", false, Check::StrOrMap),
    strict("Tags", false, Check::Map),
    strict("PropagateTags", false, Check::Bool),
    strict("InstanceRequirements", false, Check::Map),
    strict("ScalingConfig", false, Check::Map),
    strict("KmsKeyArn", false, Check::StrOrMap),
];

const ORDER: &[&str] = &[
    "CapacityProviderName",
    "VpcConfig",
    "PermissionsConfig",
    "Tags",
    "InstanceRequirements",
    "CapacityProviderScalingConfig",
    "KmsKeyArn",
];

fn set(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// `_transform_tags`: the user's tags, then the SAM tag.
fn tags_with_sam(tags: Option<&Value>) -> Vec<Value> {
    let mut m = tags.and_then(Value::as_object).cloned().unwrap_or_default();
    m.insert("lambda:createdBy".into(), json!("SAM"));
    user_tags(Some(&Value::Object(m)))
}

/// Translates one capacity provider.
pub fn translate(
    _ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    props::validate(logical_id, TYPE, &props, SPEC)?;
    let empty = Map::new();
    let requirements = set(props.get("InstanceRequirements"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    if set(requirements.get("AllowedTypes")).is_some()
        && set(requirements.get("ExcludedTypes")).is_some()
    {
        return Err(ErrorItem::resource(
            logical_id,
            "Cannot specify 'InstanceRequirements.AllowedTypes' and 'InstanceRequirements.ExcludedTypes' together.",
        ));
    }
    let vpc = set(props.get("VpcConfig"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let Some(subnets) = set(vpc.get("SubnetIds")) else {
        return Err(ErrorItem::resource(
            logical_id,
            "Property 'VpcConfig.SubnetIds' is required.",
        ));
    };
    let attrs = resource_attributes(resource);
    let passthrough = passthrough_attributes(&attrs);
    let mut resources = Vec::new();
    let operator_role = match set(props.get("OperatorRole")).filter(|v| !crate::ids::is_falsy(v)) {
        Some(r) => r.clone(),
        None => {
            let role_id = format!("{logical_id}OperatorRole");
            let mut role = Resource::new(&role_id, "AWS::IAM::Role").with_attrs(&passthrough);
            role.properties.insert(
                "AssumeRolePolicyDocument".into(),
                crate::function::role::lambda_assume_role_policy(),
            );
            role.properties.insert(
                "ManagedPolicyArns".into(),
                json!(["arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"]),
            );
            role.properties
                .insert("Tags".into(), Value::Array(tags_with_sam(None)));
            resources.push(role);
            json!({"Fn::GetAtt": [role_id, "Arn"]})
        }
    };
    let mut cp = Resource::new(logical_id, "AWS::Lambda::CapacityProvider").with_attrs(&attrs);
    if let Some(d) = resource
        .get("DependsOn")
        .filter(|d| !crate::ids::is_falsy(d))
    {
        cp.attributes.insert("DependsOn".into(), d.clone());
    }
    let pr = &mut cp.properties;
    if let Some(name) = set(props.get("CapacityProviderName")).filter(|v| !crate::ids::is_falsy(v))
    {
        pr.insert("CapacityProviderName".into(), name.clone());
    }
    let mut vpc_out = Map::new();
    vpc_out.insert("SubnetIds".into(), subnets.clone());
    if let Some(groups) = set(vpc.get("SecurityGroupIds")) {
        vpc_out.insert("SecurityGroupIds".into(), groups.clone());
    }
    pr.insert("VpcConfig".into(), Value::Object(vpc_out));
    pr.insert(
        "PermissionsConfig".into(),
        json!({"CapacityProviderOperatorRoleArn": operator_role}),
    );
    pr.insert(
        "Tags".into(),
        Value::Array(tags_with_sam(props.get("Tags"))),
    );
    let mut req = Map::new();
    for (from, to) in [
        ("Architectures", "Architectures"),
        ("AllowedTypes", "AllowedInstanceTypes"),
        ("ExcludedTypes", "ExcludedInstanceTypes"),
    ] {
        if let Some(v) = set(requirements.get(from)) {
            req.insert(to.into(), v.clone());
        }
    }
    if !req.is_empty() {
        pr.insert("InstanceRequirements".into(), Value::Object(req));
    }
    if let Some(Value::Object(scaling)) = set(props.get("ScalingConfig"))
        && scaling.values().any(|v| !v.is_null())
    {
        let mut out = Map::new();
        if let Some(max) = set(scaling.get("MaxVCpuCount")) {
            out.insert("MaxVCpuCount".into(), max.clone());
        }
        match set(scaling.get("AverageCPUUtilization")) {
            Some(target) => {
                // The translator's model reads the target as a float (75 becomes 75.0).
                let target = match target.as_f64() {
                    Some(f) if target.is_number() => json!(f),
                    _ => target.clone(),
                };
                out.insert("ScalingMode".into(), json!("Manual"));
                out.insert(
                    "ScalingPolicies".into(),
                    json!([{"PredefinedMetricType": "LambdaCapacityProviderAverageCPUUtilization", "TargetValue": target}]),
                );
            }
            None => {
                out.insert("ScalingMode".into(), json!("Auto"));
            }
        }
        pr.insert("CapacityProviderScalingConfig".into(), Value::Object(out));
    }
    if let Some(kms) = set(props.get("KmsKeyArn")).filter(|v| !crate::ids::is_falsy(v)) {
        pr.insert("KmsKeyArn".into(), kms.clone());
    }
    cp.properties = crate::function::ordered(std::mem::take(&mut cp.properties), ORDER);
    resources.push(cp);

    // `propagate_tags_combine`: existing tags, then the user's, merged by key.
    let propagate = props
        .get("PropagateTags")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(Value::Object(tags)) = set(props.get("Tags"))
        && propagate
        && !tags.is_empty()
    {
        for r in &mut resources {
            let mut merged: Map<String, Value> = Map::new();
            let existing = r
                .properties
                .get("Tags")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for t in existing.iter().chain(user_tags(props.get("Tags")).iter()) {
                let key = t
                    .get("Key")
                    .map(crate::intrinsics::py_str)
                    .unwrap_or_default();
                merged.insert(key, t.get("Value").cloned().unwrap_or(Value::Null));
            }
            let list: Vec<Value> = merged
                .into_iter()
                .map(|(k, v)| json!({"Key": k, "Value": v}))
                .collect();
            r.properties.insert("Tags".into(), Value::Array(list));
        }
    }
    Ok(resources)
}
