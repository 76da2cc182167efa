//! The translation loop (`translator/translator.py`): checks, plugins, one
//! translation per SAM resource, deployment preferences, final reference
//! rewriting and error collection.

use serde_json::{Map, Value};

use crate::ctx::{Ctx, Resource};
use crate::error::{ErrorItem, TransformError};
use crate::globals::SAM_TYPES;
use crate::{TransformOptions, api, function, intrinsics, layer, table};

/// Resource types whose generated resource may reuse an existing logical ID
/// (`verify_logical_id.do_not_verify`): generated type → original types.
const DO_NOT_VERIFY: &[(&str, &[&str])] = &[
    ("AWS::Lambda::Function", &["AWS::Serverless::Function"]),
    (
        "AWS::Lambda::LayerVersion",
        &["AWS::Serverless::LayerVersion"],
    ),
    (
        "AWS::Lambda::CapacityProvider",
        &["AWS::Serverless::CapacityProvider"],
    ),
    ("AWS::ApiGateway::RestApi", &["AWS::Serverless::Api"]),
    (
        "AWS::ApiGatewayV2::Api",
        &["AWS::Serverless::HttpApi", "AWS::Serverless::WebSocketApi"],
    ),
    ("AWS::S3::Bucket", &["AWS::S3::Bucket"]),
    ("AWS::SNS::Topic", &["AWS::SNS::Topic"]),
    ("AWS::DynamoDB::Table", &["AWS::Serverless::SimpleTable"]),
    (
        "AWS::CloudFormation::Stack",
        &["AWS::Serverless::Application"],
    ),
    ("AWS::Cognito::UserPool", &["AWS::Cognito::UserPool"]),
    (
        "AWS::ApiGateway::DomainName",
        &["AWS::ApiGateway::DomainName"],
    ),
    (
        "AWS::ApiGateway::BasePathMapping",
        &["AWS::ApiGateway::BasePathMapping"],
    ),
    (
        "AWS::ApiGateway::DomainNameV2",
        &["AWS::ApiGateway::DomainNameV2"],
    ),
    (
        "AWS::ApiGateway::BasePathMappingV2",
        &["AWS::ApiGateway::BasePathMappingV2"],
    ),
    (
        "AWS::StepFunctions::StateMachine",
        &["AWS::Serverless::StateMachine"],
    ),
    ("AWS::AppSync::GraphQLApi", &["AWS::Serverless::GraphQLApi"]),
];

/// SAM resource types the translator has a macro for.
pub(crate) const MACRO_TYPES: &[&str] = &[
    "AWS::Serverless::Function",
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::SimpleTable",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::Application",
    "AWS::Serverless::StateMachine",
    "AWS::Serverless::Connector",
    "AWS::Serverless::CapacityProvider",
    "AWS::Serverless::WebSocketApi",
    "AWS::Serverless::GraphQLApi",
];

fn fail(item: ErrorItem) -> TransformError {
    TransformError::new(vec![item])
}

/// Template defaults and pseudo parameters on top of the caller's values.
fn parameter_values(template: &Map<String, Value>, opts: &TransformOptions) -> Map<String, Value> {
    let mut values = opts.parameter_values.clone();
    if let Some(Value::Object(defs)) = template.get("Parameters") {
        for (name, def) in defs {
            if !values.contains_key(name)
                && let Some(default) = def.get("Default")
            {
                values.insert(name.clone(), default.clone());
            }
        }
    }
    values
        .entry("AWS::Region")
        .or_insert_with(|| Value::String(opts.region.clone()));
    values
        .entry("AWS::Partition")
        .or_insert_with(|| Value::String(opts.partition.clone()));
    if let Some(account) = &opts.account_id {
        values
            .entry("AWS::AccountId")
            .or_insert_with(|| Value::String(account.clone()));
    }
    values
}

/// `Parser.validate_datatypes`.
fn validate_structure(template: &Map<String, Value>) -> Result<(), ErrorItem> {
    let resources = match template.get("Resources") {
        Some(Value::Object(r)) if !r.is_empty() => r,
        _ => return Err(ErrorItem::template("'Resources' section is required")),
    };
    if !resources.values().all(Value::is_object) {
        return Err(ErrorItem::template(
            "All 'Resources' must be Objects. If you're using YAML, this may be an indentation issue.",
        ));
    }
    for (logical_id, resource) in resources {
        if let Some(cond) = resource.get("Condition")
            && !crate::ids::is_falsy(cond)
            && !cond.is_string()
        {
            return Err(ErrorItem::template(
                "Every Condition member must be a string.",
            ));
        }
        let Some(rtype) = resource.get("Type").and_then(Value::as_str) else {
            continue;
        };
        if !SAM_TYPES.contains(&rtype) {
            continue;
        }
        match resource.get("Properties") {
            None | Some(Value::Object(_)) => {}
            Some(_) => {
                return Err(ErrorItem::resource(
                    logical_id,
                    "Attribute 'Properties' should be a map.",
                ));
            }
        }
    }
    Ok(())
}

/// Runs the whole transform.
pub fn run(input: &Value, opts: &TransformOptions) -> Result<Value, TransformError> {
    let Value::Object(template) = input else {
        return Err(fail(ErrorItem::template("'Resources' section is required")));
    };
    let params = parameter_values(template, opts);
    validate_structure(template).map_err(fail)?;

    let mut ctx = Ctx::new(opts.clone(), params, template.clone());

    // before_transform_template plugins, in the translator's order.
    crate::application::before_translate(&mut ctx).map_err(fail)?;
    api::rest::before_translate(&mut ctx).map_err(TransformError::new)?;
    api::http::before_translate(&mut ctx).map_err(TransformError::new)?;
    crate::globals::apply(&mut ctx.template).map_err(fail)?;
    fix_openapi_definitions(&mut ctx.template);

    let mut errors: Vec<ErrorItem> = Vec::new();
    crate::function::connectors::expand_embedded(&mut ctx, &mut errors);

    let mut out = ctx.template.clone();
    match out.get("Mappings") {
        None => {}
        Some(Value::Object(m)) => ctx.mappings = m.clone(),
        Some(_) => {
            return Err(fail(ErrorItem::template(
                "'Mappings' or 'Parameters' is either null or not a valid dictionary.",
            )));
        }
    }

    let order = resources_to_iterate(&ctx.template);
    for logical_id in order {
        let Some(resource) = ctx.resources().get(&logical_id).cloned() else {
            continue;
        };
        let rtype = resource
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let result = if rtype == "AWS::Serverless::Connector" {
            match out.get_mut("Resources") {
                Some(Value::Object(res)) => {
                    function::connectors::translate(&ctx, &logical_id, &resource, res)
                }
                _ => Ok(Vec::new()),
            }
        } else if rtype == "AWS::Serverless::GraphQLApi" {
            match (
                basic_checks(&logical_id, &resource),
                out.get_mut("Resources"),
            ) {
                (Err(e), _) => Err(e),
                (Ok(()), Some(Value::Object(res))) => {
                    crate::graphql::translate(&ctx, &logical_id, &resource, res)
                }
                _ => Ok(Vec::new()),
            }
        } else {
            translate_one(&mut ctx, &logical_id, &rtype, &resource)
        };
        match result {
            Ok(translated) => {
                if let Some(Value::Object(res)) = out.get_mut("Resources") {
                    res.shift_remove(&logical_id);
                }
                for r in translated {
                    if verify_unique(&r, ctx.resources()) {
                        if let Some(Value::Object(res)) = out.get_mut("Resources") {
                            res.insert(r.logical_id.clone(), r.to_value());
                        }
                    } else {
                        errors.push(ErrorItem::Other {
                            message: format!(
                                "Transforming resource with id [{logical_id}] attempts to create a new resource with id [{}] and type \"{}\". A resource with that id already exists within this template. Please use a different id for that resource.",
                                r.logical_id, r.resource_type
                            ),
                        });
                    }
                }
            }
            Err(e) if e.is_fatal() => return Err(fail(e)),
            Err(e) => errors.push(e),
        }
    }

    // Deployment preferences: one application, maybe a service role, a group per function.
    let (dp_resources, dp_conditions, dp_errors) = ctx.deployment_preferences.finish();
    errors.extend(dp_errors);
    for (k, v) in dp_conditions {
        ctx.new_conditions.insert(k, v);
    }
    if let Some(Value::Object(res)) = out.get_mut("Resources") {
        for r in dp_resources {
            res.insert(r.logical_id.clone(), r.to_value());
        }
    }

    if !ctx.new_conditions.is_empty() {
        let conds = out
            .entry("Conditions")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(c) = conds {
            for (k, v) in std::mem::take(&mut ctx.new_conditions) {
                c.insert(k, v);
            }
        }
    }
    out.shift_remove("Transform");

    if !errors.is_empty() {
        return Err(TransformError::new(errors));
    }
    crate::application::after_translate(&ctx).map_err(fail)?;
    let mut out = Value::Object(out);
    resolve_depends_on(&mut out, &ctx.changed_logical_ids);
    intrinsics::resolve_resource_id_refs(&mut out, &ctx.changed_logical_ids);
    intrinsics::resolve_resource_refs(&mut out, &ctx.resource_refs);
    Ok(out)
}

/// Functions first, then APIs, then everything else (`_get_resources_to_iterate`).
fn resources_to_iterate(template: &Map<String, Value>) -> Vec<String> {
    let mut functions = Vec::new();
    let mut state_machines = Vec::new();
    let mut apis = Vec::new();
    let mut others = Vec::new();
    let mut connectors = Vec::new();
    let Some(Value::Object(resources)) = template.get("Resources") else {
        return Vec::new();
    };
    for (id, res) in resources {
        let Some(t) = res.get("Type").and_then(Value::as_str) else {
            continue;
        };
        if !MACRO_TYPES.contains(&t) {
            continue;
        }
        match t {
            "AWS::Serverless::Function" => functions.push(id.clone()),
            "AWS::Serverless::StateMachine" => state_machines.push(id.clone()),
            "AWS::Serverless::Api"
            | "AWS::Serverless::HttpApi"
            | "AWS::Serverless::WebSocketApi" => apis.push(id.clone()),
            "AWS::Serverless::Connector" => connectors.push(id.clone()),
            _ => others.push(id.clone()),
        }
    }
    functions
        .into_iter()
        .chain(state_machines)
        .chain(apis)
        .chain(others)
        .chain(connectors)
        .collect()
}

/// The checks every SAM resource gets before its own translation.
fn basic_checks(logical_id: &str, resource: &Value) -> Result<(), ErrorItem> {
    if !logical_id.chars().all(|c| c.is_ascii_alphanumeric()) || logical_id.is_empty() {
        return Err(ErrorItem::resource(
            logical_id,
            "Logical ids must be alphanumeric.",
        ));
    }
    if resource
        .get("Properties")
        .is_some_and(|p| !p.is_object() && !p.is_null())
    {
        return Err(ErrorItem::resource(
            logical_id,
            "Properties of a resource must be an object.",
        ));
    }
    Ok(())
}

fn translate_one(
    ctx: &mut Ctx,
    logical_id: &str,
    rtype: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    basic_checks(logical_id, resource)?;
    if !logical_id.chars().all(|c| c.is_ascii_alphanumeric()) || logical_id.is_empty() {
        return Err(ErrorItem::resource(
            logical_id,
            "Logical ids must be alphanumeric.",
        ));
    }
    if resource
        .get("Properties")
        .is_some_and(|p| !p.is_object() && !p.is_null())
    {
        return Err(ErrorItem::resource(
            logical_id,
            "Properties of a resource must be an object.",
        ));
    }
    match rtype {
        "AWS::Serverless::Function" => function::translate(ctx, logical_id, resource),
        "AWS::Serverless::Api" => {
            let translated = api::rest::translate_api(ctx, logical_id, resource)?;
            Ok(translated)
        }
        "AWS::Serverless::HttpApi" => api::http::translate_http_api(ctx, logical_id, resource),
        "AWS::Serverless::SimpleTable" => table::translate(ctx, logical_id, resource),
        "AWS::Serverless::LayerVersion" => layer::translate(ctx, logical_id, resource),
        "AWS::Serverless::StateMachine" => {
            crate::state_machine::translate(ctx, logical_id, resource)
        }
        "AWS::Serverless::CapacityProvider" => {
            crate::capacity_provider::translate(ctx, logical_id, resource)
        }
        "AWS::Serverless::Application" => crate::application::translate(ctx, logical_id, resource),
        other => Err(ErrorItem::resource(
            logical_id,
            format!("Resource type {other} is not supported by this transform."),
        )),
    }
}

fn verify_unique(r: &Resource, existing: &Map<String, Value>) -> bool {
    let Some(prev) = existing.get(&r.logical_id) else {
        return true;
    };
    let prev_type = prev.get("Type").and_then(Value::as_str).unwrap_or_default();
    DO_NOT_VERIFY.iter().any(|(generated, originals)| {
        *generated == r.resource_type && originals.contains(&prev_type)
    })
}

/// `ResolveDependsOn` over the whole template.
fn resolve_depends_on(v: &mut Value, changed: &Map<String, Value>) {
    if changed.is_empty() {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(dep) = m.get_mut("DependsOn") {
                for (old, new) in changed {
                    match dep {
                        Value::Array(items) => {
                            for item in items.iter_mut() {
                                if item.as_str() == Some(old.as_str()) {
                                    *item = new.clone();
                                }
                            }
                        }
                        Value::String(s) if s == old => *dep = new.clone(),
                        _ => {}
                    }
                }
            }
            for child in m.values_mut() {
                resolve_depends_on(child, changed);
            }
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                resolve_depends_on(child, changed);
            }
        }
        _ => {}
    }
}

/// `Globals.fix_openapi_definitions`: APIs whose swagger SAM manages and whose
/// `OpenApiVersion` is 3.x get `openapi` in their definition body instead of `swagger`.
fn fix_openapi_definitions(template: &mut Map<String, Value>) {
    let Some(Value::Object(resources)) = template.get_mut("Resources") else {
        return;
    };
    for resource in resources.values_mut() {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Api") {
            continue;
        }
        let Some(Value::Object(props)) = resource.get_mut("Properties") else {
            continue;
        };
        let Some(version) = props.get("OpenApiVersion").cloned() else {
            continue;
        };
        if !props.contains_key("__MANAGE_SWAGGER") {
            continue;
        }
        let text = match &version {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if !is_openapi3(&text) {
            continue;
        }
        if !version.is_string() {
            props.insert("OpenApiVersion".into(), Value::String(text.clone()));
        }
        if let Some(Value::Object(body)) = props.get_mut("DefinitionBody") {
            body.insert("openapi".into(), Value::String(text.clone()));
            if body
                .get("swagger")
                .is_some_and(|s| !crate::ids::is_falsy(s))
            {
                body.shift_remove("swagger");
            }
        }
    }
}

/// `\A3(\.\d)(\.\d)?$`
fn is_openapi3(s: &str) -> bool {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let b = s.as_bytes();
    let ok_pair =
        |i: usize| b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
    (b.len() == 3 || b.len() == 5) && b[0] == b'3' && ok_pair(1) && (b.len() == 3 || ok_pair(3))
}
