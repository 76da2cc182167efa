//! `Cors` of a REST API: an `OPTIONS` mock method on every path
//! (`ApiGenerator._add_cors` and `SwaggerEditor.add_cors`).

use serde_json::{Map, Value, json};

use super::swagger::{self, Editor, X_INTEGRATION};
use crate::error::ErrorItem;
use crate::ids::is_falsy;
use crate::intrinsics::is_intrinsic;

const WILDCARD: &str = "'*'";
const FIELDS: [&str; 5] = [
    "AllowMethods",
    "AllowHeaders",
    "AllowOrigin",
    "MaxAge",
    "AllowCredentials",
];

/// The `Cors` settings after defaults.
struct CorsProps {
    methods: Option<Value>,
    headers: Option<Value>,
    origin: Option<Value>,
    max_age: Option<Value>,
    credentials: Value,
}

/// Adds the CORS `OPTIONS` methods to `body`.
pub fn add_cors(
    api_id: &str,
    cors: Option<&Value>,
    body: Option<&mut Value>,
) -> Result<(), ErrorItem> {
    let Some(cors) = cors.filter(|c| !is_falsy(c)) else {
        return Ok(());
    };
    let Some(body) = body.filter(|b| !is_falsy(b)) else {
        return Err(ErrorItem::resource(
            api_id,
            "Cors works only with inline Swagger specified in 'DefinitionBody' property.",
        ));
    };
    let props = if cors.is_string() || is_intrinsic(cors) {
        CorsProps {
            methods: None,
            headers: None,
            origin: Some(cors.clone()),
            max_age: None,
            credentials: json!(false),
        }
    } else if let Value::Object(m) = cors {
        for key in m.keys() {
            if !FIELDS.contains(&key.as_str()) {
                return Err(ErrorItem::resource(
                    api_id,
                    format!("Invalid key '{key}' for 'Cors' property."),
                ));
            }
        }
        let get = |k: &str| m.get(k).filter(|v| !v.is_null()).cloned();
        CorsProps {
            methods: get("AllowMethods"),
            headers: get("AllowHeaders"),
            origin: if m.contains_key("AllowOrigin") {
                get("AllowOrigin")
            } else {
                Some(json!(WILDCARD))
            },
            max_age: get("MaxAge"),
            credentials: m.get("AllowCredentials").cloned().unwrap_or(json!(false)),
        }
    } else {
        return Err(ErrorItem::resource(
            api_id,
            "Invalid value for 'Cors' property",
        ));
    };
    if !swagger::is_valid(Some(body)) {
        return Err(ErrorItem::resource(
            api_id,
            "Unable to add Cors configuration because 'DefinitionBody' does not contain a valid Swagger definition.",
        ));
    }
    if props.credentials == json!(true)
        && props.origin.as_ref().and_then(Value::as_str) == Some(WILDCARD)
    {
        return Err(ErrorItem::resource(
            api_id,
            "Unable to add Cors configuration because 'AllowCredentials' can not be true when 'AllowOrigin' is \"'*'\" or not set",
        ));
    }
    let mut editor = Editor::new(body)?;
    let mut seen: Vec<String> = Vec::new();
    for path in editor.path_names() {
        let normalized = if path == "/" {
            path.clone()
        } else {
            path.trim_end_matches('/').to_string()
        };
        if seen.contains(&normalized) {
            continue;
        }
        seen.push(normalized);
        add_cors_to_path(&mut editor, &path, &props).map_err(|e| match e {
            e @ ErrorItem::InvalidTemplate { .. } => ErrorItem::resource(api_id, e.to_string()),
            other => other,
        })?;
    }
    Ok(())
}

fn add_cors_to_path(
    editor: &mut Editor<'_>,
    path: &str,
    props: &CorsProps,
) -> Result<(), ErrorItem> {
    let mut methods = props.methods.clone().filter(|m| !is_falsy(m));
    let credentials = props.credentials == json!(true);
    for item in editor.path_item_contents_mut(path)? {
        let Value::Object(item) = item else {
            return Err(ErrorItem::template(format!(
                "Value of '{path}' path must be a dictionary according to Swagger spec."
            )));
        };
        if item.contains_key("options") {
            continue;
        }
        let Some(origin) = props.origin.as_ref().filter(|o| !is_falsy(o)) else {
            return Err(ErrorItem::template(
                "Invalid input. Value for AllowedOrigins is required",
            ));
        };
        if methods.is_none() {
            methods = Some(json!(format!("'{}'", Editor::cors_allowed_methods(item))));
        }
        let options = options_method(
            origin,
            props.headers.as_ref(),
            methods.as_ref(),
            props.max_age.as_ref(),
            credentials,
        );
        item.insert("options".into(), options);
    }
    Ok(())
}

fn options_method(
    origin: &Value,
    headers: Option<&Value>,
    methods: Option<&Value>,
    max_age: Option<&Value>,
    credentials: bool,
) -> Value {
    let mut params = Map::new();
    let mut resp_headers = Map::new();
    params.insert(
        "method.response.header.Access-Control-Allow-Origin".into(),
        origin.clone(),
    );
    resp_headers.insert(
        "Access-Control-Allow-Origin".into(),
        json!({"type": "string"}),
    );
    if let Some(h) = headers.filter(|h| !is_falsy(h)) {
        params.insert(
            "method.response.header.Access-Control-Allow-Headers".into(),
            h.clone(),
        );
        resp_headers.insert(
            "Access-Control-Allow-Headers".into(),
            json!({"type": "string"}),
        );
    }
    if let Some(m) = methods.filter(|m| !is_falsy(m)) {
        params.insert(
            "method.response.header.Access-Control-Allow-Methods".into(),
            m.clone(),
        );
        resp_headers.insert(
            "Access-Control-Allow-Methods".into(),
            json!({"type": "string"}),
        );
    }
    if let Some(a) = max_age {
        params.insert(
            "method.response.header.Access-Control-Max-Age".into(),
            a.clone(),
        );
        resp_headers.insert("Access-Control-Max-Age".into(), json!({"type": "integer"}));
    }
    if credentials {
        params.insert(
            "method.response.header.Access-Control-Allow-Credentials".into(),
            json!("'true'"),
        );
        resp_headers.insert(
            "Access-Control-Allow-Credentials".into(),
            json!({"type": "string"}),
        );
    }
    json!({
        "summary": "CORS support",
        "consumes": ["application/json"],
        "produces": ["application/json"],
        X_INTEGRATION: {
            "type": "mock",
            "requestTemplates": {"application/json": "{\n  \"statusCode\" : 200\n}\n"},
            "responses": {"default": {
                "statusCode": "200",
                "responseParameters": params,
                "responseTemplates": {"application/json": "{}\n"}
            }}
        },
        "responses": {"200": {"description": "Default response for CORS method", "headers": resp_headers}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_method_lists_path_methods() {
        let mut body = json!({"swagger": "2.0", "paths": {"/a": {"get": {}, "post": {}}}});
        add_cors("Api", Some(&json!("'*'")), Some(&mut body)).unwrap();
        let params = &body["paths"]["/a"]["options"][X_INTEGRATION]["responses"]["default"]["responseParameters"];
        assert_eq!(
            params["method.response.header.Access-Control-Allow-Methods"],
            json!("'GET,OPTIONS,POST'")
        );
    }

    #[test]
    fn credentials_with_wildcard_is_rejected() {
        let mut body = json!({"swagger": "2.0", "paths": {}});
        let err = add_cors(
            "Api",
            Some(&json!({"AllowCredentials": true})),
            Some(&mut body),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("'AllowCredentials' can not be true")
        );
    }
}
