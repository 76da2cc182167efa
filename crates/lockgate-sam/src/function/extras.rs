//! Function URLs, `EventInvokeConfig` destinations and `CapacityProviderConfig`.

use serde_json::{Map, Value, json};

use super::SamFunction;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::{
    get_att, if_items, is_if, is_intrinsic, is_no_value, make_conditional, make_not_conditional,
    py_str, ref_,
};

/// `_transform_capacity_provider_config`.
pub fn capacity_provider_config(f: &SamFunction, cp: &Value) -> Result<Value, ErrorItem> {
    let Value::Object(m) = cp else {
        return Err(f.err("Invalid CapacityProviderConfig: value is not a valid dict"));
    };
    let mut ec2 = Map::new();
    ec2.insert(
        "CapacityProviderArn".into(),
        m.get("Arn").cloned().unwrap_or(Value::Null),
    );
    if let Some(v) = m
        .get("PerExecutionEnvironmentMaxConcurrency")
        .filter(|v| !v.is_null())
    {
        ec2.insert("PerExecutionEnvironmentMaxConcurrency".into(), v.clone());
    }
    if let Some(v) = m
        .get("ExecutionEnvironmentMemoryGiBPerVCpu")
        .filter(|v| !v.is_null())
    {
        // Integral values come out as integers (`4.0` → `4`), as in the translator's output.
        let v = crate::ids::integral(v);
        ec2.insert("ExecutionEnvironmentMemoryGiBPerVCpu".into(), v);
    }
    Ok(json!({"LambdaManagedInstancesCapacityProviderConfig": ec2}))
}

fn target(lambda: &Resource, alias: Option<&Resource>) -> Value {
    match alias {
        Some(a) => ref_(&a.logical_id),
        None => ref_(&lambda.logical_id),
    }
}

/// `_construct_function_url` and the public-access permissions.
pub fn function_url(
    f: &SamFunction,
    lambda: &Resource,
    alias: Option<&Resource>,
    config: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let lid = &lambda.logical_id;
    let err = |m: String| ErrorItem::resource(lid, m);
    let whole_intrinsic = is_intrinsic(config);
    if !whole_intrinsic {
        let auth = config.get("AuthType");
        if !auth.is_some_and(is_intrinsic) {
            let ok = auth
                .and_then(Value::as_str)
                .is_some_and(|a| a == "AWS_IAM" || a == "NONE");
            if !ok {
                return Err(err("AuthType is required to configure function property `FunctionUrlConfig`. Please provide either AWS_IAM or NONE.".into()));
            }
        }
        if let Some(cors) = config
            .get("Cors")
            .filter(|c| !crate::ids::is_falsy(c) && !is_intrinsic(c))
        {
            let Value::Object(cors) = cors else {
                return Err(err(
                    "Property 'FunctionUrlConfig.Cors' should be a map.".into()
                ));
            };
            for (name, value) in cors {
                let expected = match name.as_str() {
                    "AllowOrigins" | "AllowMethods" | "AllowHeaders" | "ExposeHeaders" => "list",
                    "AllowCredentials" => "bool",
                    "MaxAge" => "int",
                    _ => {
                        return Err(err(format!(
                            "{name} is not a valid property for configuring Cors."
                        )));
                    }
                };
                let ok = match expected {
                    "list" => value.is_array(),
                    "bool" => value.is_boolean(),
                    _ => value.is_i64() || value.is_u64() || value.is_boolean(),
                };
                if !is_intrinsic(value) && !ok {
                    return Err(err(format!("{name} must be of type {expected}.")));
                }
            }
        }
    }
    let attrs = f.passthrough();
    let mut url = Resource::new(format!("{lid}Url"), "AWS::Lambda::Url").with_attrs(&attrs);
    let fn_target = match alias {
        Some(a) => ref_(&a.logical_id),
        None => ref_(lid),
    };
    url.properties.insert("TargetFunctionArn".into(), fn_target);
    url.properties.insert(
        "AuthType".into(),
        config.get("AuthType").cloned().unwrap_or(Value::Null),
    );
    if let Some(cors) = config.get("Cors").filter(|c| !crate::ids::is_falsy(c)) {
        url.properties.insert("Cors".into(), cors.clone());
    }
    if let Some(mode) = config.get("InvokeMode").filter(|v| !v.is_null()) {
        url.properties.insert("InvokeMode".into(), mode.clone());
    }
    if url.properties.get("AuthType").is_some_and(Value::is_null) {
        url.properties.shift_remove("AuthType");
    }
    let mut out = vec![url];
    let public = config.get("AuthType").and_then(Value::as_str) == Some("NONE") && !whole_intrinsic;
    if public {
        let mut perm = Resource::new(
            format!("{lid}UrlPublicPermissions"),
            "AWS::Lambda::Permission",
        )
        .with_attrs(&attrs);
        perm.properties
            .insert("Action".into(), json!("lambda:InvokeFunctionUrl"));
        perm.properties
            .insert("FunctionName".into(), target(lambda, alias));
        perm.properties.insert("Principal".into(), json!("*"));
        perm.properties
            .insert("FunctionUrlAuthType".into(), json!("NONE"));
        let mut invoke = Resource::new(
            format!("{lid}URLInvokeAllowPublicAccess"),
            "AWS::Lambda::Permission",
        )
        .with_attrs(&attrs);
        invoke
            .properties
            .insert("Action".into(), json!("lambda:InvokeFunction"));
        invoke
            .properties
            .insert("FunctionName".into(), target(lambda, alias));
        invoke.properties.insert("Principal".into(), json!("*"));
        invoke
            .properties
            .insert("InvokedViaFunctionUrl".into(), json!(true));
        out.push(perm);
        out.push(invoke);
    }
    Ok(out)
}

/// `_make_gen_condition_name`.
fn gen_condition_name(name: &str, hash_input: &str) -> String {
    let name = format!(
        "{name}{}",
        crate::ids::logical_id("", &Value::String(hash_input.to_string()))
    );
    name.chars().take(255).collect()
}

fn destination_policy(dest_type: &str, logical_id: &str, arn: &Value) -> Value {
    let statement = |action: &str, resource: &Value| json!({"Action": action, "Effect": "Allow", "Resource": resource});
    match dest_type {
        "SQS" => {
            json!({"PolicyName": format!("{logical_id}SQSPolicy"), "PolicyDocument": {"Statement": [statement("sqs:SendMessage", arn)]}})
        }
        "SNS" => {
            json!({"PolicyName": format!("{logical_id}SNSPolicy"), "PolicyDocument": {"Statement": [statement("sns:publish", arn)]}})
        }
        "EventBridge" => {
            json!({"PolicyName": format!("{logical_id}EventBridgePolicy"), "PolicyDocument": {"Statement": [statement("events:PutEvents", arn)]}})
        }
        "Lambda" => {
            json!({"PolicyName": format!("{logical_id}LambdaPolicy"), "PolicyDocument": {"Statement": [statement("lambda:InvokeFunction", arn)]}})
        }
        "S3Bucket" => json!({
            "PolicyName": format!("{logical_id}S3Policy"),
            "PolicyDocument": {"Statement": [
                statement("s3:PutObject", &json!({"Fn::Join": ["/", [arn, "*"]]})),
                statement("s3:ListBucket", arn)
            ]}
        }),
        _ => json!({}),
    }
}

/// The SQS/SNS policy a destination needs on the execution role (public for pull events).
pub fn sqs_sns_s3_policy(dest_type: &str, logical_id: &str, arn: &Value) -> Value {
    destination_policy(dest_type, logical_id, arn)
}

/// `_construct_event_invoke_config`: the config resource, auto-created
/// destinations, and the policies the role needs.
pub fn event_invoke_config(
    ctx: &mut Ctx,
    f: &SamFunction,
    function_id: &str,
    alias_name: &str,
    alias: Option<&Resource>,
    config: &Value,
) -> Result<(Vec<Resource>, Vec<Value>), ErrorItem> {
    let resolved = ctx.resolve_params(config)?;
    let logical_id = format!("{function_id}EventInvokeConfig");
    let mut eic = Resource::new(&logical_id, "AWS::Lambda::EventInvokeConfig").with_attrs(&f.attrs);
    if let Some(a) = alias {
        eic.attributes
            .insert("DependsOn".into(), json!([a.logical_id]));
    }
    let mut resources = Vec::new();
    let mut policies = Vec::new();
    let mut dest_config = Map::new();
    if let Some(input) = resolved
        .get("DestinationConfig")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        let Value::Object(input) = input else {
            return Err(f.err("Property 'EventInvokeConfig.DestinationConfig' should be a map."));
        };
        for name in ["OnSuccess", "OnFailure"] {
            let Some(value) = input.get(name).filter(|v| !v.is_null()) else {
                continue;
            };
            if !value.is_object() {
                return Err(f.err(format!(
                    "Property 'EventInvokeConfig.DestinationConfig.{name}' should be a map."
                )));
            }
            let (res, destination, policy) = inject_destination(ctx, f, value, name, &logical_id)?;
            dest_config.insert(name.to_string(), json!({"Destination": destination}));
            if let Some(r) = res {
                resources.push(r);
            }
            if let Some(p) = policy {
                policies.push(p);
            }
        }
    }
    eic.properties
        .insert("FunctionName".into(), ref_(function_id));
    let qualifier = if alias_name.is_empty() {
        "$LATEST"
    } else {
        alias_name
    };
    eic.properties
        .insert("Qualifier".into(), Value::String(qualifier.to_string()));
    eic.properties
        .insert("DestinationConfig".into(), Value::Object(dest_config));
    for k in ["MaximumEventAgeInSeconds", "MaximumRetryAttempts"] {
        if let Some(v) = resolved.get(k).filter(|v| !v.is_null()) {
            eic.properties.insert(k.into(), v.clone());
        }
    }
    let mut props = Map::new();
    for k in [
        "DestinationConfig",
        "FunctionName",
        "MaximumEventAgeInSeconds",
        "MaximumRetryAttempts",
        "Qualifier",
    ] {
        if let Some(v) = eic.properties.get(k) {
            props.insert(k.into(), v.clone());
        }
    }
    eic.properties = props;
    resources.push(eic);
    Ok((resources, policies))
}

type Injected = (Option<Resource>, Value, Option<Value>);

/// `_validate_and_inject_resource`.
fn inject_destination(
    ctx: &mut Ctx,
    f: &SamFunction,
    dest: &Value,
    event: &str,
    logical_id: &str,
) -> Result<Injected, ErrorItem> {
    const ACCEPTED: &str = "['SQS', 'SNS', 'EventBridge', 'Lambda', 'S3Bucket']";
    let dest_type_v = dest.get("Type").cloned().unwrap_or(Value::Null);
    let dest_type = dest_type_v.as_str().unwrap_or_default().to_string();
    if !["SQS", "SNS", "EventBridge", "Lambda", "S3Bucket"].contains(&dest_type.as_str()) {
        return Err(f.err(format!(
            "'Type: {}' must be one of {ACCEPTED}",
            py_str(&dest_type_v)
        )));
    }
    let resource_id = format!("{logical_id}{event}");
    let destination = dest.get("Destination").filter(|v| !v.is_null()).cloned();
    let (property_condition, dest_arn) = condition_of(ctx, destination.as_ref(), logical_id)?;
    let mut resource = None;
    let mut policy = None;
    let mut out_destination = destination.clone().unwrap_or(Value::Null);
    if destination.is_none() || property_condition.is_some() {
        let combined = and_conditions(
            ctx,
            f,
            f.passthrough().get("Condition").and_then(Value::as_str),
            property_condition.as_deref(),
        );
        if dest_type == "SQS" || dest_type == "SNS" {
            let (suffix, rtype) = if dest_type == "SQS" {
                ("Queue", "AWS::SQS::Queue")
            } else {
                ("Topic", "AWS::SNS::Topic")
            };
            let mut r =
                Resource::new(format!("{resource_id}{suffix}"), rtype).with_attrs(&f.passthrough());
            if let Some(c) = &combined {
                r.attributes
                    .insert("Condition".into(), Value::String(c.clone()));
            }
            let arn = get_att(
                &r.logical_id,
                if dest_type == "SQS" {
                    "Arn"
                } else {
                    "TopicArn"
                },
            );
            let arn = if dest_type == "SNS" {
                ref_(&r.logical_id)
            } else {
                arn
            };
            out_destination = match &property_condition {
                Some(c) => make_conditional(c, arn, dest_arn.clone()),
                None => arn,
            };
            policy = Some(destination_policy(
                &dest_type,
                &resource_id,
                &out_destination,
            ));
            resource = Some(r);
        } else {
            return Err(f.err("Destination is required if Type is not ['SQS', 'SNS']"));
        }
    }
    if let Some(d) = &destination
        && property_condition.is_none()
    {
        policy = Some(destination_policy(&dest_type, &resource_id, d));
    }
    Ok((resource, out_destination, policy))
}

/// `_get_or_make_condition`.
fn condition_of(
    ctx: &mut Ctx,
    destination: Option<&Value>,
    logical_id: &str,
) -> Result<(Option<String>, Option<Value>), ErrorItem> {
    let Some(d) = destination else {
        return Ok((None, None));
    };
    if !is_if(d) {
        return Ok((None, None));
    }
    let items = if_items(d).map_err(|e| {
        ErrorItem::resource(
            logical_id,
            format!("Malformed 'Destination' property: {e}."),
        )
    })?;
    let cond = py_str(&items[0]);
    if is_no_value(&items[1]) && is_no_value(&items[2]) {
        return Ok((None, None));
    }
    if is_no_value(&items[1]) {
        return Ok((Some(cond), Some(items[2].clone())));
    }
    if is_no_value(&items[2]) {
        let not_cond = gen_condition_name(&format!("NOT{cond}"), logical_id);
        ctx.new_conditions
            .insert(not_cond.clone(), make_not_conditional(&cond));
        return Ok((Some(not_cond), Some(items[1].clone())));
    }
    Ok((None, None))
}

/// `_make_and_conditions`.
fn and_conditions(
    ctx: &mut Ctx,
    f: &SamFunction,
    resource_cond: Option<&str>,
    property_cond: Option<&str>,
) -> Option<String> {
    match (resource_cond, property_cond) {
        (None, p) => p.map(str::to_string),
        (Some(r), None) => Some(r.to_string()),
        (Some(r), Some(p)) => {
            let name = gen_condition_name(&format!("{r}AND{p}"), &f.id);
            // The translator wraps each operand twice (`make_and_condition` of
            // `{"Condition": …}` items); CloudFormation output must match it.
            ctx.new_conditions.insert(
                name.clone(),
                json!({"Fn::And": [{"Condition": {"Condition": r}}, {"Condition": {"Condition": p}}]}),
            );
            Some(name)
        }
    }
}
