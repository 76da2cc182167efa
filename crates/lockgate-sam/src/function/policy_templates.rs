//! Policy templates (`policy_template_processor/` and the
//! `PolicyTemplatesForResourcePlugin`): `{SQSPollerPolicy: {QueueName: …}}`
//! entries of `Policies` become IAM policy documents.
//!
//! NOTICE: `policy_templates.json` is the AWS SAM translator's policy template
//! data (`samtranslator/policy_templates_data/policy_templates.json`, from
//! github.com/aws/serverless-application-model), used under the Apache
//! License 2.0.

use std::sync::LazyLock;

use serde_json::{Map, Value};

use super::role::{PolicyKind, policies_list, policy_kind};
use crate::ctx::Ctx;
use crate::error::ErrorItem;
use crate::intrinsics::{is_if, is_no_value};

const PREFIX: &str = "___SAM_POLICY_PARAMETER_";

/// The templates, parsed once: name → `{Parameters, Definition, …}`.
static TEMPLATES: LazyLock<Map<String, Value>> = LazyLock::new(|| {
    let data: Value =
        serde_json::from_str(include_str!("policy_templates.json")).unwrap_or(Value::Null);
    data.get("Templates")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
});

/// Whether a policy entry is a template: a one-key map naming a known template.
pub fn is_template(policy: &Value) -> bool {
    match policy {
        Value::Object(m) if m.len() == 1 => {
            m.keys().next().is_some_and(|k| TEMPLATES.contains_key(k))
        }
        _ => false,
    }
}

/// Converts one template use into its policy document.
pub fn convert(logical_id: &str, name: &str, params: &Value) -> Result<Value, ErrorItem> {
    let Some(template) = TEMPLATES.get(name) else {
        return Err(ErrorItem::resource(
            logical_id,
            format!("Template with name '{name}' is not found"),
        ));
    };
    let Value::Object(values) = params else {
        return Err(ErrorItem::resource(
            logical_id,
            format!("Must specify valid parameter values for policy template '{name}'"),
        ));
    };
    let declared = template
        .get("Parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let missing: Vec<String> = declared
        .keys()
        .filter(|k| !values.contains_key(*k))
        .map(|k| format!("'{k}'"))
        .collect();
    if !missing.is_empty() {
        return Err(ErrorItem::resource(
            logical_id,
            format!(
                "Following required parameters of template '{name}' don't have values: [{}]",
                missing.join(", ")
            ),
        ));
    }
    let mut necessary = Map::new();
    for (k, v) in values {
        if declared.contains_key(k) {
            necessary.insert(format!("{PREFIX}{k}"), v.clone());
        }
    }
    let definition = template
        .get("Definition")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let mut disambiguated = disambiguate(&definition);
    resolve_refs(&mut disambiguated, &necessary);
    Ok(disambiguated)
}

fn disambiguate(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out: Map<String, Value> = m
                .iter()
                .map(|(k, v)| (k.clone(), disambiguate(v)))
                .collect();
            if let Some(Value::String(r)) = out.get("Ref") {
                let renamed = format!("{PREFIX}{r}");
                out.insert("Ref".into(), Value::String(renamed));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(disambiguate).collect()),
        other => other.clone(),
    }
}

/// A resolver supporting only `Ref` to the given values.
fn resolve_refs(v: &mut Value, values: &Map<String, Value>) {
    if values.is_empty() {
        return;
    }
    if let Value::Object(m) = v
        && m.len() == 1
        && let Some(Value::String(name)) = m.get("Ref")
        && let Some(val) = values.get(name)
    {
        *v = val.clone();
    }
    match v {
        Value::Object(m) => m.values_mut().for_each(|c| resolve_refs(c, values)),
        Value::Array(items) => items.iter_mut().for_each(|c| resolve_refs(c, values)),
        _ => {}
    }
}

fn process(logical_id: &str, policy: &Value) -> Result<Value, ErrorItem> {
    let Some((name, params)) = policy.as_object().and_then(|m| m.iter().next()) else {
        return Ok(policy.clone());
    };
    convert(logical_id, name, params)
}

/// The plugin's `on_before_transform_resource` for a function's properties.
pub fn expand(
    _ctx: &Ctx,
    logical_id: &str,
    props: &mut Map<String, Value>,
) -> Result<(), ErrorItem> {
    let Some(policies) = props.get("Policies") else {
        return Ok(());
    };
    let list = policies_list(Some(policies));
    if list.is_empty() {
        return Ok(());
    }
    let mut result = Vec::with_capacity(list.len());
    for policy in list {
        if policy_kind(&policy, &is_template)? != PolicyKind::Template {
            result.push(policy);
            continue;
        }
        if is_if(&policy) {
            let mut p = policy.clone();
            if let Some(Value::Array(items)) = p.get_mut("Fn::If") {
                for item in items.iter_mut().skip(1) {
                    if !is_no_value(item) {
                        *item = process(logical_id, item)?;
                    }
                }
            }
            result.push(p);
            continue;
        }
        result.push(process(logical_id, &policy)?);
    }
    props.insert("Policies".into(), Value::Array(result));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn converts_a_template_with_its_parameter() {
        let out = convert("F", "SQSPollerPolicy", &json!({"QueueName": "q"})).unwrap();
        let text = out.to_string();
        assert!(text.contains("sqs:ReceiveMessage"));
        assert!(text.contains("\"queueName\":\"q\"") || text.contains("\"q\""));
    }

    #[test]
    fn reports_missing_parameters() {
        let err = convert("F", "LambdaInvokePolicy", &json!({}))
            .unwrap_err()
            .to_string();
        assert!(err.ends_with("don't have values: ['FunctionName']"));
    }
}
