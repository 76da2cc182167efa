//! Document-level edits of the OpenAPI editor: tags, CORS, endpoint
//! configuration, title and description (`OpenApiEditor.add_tags`, …).

use serde_json::{Map, Value, json};

use crate::api::http::openapi::{Editor, default_title, doc_err};
use crate::error::ErrorItem;
use crate::intrinsics::is_intrinsic;

const X_TAG_VALUE: &str = "x-amazon-apigateway-tag-value";
const X_CORS: &str = "x-amazon-apigateway-cors";
const X_ENDPOINT_CONFIG: &str = "x-amazon-apigateway-endpoint-configuration";

impl Editor<'_> {
    /// `add_tags`: `tags: [{name, x-amazon-apigateway-tag-value}]`.
    pub fn add_tags(&mut self, tags: &Map<String, Value>) -> Result<(), ErrorItem> {
        let mut list = match self.doc.get("tags") {
            Some(t) if !crate::ids::is_falsy(t) => t.clone(),
            _ => json!([]),
        };
        for (name, value) in tags {
            let Value::Array(items) = &mut list else {
                return Err(doc_err(format!(
                    "Tags in OpenApi DefinitionBody needs to be a list. {} is a {} not a list.",
                    crate::intrinsics::py_str(&list),
                    py_type_name(&list)
                )));
            };
            match items
                .iter_mut()
                .find(|t| t.get("name").and_then(Value::as_str) == Some(name.as_str()))
            {
                Some(Value::Object(t)) => {
                    t.insert(X_TAG_VALUE.into(), value.clone());
                }
                _ => items.push(json!({ "name": name, X_TAG_VALUE: value })),
            }
        }
        if !crate::ids::is_falsy(&list) {
            self.doc.insert("tags".into(), list);
        }
        Ok(())
    }

    /// `add_endpoint_config`: `servers[*].x-amazon-apigateway-endpoint-configuration.disableExecuteApiEndpoint`.
    pub fn add_endpoint_config(&mut self, disable: &Value) -> Result<(), ErrorItem> {
        let mut servers = self
            .doc
            .get("servers")
            .cloned()
            .unwrap_or_else(|| json!([{}]));
        let err =
            || doc_err("Value of 'servers' item must be a dictionary according to Swagger spec.");
        match &mut servers {
            Value::Array(items) => {
                for config in items.iter_mut() {
                    let Value::Object(config) = config else {
                        return Err(err());
                    };
                    let mut ec = config
                        .get(X_ENDPOINT_CONFIG)
                        .cloned()
                        .unwrap_or_else(|| json!({}));
                    if let Value::Object(m) = &mut ec {
                        m.insert("disableExecuteApiEndpoint".into(), disable.clone());
                    }
                    config.insert(X_ENDPOINT_CONFIG.into(), ec);
                }
            }
            Value::Object(m) if m.is_empty() => {}
            _ => return Err(err()),
        }
        self.doc.insert("servers".into(), servers);
        Ok(())
    }

    /// `add_cors`: `x-amazon-apigateway-cors`.
    pub fn add_cors(&mut self, cors: &CorsProps) -> Result<(), ErrorItem> {
        let mut config = match self.doc.get(X_CORS) {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                return Err(doc_err(format!(
                    "Value of '{X_CORS}' must be a dictionary according to Swagger spec."
                )));
            }
        };
        let origins = cors
            .allow_origins
            .as_ref()
            .filter(|v| !crate::ids::is_falsy(v));
        if let Some(o) = origins.filter(|o| is_intrinsic(o)) {
            let mut text = o.to_string();
            for header in [
                "allowOrigins",
                "allowHeaders",
                "allowMethods",
                "exposeHeaders",
                "maxAge",
                "allowCredentials",
            ] {
                let keyword = format!("{}{}", header[..1].to_uppercase(), &header[1..]);
                text = text.replace(&keyword, header);
            }
            if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&text) {
                for (k, v) in m {
                    config.insert(k, v);
                }
            }
        } else {
            let truthy =
                |v: &Option<Value>| v.as_ref().filter(|v| !crate::ids::is_falsy(v)).cloned();
            if let Some(v) = truthy(&cors.allow_origins) {
                config.insert("allowOrigins".into(), v);
            }
            if let Some(v) = truthy(&cors.allow_headers) {
                config.insert("allowHeaders".into(), v);
            }
            if let Some(v) = truthy(&cors.allow_methods) {
                config.insert("allowMethods".into(), v);
            }
            if let Some(v) = truthy(&cors.expose_headers) {
                config.insert("exposeHeaders".into(), v);
            }
            if let Some(v) = cors.max_age.as_ref().filter(|v| !v.is_null()) {
                config.insert("maxAge".into(), v.clone());
            }
            if cors.allow_credentials == Some(Value::Bool(true)) {
                config.insert("allowCredentials".into(), json!(true));
            }
        }
        self.doc.insert(X_CORS.into(), Value::Object(config));
        Ok(())
    }

    fn info_mut(&mut self) -> Option<&mut Map<String, Value>> {
        let info = self.doc.entry("info").or_insert_with(|| json!({}));
        if info.is_null() {
            *info = json!({});
        }
        info.as_object_mut()
    }

    /// `add_description`.
    pub fn add_description(&mut self, description: &Value) {
        if let Some(info) = self.info_mut()
            && info.get("description").is_none_or(crate::ids::is_falsy)
        {
            info.insert("description".into(), description.clone());
        }
    }

    /// `add_title`.
    pub fn add_title(&mut self, title: &Value) {
        if let Some(info) = self.info_mut()
            && info.get("title") == Some(&default_title())
        {
            info.insert("title".into(), title.clone());
        }
    }
}

/// The CORS settings of `CorsConfiguration` (`CorsProperties`).
#[derive(Debug, Default, Clone)]
pub struct CorsProps {
    /// `AllowOrigins` (or the whole intrinsic when `CorsConfiguration` is one).
    pub allow_origins: Option<Value>,
    /// `AllowHeaders`.
    pub allow_headers: Option<Value>,
    /// `AllowMethods`.
    pub allow_methods: Option<Value>,
    /// `ExposeHeaders`.
    pub expose_headers: Option<Value>,
    /// `MaxAge`.
    pub max_age: Option<Value>,
    /// `AllowCredentials`.
    pub allow_credentials: Option<Value>,
}

/// Python's type name of a JSON value.
pub(crate) fn py_type_name(v: &Value) -> &'static str {
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
