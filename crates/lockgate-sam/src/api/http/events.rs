//! A function's `HttpApi` event (`eventsources.push.HttpApi`): the Lambda
//! permission for API Gateway, and the route with its Lambda proxy
//! integration, auth, timeout, path parameters and payload format version
//! added to the API's OpenAPI body in `ctx.template`.

use serde_json::{Map, Value, json};

use crate::api::http::implicit::api_id_of;
use crate::api::http::openapi::{self, DEFAULT_PATH, Editor, X_ANY_METHOD};
use crate::api::http::util::get;
use crate::ctx::{Ctx, FunctionEvent, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::py_str;
use crate::props::{Check, Prop, p, validate};

const SPEC: &[Prop] = &[
    p("Path", false, Check::Str),
    p("Method", false, Check::Str),
    p("ApiId", false, Check::Str),
    p("Stage", false, Check::Str),
    p("Auth", false, Check::Map),
    p("TimeoutInMillis", false, Check::Int),
    p("RouteSettings", false, Check::Map),
    p("PayloadFormatVersion", false, Check::Str),
];

/// The function or alias the event invokes.
struct Target<'a> {
    resource: &'a Resource,
    is_alias: bool,
}

impl Target<'_> {
    fn id(&self) -> &str {
        &self.resource.logical_id
    }

    /// `make_shorthand(get_runtime_attr("arn"))`.
    fn arn_shorthand(&self) -> String {
        if self.is_alias {
            format!("${{{}}}", self.id())
        } else {
            format!("${{{}.Arn}}", self.id())
        }
    }

    fn passthrough(&self) -> Map<String, Value> {
        let mut out = Map::new();
        for k in ["Condition", "DeletionPolicy", "UpdateReplacePolicy"] {
            if let Some(v) = self.resource.attributes.get(k) {
                out.insert(k.into(), v.clone());
            }
        }
        out
    }
}

/// Translates one `HttpApi` event (see [`crate::api::http::translate_http_api_event`]).
pub fn translate(ctx: &mut Ctx, ev: &FunctionEvent<'_>) -> Result<Vec<Resource>, ErrorItem> {
    let full_id = format!("{}{}", ev.function.logical_id, ev.event_id);
    let empty = Map::new();
    let props = ev
        .event
        .get("Properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    validate(&full_id, "HttpApi", props, SPEC)?;
    let target = match ev.alias {
        Some(a) => Target {
            resource: a,
            is_alias: true,
        },
        None => Target {
            resource: ev.function,
            is_alias: false,
        },
    };
    let raw_path = get(props, "Path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let method = get(props, "Method")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    let raw_api_id = get(props, "ApiId").cloned().unwrap_or(Value::Null);
    let Some(api_id) = api_id_of(Some(&raw_api_id)).and_then(|v| v.as_str().map(str::to_string))
    else {
        return Err(ErrorItem::event(
            ev.event_id,
            "ApiId must be a valid reference to an 'AWS::Serverless::HttpApi' resource in same template.",
        ));
    };
    let Some(api) = ctx.resources_mut().get_mut(&api_id) else {
        return Err(ErrorItem::event(
            ev.event_id,
            "ApiId must be a valid reference to an 'AWS::Serverless::HttpApi' resource in same template.",
        ));
    };
    // The body is edited in place: taken out of the template and put back.
    let api_props = api.get_mut("Properties").and_then(Value::as_object_mut);
    let mut view = ApiView {
        manage: api_props
            .as_ref()
            .and_then(|p| p.get("__MANAGE_SWAGGER"))
            .is_some_and(|v| !crate::ids::is_falsy(v)),
        auth: api_props.as_ref().and_then(|p| p.get("Auth")).cloned(),
        body: api_props
            .and_then(|p| p.get_mut("DefinitionBody"))
            .map(std::mem::take)
            .filter(|b| !b.is_null()),
    };
    let result = translate_with_body(
        ev,
        &mut view,
        &api_id,
        &raw_api_id,
        props,
        &raw_path,
        &method,
        &target,
        &full_id,
    );
    if let Some(body) = view.body
        && let Some(Value::Object(p)) = ctx
            .resources_mut()
            .get_mut(&api_id)
            .and_then(|a| a.get_mut("Properties"))
    {
        p.insert("DefinitionBody".into(), body);
    }
    result
}

/// What an event reads of its API (the body is owned while the event edits it).
struct ApiView {
    body: Option<Value>,
    manage: bool,
    auth: Option<Value>,
}

#[allow(clippy::too_many_arguments)]
fn translate_with_body(
    ev: &FunctionEvent<'_>,
    view: &mut ApiView,
    api_id: &str,
    raw_api_id: &Value,
    props: &Map<String, Value>,
    raw_path: &str,
    method: &str,
    target: &Target<'_>,
    full_id: &str,
) -> Result<Vec<Resource>, ErrorItem> {
    let mut out = Vec::new();
    if let Some(perm) = permission(view, api_id, raw_api_id, raw_path, method, target, full_id)? {
        out.push(perm);
    }
    let mut auth = get(props, "Auth").cloned();
    add_integration(ev, view, api_id, props, raw_path, method, target, &mut auth)?;
    Ok(out)
}

/// `_get_permission`: `None` when the function's `$default` route already covers it.
fn permission(
    view: &mut ApiView,
    api_id: &str,
    raw_api_id: &Value,
    raw_path: &str,
    method: &str,
    target: &Target<'_>,
    full_id: &str,
) -> Result<Option<Resource>, ErrorItem> {
    let mut path = if raw_path.len() > 1 && raw_path.ends_with('/') {
        raw_path[..raw_path.len() - 1].to_string()
    } else {
        raw_path.to_string()
    };
    let body = view.body.as_mut().filter(|b| !crate::ids::is_falsy(b));
    if let Some(b) = &body
        && let Err(e) = openapi::check(Some(b))
    {
        return Err(ErrorItem::resource(api_id, e.to_string()));
    }
    if path == DEFAULT_PATH {
        path.clear();
    } else if let Some(Value::Object(doc)) = body {
        let editor = Editor::new(doc);
        if editor.integration_matches_function(DEFAULT_PATH, X_ANY_METHOD, target.id())? {
            return Ok(None);
        }
    }
    let path = path_without_params(&path);
    let is_any = method == "any" || method == X_ANY_METHOD;
    let m = if is_any {
        "*".to_string()
    } else {
        method.to_uppercase()
    };
    let mut resource = "${__ApiId__}/${__Stage__}".to_string();
    if method == "any" && path == format!("/{DEFAULT_PATH}") {
        resource.push_str(&path);
    } else {
        resource.push_str(&format!("/{m}{path}"));
    }
    let source_arn = json!({ "Fn::Sub": [
        format!("arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"),
        { "__ApiId__": raw_api_id, "__Stage__": "*" }
    ]});
    let mut perm = Resource::new(format!("{full_id}Permission"), "AWS::Lambda::Permission");
    perm.attributes = target.passthrough();
    perm.properties
        .insert("Action".into(), json!("lambda:InvokeFunction"));
    perm.properties
        .insert("FunctionName".into(), json!({ "Ref": target.id() }));
    perm.properties
        .insert("Principal".into(), json!("apigateway.amazonaws.com"));
    perm.properties.insert("SourceArn".into(), source_arn);
    Ok(Some(perm))
}

/// `get_path_without_trailing_slash`: `{param}` and `{proxy+}` become `*`.
fn path_without_params(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                let ok = name == "proxy+"
                    || (!name.is_empty()
                        && name
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')));
                if ok {
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

/// `re.findall("{(.*?)}", path)`.
fn path_parameters(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// `_add_openapi_integration`: edits the API's body, when it has one.
#[allow(clippy::too_many_arguments)]
fn add_integration(
    ev: &FunctionEvent<'_>,
    view: &mut ApiView,
    api_id: &str,
    props: &Map<String, Value>,
    path: &str,
    method: &str,
    target: &Target<'_>,
    auth: &mut Option<Value>,
) -> Result<(), ErrorItem> {
    let Some(body) = view.body.as_mut() else {
        return Ok(());
    };
    let uri = json!({ "Fn::Sub": format!(
        "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/{}/invocations",
        target.arn_shorthand()
    )});
    openapi::check(Some(body))?;
    let Value::Object(doc) = body else {
        return Ok(());
    };
    let mut editor = Editor::new(doc);
    if view.manage && editor.has_integration(path, method)? {
        return Err(ErrorItem::event(
            ev.event_id,
            format!("API method '{method}' defined multiple times for path '{path}'."),
        ));
    }
    let condition = target
        .resource
        .attributes
        .get("Condition")
        .and_then(Value::as_str);
    editor.add_lambda_integration(path, method, uri, condition)?;
    if auth.as_ref().is_some_and(|a| !crate::ids::is_falsy(a)) {
        add_auth(
            ev,
            view.auth.as_ref(),
            api_id,
            &mut editor,
            path,
            method,
            auth,
        )?;
    }
    if let Some(t) = get(props, "TimeoutInMillis").filter(|t| !crate::ids::is_falsy(t)) {
        editor.set_integration_key(path, method, "timeoutInMillis", t)?;
    }
    let params = path_parameters(path);
    if !params.is_empty() {
        editor.add_path_parameters(path, method, &params)?;
    }
    if let Some(v) = get(props, "PayloadFormatVersion").filter(|v| !crate::ids::is_falsy(v)) {
        editor.set_integration_key(path, method, "payloadFormatVersion", v)?;
    }
    Ok(())
}

/// `_add_auth_to_openapi_integration`.
fn add_auth(
    ev: &FunctionEvent<'_>,
    api_auth: Option<&Value>,
    api_id: &str,
    editor: &mut Editor<'_>,
    path: &str,
    method: &str,
    auth: &mut Option<Value>,
) -> Result<(), ErrorItem> {
    let event_err = |msg: String| ErrorItem::event(ev.event_id, msg);
    let empty = json!({});
    let api_auth = api_auth.unwrap_or(&empty);
    let Value::Object(api_auth) = api_auth else {
        return Err(ErrorItem::resource(
            api_id,
            "Property 'Auth' should be a map.",
        ));
    };
    let Some(Value::Object(event_auth)) = auth.as_mut() else {
        return Ok(());
    };
    let default = api_auth
        .get("DefaultAuthorizer")
        .filter(|d| !crate::ids::is_falsy(d))
        .cloned();
    let mut method_authorizer = event_auth
        .get("Authorizer")
        .filter(|a| !crate::ids::is_falsy(a))
        .cloned();
    if method_authorizer.is_none() {
        match &default {
            Some(d) => {
                event_auth.insert("Authorizer".into(), d.clone());
                method_authorizer = Some(d.clone());
            }
            None => {
                return Err(event_err(
                    "'Auth' section requires either an explicit 'Authorizer' set or a 'DefaultAuthorizer' configured on the HttpApi.".into(),
                ));
            }
        }
    }
    let ma = method_authorizer.unwrap_or(Value::Null);
    // `api_auth and api_auth.get("Authorizers")`: an empty `Auth` stands for itself.
    let api_authorizers = if api_auth.is_empty() {
        Some(&empty)
    } else {
        api_auth.get("Authorizers")
    };
    let iam_enabled = api_auth.get("EnableIamAuthorizer") == Some(&Value::Bool(true));
    let ma_str = ma.as_str();
    let shown = py_str(&ma);
    if ma_str != Some("NONE")
        && !(ma_str == Some("AWS_IAM") && iam_enabled)
        && (ma_str.is_none() || !api_authorizers.is_some_and(Value::is_object))
    {
        return Err(event_err(format!(
            "Unable to set Authorizer [{shown}] on API method [{method}] for path [{path}]. The method authorizer must be a string with a corresponding dict entry in the api authorizer."
        )));
    }
    if ma_str == Some("NONE") {
        if default.is_none() {
            return Err(event_err(format!(
                "Unable to set Authorizer on API method [{method}] for path [{path}] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified."
            )));
        }
    } else if ma_str != Some("AWS_IAM") || !iam_enabled {
        let authorizers = api_authorizers.filter(|a| !crate::ids::is_falsy(a));
        let Some(authorizers) = authorizers else {
            return Err(event_err(format!(
                "Unable to set Authorizer [{shown}] on API method [{method}] for path [{path}] because the related API does not define any Authorizers."
            )));
        };
        if ma_str
            .and_then(|n| authorizers.get(n))
            .is_none_or(crate::ids::is_falsy)
        {
            return Err(event_err(format!(
                "Unable to set Authorizer [{shown}] on API method [{method}] for path [{path}] because it wasn't defined in the API's Authorizers."
            )));
        }
    }
    let scopes = event_auth.get("AuthorizationScopes").cloned();
    if scopes
        .as_ref()
        .is_some_and(|s| !crate::ids::is_falsy(s) && !s.is_array())
    {
        return Err(event_err(format!(
            "Unable to set Authorizer on API method [{method}] for path [{path}] because 'AuthorizationScopes' must be a list of strings."
        )));
    }
    if let Some(name) = ma_str {
        editor.set_method_authorizer(path, method, name, api_authorizers, scopes.as_ref())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_params_become_wildcards() {
        assert_eq!(path_without_params("/a/{id}/{proxy+}"), "/a/*/*");
        assert_eq!(path_without_params("/a/{bad name}"), "/a/{bad name}");
        assert_eq!(
            path_parameters("/a/{id}/b/{x}"),
            vec!["id".to_string(), "x".to_string()]
        );
    }
}
