//! Property validation as the translator's resource models do it: unknown
//! properties, required ones, and value types, with the translator's wording.

use serde_json::{Map, Value};

use crate::error::ErrorItem;
use crate::intrinsics::is_intrinsic;

/// What a property's value must look like.
#[derive(Debug, Clone, Copy)]
pub enum Check {
    /// Anything.
    Any,
    /// A string (`Property 'X' should be a string.`).
    Str,
    /// A map (`Property 'X' should be a map.`).
    Map,
    /// A boolean.
    Bool,
    /// An integer (booleans count, as in Python).
    Int,
    /// A list.
    List,
    /// A string or a map.
    StrOrMap,
    /// A list of strings or maps.
    ListOfStrOrMap,
    /// A string, a map, or a list of strings or maps.
    StrMapOrList,
    /// A map whose values are maps.
    MapOfMaps,
    /// A string or a list of strings.
    StrOrListOfStr,
    /// A boolean or a map.
    BoolOrMap,
    /// A map of string values.
    MapOfStr,
    /// One of the given strings.
    StrEnum(&'static [&'static str]),
}

impl Check {
    fn ok(self, v: &Value) -> bool {
        match self {
            Check::Any => true,
            Check::Str => v.is_string(),
            Check::Map => v.is_object(),
            Check::Bool => v.is_boolean(),
            Check::Int => v.is_i64() || v.is_u64() || v.is_boolean(),
            Check::List => v.is_array(),
            Check::StrOrMap => v.is_string() || v.is_object(),
            Check::ListOfStrOrMap => v
                .as_array()
                .is_some_and(|a| a.iter().all(|i| i.is_string() || i.is_object())),
            Check::StrMapOrList => v.is_string() || v.is_object() || Check::ListOfStrOrMap.ok(v),
            Check::MapOfMaps => v
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_object)),
            Check::StrOrListOfStr => {
                v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
            }
            Check::BoolOrMap => v.is_boolean() || v.is_object(),
            Check::MapOfStr => v
                .as_object()
                .is_some_and(|m| m.values().all(Value::is_string)),
            Check::StrEnum(values) => v.as_str().is_some_and(|s| values.contains(&s)),
        }
    }

    fn message(self, name: &str) -> String {
        match self {
            Check::Str => format!("Property '{name}' should be a string."),
            Check::Map => format!("Property '{name}' should be a map."),
            Check::StrEnum(values) => {
                let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
                let desc = match quoted.len() {
                    1 => format!("the string {}", quoted[0]),
                    2 => format!("one of the strings: {} or {}", quoted[0], quoted[1]),
                    n => format!(
                        "one of the strings: {}, or {}",
                        quoted[..n - 1].join(", "),
                        quoted[n - 1]
                    ),
                };
                format!("Property '{name}' should be a {desc}.")
            }
            _ => format!("Type of property '{name}' is invalid."),
        }
    }
}

/// One declared property of a model.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    /// Property name.
    pub name: &'static str,
    /// Whether it must be present.
    pub required: bool,
    /// The value check.
    pub check: Check,
    /// Whether an intrinsic (one-key map) is accepted without checking.
    pub intrinsics: bool,
}

/// A property checked with intrinsics allowed (`PropertyType`).
pub const fn p(name: &'static str, required: bool, check: Check) -> Prop {
    Prop {
        name,
        required,
        check,
        intrinsics: true,
    }
}

/// A property checked strictly (`Property`, `PassThroughProperty`).
pub const fn strict(name: &'static str, required: bool, check: Check) -> Prop {
    Prop {
        name,
        required,
        check,
        intrinsics: false,
    }
}

/// A pass-through property.
pub const fn pass(name: &'static str, required: bool) -> Prop {
    Prop {
        name,
        required,
        check: Check::Any,
        intrinsics: false,
    }
}

/// Rejects unknown properties: `property X not defined for resource of type T`.
pub fn check_known(
    logical_id: &str,
    type_name: &str,
    props: &Map<String, Value>,
    spec: &[Prop],
) -> Result<(), ErrorItem> {
    for key in props.keys() {
        if !spec.iter().any(|p| p.name == key) {
            return Err(ErrorItem::resource(
                logical_id,
                format!("property {key} not defined for resource of type {type_name}"),
            ));
        }
    }
    Ok(())
}

/// `validate_properties`: required and typed properties, in declaration order.
pub fn check_types(
    logical_id: &str,
    props: &Map<String, Value>,
    spec: &[Prop],
) -> Result<(), ErrorItem> {
    for prop in spec {
        let value = props.get(prop.name).filter(|v| !v.is_null());
        match value {
            None => {
                if prop.required {
                    return Err(ErrorItem::resource(
                        logical_id,
                        format!("Missing required property '{}'.", prop.name),
                    ));
                }
            }
            Some(v) => {
                if prop.intrinsics && v.as_object().is_some_and(|m| m.len() == 1) {
                    continue;
                }
                if !prop.check.ok(v) {
                    return Err(ErrorItem::resource(
                        logical_id,
                        prop.check.message(prop.name),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Both checks, as `from_dict` runs them.
pub fn validate(
    logical_id: &str,
    type_name: &str,
    props: &Map<String, Value>,
    spec: &[Prop],
) -> Result<(), ErrorItem> {
    check_known(logical_id, type_name, props, spec)?;
    check_types(logical_id, props, spec)
}

/// A property's value, treating `null` as absent.
pub fn get<'a>(props: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    props.get(name).filter(|v| !v.is_null())
}

/// `sam_expect(value, id, path).to_be_a_map()` for a resource property.
pub fn expect_map<'a>(
    value: Option<&'a Value>,
    logical_id: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, ErrorItem> {
    match value {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(ErrorItem::resource(
            logical_id,
            format!("Property '{path}' should be a map."),
        )),
    }
}

/// `sam_expect(..., is_sam_event=True).to_be_a_map()`.
pub fn expect_event_map<'a>(
    value: Option<&'a Value>,
    event_id: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, ErrorItem> {
    match value {
        Some(Value::Object(m)) => Ok(m),
        _ => Err(ErrorItem::event(
            event_id,
            format!("Property '{path}' should be a map."),
        )),
    }
}

/// Whether a value is an intrinsic (re-exported for callers of this module).
pub fn intrinsic(v: &Value) -> bool {
    is_intrinsic(v)
}

/// The properties the transform knows for a SAM resource type, for "did
/// you mean …?" when a template names one it does not.
pub fn known_properties(resource_type: &str) -> Option<Vec<&'static str>> {
    let spec: &[Prop] = match resource_type {
        "AWS::Serverless::Function" => crate::function::SPEC,
        "AWS::Serverless::Api" => crate::api::rest::generator::SPEC,
        "AWS::Serverless::HttpApi" => crate::api::http::generator::SPEC,
        "AWS::Serverless::SimpleTable" => crate::table::SPEC,
        "AWS::Serverless::LayerVersion" => crate::layer::SPEC,
        "AWS::Serverless::StateMachine" => crate::state_machine::SPEC,
        "AWS::Serverless::CapacityProvider" => crate::capacity_provider::SPEC,
        "AWS::Serverless::Application" => crate::application::SPEC,
        "AWS::Serverless::GraphQLApi" => crate::graphql::SPEC,
        _ => return None,
    };
    Some(spec.iter().map(|p| p.name).collect())
}
