//! In-place editing of a Swagger 2.0 / OpenAPI 3 definition body, as the
//! translator's `SwaggerEditor` (and its `BaseEditor`) does it.
//!
//! The editor borrows the definition mutably instead of deep-copying it; a
//! failed edit fails the whole transform, so partial edits are never seen.

use serde_json::{Map, Value, json};

use crate::error::ErrorItem;
use crate::ids::truthy;
use crate::intrinsics::{is_no_value, make_conditional};

/// `x-amazon-apigateway-integration`.
pub const X_INTEGRATION: &str = "x-amazon-apigateway-integration";
/// `x-amazon-apigateway-any-method`.
pub const X_ANY_METHOD: &str = "x-amazon-apigateway-any-method";
/// `x-amazon-apigateway-policy`.
pub const X_POLICY: &str = "x-amazon-apigateway-policy";
const ALL_HTTP_METHODS: [&str; 7] = ["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"];
const EXCLUDED_PATH_FIELDS: [&str; 3] = ["summary", "description", "parameters"];

/// `InvalidDocumentException([InvalidTemplateException(msg)])`.
pub fn doc_err(msg: impl Into<String>) -> ErrorItem {
    ErrorItem::document(msg)
}

/// `\A3(\.\d)(\.\d)?$` on `str(value)`.
pub fn is_openapi3(v: &Value) -> bool {
    version_matches(v, b"3")
}

/// `\A[2-3](\.\d)(\.\d)?$`: the OpenApiVersion values the translator accepts.
pub fn is_supported_openapi_version(v: &Value) -> bool {
    version_matches(v, b"23")
}

/// `\A[majors](\.\d)(\.\d)?$` on `str(value)` of a string or number.
fn version_matches(v: &Value, majors: &[u8]) -> bool {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return false,
    };
    let s = s.strip_suffix('\n').unwrap_or(&s);
    let b = s.as_bytes();
    let pair = |i: usize| b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
    (b.len() == 3 || b.len() == 5) && majors.contains(&b[0]) && pair(1) && (b.len() == 3 || pair(3))
}

/// `SwaggerEditor.is_valid`.
pub fn is_valid(data: Option<&Value>) -> bool {
    let Some(Value::Object(m)) = data else {
        return false;
    };
    if m.is_empty() || !m.get("paths").is_some_and(Value::is_object) {
        return false;
    }
    if truthy(m.get("swagger")) {
        return true;
    }
    match m.get("openapi") {
        Some(v) if truthy(Some(v)) => is_openapi3(v),
        _ => false,
    }
}

/// `SwaggerEditor.gen_skeleton()`.
pub fn skeleton() -> Value {
    json!({
        "swagger": "2.0",
        "info": {"version": "1.0", "title": {"Ref": "AWS::StackName"}},
        "paths": {}
    })
}

/// `_normalize_method_name`: lower case, `any` → `x-amazon-apigateway-any-method`.
pub fn normalize_method(method: &str) -> String {
    let m = method.to_lowercase();
    if m == "any" {
        X_ANY_METHOD.to_string()
    } else {
        m
    }
}

/// `get_conditional_contents` on a borrowed value.
pub fn cond_contents(item: &Value) -> Result<Vec<&Value>, ErrorItem> {
    if let Some(params) = item.as_object().and_then(|m| m.get("Fn::If")) {
        let Value::Array(items) = params else {
            return Err(doc_err("Value of Fn::If must be a list."));
        };
        return Ok(items.iter().skip(1).filter(|c| !is_no_value(c)).collect());
    }
    Ok(vec![item])
}

/// `get_conditional_contents` with mutable access to the contents.
pub fn cond_contents_mut(item: &mut Value) -> Result<Vec<&mut Value>, ErrorItem> {
    if item.as_object().is_some_and(|m| m.contains_key("Fn::If")) {
        let Some(Value::Array(items)) = item.get_mut("Fn::If") else {
            return Err(doc_err("Value of Fn::If must be a list."));
        };
        return Ok(items
            .iter_mut()
            .skip(1)
            .filter(|c| !is_no_value(c))
            .collect());
    }
    Ok(vec![item])
}

pub(crate) fn path_item_err(path: &str) -> ErrorItem {
    doc_err(format!(
        "Value of '{path}' path must be a dictionary according to Swagger spec."
    ))
}

pub(crate) fn method_def_err(path: &str, method: &str) -> ErrorItem {
    doc_err(format!(
        "Definition of method '{method}' for path '{path}' should be a map."
    ))
}

/// `method_definition_has_integration`.
pub(crate) fn has_integration_def(def: &Value) -> bool {
    truthy(def.get(X_INTEGRATION))
}

/// Path without path parameters: `{name}`, `{name+}`, `{proxy+}` become `*`.
pub fn path_without_params(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                let body = name.strip_suffix('+').unwrap_or(name);
                let valid = !body.is_empty()
                    && body
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
                if valid {
                    out.push('*');
                } else {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `paths` map of a document (empty when missing or not a map); shared
/// by this editor and the HTTP API `OpenApiEditor` (the translator's `BaseEditor`).
pub(crate) fn paths_of(doc: &Map<String, Value>) -> &Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    doc.get("paths")
        .and_then(Value::as_object)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// The `paths` map of a document, mutably (made a map first if it is not one).
pub(crate) fn paths_of_mut(doc: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = doc.entry("paths").or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut().expect("paths was just made a map")
}

/// `BaseEditor.has_path(path, method)` on a `paths` map.
pub(crate) fn has_path(
    paths: &Map<String, Value>,
    path: &str,
    method: Option<&str>,
) -> Result<bool, ErrorItem> {
    let Some(item) = paths.get(path) else {
        return Ok(false);
    };
    if let Some(method) = method.filter(|m| !m.is_empty()) {
        let method = normalize_method(method);
        for content in cond_contents(item)? {
            if !content.as_object().is_some_and(|m| m.contains_key(&method)) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// `BaseEditor.has_integration(path, method)` on a `paths` map.
pub(crate) fn has_integration(
    paths: &Map<String, Value>,
    path: &str,
    method: &str,
) -> Result<bool, ErrorItem> {
    let method = normalize_method(method);
    if !has_path(paths, path, Some(&method))? {
        return Ok(false);
    }
    let Some(item) = paths.get(path) else {
        return Ok(false);
    };
    for content in cond_contents(item)? {
        let Some(obj) = content.as_object() else {
            return Err(path_item_err(path));
        };
        let Some(def) = obj.get(&method).filter(|d| d.is_object()) else {
            return Ok(false);
        };
        let mut any = false;
        for d in cond_contents(def)? {
            if !d.is_object() {
                return Err(method_def_err(path, &method));
            }
            if has_integration_def(d) {
                any = true;
                break;
            }
        }
        if !any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A definition body being edited.
pub struct Editor<'a> {
    doc: &'a mut Map<String, Value>,
}

impl<'a> Editor<'a> {
    /// `SwaggerEditor(doc)`: rejects invalid documents and non-map path items.
    pub fn new(doc: &'a mut Value) -> Result<Self, ErrorItem> {
        if !is_valid(Some(doc)) {
            return Err(doc_err(
                "Invalid Swagger document or the Swagger document is not explicitly defined in 'DefinitionBody'.",
            ));
        }
        let Value::Object(doc) = doc else {
            return Err(doc_err("Invalid Swagger document."));
        };
        let editor = Editor { doc };
        for (path, item) in editor.paths() {
            for content in cond_contents(item)? {
                if !content.is_object() {
                    return Err(path_item_err(path));
                }
            }
        }
        Ok(editor)
    }

    /// The document.
    pub fn doc(&self) -> &Map<String, Value> {
        self.doc
    }

    /// The document, mutably.
    pub fn doc_mut(&mut self) -> &mut Map<String, Value> {
        self.doc
    }

    /// The `paths` section.
    pub fn paths(&self) -> &Map<String, Value> {
        paths_of(self.doc)
    }

    fn paths_mut(&mut self) -> &mut Map<String, Value> {
        paths_of_mut(self.doc)
    }

    /// The path names, in order.
    pub fn path_names(&self) -> Vec<String> {
        self.paths().keys().cloned().collect()
    }

    /// `has_path(path, method)`.
    pub fn has_path(&self, path: &str, method: Option<&str>) -> Result<bool, ErrorItem> {
        has_path(self.paths(), path, method)
    }

    /// `has_integration(path, method)`.
    pub fn has_integration(&self, path: &str, method: &str) -> Result<bool, ErrorItem> {
        has_integration(self.paths(), path, method)
    }

    /// `add_path(path, method)`.
    pub fn add_path(&mut self, path: &str, method: &str) -> Result<(), ErrorItem> {
        let method = normalize_method(method);
        let item = self.paths_mut().entry(path).or_insert_with(|| json!({}));
        if !item.is_object() {
            return Err(path_item_err(path));
        }
        for content in cond_contents_mut(item)? {
            if let Value::Object(m) = content {
                m.entry(method.clone()).or_insert_with(|| json!({}));
            }
        }
        Ok(())
    }

    /// Calls `f` on every method definition of `path` at `method` (Fn::If branches
    /// included), skipping those without an integration when asked.
    pub fn for_methods_at(
        &mut self,
        path: &str,
        method: &str,
        skip_without_integration: bool,
        mut f: impl FnMut(&mut Map<String, Value>) -> Result<(), ErrorItem>,
    ) -> Result<(), ErrorItem> {
        let normalized = normalize_method(method);
        let Some(item) = self.paths_mut().get_mut(path) else {
            return Ok(());
        };
        for content in cond_contents_mut(item)? {
            let Value::Object(obj) = content else {
                return Err(path_item_err(path));
            };
            let Some(def) = obj.get_mut(&normalized) else {
                continue;
            };
            for d in cond_contents_mut(def)? {
                let Value::Object(d) = d else {
                    return Err(method_def_err(path, method));
                };
                if skip_without_integration && !truthy(d.get(X_INTEGRATION)) {
                    continue;
                }
                f(d)?;
            }
        }
        Ok(())
    }

    /// Calls `f(method_name, definition)` on every method of `path` that has an
    /// integration (`iter_on_all_methods_for_path`).
    pub fn for_all_methods(
        &mut self,
        path: &str,
        mut f: impl FnMut(&str, &mut Map<String, Value>) -> Result<(), ErrorItem>,
    ) -> Result<(), ErrorItem> {
        let Some(item) = self.paths_mut().get_mut(path) else {
            return Ok(());
        };
        for content in cond_contents_mut(item)? {
            let Value::Object(obj) = content else {
                return Err(path_item_err(path));
            };
            for (name, method) in obj.iter_mut() {
                if EXCLUDED_PATH_FIELDS.contains(&name.as_str()) {
                    continue;
                }
                for d in cond_contents_mut(method)? {
                    let Value::Object(d) = d else {
                        return Err(method_def_err(path, name));
                    };
                    if !truthy(d.get(X_INTEGRATION)) {
                        continue;
                    }
                    f(&normalize_method(name), d)?;
                }
            }
        }
        Ok(())
    }

    /// `add_lambda_integration`.
    #[allow(clippy::too_many_arguments)]
    pub fn add_lambda_integration(
        &mut self,
        path: &str,
        method: &str,
        uri: Value,
        method_auth: &Map<String, Value>,
        api_auth: &Map<String, Value>,
        condition: Option<&str>,
        invoke_mode: Option<&Value>,
        partition: &str,
    ) -> Result<(), ErrorItem> {
        let method = normalize_method(method);
        if self.has_integration(path, &method)? {
            return Err(doc_err(format!(
                "Lambda integration already exists on Path={path}, Method={method}"
            )));
        }
        self.add_path(path, &method)?;
        let uri = match condition {
            Some(c) => make_conditional(c, uri, None),
            None => uri,
        };
        let credentials = integration_credentials(method_auth, api_auth, partition);
        let Some(item) = self.paths_mut().get_mut(path) else {
            return Ok(());
        };
        for content in cond_contents_mut(item)? {
            let Value::Object(obj) = content else {
                return Err(path_item_err(path));
            };
            let Some(Value::Object(def)) = obj.get_mut(&method) else {
                continue;
            };
            let mut integration = Map::new();
            integration.insert("type".into(), json!("aws_proxy"));
            integration.insert("httpMethod".into(), json!("POST"));
            integration.insert("uri".into(), uri.clone());
            if invoke_mode.and_then(Value::as_str) == Some("RESPONSE_STREAM") {
                integration.insert("responseTransferMode".into(), json!("STREAM"));
            }
            if let Some(c) = &credentials {
                integration.insert("credentials".into(), c.clone());
            }
            def.insert(X_INTEGRATION.into(), Value::Object(integration));
            def.entry("responses").or_insert_with(|| json!({}));
            if let Some(c) = condition {
                let taken = std::mem::take(def);
                obj.insert(
                    method.clone(),
                    make_conditional(c, Value::Object(taken), None),
                );
            }
        }
        Ok(())
    }

    /// `add_timeout_to_method`.
    pub fn add_timeout(
        &mut self,
        path: &str,
        method: &str,
        timeout: &Value,
    ) -> Result<(), ErrorItem> {
        self.for_methods_at(path, method, true, |d| {
            if let Some(Value::Object(i)) = d.get_mut(X_INTEGRATION) {
                i.insert("timeoutInMillis".into(), timeout.clone());
            }
            Ok(())
        })
    }

    /// `make_path_conditional`.
    pub fn make_path_conditional(&mut self, path: &str, condition: &str) {
        if let Some(item) = self.paths_mut().get_mut(path) {
            let taken = std::mem::take(item);
            *item = make_conditional(condition, taken, None);
        }
    }

    /// `add_binary_media_types` (`~1` stands for `/`).
    pub fn add_binary_media_types(&mut self, types: &Value) {
        fn replace(v: &Value) -> Value {
            match v {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .map(|(k, v)| (k.replace("~1", "/"), replace(v)))
                        .collect(),
                ),
                Value::Array(a) => Value::Array(a.iter().map(replace).collect()),
                Value::String(s) => Value::String(s.replace("~1", "/")),
                other => other.clone(),
            }
        }
        self.doc.insert(
            "x-amazon-apigateway-binary-media-types".into(),
            replace(types),
        );
    }

    /// `add_disable_execute_api_endpoint_extension`.
    pub fn add_disable_execute_api_endpoint(&mut self, value: &Value) -> Result<(), ErrorItem> {
        const KEY: &str = "x-amazon-apigateway-endpoint-configuration";
        let is3 = self
            .doc
            .get("openapi")
            .is_some_and(|v| truthy(Some(v)) && is_openapi3(v));
        if is3 {
            let mut servers = match self.doc.get("servers") {
                Some(Value::Array(a)) => a.clone(),
                Some(other) => vec![other.clone()],
                None => vec![json!({})],
            };
            for (index, config) in servers.iter_mut().enumerate() {
                deep_set(config, &format!("{KEY}.disableExecuteApiEndpoint"), value).map_err(
                    |e| {
                        doc_err(format!(
                            "Invalid OpenAPI definition of 'servers[{index}]': {e}."
                        ))
                    },
                )?;
            }
            self.doc.insert("servers".into(), Value::Array(servers));
        } else {
            let mut whole = Value::Object(std::mem::take(self.doc));
            let res = deep_set(
                &mut whole,
                &format!("{KEY}.disableExecuteApiEndpoint"),
                value,
            );
            if let Value::Object(m) = whole {
                *self.doc = m;
            }
            res.map_err(|e| doc_err(format!("Invalid OpenAPI definition: {e}.")))?;
        }
        Ok(())
    }

    /// `add_models`.
    pub fn add_models(&mut self, models: &Map<String, Value>) -> Result<(), ErrorItem> {
        let defs = self.doc.entry("definitions").or_insert_with(|| json!({}));
        if !defs.is_object() || crate::ids::is_falsy(defs) {
            *defs = json!({});
        }
        let Value::Object(defs) = defs else {
            return Ok(());
        };
        for (name, schema) in models {
            if !truthy(schema.get("type")) {
                return Err(doc_err("'Models' schema is missing 'type'."));
            }
            defs.insert(name.to_lowercase(), schema.clone());
        }
        Ok(())
    }

    /// `add_request_model_to_method`.
    pub fn add_request_model(
        &mut self,
        path: &str,
        method: &str,
        model: &Map<String, Value>,
    ) -> Result<(), ErrorItem> {
        let name = model
            .get("Model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase();
        let required = model.get("Required").filter(|v| !v.is_null()).cloned();
        let is_swagger = self.doc.get("swagger").is_some_and(|v| !v.is_null());
        let is3 = self
            .doc
            .get("openapi")
            .is_some_and(|v| truthy(Some(v)) && is_openapi3(v));
        self.for_methods_at(path, method, true, |d| {
            if is_swagger {
                let mut p = Map::new();
                p.insert("in".into(), json!("body"));
                p.insert("name".into(), json!(name));
                p.insert("schema".into(), json!({"$ref": format!("#/definitions/{name}")}));
                if let Some(r) = &required {
                    p.insert("required".into(), r.clone());
                }
                push_to_list(d, "parameters", Value::Object(p));
            } else if is3 {
                let mut body = json!({"content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{name}")}}}});
                if let (Some(r), Value::Object(b)) = (&required, &mut body) {
                    b.insert("required".into(), r.clone());
                }
                d.insert("requestBody".into(), body);
            }
            Ok(())
        })
    }

    /// `add_request_validator_to_method`.
    pub fn add_request_validator(
        &mut self,
        path: &str,
        method: &str,
        validate_body: bool,
        validate_params: bool,
    ) -> Result<(), ErrorItem> {
        let name = match (validate_body, validate_params) {
            (true, true) => "body-and-params",
            (true, false) => "body-only",
            (false, true) => "params-only",
            (false, false) => "no-validation",
        };
        const KEY: &str = "x-amazon-apigateway-request-validators";
        if !truthy(self.doc.get(KEY)) || !self.doc.get(KEY).is_some_and(Value::is_object) {
            self.doc.insert(KEY.into(), json!({}));
        }
        if let Some(Value::Object(v)) = self.doc.get_mut(KEY)
            && !truthy(v.get(name))
        {
            v.insert(
                name.into(),
                json!({"validateRequestBody": validate_body, "validateRequestParameters": validate_params}),
            );
        }
        self.for_methods_at(path, method, true, |d| {
            d.insert("x-amazon-apigateway-request-validator".into(), json!(name));
            Ok(())
        })
    }

    /// `add_request_parameters_to_method`: each parameter has `Name`, `Required`, `Caching`.
    pub fn add_request_parameters(
        &mut self,
        path: &str,
        method: &str,
        params: &[(String, Value, Value)],
    ) -> Result<(), ErrorItem> {
        self.for_methods_at(path, method, true, |d| {
            for (name, required, caching) in params {
                let location_name = name.replace("method.request.", "");
                let (location, pname) = location_name
                    .split_once('.')
                    .unwrap_or((&location_name, ""));
                let location = if location == "querystring" {
                    "query"
                } else {
                    location
                };
                let mut p = Map::new();
                p.insert("in".into(), json!(location));
                p.insert("name".into(), json!(pname));
                p.insert("required".into(), required.clone());
                p.insert("type".into(), json!("string"));
                push_to_list(d, "parameters", Value::Object(p));
                if !crate::ids::is_falsy(caching)
                    && let Some(Value::Object(i)) = d.get_mut(X_INTEGRATION)
                {
                    push_to_list(i, "cacheKeyParameters", json!(name));
                }
            }
            Ok(())
        })
    }

    /// The method names of `path` (all Fn::If branches), for CORS and resource policies.
    pub fn method_names(&self, path: &str) -> Result<Vec<String>, ErrorItem> {
        let mut out = Vec::new();
        if let Some(item) = self.paths().get(path) {
            for content in cond_contents(item)? {
                let Some(obj) = content.as_object() else {
                    return Err(path_item_err(path));
                };
                out.extend(obj.keys().cloned());
            }
        }
        Ok(out)
    }

    /// `_make_cors_allowed_methods_for_path_item`.
    pub fn cors_allowed_methods(item: &Map<String, Value>) -> String {
        let mut methods: Vec<String> = if item.contains_key(X_ANY_METHOD) {
            ALL_HTTP_METHODS.iter().map(|s| s.to_string()).collect()
        } else {
            let mut m: Vec<String> = item.keys().cloned().collect();
            m.push("options".into());
            m
        };
        methods = methods.into_iter().map(|m| m.to_uppercase()).collect();
        methods.sort();
        methods.dedup();
        methods.join(",")
    }

    /// Mutable access to a path item's conditional contents.
    pub fn path_item_contents_mut(&mut self, path: &str) -> Result<Vec<&mut Value>, ErrorItem> {
        match self.paths_mut().get_mut(path) {
            Some(item) => cond_contents_mut(item),
            None => Ok(Vec::new()),
        }
    }
}

/// Appends to a list property of a map, creating it when missing.
pub fn push_to_list(m: &mut Map<String, Value>, key: &str, item: Value) {
    let entry = m.entry(key).or_insert_with(|| json!([]));
    if !entry.is_array() {
        *entry = json!([]);
    }
    if let Value::Array(a) = entry {
        a.push(item);
    }
}

/// `dict_deep_set(data, "a.b", value)`; the error is `InvalidValueType`'s message.
pub fn deep_set(data: &mut Value, path: &str, value: &Value) -> Result<(), String> {
    let not_map = |rel: &str| {
        if rel.is_empty() {
            "It should be a map".to_string()
        } else {
            format!("The value of '{rel}' should be a map")
        }
    };
    let parts: Vec<&str> = path.split('.').collect();
    let mut cur = data;
    let mut rel = String::new();
    for part in &parts[..parts.len() - 1] {
        let Value::Object(m) = cur else {
            return Err(not_map(&rel));
        };
        cur = m.entry(*part).or_insert_with(|| json!({}));
        if !rel.is_empty() {
            rel.push('.');
        }
        rel.push_str(part);
    }
    let Value::Object(m) = cur else {
        return Err(not_map(&rel));
    };
    m.insert(parts[parts.len() - 1].to_string(), value.clone());
    Ok(())
}

/// The `credentials` of an `AWS_IAM` integration, when one applies.
fn integration_credentials(
    method_auth: &Map<String, Value>,
    api_auth: &Map<String, Value>,
    partition: &str,
) -> Option<Value> {
    let method_iam = method_auth.get("Authorizer").and_then(Value::as_str) == Some("AWS_IAM");
    let default_iam = api_auth.get("DefaultAuthorizer").and_then(Value::as_str) == Some("AWS_IAM")
        && method_auth.is_empty();
    if !(method_iam || default_iam) {
        return None;
    }
    let role = |auth: &Map<String, Value>| -> Option<Value> {
        match auth.get("InvokeRole") {
            Some(v) if truthy(Some(v)) => Some(v.clone()),
            Some(_) => Some(json!("NONE")),
            None => None,
        }
    };
    let chosen = role(method_auth).or_else(|| role(api_auth));
    let credentials = match chosen {
        Some(v) if v.as_str() != Some("CALLER_CREDENTIALS") => v,
        _ => json!(format!("arn:{partition}:iam::*:user/*")),
    };
    if credentials.as_str() == Some("NONE") {
        None
    } else {
        Some(credentials)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_params_become_wildcards() {
        assert_eq!(path_without_params("/a/{id}/b/{proxy+}"), "/a/*/b/*");
        assert_eq!(path_without_params("/a/{bad name}"), "/a/{bad name}");
    }

    #[test]
    fn openapi_versions() {
        assert!(is_openapi3(&json!("3.0.1")));
        assert!(!is_openapi3(&json!("2.0")));
        assert!(is_supported_openapi_version(&json!("2.0")));
        assert!(!is_supported_openapi_version(&json!("3")));
    }

    #[test]
    fn lambda_integration_is_added_once() {
        let mut doc = skeleton();
        let mut e = Editor::new(&mut doc).unwrap();
        let empty = Map::new();
        e.add_lambda_integration("/a", "ANY", json!("u"), &empty, &empty, None, None, "aws")
            .unwrap();
        assert!(e.has_integration("/a", "any").unwrap());
        let err = e
            .add_lambda_integration("/a", "any", json!("u"), &empty, &empty, None, None, "aws")
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("Lambda integration already exists")
        );
        assert_eq!(
            doc["paths"]["/a"][X_ANY_METHOD][X_INTEGRATION]["type"],
            json!("aws_proxy")
        );
    }
}
