//! `GatewayResponses` and `Models` of a REST API
//! (`ApiGenerator._add_gateway_responses`, `ApiGatewayResponse`, `_add_models`).

use serde_json::{Map, Value, json};

use super::swagger::{self, Editor};
use crate::error::ErrorItem;
use crate::ids::is_falsy;
use crate::intrinsics::{is_intrinsic, py_str};

const RESPONSE_PROPS: [&str; 3] = ["ResponseParameters", "ResponseTemplates", "StatusCode"];
const PARAM_PROPS: [&str; 3] = ["Headers", "Paths", "QueryStrings"];

fn python_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Adds `x-amazon-apigateway-gateway-responses` to the body.
pub fn add_gateway_responses(
    api_id: &str,
    responses: Option<&Value>,
    body: Option<&mut Value>,
) -> Result<(), ErrorItem> {
    let Some(responses) = responses.filter(|r| !is_falsy(r)) else {
        return Ok(());
    };
    let Some(body) = body.filter(|b| !is_falsy(b)) else {
        return Err(ErrorItem::resource(
            api_id,
            "GatewayResponses works only with inline Swagger specified in 'DefinitionBody' property.",
        ));
    };
    let Value::Object(responses) = responses else {
        return Ok(());
    };
    for (key, value) in responses {
        if is_intrinsic(value) {
            return Err(ErrorItem::resource(
                api_id,
                "Unable to set GatewayResponses attribute because intrinsic functions are not supported for this field.",
            ));
        }
        let Value::Object(value) = value else {
            return Err(ErrorItem::resource(
                api_id,
                format!(
                    "Invalid property type '{}' for GatewayResponses. Expected an object of type 'GatewayResponse'.",
                    python_type_name(value)
                ),
            ));
        };
        for k in value.keys() {
            if !RESPONSE_PROPS.contains(&k.as_str()) {
                return Err(ErrorItem::resource(
                    api_id,
                    format!("Invalid property '{k}' in 'GatewayResponses' property '{key}'."),
                ));
            }
        }
    }
    if !swagger::is_valid(Some(body)) {
        return Err(ErrorItem::resource(
            api_id,
            "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger definition.",
        ));
    }
    let mut editor = Editor::new(body)?;
    let mut generated = Map::new();
    for (kind, response) in responses {
        let Value::Object(response) = response else {
            continue;
        };
        let params = response.get("ResponseParameters").filter(|v| !is_falsy(v));
        let templates = response
            .get("ResponseTemplates")
            .filter(|v| !is_falsy(v))
            .cloned();
        if let Some(p) = params
            && !p.is_object()
        {
            return Err(ErrorItem::resource(
                api_id,
                format!("Property 'GatewayResponses.{kind}.ResponseParameters' should be a map."),
            ));
        }
        generated.insert(
            kind.clone(),
            response_swagger(api_id, params, templates, response.get("StatusCode"))?,
        );
    }
    if !generated.is_empty() {
        const KEY: &str = "x-amazon-apigateway-gateway-responses";
        let doc = editor.doc_mut();
        let entry = doc.entry(KEY).or_insert_with(|| json!({}));
        if !entry.is_object() || is_falsy(entry) {
            *entry = json!({});
        }
        if let Value::Object(e) = entry {
            for (k, v) in generated {
                e.insert(k, v);
            }
        }
    }
    Ok(())
}

fn response_swagger(
    api_id: &str,
    params: Option<&Value>,
    templates: Option<Value>,
    status: Option<&Value>,
) -> Result<Value, ErrorItem> {
    let empty = Map::new();
    let params = params.and_then(Value::as_object).unwrap_or(&empty);
    for key in params.keys() {
        if !PARAM_PROPS.contains(&key.as_str()) {
            return Err(ErrorItem::resource(
                api_id,
                format!("Invalid gateway response parameter '{key}'"),
            ));
        }
    }
    let truthy_status = status.is_some_and(|s| !is_falsy(s));
    let status = status.filter(|s| !s.is_null()).map(py_str);
    let numeric = |s: &str| (1..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit());
    if truthy_status
        && let Some(s) = &status
        && !numeric(s)
    {
        return Err(ErrorItem::resource(
            api_id,
            "Property 'StatusCode' must be numeric",
        ));
    }
    let mut prefixed = Map::new();
    for (prop, prefix) in [
        ("Headers", "header."),
        ("Paths", "path."),
        ("QueryStrings", "querystring."),
    ] {
        let value = params.get(prop).cloned().unwrap_or_else(|| json!({}));
        let Value::Object(value) = value else {
            return Err(ErrorItem::resource(
                api_id,
                format!("Property 'ResponseParameters.{prop}' should be a map."),
            ));
        };
        for (k, v) in value {
            prefixed.insert(format!("gatewayresponse.{prefix}{k}"), v);
        }
    }
    let mut out = Map::new();
    out.insert("responseParameters".into(), Value::Object(prefixed));
    out.insert(
        "responseTemplates".into(),
        templates.unwrap_or_else(|| json!({})),
    );
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        out.insert("statusCode".into(), json!(s));
    }
    Ok(Value::Object(out))
}

/// Adds `Models` to the body's `definitions`.
pub fn add_models(
    api_id: &str,
    models: Option<&Value>,
    body: Option<&mut Value>,
) -> Result<(), ErrorItem> {
    let Some(models) = models.filter(|m| !is_falsy(m)) else {
        return Ok(());
    };
    let Some(body) = body.filter(|b| !is_falsy(b)) else {
        return Err(ErrorItem::resource(
            api_id,
            "Models works only with inline Swagger specified in 'DefinitionBody' property.",
        ));
    };
    if !swagger::is_valid(Some(body)) {
        return Err(ErrorItem::resource(
            api_id,
            "Unable to add Models definitions because 'DefinitionBody' does not contain a valid Swagger definition.",
        ));
    }
    let Value::Object(models) = models else {
        return Ok(());
    };
    if !models.values().all(Value::is_object) {
        return Err(ErrorItem::resource(
            api_id,
            "Invalid value for 'Models' property",
        ));
    }
    Editor::new(body)?.add_models(models)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_code_must_be_numeric() {
        let mut body = swagger::skeleton();
        let responses = json!({"DEFAULT_4XX": {"StatusCode": "abc"}});
        let err = add_gateway_responses("A", Some(&responses), Some(&mut body)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Resource with id [A] is invalid. Property 'StatusCode' must be numeric"
        );
        let responses = json!({"DEFAULT_4XX": {"StatusCode": 401, "ResponseParameters": {"Headers": {"X": "'y'"}}}});
        add_gateway_responses("A", Some(&responses), Some(&mut body)).unwrap();
        let r = &body["x-amazon-apigateway-gateway-responses"]["DEFAULT_4XX"];
        assert_eq!(r["statusCode"], json!("401"));
        assert_eq!(
            r["responseParameters"]["gatewayresponse.header.X"],
            json!("'y'")
        );
    }
}
