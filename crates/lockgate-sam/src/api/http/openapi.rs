//! The translator's `OpenApiEditor` (OpenAPI 3 bodies of HTTP APIs), working
//! in place on the definition body: paths and methods (also inside
//! `Fn::If`), Lambda proxy integrations, authorizers and security, tags,
//! CORS, endpoint configuration, title and description.

use serde_json::{Map, Value, json};

use crate::error::ErrorItem;

use crate::api::rest::swagger::{self, method_def_err, path_item_err};
pub use crate::api::rest::swagger::{X_ANY_METHOD, X_INTEGRATION, normalize_method};
pub(crate) use crate::api::rest::swagger::{
    cond_contents as contents, cond_contents_mut as contents_mut, doc_err,
};
/// The catch-all path of HTTP APIs.
pub const DEFAULT_PATH: &str = "$default";

/// The default title of generated bodies: `{"Ref": "AWS::StackName"}`.
pub fn default_title() -> Value {
    json!({ "Ref": "AWS::StackName" })
}

/// `OpenApiEditor.gen_skeleton()`.
pub fn skeleton() -> Value {
    json!({ "openapi": "3.0.1", "info": { "version": "1.0", "title": default_title() }, "paths": {} })
}

/// Python's `str()` of a scalar, as the version regex sees it.
fn py_str_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if n.is_f64() {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 {
                    format!("{f:.1}")
                } else {
                    format!("{f}")
                }
            } else {
                n.to_string()
            }
        }
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => crate::intrinsics::py_repr(other),
    }
}

/// `\A3(\.\d)(\.\d)?$` on `str(version)`.
pub fn is_openapi3_version(v: &Value) -> bool {
    let s = py_str_scalar(v);
    let s = s.strip_suffix('\n').unwrap_or(&s);
    let b = s.as_bytes();
    let pair = |i: usize| b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit);
    (b.len() == 3 || b.len() == 5) && b[0] == b'3' && pair(1) && (b.len() == 3 || pair(3))
}

/// `OpenApiEditor.is_valid`.
pub fn is_valid(data: Option<&Value>) -> bool {
    let Some(Value::Object(m)) = data else {
        return false;
    };
    !m.is_empty()
        && m.get("paths").is_some_and(Value::is_object)
        && m.get("openapi").is_some_and(|v| !crate::ids::is_falsy(v))
        && is_openapi3_version(&m["openapi"])
}

/// The checks of `OpenApiEditor(doc)`; returns the document as a map.
pub fn check(doc: Option<&Value>) -> Result<(), ErrorItem> {
    if !is_valid(doc) {
        return Err(doc_err(
            "Invalid OpenApi document. Invalid values or missing keys for 'openapi' or 'paths' in 'DefinitionBody'.",
        ));
    }
    let Some(Value::Object(m)) = doc else {
        return Ok(());
    };
    if let Some(c) = m.get("components").filter(|c| !c.is_null())
        && !c.is_object()
    {
        return Err(doc_err(
            "Invalid OpenApi document: The value of 'components' should be a map",
        ));
    }
    Ok(())
}

fn has_integration_def_map(def: &Map<String, Value>) -> bool {
    def.get(X_INTEGRATION)
        .is_some_and(|v| !crate::ids::is_falsy(v))
}

/// The OpenAPI document being edited (the `DefinitionBody` map).
pub struct Editor<'a> {
    /// The document.
    pub doc: &'a mut Map<String, Value>,
}

impl<'a> Editor<'a> {
    /// Wraps a document already checked with [`check`].
    pub fn new(doc: &'a mut Map<String, Value>) -> Self {
        if !doc.get("paths").is_some_and(Value::is_object) {
            doc.insert("paths".into(), json!({}));
        }
        Editor { doc }
    }

    /// The `paths` map.
    pub fn paths(&self) -> &Map<String, Value> {
        swagger::paths_of(self.doc)
    }

    fn paths_mut(&mut self) -> &mut Map<String, Value> {
        swagger::paths_of_mut(self.doc)
    }

    /// The path names, in order.
    pub fn path_names(&self) -> Vec<String> {
        self.paths().keys().cloned().collect()
    }

    /// `has_path(path, method)`.
    pub fn has_path(&self, path: &str, method: Option<&str>) -> Result<bool, ErrorItem> {
        swagger::has_path(self.paths(), path, method)
    }

    /// `has_integration(path, method)`.
    pub fn has_integration(&self, path: &str, method: &str) -> Result<bool, ErrorItem> {
        swagger::has_integration(self.paths(), path, method)
    }

    /// `add_path(path, method)`.
    pub fn add_path(&mut self, path: &str, method: &str) -> Result<(), ErrorItem> {
        let m = normalize_method(method);
        let item = self
            .paths_mut()
            .entry(path.to_string())
            .or_insert_with(|| json!({}));
        if !item.is_object() {
            return Err(path_item_err(path));
        }
        for pi in contents_mut(item)? {
            if let Value::Object(o) = pi {
                o.entry(m.clone()).or_insert_with(|| json!({}));
            } else {
                return Err(path_item_err(path));
            }
        }
        Ok(())
    }

    /// `add_lambda_integration(path, method, uri, condition=…)`.
    pub fn add_lambda_integration(
        &mut self,
        path: &str,
        method: &str,
        uri: Value,
        condition: Option<&str>,
    ) -> Result<(), ErrorItem> {
        let m = normalize_method(method);
        if self.has_integration(path, &m)? {
            return Ok(());
        }
        self.add_path(path, &m)?;
        let uri = match condition {
            Some(c) => crate::api::http::util::conditional(c, uri),
            None => uri,
        };
        let Some(item) = self.paths_mut().get_mut(path) else {
            return Ok(());
        };
        for pi in contents_mut(item)? {
            let Value::Object(pi) = pi else {
                return Err(path_item_err(path));
            };
            let def = pi.entry(m.clone()).or_insert_with(|| json!({}));
            if def.is_null() {
                *def = json!({});
            }
            let Value::Object(d) = def else {
                return Err(method_def_err(path, &m));
            };
            d.insert(
                X_INTEGRATION.into(),
                json!({ "type": "aws_proxy", "httpMethod": "POST", "payloadFormatVersion": "2.0", "uri": uri.clone() }),
            );
            if path == DEFAULT_PATH && m == X_ANY_METHOD {
                d.insert("isDefaultRoute".into(), json!(true));
            }
            d.entry("responses").or_insert_with(|| json!({}));
            if let Some(c) = condition {
                let inner = std::mem::take(def);
                *def = crate::api::http::util::conditional(c, inner);
            }
        }
        Ok(())
    }

    /// Applies `f` to every method definition of `path`/`method` that has an
    /// integration (`iter_on_method_definitions_for_path_at_method`).
    pub fn for_each_method_def(
        &mut self,
        path: &str,
        method: &str,
        mut f: impl FnMut(&mut Map<String, Value>) -> Result<(), ErrorItem>,
    ) -> Result<(), ErrorItem> {
        let m = normalize_method(method);
        let Some(item) = self.paths_mut().get_mut(path) else {
            return Err(path_item_err(path));
        };
        for pi in contents_mut(item)? {
            let Value::Object(pi) = pi else {
                return Err(path_item_err(path));
            };
            let Some(def) = pi.get_mut(&m) else {
                return Err(method_def_err(path, method));
            };
            for d in contents_mut(def)? {
                let Value::Object(d) = d else {
                    return Err(method_def_err(path, method));
                };
                if has_integration_def_map(d) {
                    f(d)?;
                }
            }
        }
        Ok(())
    }

    /// Like [`Self::for_each_method_def`] but also visiting definitions
    /// without an integration (read-only).
    fn method_defs(&self, path: &str, method: &str) -> Result<Vec<&Map<String, Value>>, ErrorItem> {
        let m = normalize_method(method);
        let Some(item) = self.paths().get(path) else {
            return Err(path_item_err(path));
        };
        let mut out = Vec::new();
        for pi in contents(item)? {
            let Value::Object(pi) = pi else {
                return Err(path_item_err(path));
            };
            let Some(def) = pi.get(&m) else {
                return Err(method_def_err(path, method));
            };
            for d in contents(def)? {
                let Value::Object(d) = d else {
                    return Err(method_def_err(path, method));
                };
                out.push(d);
            }
        }
        Ok(out)
    }

    /// `is_integration_function_logical_id_match(path, method, logical_id)`.
    pub fn integration_matches_function(
        &self,
        path: &str,
        method: &str,
        logical_id: &str,
    ) -> Result<bool, ErrorItem> {
        if !self.has_integration(path, method)? {
            return Ok(false);
        }
        for def in self.method_defs(path, method)? {
            let integration = match def.get(X_INTEGRATION) {
                None => continue,
                Some(Value::Object(i)) => i,
                Some(_) => {
                    return Err(doc_err(format!(
                        "Value of '{X_INTEGRATION}' must be a dictionary according to Swagger spec."
                    )));
                }
            };
            let Some(uri @ Value::Object(_)) = integration.get("uri") else {
                return Ok(false);
            };
            for content in contents(uri)? {
                let arn = content
                    .get("Fn::Sub")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if first_arn_ref(arn).as_deref() != Some(logical_id) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// `add_path_parameters_to_method`.
    pub fn add_path_parameters(
        &mut self,
        path: &str,
        method: &str,
        params: &[String],
    ) -> Result<(), ErrorItem> {
        self.for_each_method_def(path, method, |def| {
            let list = def.entry("parameters").or_insert_with(|| json!([]));
            let Value::Array(list) = list else {
                return Ok(());
            };
            for param in params {
                let existing = list
                    .iter_mut()
                    .find(|p| p.get("name").and_then(Value::as_str) == Some(param.as_str()));
                match existing {
                    Some(Value::Object(p)) => {
                        p.insert("in".into(), json!("path"));
                        p.insert("required".into(), json!(true));
                    }
                    _ => list.push(json!({ "name": param, "in": "path", "required": true })),
                }
            }
            Ok(())
        })
    }

    /// Sets a key of the integration of `path`/`method` (timeout, payload format version).
    pub fn set_integration_key(
        &mut self,
        path: &str,
        method: &str,
        key: &str,
        value: &Value,
    ) -> Result<(), ErrorItem> {
        self.for_each_method_def(path, method, |def| {
            if let Some(Value::Object(i)) = def.get_mut(X_INTEGRATION) {
                i.insert(key.into(), value.clone());
            }
            Ok(())
        })
    }

    /// `_set_method_authorizer`: appends `{name: scopes}` to the method's security.
    pub fn set_method_authorizer(
        &mut self,
        path: &str,
        method: &str,
        name: &str,
        api_authorizers: Option<&Value>,
        scopes: Option<&Value>,
    ) -> Result<(), ErrorItem> {
        self.for_each_method_def(path, method, |def| {
            let mut value = json!([]);
            if name != "NONE" && name != "AWS_IAM" {
                let empty = json!({});
                let authorizer = api_authorizers.and_then(|a| a.get(name)).unwrap_or(&empty);
                if !authorizer.is_object() {
                    return Err(doc_err(format!(
                        "Type of authorizer '{name}' must be a dictionary"
                    )));
                }
                let mut method_scopes = authorizer.get("AuthorizationScopes").cloned();
                if let Some(s) = scopes.filter(|s| !crate::ids::is_falsy(s)) {
                    method_scopes = Some(s.clone());
                }
                if !crate::ids::is_falsy(authorizer)
                    && let Some(s) = method_scopes.filter(|s| !crate::ids::is_falsy(s))
                {
                    value = s;
                }
            }
            let mut security = match def.get("security") {
                None => Vec::new(),
                Some(Value::Array(a)) => a.clone(),
                Some(_) => {
                    return Err(doc_err(format!(
                        "Type of security for path {path} method {method} must be a list"
                    )));
                }
            };
            let mut entry = Map::new();
            entry.insert(name.to_string(), value);
            security.push(Value::Object(entry));
            def.insert("security".into(), Value::Array(security));
            Ok(())
        })
    }

    /// `set_path_default_authorizer`: methods with an integration and no
    /// security of their own get `[{default: scopes}]`.
    pub fn set_path_default_authorizer(
        &mut self,
        path: &str,
        default: &str,
        scopes: &Value,
    ) -> Result<(), ErrorItem> {
        let Some(item) = self.paths_mut().get_mut(path) else {
            return Err(path_item_err(path));
        };
        for pi in contents_mut(item)? {
            let Value::Object(pi) = pi else {
                return Err(path_item_err(path));
            };
            let names: Vec<String> = pi.keys().cloned().collect();
            for method_name in names {
                let normalized = normalize_method(&method_name);
                if normalized == "parameters" || normalized == "options" {
                    continue;
                }
                if !pi.contains_key(&normalized) {
                    return Err(doc_err(format!(
                        "Could not find {normalized} in {path} within DefinitionBody."
                    )));
                }
                let Some(method) = pi.get_mut(&method_name) else {
                    continue;
                };
                for def in contents_mut(method)? {
                    let Value::Object(def) = def else {
                        return Err(method_def_err(path, &method_name));
                    };
                    if !has_integration_def_map(def) {
                        continue;
                    }
                    if def
                        .get("security")
                        .is_some_and(|s| !crate::ids::is_falsy(s))
                    {
                        continue;
                    }
                    let mut entry = Map::new();
                    entry.insert(default.to_string(), scopes.clone());
                    def.insert("security".into(), json!([entry]));
                }
            }
        }
        Ok(())
    }

    /// `add_authorizers_security_definitions`: `components.securitySchemes`.
    pub fn add_security_schemes(&mut self, schemes: Vec<(String, Value)>) {
        if schemes.is_empty() {
            return;
        }
        let comps = self.doc.entry("components").or_insert_with(|| json!({}));
        if !comps.is_object() {
            *comps = json!({});
        }
        let Some(comps) = comps.as_object_mut() else {
            return;
        };
        let ss = comps.entry("securitySchemes").or_insert_with(|| json!({}));
        if !ss.is_object() {
            *ss = json!({});
        }
        if let Some(ss) = ss.as_object_mut() {
            for (k, v) in schemes {
                ss.insert(k, v);
            }
        }
    }

    /// `make_path_conditional`.
    pub fn make_path_conditional(&mut self, path: &str, condition: &str) {
        if let Some(item) = self.paths_mut().get_mut(path) {
            let inner = std::mem::take(item);
            *item = crate::api::http::util::conditional(condition, inner);
        }
    }
}

/// The first `Xxx.Arn` reference in an integration URI (`([A-Za-z0-9]+\.Arn)`), without `.Arn`.
fn first_arn_ref(arn: &str) -> Option<String> {
    let bytes = arn.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_alphanumeric() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if arn[i..].starts_with(".Arn") {
                return Some(arn[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_integration_and_default_route() {
        let mut doc = skeleton();
        let m = doc.as_object_mut().unwrap();
        let mut ed = Editor::new(m);
        ed.add_lambda_integration(
            "$default",
            "x-amazon-apigateway-any-method",
            json!({"Fn::Sub": "u"}),
            None,
        )
        .unwrap();
        assert!(ed.has_integration("$default", "ANY").unwrap());
        let def = &doc["paths"]["$default"][X_ANY_METHOD];
        assert_eq!(def["isDefaultRoute"], json!(true));
        assert_eq!(def[X_INTEGRATION]["payloadFormatVersion"], json!("2.0"));
    }

    #[test]
    fn arn_reference_is_found() {
        assert_eq!(
            first_arn_ref("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${MyFn.Arn}/invocations").as_deref(),
            Some("MyFn")
        );
        assert_eq!(first_arn_ref("${MyAlias}"), None);
    }

    #[test]
    fn version_regex() {
        assert!(is_openapi3_version(&json!("3.0.1")));
        assert!(is_openapi3_version(&json!("3.0")));
        assert!(!is_openapi3_version(&json!("2.0")));
        assert!(!is_openapi3_version(&json!("3.0.1.1")));
    }
}
