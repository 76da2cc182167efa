//! `AWS::Serverless::StateMachine` (`SamStateMachine`, `StateMachineGenerator`):
//! the Step Functions state machine, its role, version and alias, and its
//! Schedule, CloudWatchEvent/EventBridgeRule and ScheduleV2 events.

mod events;

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource, passthrough_attributes};
use crate::error::ErrorItem;
use crate::function::role::{add_inline_and_managed, policies_list};
use crate::function::{ordered, resource_attributes, user_tags};
use crate::ids::truthy;
use crate::intrinsics::is_intrinsic;
use crate::props::{self, Check, Prop, p, pass, strict};

const TYPE: &str = "AWS::Serverless::StateMachine";

pub(crate) const SPEC: &[Prop] = &[
    p("Definition", false, Check::Map),
    p("DefinitionUri", false, Check::StrOrMap),
    p("Logging", false, Check::Map),
    p("Role", false, Check::Str),
    pass("RolePath", false),
    p("DefinitionSubstitutions", false, Check::Map),
    p("Events", false, Check::MapOfMaps),
    p("Name", false, Check::Str),
    p("Type", false, Check::Str),
    p("Tags", false, Check::Map),
    p("PropagateTags", false, Check::Bool),
    p("Policies", false, Check::StrMapOrList),
    p("Tracing", false, Check::Map),
    p("PermissionsBoundary", false, Check::Str),
    pass("AutoPublishAlias", false),
    pass("DeploymentPreference", false),
    strict("UseAliasAsEventTarget", false, Check::Bool),
];

const ORDER: &[&str] = &[
    "Definition",
    "DefinitionString",
    "DefinitionS3Location",
    "LoggingConfiguration",
    "RoleArn",
    "StateMachineName",
    "StateMachineType",
    "Tags",
    "DefinitionSubstitutions",
    "TracingConfiguration",
];

fn tag_list(tags: Option<&Value>) -> Vec<Value> {
    let mut out = vec![json!({"Key": "stateMachine:createdBy", "Value": "SAM"})];
    out.extend(user_tags(tags));
    out
}

fn is_dynamic_reference(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let Some(rest) = s.strip_prefix("{{resolve:") else {
        return false;
    };
    let Some(body) = rest.strip_suffix("}}") else {
        return false;
    };
    let Some((service, key)) = body.split_once(':') else {
        return false;
    };
    !service.is_empty()
        && service.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        && !key.is_empty()
}

/// Replaces intrinsics and dynamic references in the definition with
/// `${definition_substitution_N}`, visiting keys in sorted order.
fn substitute(v: &mut Value, counter: &mut usize, subs: &mut Map<String, Value>) {
    let visit = |child: &mut Value, counter: &mut usize, subs: &mut Map<String, Value>| {
        if is_intrinsic(child) || is_dynamic_reference(child) {
            let name = format!("definition_substitution_{counter}");
            let key = format!("${{definition_substitution_{counter}}}");
            *counter += 1;
            subs.insert(name, std::mem::replace(child, Value::String(key)));
        } else if child.is_object() || child.is_array() {
            substitute(child, counter, subs);
        }
    };
    match v {
        Value::Object(m) => {
            let mut keys: Vec<String> = m.keys().cloned().collect();
            keys.sort();
            for k in keys {
                if let Some(child) = m.get_mut(&k) {
                    visit(child, counter, subs);
                }
            }
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                visit(child, counter, subs);
            }
        }
        _ => {}
    }
}

fn definition_uri(logical_id: &str, uri: &Value) -> Result<Value, ErrorItem> {
    let err = |m: &str| ErrorItem::resource(logical_id, m);
    let (bucket, key, version) = match uri {
        Value::Object(m) => {
            if !truthy(m.get("Bucket")) || !truthy(m.get("Key")) {
                return Err(err(
                    "'DefinitionUri' requires Bucket and Key properties to be specified.",
                ));
            }
            (
                m["Bucket"].clone(),
                m["Key"].clone(),
                m.get("Version").cloned(),
            )
        }
        _ => {
            let parsed = uri.as_str().and_then(crate::function::code::parse_s3_uri);
            let Some((b, k, v)) = parsed else {
                return Err(err(
                    "'DefinitionUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.",
                ));
            };
            (json!(b), json!(k), v.map(Value::String))
        }
    };
    let mut out = Map::new();
    out.insert("Bucket".into(), bucket);
    out.insert("Key".into(), key);
    if let Some(v) = version {
        out.insert("Version".into(), v);
    }
    Ok(Value::Object(out))
}

fn construct_role(
    ctx: &Ctx,
    id: &str,
    props: &Map<String, Value>,
    attrs: &Map<String, Value>,
) -> Result<Resource, ErrorItem> {
    let role_id = format!("{id}Role");
    let mut policies = policies_list(props::get(props, "Policies"));
    if props::get(props, "Tracing").and_then(|t| t.get("Enabled")) == Some(&Value::Bool(true)) {
        let name = if ctx.opts.partition == "aws" {
            "AWSXrayWriteOnlyAccess"
        } else {
            "AWSXRayDaemonWriteAccess"
        };
        policies.push(json!(name));
    }
    let mut managed: Vec<Value> = Vec::new();
    let mut documents: Vec<Value> = Vec::new();
    add_inline_and_managed(ctx, id, &role_id, policies, &mut documents, &mut managed)?;
    let mut role = Resource::new(&role_id, "AWS::IAM::Role").with_attrs(attrs);
    role.properties.insert(
        "AssumeRolePolicyDocument".into(),
        json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["states.amazonaws.com"]}}]}),
    );
    role.properties
        .insert("ManagedPolicyArns".into(), Value::Array(managed));
    if !documents.is_empty() {
        role.properties
            .insert("Policies".into(), Value::Array(documents));
    }
    if let Some(path) = props::get(props, "RolePath") {
        role.properties.insert("Path".into(), path.clone());
    }
    if let Some(pb) = props::get(props, "PermissionsBoundary") {
        role.properties
            .insert("PermissionsBoundary".into(), pb.clone());
    }
    role.properties.insert(
        "Tags".into(),
        Value::Array(tag_list(props::get(props, "Tags"))),
    );
    Ok(role)
}

/// Translates one state machine.
pub fn translate(
    ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let mut props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    crate::function::policy_templates::expand(ctx, logical_id, &mut props)?;
    props::validate(logical_id, TYPE, &props, SPEC)?;
    events::validate(ctx, logical_id, &props)?;
    let get = |k: &str| props::get(&props, k);
    let attrs = resource_attributes(resource);
    let passthrough = passthrough_attributes(&attrs);
    let mut sm = Resource::new(logical_id, "AWS::StepFunctions::StateMachine").with_attrs(&attrs);
    if let Some(d) = resource
        .get("DependsOn")
        .filter(|d| !crate::ids::is_falsy(d))
    {
        sm.attributes.insert("DependsOn".into(), d.clone());
    }
    let err = |m: &str| ErrorItem::resource(logical_id, m);
    if let Some(subs) = get("DefinitionSubstitutions").filter(|v| !crate::ids::is_falsy(v)) {
        sm.properties
            .insert("DefinitionSubstitutions".into(), subs.clone());
    }
    let definition = get("Definition").filter(|v| !crate::ids::is_falsy(v));
    let uri = get("DefinitionUri").filter(|v| !crate::ids::is_falsy(v));
    if definition.is_some() && uri.is_some() {
        return Err(err(
            "Specify either 'Definition' or 'DefinitionUri' property and not both.",
        ));
    }
    if let Some(def) = definition {
        let mut processed = def.clone();
        let mut subs = Map::new();
        let mut counter = 1;
        substitute(&mut processed, &mut counter, &mut subs);
        if !subs.is_empty() {
            let entry = sm
                .properties
                .entry("DefinitionSubstitutions")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(m) = entry {
                m.extend(subs);
            }
        }
        let lines: Vec<Value> = crate::ids::pretty(&processed, 4)
            .split('\n')
            .map(|l| json!(l))
            .collect();
        sm.properties.insert(
            "DefinitionString".into(),
            json!({"Fn::Join": ["\n", lines]}),
        );
    } else if let Some(uri) = uri {
        sm.properties.insert(
            "DefinitionS3Location".into(),
            definition_uri(logical_id, uri)?,
        );
    } else {
        return Err(err(
            "Either 'Definition' or 'DefinitionUri' property must be specified.",
        ));
    }
    let role = get("Role").filter(|v| !crate::ids::is_falsy(v));
    if role.is_some() && truthy(get("Policies")) {
        return Err(err(
            "Specify either 'Role' or 'Policies' (but not both at the same time) or neither of them",
        ));
    }
    let mut resources = Vec::new();
    match role {
        Some(r) => {
            sm.properties.insert("RoleArn".into(), r.clone());
        }
        None => {
            let role = construct_role(ctx, logical_id, &props, &passthrough)?;
            sm.properties.insert(
                "RoleArn".into(),
                json!({"Fn::GetAtt": [role.logical_id, "Arn"]}),
            );
            resources.push(role);
        }
    }
    for (from, to) in [
        ("Name", "StateMachineName"),
        ("Type", "StateMachineType"),
        ("Logging", "LoggingConfiguration"),
        ("Tracing", "TracingConfiguration"),
    ] {
        if let Some(v) = get(from) {
            sm.properties.insert(to.into(), v.clone());
        }
    }
    sm.properties
        .insert("Tags".into(), Value::Array(tag_list(get("Tags"))));
    sm.properties = ordered(std::mem::take(&mut sm.properties), ORDER);

    let alias_name = get("AutoPublishAlias").filter(|v| !crate::ids::is_falsy(v));
    let use_alias = get("UseAliasAsEventTarget")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let preference = get("DeploymentPreference").filter(|v| !crate::ids::is_falsy(v));
    if alias_name.is_none() && use_alias {
        return Err(err(
            "'UseAliasAsEventTarget' requires 'AutoPublishAlias' property to be specified.",
        ));
    }
    if alias_name.is_none() && preference.is_some() {
        return Err(err(
            "'DeploymentPreference' requires 'AutoPublishAlias' property to be specified.",
        ));
    }
    let mut alias_id = None;
    let mut traffic = Vec::new();
    if let Some(name) = alias_name {
        let mut vattrs = passthrough.clone();
        vattrs.entry("DeletionPolicy").or_insert(json!("Retain"));
        vattrs
            .entry("UpdateReplacePolicy")
            .or_insert(json!("Retain"));
        let version_id = format!("{logical_id}Version");
        let mut version = Resource::new(&version_id, "AWS::StepFunctions::StateMachineVersion")
            .with_attrs(&vattrs);
        version
            .properties
            .insert("StateMachineArn".into(), json!({"Ref": logical_id}));
        version.properties.insert(
            "StateMachineRevisionId".into(),
            json!({"Fn::GetAtt": [logical_id, "StateMachineRevisionId"]}),
        );
        let id = format!("{logical_id}Alias{}", crate::intrinsics::py_str(name));
        let mut alias =
            Resource::new(&id, "AWS::StepFunctions::StateMachineAlias").with_attrs(&passthrough);
        alias.properties.insert("Name".into(), name.clone());
        let mut dp = preference
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        if preference.is_none() {
            dp.insert("Type".into(), json!("ALL_AT_ONCE"));
        }
        dp.insert("StateMachineVersionArn".into(), json!({"Ref": version_id}));
        alias
            .properties
            .insert("DeploymentPreference".into(), Value::Object(dp));
        alias_id = Some(id);
        traffic.push(version);
        traffic.push(alias);
    }
    let target_id = if use_alias {
        alias_id.clone().unwrap_or_else(|| logical_id.to_string())
    } else {
        logical_id.to_string()
    };
    let target = events::Target {
        id: target_id,
        attrs: passthrough.clone(),
    };
    let event_resources = events::generate(logical_id, &props, &target)?;

    let mut out = vec![sm];
    out.extend(resources);
    out.extend(traffic);
    out.extend(event_resources);
    let propagate = get("PropagateTags")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    crate::function::propagate_tags(&mut out, get("Tags"), propagate);
    Ok(out)
}
