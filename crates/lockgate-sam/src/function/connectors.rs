//! Connectors (`AWS::Serverless::Connector` and the `Connectors` attribute
//! embedded in resources): IAM policies, queue/topic policies and Lambda
//! permissions from the connector profiles.
//!
//! NOTICE: `connector_profiles.json` is the AWS SAM translator's connector
//! profile data (`samtranslator/model/connector_profiles/profiles.json`, from
//! github.com/aws/serverless-application-model), used under the Apache
//! License 2.0.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::{logical_id_of, ref_};

const TYPE: &str = "AWS::Serverless::Connector";

static PROFILES: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("connector_profiles.json")).unwrap_or(Value::Null)
});

fn sam_to_cfn_type(t: &str) -> &str {
    match t {
        "AWS::Serverless::Function" => "AWS::Lambda::Function",
        "AWS::Serverless::StateMachine" => "AWS::StepFunctions::StateMachine",
        "AWS::Serverless::Api" => "AWS::ApiGateway::RestApi",
        "AWS::Serverless::HttpApi" => "AWS::ApiGatewayV2::Api",
        "AWS::Serverless::SimpleTable" => "AWS::DynamoDB::Table",
        other => other,
    }
}

/// `_get_embedded_connectors`: turns `Connectors` attributes into connector
/// resources in `ctx.template`, and removes the attributes.
pub fn expand_embedded(ctx: &mut Ctx, errors: &mut Vec<ErrorItem>) {
    let mut generated: Vec<(String, Value)> = Vec::new();
    for (source_id, resource) in ctx.resources() {
        let Some(connectors) = resource.get("Connectors") else {
            continue;
        };
        let Value::Object(connectors) = connectors else {
            errors.push(ErrorItem::resource(
                source_id,
                format!("Attribute '{source_id}.Connectors' should be a map."),
            ));
            continue;
        };
        for (connector_id, connector) in connectors {
            match embedded_connector(ctx, source_id, connector_id, connector) {
                Ok(pair) => generated.push(pair),
                Err(e) => errors.push(e),
            }
        }
    }
    let resources = ctx.resources_mut();
    for (id, connector) in generated {
        resources.insert(id, connector);
    }
    for resource in resources.values_mut() {
        if let Value::Object(r) = resource {
            r.shift_remove("Connectors");
        }
    }
}

fn embedded_connector(
    ctx: &Ctx,
    source_id: &str,
    connector_id: &str,
    connector: &Value,
) -> Result<(String, Value), ErrorItem> {
    let full_id = format!("{source_id}{connector_id}");
    let Value::Object(connector) = connector else {
        return Err(ErrorItem::resource(
            &full_id,
            format!("{source_id}.{full_id} should be a map."),
        ));
    };
    let mut connector = connector.clone();
    connector.insert("Type".into(), json!(TYPE));
    let Some(Value::Object(props)) = connector.get("Properties") else {
        return Err(ErrorItem::resource(
            source_id,
            format!("Attribute 'Connectors.{connector_id}.Properties' should be a map."),
        ));
    };
    let mut props = props.clone();
    let mut source = Map::new();
    source.insert("Id".into(), json!(source_id));
    if let Some(reference) = props.get("SourceReference") {
        let Value::Object(reference) = reference else {
            return Err(ErrorItem::resource(
                source_id,
                format!(
                    "Property 'Connectors.{connector_id}.Properties.SourceReference' should be a map."
                ),
            ));
        };
        if reference.contains_key("Id") {
            return Err(ErrorItem::resource(
                connector_id,
                "'Id' shouldn't be defined in 'SourceReference'.",
            ));
        }
        for (k, v) in reference {
            source.insert(k.clone(), v.clone());
        }
        props.shift_remove("SourceReference");
    }
    props.insert("Source".into(), Value::Object(source));
    connector.insert("Properties".into(), Value::Object(props.clone()));
    if !full_id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ErrorItem::resource(
            &full_id,
            "Logical ids must be alphanumeric.",
        ));
    }
    validate_props(&full_id, &props)?;
    if ctx.resources().contains_key(&full_id) {
        return Err(ErrorItem::Other {
            message: format!(
                "Transforming resource with id [{source_id}] attempts to create a new resource with id [{full_id}] and type \"{TYPE}\". A resource with that id already exists within this template. Please use a different id for that resource."
            ),
        });
    }
    Ok((full_id, Value::Object(connector)))
}

fn validate_props(logical_id: &str, props: &Map<String, Value>) -> Result<(), ErrorItem> {
    for key in props.keys() {
        if !["Source", "Destination", "Permissions"].contains(&key.as_str()) {
            return Err(ErrorItem::resource(
                logical_id,
                format!("property {key} not defined for resource of type {TYPE}"),
            ));
        }
    }
    for name in ["Source", "Destination", "Permissions"] {
        let Some(v) = props.get(name).filter(|v| !v.is_null()) else {
            return Err(ErrorItem::resource(
                logical_id,
                format!("Missing required property '{name}'."),
            ));
        };
        if v.as_object().is_some_and(|m| m.len() == 1) {
            continue;
        }
        let ok = match name {
            "Source" => v.is_object(),
            "Destination" => {
                v.is_object() || v.as_array().is_some_and(|a| a.iter().all(Value::is_object))
            }
            _ => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        };
        if !ok {
            return Err(ErrorItem::resource(
                logical_id,
                format!("Type of property '{name}' is invalid."),
            ));
        }
    }
    Ok(())
}

/// `ConnectorResourceReference`.
#[derive(Debug, Default, Clone)]
struct Reference {
    logical_id: Option<String>,
    resource_type: String,
    arn: Option<Value>,
    role_name: Option<Value>,
    queue_url: Option<Value>,
    resource_id: Option<Value>,
    name: Option<Value>,
    qualifier: Option<Value>,
}

fn nonblank(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn some(v: Option<&Value>) -> Option<Value> {
    v.filter(|v| !v.is_null()).cloned()
}

fn resource_reference(
    obj: &Map<String, Value>,
    resources: &Map<String, Value>,
    connecting: &Map<String, Value>,
) -> Result<Reference, String> {
    let id_provided = obj.contains_key("Id");
    let others = obj.keys().any(|k| k != "Id" && k != "Qualifier");
    if id_provided == others {
        return Err("Must provide 'Id' (with optional 'Qualifier') or a supported combination of other properties.".into());
    }
    let id = obj.get("Id").filter(|v| !crate::ids::is_falsy(v));
    let Some(id) = id else {
        let Some(t) = nonblank(obj.get("Type")) else {
            return Err("'Type' is missing or not a string.".into());
        };
        return Ok(Reference {
            logical_id: None,
            resource_type: sam_to_cfn_type(t).to_string(),
            arn: some(obj.get("Arn")),
            role_name: some(obj.get("RoleName")),
            queue_url: some(obj.get("QueueUrl")),
            resource_id: some(obj.get("ResourceId")),
            name: some(obj.get("Name")),
            qualifier: some(obj.get("Qualifier")),
        });
    };
    let Some(id) = id.as_str() else {
        return Err("'Id' is missing or not a string.".into());
    };
    let Some(resource) = resources.get(id) else {
        return Err(format!("Unable to find resource with logical ID '{id}'."));
    };
    let Some(rtype) = nonblank(resource.get("Type")) else {
        return Err("'Type' is missing or not a string.".into());
    };
    let empty = Map::new();
    let properties = resource
        .get("Properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let cfn = PROFILES["CfnResourceProperties"]
        .get(rtype)
        .cloned()
        .unwrap_or(json!({}));
    let mut repl = Map::new();
    repl.insert("logicalId".into(), json!(id));
    let cfn = profile_replace(&cfn, &repl).map_err(|e| e.to_string())?;
    let outputs = cfn.get("Outputs").cloned().unwrap_or(json!({}));
    let role_name = role_name(connecting, &cfn, properties);
    let qualifier = if obj.contains_key("Qualifier") {
        some(obj.get("Qualifier"))
    } else {
        some(outputs.get("Qualifier"))
    };
    Ok(Reference {
        logical_id: Some(id.to_string()),
        resource_type: rtype.to_string(),
        arn: some(outputs.get("Arn")),
        role_name,
        queue_url: some(outputs.get("Url")),
        resource_id: some(outputs.get("Id")),
        name: some(outputs.get("Name")),
        qualifier,
    })
}

fn role_name(
    connecting: &Map<String, Value>,
    cfn: &Value,
    properties: &Map<String, Value>,
) -> Option<Value> {
    let role_prop = cfn.get("Inputs").and_then(|i| i.get("Role"));
    let role = match role_prop {
        Some(Value::String(name)) => properties.get(name).cloned(),
        Some(Value::Object(f))
            if f.get("Function").and_then(Value::as_str) == Some("GetEventsRuleRole") =>
        {
            let connecting_id = connecting.get("Id").and_then(Value::as_str);
            let connecting_arn = connecting.get("Arn");
            properties
                .get("Targets")
                .and_then(Value::as_array)
                .and_then(|targets| {
                    targets.iter().find_map(|t| {
                        let arn = t.get("Arn");
                        let tid = arn.and_then(logical_id_of);
                        let matches = (tid.is_some() && tid == connecting_id)
                            || (connecting_arn.is_some_and(|a| !crate::ids::is_falsy(a))
                                && arn == connecting_arn);
                        if matches {
                            Some(t.get("RoleArn").cloned().unwrap_or(Value::Null))
                        } else {
                            None
                        }
                    })
                })
        }
        _ => None,
    }?;
    if crate::ids::is_falsy(&role) {
        return None;
    }
    logical_id_of(&role).map(ref_)
}

fn sanitize(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn replace_str(s: &str, repl: &Map<String, Value>) -> Result<Value, String> {
    let mut s = s.to_string();
    let mut res = Map::new();
    for (k, v) in repl {
        let pattern = format!("%{{{k}}}");
        let var = sanitize(k);
        if s.contains(&pattern) && v.is_null() {
            return Err(format!("{k} is missing."));
        }
        if s == pattern {
            return Ok(v.clone());
        }
        if s.contains(&pattern) {
            s = s.replace(&pattern, &format!("${{{var}}}"));
            res.insert(var, v.clone());
        }
    }
    let has_sub = s
        .find("${")
        .is_some_and(|i| s[i + 2..].find('}').is_some_and(|j| j > 0));
    if has_sub {
        if res.is_empty() {
            return Ok(json!({"Fn::Sub": s}));
        }
        return Ok(json!({"Fn::Sub": [s, res]}));
    }
    Ok(Value::String(s))
}

fn profile_replace(v: &Value, repl: &Map<String, Value>) -> Result<Value, String> {
    Ok(match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                out.insert(k.clone(), profile_replace(x, repl)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|x| profile_replace(x, repl))
                .collect::<Result<_, _>>()?,
        ),
        Value::String(s) => replace_str(s, repl)?,
        other => other.clone(),
    })
}

fn unreplaced(v: &Value) -> Vec<String> {
    let text = v.to_string();
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("%{") {
        let after = &rest[i + 2..];
        let len = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(after.len());
        if len > 0 && after[len..].starts_with('}') {
            out.push(format!("'%{{{}}}'", &after[..len]));
        }
        rest = after;
    }
    out
}

/// What a connector's translation reads besides `ctx`: the output template's
/// resources (translated so far; `DependsOn` edits land there).
pub fn translate(
    ctx: &Ctx,
    logical_id: &str,
    resource: &Value,
    output: &mut Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let err = |m: String| ErrorItem::resource(logical_id, m);
    let props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    validate_props(logical_id, &props)?;
    let attrs = crate::function::resource_attributes(resource);
    let depends_on = resource.get("DependsOn").cloned();
    let empty = Map::new();
    let source_obj = props
        .get("Source")
        .and_then(Value::as_object)
        .unwrap_or(&empty)
        .clone();
    let (dests, multi): (Vec<Value>, bool) = match props.get("Destination") {
        Some(Value::Array(items)) => (items.clone(), true),
        Some(d) => (vec![d.clone()], false),
        None => (Vec::new(), false),
    };
    let mut permissions: Vec<String> = Vec::new();
    for p in props
        .get("Permissions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let p = crate::intrinsics::py_str(p);
        if !permissions.contains(&p) {
            permissions.push(p);
        }
    }
    let mut generated: Vec<Resource> = Vec::new();
    for (index, dest) in dests.iter().enumerate() {
        let dest_obj = dest.as_object().cloned().unwrap_or_default();
        let destination = resource_reference(&dest_obj, output, &source_obj).map_err(err)?;
        let source = resource_reference(&source_obj, output, &dest_obj).map_err(err)?;
        let mut made = generate(
            logical_id,
            &attrs,
            depends_on.as_ref(),
            &permissions,
            &source,
            &destination,
            index,
            multi,
            output,
        )?;
        let original = ctx.resources();
        let type_of = |r: &Reference| {
            r.logical_id
                .as_ref()
                .and_then(|id| original.get(id))
                .and_then(|x| x.get("Type"))
                .cloned()
                .unwrap_or_else(|| json!(r.resource_type))
        };
        let metadata = json!({"aws:sam:connectors": {logical_id: {
            "Source": {"Type": type_of(&source)},
            "Destination": {"Type": type_of(&destination)}
        }}});
        for r in &mut made {
            let mut md = r
                .attributes
                .get("Metadata")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            if let Value::Object(m) = &metadata {
                for (k, v) in m {
                    md.insert(k.clone(), v.clone());
                }
            }
            r.attributes.insert("Metadata".into(), Value::Object(md));
        }
        generated.extend(made);
    }
    let ids: Vec<Value> = generated.iter().map(|r| json!(r.logical_id)).collect();
    for res in output.values_mut() {
        let Some(dep) = res.get("DependsOn").cloned() else {
            continue;
        };
        let mut deps = match dep {
            Value::Array(items) => items,
            other => vec![other],
        };
        if let Some(pos) = deps.iter().position(|d| d.as_str() == Some(logical_id)) {
            deps.remove(pos);
            for id in &ids {
                if !deps.contains(id) {
                    deps.push(id.clone());
                }
            }
            if let Value::Object(m) = res {
                m.insert("DependsOn".into(), Value::Array(deps));
            }
        }
    }
    if generated.is_empty() {
        return Err(err("'Destination' is an empty list".into()));
    }
    Ok(generated)
}

fn add_depends_on(output: &mut Map<String, Value>, id: &str, dep: &str) {
    let Some(Value::Object(res)) = output.get_mut(id) else {
        return;
    };
    let mut deps = match res.get("DependsOn").cloned() {
        None => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => vec![other],
    };
    let d = json!(dep);
    if !deps.contains(&d) {
        deps.push(d);
    }
    res.insert("DependsOn".into(), Value::Array(deps));
}

#[allow(clippy::too_many_arguments)]
fn generate(
    logical_id: &str,
    attrs: &Map<String, Value>,
    depends_on: Option<&Value>,
    permissions: &[String],
    source: &Reference,
    destination: &Reference,
    index: usize,
    multi: bool,
    output: &mut Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let err = |m: String| ErrorItem::resource(logical_id, m);
    let Some(profile) = PROFILES["Permissions"]
        .get(&source.resource_type)
        .and_then(|p| p.get(&destination.resource_type))
    else {
        return Err(err(format!(
            "Unable to create connector from {} to {}; it's not supported or the template is invalid.",
            source.resource_type, destination.resource_type
        )));
    };
    let profile_type = profile["Type"].as_str().unwrap_or_default().to_string();
    let properties = &profile["Properties"];
    let categories: Vec<String> = properties["AccessCategories"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let valid = categories.join(", ");
    if permissions.is_empty() {
        return Err(err(format!(
            "'Permissions' cannot be empty; valid values are: {valid}."
        )));
    }
    for p in permissions {
        if !categories.contains(p) {
            return Err(err(format!(
                "Unsupported 'Permissions' provided for connector from {} to {}; valid values are: {valid}.",
                source.resource_type, destination.resource_type
            )));
        }
    }
    if let Some(Value::Array(combos)) = properties.get("ValidAccessCategories") {
        let sorted_combos: Vec<Vec<String>> = combos
            .iter()
            .map(|c| {
                let mut v: Vec<String> = c
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(crate::intrinsics::py_str)
                    .collect();
                v.sort();
                v
            })
            .collect();
        let mut mine = permissions.to_vec();
        mine.sort();
        if !sorted_combos.contains(&mine) {
            let text: Vec<String> = sorted_combos.iter().map(|c| c.join(" + ")).collect();
            return Err(err(format!(
                "Unsupported 'Permissions' provided for connector from {} to {}; valid combinations are: {}.",
                source.resource_type,
                destination.resource_type,
                text.join(", ")
            )));
        }
    }
    let mut repl = Map::new();
    let or_null = |v: &Option<Value>| v.clone().unwrap_or(Value::Null);
    repl.insert("Source.Arn".into(), or_null(&source.arn));
    repl.insert("Destination.Arn".into(), or_null(&destination.arn));
    repl.insert("Source.ResourceId".into(), or_null(&source.resource_id));
    repl.insert(
        "Destination.ResourceId".into(),
        or_null(&destination.resource_id),
    );
    repl.insert("Source.Name".into(), or_null(&source.name));
    repl.insert("Destination.Name".into(), or_null(&destination.name));
    repl.insert("Source.Qualifier".into(), or_null(&source.qualifier));
    repl.insert(
        "Destination.Qualifier".into(),
        or_null(&destination.qualifier),
    );
    let properties = profile_replace(properties, &repl).map_err(err)?;
    let left = unreplaced(&properties);
    if !left.is_empty() {
        return Err(err(format!(
            "The following variables have not been replaced: [{}]",
            left.join(", ")
        )));
    }
    let source_policy = properties["SourcePolicy"].as_bool().unwrap_or(false);
    let (subject, side) = if source_policy {
        (source, "Source")
    } else {
        (destination, "Destination")
    };
    let name = |base: &str| {
        if multi {
            format!("{logical_id}{base}Destination{index}")
        } else {
            format!("{logical_id}{base}")
        }
    };
    let new = |id: String, t: &str| {
        let mut r = Resource::new(id, t).with_attrs(attrs);
        if let Some(d) = depends_on.filter(|d| !crate::ids::is_falsy(d)) {
            r.attributes.insert("DependsOn".into(), d.clone());
        }
        r
    };
    let statements = || {
        let mut all = Vec::new();
        if let Some(m) = properties["AccessCategories"].as_object() {
            for (cat, body) in m {
                if permissions.contains(cat) {
                    all.extend(body["Statement"].as_array().cloned().unwrap_or_default());
                }
            }
        }
        json!({"Version": "2012-10-17", "Statement": all})
    };
    match profile_type.as_str() {
        "AWS_IAM_ROLE_MANAGED_POLICY" => {
            let Some(role) = subject.role_name.clone() else {
                return Err(err(format!(
                    "Unable to get IAM role name from '{side}' resource."
                )));
            };
            let mut policy = new(name("Policy"), "AWS::IAM::ManagedPolicy");
            policy
                .properties
                .insert("PolicyDocument".into(), statements());
            policy.properties.insert("Roles".into(), json!([role]));
            let depended_by = properties.get("DependedBy").and_then(Value::as_str);
            if depended_by == Some("DESTINATION_EVENT_SOURCE_MAPPING")
                && let (Some(sid), Some(did)) = (&source.logical_id, &destination.logical_id)
            {
                let esms: Vec<String> = output
                    .iter()
                    .filter(|(_, r)| {
                        r.get("Type").and_then(Value::as_str)
                            == Some("AWS::Lambda::EventSourceMapping")
                    })
                    .filter(|(_, r)| {
                        let p = r.get("Properties");
                        let f = p
                            .and_then(|p| p.get("FunctionName"))
                            .and_then(logical_id_of);
                        let e = p
                            .and_then(|p| p.get("EventSourceArn"))
                            .and_then(logical_id_of);
                        f == Some(did.as_str()) && e == Some(sid.as_str())
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                if esms.len() == 1 {
                    add_depends_on(output, &esms[0], &policy.logical_id);
                }
            }
            if depended_by == Some("SOURCE")
                && let Some(sid) = &source.logical_id
            {
                add_depends_on(output, sid, &policy.logical_id);
            }
            Ok(vec![policy])
        }
        "AWS_SQS_QUEUE_POLICY" => {
            let Some(url) = subject.queue_url.clone() else {
                return Err(err(format!(
                    "Unable to get SQS queue URL from '{side}' resource."
                )));
            };
            let mut p = new(name("QueuePolicy"), "AWS::SQS::QueuePolicy");
            p.properties.insert("PolicyDocument".into(), statements());
            p.properties.insert("Queues".into(), json!([url]));
            Ok(vec![p])
        }
        "AWS_SNS_TOPIC_POLICY" => {
            let Some(arn) = subject.arn.clone() else {
                return Err(err(format!(
                    "Unable to get SNS topic ARN from '{side}' resource."
                )));
            };
            let mut p = new(name("TopicPolicy"), "AWS::SNS::TopicPolicy");
            p.properties.insert("PolicyDocument".into(), statements());
            p.properties.insert("Topics".into(), json!([arn]));
            Ok(vec![p])
        }
        "AWS_LAMBDA_PERMISSION" => {
            let Some(arn) = subject.arn.clone() else {
                return Err(err(format!(
                    "Unable to get Lambda function ARN from '{side}' resource."
                )));
            };
            let mut out = Vec::new();
            if let Some(m) = properties["AccessCategories"].as_object() {
                for (cat, body) in m {
                    if !permissions.contains(cat) {
                        continue;
                    }
                    let mut p = new(
                        name(&format!("{cat}LambdaPermission")),
                        "AWS::Lambda::Permission",
                    );
                    p.properties.insert(
                        "Action".into(),
                        body.get("Action").cloned().unwrap_or(Value::Null),
                    );
                    p.properties.insert("FunctionName".into(), arn.clone());
                    p.properties.insert(
                        "Principal".into(),
                        body.get("Principal").cloned().unwrap_or(Value::Null),
                    );
                    p.properties.insert(
                        "SourceArn".into(),
                        body.get("SourceArn").cloned().unwrap_or(Value::Null),
                    );
                    if let Some(a) = body.get("SourceAccount").filter(|v| !v.is_null()) {
                        p.properties.insert("SourceAccount".into(), a.clone());
                    }
                    out.push(p);
                }
            }
            Ok(out)
        }
        other => Err(err(format!("Profile type {other} is not supported"))),
    }
}
