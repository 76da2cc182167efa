//! The `Globals` section: parsed, checked and merged into every SAM resource
//! of a supported type (`plugins/globals/globals.py`).

use serde_json::{Map, Value};

use crate::error::ErrorItem;
use crate::intrinsics::{is_intrinsic, py_list};

const FUNCTION: &[&str] = &[
    "Handler",
    "Runtime",
    "CodeUri",
    "DeadLetterQueue",
    "Description",
    "MemorySize",
    "Timeout",
    "VpcConfig",
    "Environment",
    "Tags",
    "PropagateTags",
    "Tracing",
    "KmsKeyArn",
    "AutoPublishAlias",
    "AutoPublishAliasAllProperties",
    "Layers",
    "DeploymentPreference",
    "RolePath",
    "PermissionsBoundary",
    "ReservedConcurrentExecutions",
    "ProvisionedConcurrencyConfig",
    "AssumeRolePolicyDocument",
    "EventInvokeConfig",
    "FileSystemConfigs",
    "CodeSigningConfigArn",
    "Architectures",
    "SnapStart",
    "EphemeralStorage",
    "FunctionUrlConfig",
    "RuntimeManagementConfig",
    "LoggingConfig",
    "RecursiveLoop",
    "SourceKMSKeyArn",
    "TenancyConfig",
    "DurableConfig",
    "CapacityProviderConfig",
    "FunctionScalingConfig",
    "PublishToLatestPublished",
    "VersionDeletionPolicy",
];
const API: &[&str] = &[
    "Auth",
    "Name",
    "DefinitionUri",
    "CacheClusterEnabled",
    "CacheClusterSize",
    "MergeDefinitions",
    "Variables",
    "EndpointConfiguration",
    "MethodSettings",
    "BinaryMediaTypes",
    "MinimumCompressionSize",
    "Cors",
    "GatewayResponses",
    "AccessLogSetting",
    "CanarySetting",
    "TracingEnabled",
    "OpenApiVersion",
    "Domain",
    "AlwaysDeploy",
    "PropagateTags",
    "SecurityPolicy",
    "EndpointAccessMode",
];
const HTTP_API: &[&str] = &[
    "Auth",
    "AccessLogSettings",
    "StageVariables",
    "Tags",
    "CorsConfiguration",
    "DefaultRouteSettings",
    "Domain",
    "RouteSettings",
    "FailOnWarnings",
    "PropagateTags",
];
const SIMPLE_TABLE: &[&str] = &["SSESpecification"];
const STATE_MACHINE: &[&str] = &["PropagateTags"];
const LAYER: &[&str] = &["PublishLambdaVersion"];
const CAPACITY_PROVIDER: &[&str] = &[
    "VpcConfig",
    "OperatorRole",
    "Tags",
    "InstanceRequirements",
    "ScalingConfig",
    "KmsKeyArn",
    "PropagateTags",
];
const WEBSOCKET_API: &[&str] = &[
    "AccessLogSettings",
    "ApiKeySelectionExpression",
    "DefaultRouteSettings",
    "DisableExecuteApiEndpoint",
    "DisableSchemaValidation",
    "Domain",
    "FailOnWarnings",
    "IpAddressType",
    "PropagateTags",
    "RouteSelectionExpression",
    "RouteSettings",
    "StageVariables",
    "Tags",
];

/// Section name (without `AWS::Serverless::`) → supported properties, in the translator's order.
const SECTIONS: &[(&str, &[&str])] = &[
    ("Function", FUNCTION),
    ("Api", API),
    ("HttpApi", HTTP_API),
    ("SimpleTable", SIMPLE_TABLE),
    ("StateMachine", STATE_MACHINE),
    ("LayerVersion", LAYER),
    ("CapacityProvider", CAPACITY_PROVIDER),
    ("WebSocketApi", WEBSOCKET_API),
];

/// The SAM resource types the translator knows (`SamResourceType`).
pub const SAM_TYPES: &[&str] = &[
    "AWS::Serverless::Api",
    "AWS::Serverless::Function",
    "AWS::Serverless::SimpleTable",
    "AWS::Serverless::Application",
    "AWS::Serverless::LayerVersion",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::WebSocketApi",
    "AWS::Serverless::StateMachine",
    "AWS::Serverless::CapacityProvider",
];

fn section_error(message: impl Into<String>) -> ErrorItem {
    ErrorItem::Other {
        message: format!("'Globals' section is invalid. {}", message.into()),
    }
}

/// Global properties by full resource type, in section order.
pub type Parsed = Vec<(String, Map<String, Value>)>;

/// Parses the `Globals` section: full resource type → global properties.
pub fn parse(globals: &Value) -> Result<Parsed, ErrorItem> {
    let Value::Object(sections) = globals else {
        return Err(section_error("It must be a non-empty dictionary"));
    };
    let mut names: Vec<&str> = SECTIONS.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    let mut out = Vec::new();
    for (section, props) in sections {
        let Some((_, supported)) = SECTIONS.iter().find(|(n, _)| n == section) else {
            return Err(section_error(format!(
                "'{section}' is not supported. Must be one of the following values - {}",
                py_list(&names)
            )));
        };
        let Value::Object(props) = props else {
            return Err(section_error("Value of ${section} must be a dictionary"));
        };
        for key in props.keys() {
            if !supported.contains(&key.as_str()) {
                return Err(section_error(format!(
                    "'{key}' is not a supported property of '{section}'. Must be one of the following values - {}",
                    py_list(supported)
                )));
            }
        }
        out.push((format!("AWS::Serverless::{section}"), props.clone()));
    }
    Ok(out)
}

/// Applies the `Globals` plugin to the template: merges globals into every
/// SAM resource and removes the section.
pub fn apply(template: &mut Map<String, Value>) -> Result<(), ErrorItem> {
    let Some(globals) = template.get("Globals") else {
        return Ok(());
    };
    let parsed = parse(globals)?;
    if let Some(Value::Object(resources)) = template.get_mut("Resources") {
        for (logical_id, resource) in resources.iter_mut() {
            let Some(res) = resource.as_object_mut() else {
                continue;
            };
            let Some(rtype) = res.get("Type").and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            if !SAM_TYPES.contains(&rtype.as_str()) {
                continue;
            }
            let Some((_, global_props)) = parsed.iter().find(|(t, _)| *t == rtype) else {
                continue;
            };
            let ignore = res.get("IgnoreGlobals").cloned();
            let effective = effective_globals(logical_id, global_props, ignore.as_ref())?;
            let local = res
                .get("Properties")
                .cloned()
                .unwrap_or_else(|| Value::Object(Map::new()));
            let merged = merge(&Value::Object(effective), &local);
            res.insert("Properties".into(), merged);
        }
    }
    template.remove("Globals");
    Ok(())
}

fn effective_globals(
    logical_id: &str,
    globals: &Map<String, Value>,
    ignore: Option<&Value>,
) -> Result<Map<String, Value>, ErrorItem> {
    let attr_error = |message: String| ErrorItem::resource(logical_id, message);
    match ignore {
        None => Ok(globals.clone()),
        Some(v) if crate::ids::is_falsy(v) => Ok(globals.clone()),
        Some(Value::String(s)) if s == "*" => Ok(Map::new()),
        Some(Value::Array(keys)) => {
            let mut out = globals.clone();
            for key in keys {
                let k = crate::intrinsics::py_str(key);
                if out.shift_remove(&k).is_none() {
                    return Err(attr_error(format!(
                        "Resource {logical_id} has invalid resource attribute 'IgnoreGlobals' on item '{k}'."
                    )));
                }
            }
            Ok(out)
        }
        Some(_) => Err(attr_error(format!(
            "Resource {logical_id} has invalid resource attribute 'IgnoreGlobals'."
        ))),
    }
}

#[derive(PartialEq)]
enum Token {
    Primitive,
    Dict,
    List,
}

fn token(v: &Value) -> Token {
    match v {
        Value::Object(_) if is_intrinsic(v) => Token::Primitive,
        Value::Object(_) => Token::Dict,
        Value::Array(_) => Token::List,
        _ => Token::Primitive,
    }
}

/// `GlobalProperties._do_merge`: local wins for primitives, maps merge key by
/// key, lists concatenate (global first).
pub fn merge(global: &Value, local: &Value) -> Value {
    let (tg, tl) = (token(global), token(local));
    if tg != tl || tg == Token::Primitive {
        return local.clone();
    }
    match (global, local) {
        (Value::Object(g), Value::Object(l)) => {
            let mut out = g.clone();
            for (k, lv) in l {
                let merged = match out.get(k) {
                    Some(gv) => merge(gv, lv),
                    None => lv.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(g), Value::Array(l)) => {
            let mut out = g.clone();
            out.extend(l.iter().cloned());
            Value::Array(out)
        }
        _ => local.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merges_maps_lists_and_primitives() {
        let g = json!({"a": 1, "m": {"x": 1, "y": [1]}, "l": [1]});
        let l = json!({"a": 2, "m": {"y": [2]}, "l": [2]});
        assert_eq!(
            merge(&g, &l),
            json!({"a": 2, "m": {"x": 1, "y": [1, 2]}, "l": [1, 2]})
        );
    }

    #[test]
    fn rejects_unknown_sections() {
        let err = parse(&json!({"Foo": {}})).unwrap_err().to_string();
        assert!(err.starts_with("'Globals' section is invalid. 'Foo' is not supported."));
    }
}
