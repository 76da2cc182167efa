//! A function's `Api` event (`eventsources/push.py`, class `Api`): the Lambda
//! permission, and the integration, auth, request models and parameters it
//! adds to its API's definition body.

use serde_json::{Map, Value, json};

use super::auth;
use super::implicit::rest_api_id_string;
use super::swagger::{self, Editor, path_without_params};
use crate::ctx::{Ctx, FunctionEvent, Resource};
use crate::error::ErrorItem;
use crate::ids::{is_alnum, is_falsy, logical_id};
use crate::intrinsics::{is_intrinsic, py_str};
use crate::props::{self, Check, Prop, p};

/// Declared properties of an `Api` event.
pub const API_EVENT: &[Prop] = &[
    p("Path", true, Check::Str),
    p("Method", true, Check::Str),
    p("RestApiId", true, Check::Str),
    p("Stage", false, Check::Str),
    p("Auth", false, Check::Map),
    p("RequestModel", false, Check::Map),
    p("RequestParameters", false, Check::List),
    p("TimeoutInMillis", false, Check::Int),
    p("ResponseTransferMode", false, Check::Str),
];

/// What `resources_to_link` finds for an `Api` event.
struct Linked {
    api_id: String,
    stage_suffix: String,
}

fn link(
    ctx: &Ctx,
    event_id: &str,
    raw_api_id: Option<&Value>,
) -> Result<Option<Linked>, ErrorItem> {
    let Some(Value::String(api_id)) = rest_api_id_string(raw_api_id) else {
        return Ok(None);
    };
    let Some(Value::Object(api)) = ctx.resources().get(&api_id) else {
        return Err(ErrorItem::event(
            event_id,
            "RestApiId property of Api event must reference a valid resource in the same template.",
        ));
    };
    let props = match api.get("Properties") {
        None => None,
        Some(Value::Object(p)) => Some(p),
        Some(_) => {
            return Err(ErrorItem::resource(
                &api_id,
                "Attribute 'Properties' should be a map.",
            ));
        }
    };
    let stage_suffix = match props.and_then(|p| p.get("StageName")) {
        Some(Value::String(s)) if s.is_empty() => {
            return Err(ErrorItem::resource(&api_id, "StageName cannot be empty."));
        }
        Some(Value::String(s)) => s.clone(),
        _ => "Stage".to_string(),
    };
    Ok(Some(Linked {
        api_id,
        stage_suffix,
    }))
}

/// Translates one `Api` event.
pub fn translate(ctx: &mut Ctx, ev: &FunctionEvent<'_>) -> Result<Vec<Resource>, ErrorItem> {
    let full_id = format!("{}{}", ev.function_id, ev.event_id);
    let props = match ev.event.get("Properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(ErrorItem::resource(
                &full_id,
                "Properties of a resource must be an object.",
            ));
        }
    };
    props::validate(&full_id, "Api", &props, API_EVENT)?;
    let Some(linked) = link(ctx, ev.event_id, props.get("RestApiId"))? else {
        return Err(ErrorItem::event(
            ev.event_id,
            "'NoneType' object has no attribute 'get'",
        ));
    };
    let path = props
        .get("Path")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let method = props
        .get("Method")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_lowercase();
    let target = ev.alias.unwrap_or(ev.function);
    let permission = permission(
        ev,
        target,
        &props,
        &path,
        &method,
        &linked.stage_suffix,
        &ctx.opts.partition,
    );
    record_function_name(ctx, &linked.api_id, ev);

    // The definition body is taken out of the template while it is edited
    // (no copy of a possibly big document per event) and always put back.
    let mut body = take_body(ctx, &linked.api_id);
    let snapshot = body.as_ref().map(|b| Snapshot::of(b, &path));
    let result = edit_body(
        ctx,
        ev,
        target,
        &props,
        &linked,
        &path,
        &method,
        body.as_mut(),
    );
    if result.is_err()
        && let (Some(b), Some(s)) = (body.as_mut(), snapshot)
    {
        s.restore(b, &path);
    }
    if let Some(b) = body
        && let Some(Value::Object(p)) = ctx
            .resources_mut()
            .get_mut(&linked.api_id)
            .and_then(|r| r.get_mut("Properties"))
    {
        p.insert("DefinitionBody".into(), b);
    }
    result?;
    Ok(vec![permission])
}

/// What an event may change in a definition body: its own path item and the
/// top-level sections other than `paths` (security definitions, policy, …).
/// The translator edits a copy and drops it on failure; restoring this much
/// gives the same result without copying every path of the document.
struct Snapshot {
    path_item: Option<Value>,
    top: Vec<(String, Option<Value>)>,
}

impl Snapshot {
    fn of(body: &Value, path: &str) -> Self {
        let Value::Object(m) = body else {
            return Snapshot {
                path_item: None,
                top: Vec::new(),
            };
        };
        Snapshot {
            path_item: m.get("paths").and_then(|p| p.get(path)).cloned(),
            top: m
                .iter()
                .map(|(k, v)| (k.clone(), if k == "paths" { None } else { Some(v.clone()) }))
                .collect(),
        }
    }

    fn restore(self, body: &mut Value, path: &str) {
        let Value::Object(m) = body else { return };
        let mut paths = m.shift_remove("paths");
        if let Some(Value::Object(p)) = paths.as_mut() {
            match self.path_item {
                Some(item) => {
                    p.insert(path.to_string(), item);
                }
                None => {
                    p.shift_remove(path);
                }
            }
        }
        let mut rebuilt = Map::new();
        for (k, v) in self.top {
            match v {
                Some(v) => {
                    rebuilt.insert(k, v);
                }
                None => {
                    if let Some(p) = paths.take() {
                        rebuilt.insert(k, p);
                    }
                }
            }
        }
        *m = rebuilt;
    }
}

fn take_body(ctx: &mut Ctx, api_id: &str) -> Option<Value> {
    let slot = ctx
        .resources_mut()
        .get_mut(api_id)
        .and_then(|r| r.get_mut("Properties"))
        .and_then(|p| p.get_mut("DefinitionBody"))?;
    if slot.is_null() {
        return None;
    }
    Some(std::mem::take(slot))
}

#[allow(clippy::too_many_arguments)]
fn edit_body(
    ctx: &Ctx,
    ev: &FunctionEvent<'_>,
    target: &Resource,
    props: &Map<String, Value>,
    linked: &Linked,
    path: &str,
    method: &str,
    mut body: Option<&mut Value>,
) -> Result<(), ErrorItem> {
    let empty = Map::new();
    let api_props = ctx
        .resources()
        .get(&linked.api_id)
        .and_then(|r| r.get("Properties"))
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let managed = api_props
        .get("__MANAGE_SWAGGER")
        .is_some_and(|v| !is_falsy(v));
    let merge = api_props
        .get("MergeDefinitions")
        .is_some_and(|v| !is_falsy(v));
    if (managed || merge)
        && let Some(b) = body.as_deref_mut()
    {
        add_integration(
            ctx, ev, target, props, api_props, linked, path, method, b, merge,
        )?;
    }
    let auth_cfg = props.get("Auth").filter(|v| !is_falsy(v));
    if let (Some(b), Some(Value::Object(a))) = (body, auth_cfg)
        && a.get("OverrideApiAuth").is_some_and(|v| !is_falsy(v))
    {
        if !["Authorizer", "ApiKeyRequired", "ResourcePolicy"]
            .iter()
            .any(|k| a.get(*k).is_some_and(|v| !is_falsy(v)))
        {
            return Err(ErrorItem::event(
                ev.event_id,
                "Must define one of: Authorizer, ApiKeyRequired or ResourcePolicy when using the OverrideApiAuth property.",
            ));
        }
        let mut editor = Editor::new(b)?;
        add_auth(
            ctx,
            a,
            api_props,
            &linked.api_id,
            ev.event_id,
            method,
            path,
            &linked.stage_suffix,
            &mut editor,
        )?;
    }
    Ok(())
}

/// Keeps the translator's `redeploy_restapi_parameters.function_names`: the
/// `FunctionName`s of functions with events on an API change its deployment hash.
fn record_function_name(ctx: &mut Ctx, api_id: &str, ev: &FunctionEvent<'_>) {
    let name = ev
        .sam_function
        .pointer("/Properties/FunctionName")
        .filter(|v| !v.is_null());
    let Some(name) = name else { return };
    let Ok(resolved) = ctx.resolve_params(name) else {
        return;
    };
    if is_falsy(&resolved) {
        return;
    }
    let Some(api) = ctx.resources_mut().get_mut(api_id) else {
        return;
    };
    if api.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Api") {
        return;
    }
    let Some(Value::Object(p)) = api.get_mut("Properties") else {
        return;
    };
    let entry = p
        .entry(super::FUNCTION_NAMES_KEY)
        .or_insert_with(|| json!(""));
    if let Value::String(s) = entry {
        s.push_str(&py_str(&resolved));
    }
}

fn permission(
    ev: &FunctionEvent<'_>,
    target: &Resource,
    props: &Map<String, Value>,
    path: &str,
    method: &str,
    suffix: &str,
    partition: &str,
) -> Resource {
    let trimmed = if path.len() > 1 && path.ends_with('/') {
        &path[..path.len() - 1]
    } else {
        path
    };
    let arn_path = path_without_params(trimmed);
    let arn_method = if method == "any" {
        "*".to_string()
    } else {
        method.to_uppercase()
    };
    let source_arn = json!({"Fn::Sub": [
        format!("arn:{partition}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/${{__Stage__}}/{arn_method}{arn_path}"),
        {"__ApiId__": props.get("RestApiId").cloned().unwrap_or(Value::Null), "__Stage__": "*"}
    ]});
    let prefix = format!("{}{}", ev.function_id, ev.event_id);
    let id = if is_alnum(suffix) {
        format!("{prefix}Permission{suffix}")
    } else {
        logical_id(
            &format!("{prefix}Permission"),
            &Value::String(suffix.to_string()),
        )
    };
    let mut r = Resource::new(id, "AWS::Lambda::Permission")
        .prop("Action", json!("lambda:InvokeFunction"))
        .prop("FunctionName", json!({"Ref": target.logical_id}))
        .prop("Principal", json!("apigateway.amazonaws.com"))
        .prop("SourceArn", source_arn);
    r.attributes = target.passthrough_attributes();
    r
}

/// `_build_apigw_integration_uri`.
fn integration_uri(
    target: &Resource,
    is_alias: bool,
    partition: &str,
    mode: Option<&Value>,
) -> Value {
    let (version, tail) = if mode.and_then(Value::as_str) == Some("RESPONSE_STREAM") {
        ("2021-11-15", "/response-streaming-invocations")
    } else {
        ("2015-03-31", "/invocations")
    };
    let shorthand = if is_alias {
        format!("${{{}}}", target.logical_id)
    } else {
        format!("${{{}.Arn}}", target.logical_id)
    };
    json!({"Fn::Sub": format!("arn:{partition}:apigateway:${{AWS::Region}}:lambda:path/{version}/functions/{shorthand}{tail}")})
}

#[allow(clippy::too_many_arguments)]
fn add_integration(
    ctx: &Ctx,
    ev: &FunctionEvent<'_>,
    target: &Resource,
    props: &Map<String, Value>,
    api: &Map<String, Value>,
    linked: &Linked,
    path: &str,
    method: &str,
    body: &mut Value,
    merge: bool,
) -> Result<(), ErrorItem> {
    let event_id = ev.event_id;
    let partition = &ctx.opts.partition;
    let mut skeleton = swagger::skeleton();
    let doc: &mut Value = if merge { &mut skeleton } else { &mut *body };
    let uri = integration_uri(
        target,
        ev.alias.is_some(),
        partition,
        props.get("ResponseTransferMode"),
    );
    {
        let mut editor = Editor::new(doc)?;
        if editor.has_integration(path, method)? {
            return Err(ErrorItem::event(
                event_id,
                format!("API method \"{method}\" defined multiple times for path \"{path}\"."),
            ));
        }
        let condition = target.attributes.get("Condition").and_then(Value::as_str);
        let empty = Map::new();
        let method_auth = match props.get("Auth").filter(|v| !is_falsy(v)) {
            None => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(ErrorItem::event(
                    event_id,
                    "Property 'Auth' should be a map.",
                ));
            }
        };
        let api_auth = match api.get("Auth").filter(|v| !is_falsy(v)) {
            None => &empty,
            Some(Value::Object(m)) => m,
            Some(_) => {
                return Err(ErrorItem::resource(
                    &linked.api_id,
                    "Property 'Auth' should be a map.",
                ));
            }
        };
        editor.add_lambda_integration(
            path,
            method,
            uri,
            method_auth,
            api_auth,
            condition,
            props.get("ResponseTransferMode"),
            partition,
        )?;
        if !method_auth.is_empty() {
            add_auth(
                ctx,
                method_auth,
                api,
                &linked.api_id,
                event_id,
                method,
                path,
                &linked.stage_suffix,
                &mut editor,
            )?;
        }
        if let Some(t) = props.get("TimeoutInMillis").filter(|v| !is_falsy(v)) {
            editor.add_timeout(path, method, t)?;
        }
        if let Some(model) = props.get("RequestModel").filter(|v| !is_falsy(v)) {
            request_model(&mut editor, event_id, api, model, method, path)?;
        }
        if let Some(params) = props.get("RequestParameters").filter(|v| !is_falsy(v)) {
            request_parameters(&mut editor, event_id, params, method, path)?;
        }
    }
    if merge {
        merge_into(body, skeleton, &linked.api_id, path, method)?;
    }
    Ok(())
}

fn merge_into(
    body: &mut Value,
    generated: Value,
    api_id: &str,
    path: &str,
    method: &str,
) -> Result<(), ErrorItem> {
    let normalized = swagger::normalize_method(method);
    let generated_method = generated
        .pointer(&format!("/paths/{}/{}", escape(path), escape(&normalized)))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let Value::Object(doc) = body else {
        return Ok(());
    };
    // `merged.get('paths') or {}`: without paths, the merge goes to a detached map.
    let mut detached = Value::Object(Map::new());
    let paths = match doc.get_mut("paths") {
        Some(p) if !is_falsy(p) => p,
        _ => &mut detached,
    };
    let Value::Object(paths) = paths else {
        return Err(ErrorItem::resource(
            api_id,
            "Property 'DefinitionBody' is invalid: It should be a map",
        ));
    };
    let existing = match paths.get(path) {
        None | Some(Value::Null) => json!({}),
        Some(Value::Object(p)) => p
            .get(method)
            .cloned()
            .filter(|v| !v.is_null())
            .unwrap_or_else(|| json!({})),
        Some(_) => {
            return Err(ErrorItem::resource(
                api_id,
                format!(
                    "Property 'DefinitionBody' is invalid: The value of '{path}' should be a map"
                ),
            ));
        }
    };
    let Value::Object(mut merged) = existing else {
        return Err(ErrorItem::resource(
            api_id,
            format!("Property 'DefinitionBody.paths.{path}.{method}' should be a map."),
        ));
    };
    if let Value::Object(g) = generated_method {
        for (k, v) in g {
            merged.insert(k, v);
        }
    }
    let item = paths.entry(path).or_insert_with(|| json!({}));
    if !item.is_object() {
        *item = json!({});
    }
    if let Value::Object(item) = item {
        item.insert(method.to_string(), Value::Object(merged));
    }
    Ok(())
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn request_model(
    editor: &mut Editor<'_>,
    event_id: &str,
    api: &Map<String, Value>,
    model: &Value,
    method: &str,
    path: &str,
) -> Result<(), ErrorItem> {
    let Value::Object(model) = model else {
        return Err(ErrorItem::event(
            event_id,
            "Property 'RequestModel' should be a map.",
        ));
    };
    let Some(name) = model.get("Model").filter(|v| !is_falsy(v)) else {
        return Ok(());
    };
    let shown = py_str(name);
    let prefix =
        format!("Unable to set RequestModel [{shown}] on API method [{method}] for path [{path}]");
    let api_models = api.get("Models").filter(|v| !is_falsy(v));
    let Some(api_models) = api_models else {
        return Err(ErrorItem::event(
            event_id,
            format!("{prefix} because the related API does not define any Models."),
        ));
    };
    if !is_intrinsic(api_models) && !api_models.is_object() {
        return Err(ErrorItem::event(
            event_id,
            format!("{prefix} because the related API Models defined is of invalid type."),
        ));
    }
    let Value::String(name) = name else {
        return Err(ErrorItem::event(
            event_id,
            format!("{prefix} because the related API does not contain valid Models."),
        ));
    };
    if api_models.get(name).is_none_or(is_falsy) {
        return Err(ErrorItem::event(
            event_id,
            format!("{prefix} because it wasn't defined in the API's Models."),
        ));
    }
    editor.add_request_model(path, method, model)?;
    let vb = model.get("ValidateBody").filter(|v| !v.is_null());
    let vp = model.get("ValidateParameters").filter(|v| !v.is_null());
    if vb.is_some() || vp.is_some() {
        let vb = vb.cloned().unwrap_or(Value::Bool(false));
        let vp = vp.cloned().unwrap_or(Value::Bool(false));
        let (Value::Bool(vb), Value::Bool(vp)) = (vb, vp) else {
            return Err(ErrorItem::event(
                event_id,
                format!(
                    "Unable to set Validator to RequestModel [{shown}] on API method [{method}] for path [{path}] ValidateBody and ValidateParameters must be a boolean type, strings or intrinsics are not supported."
                ),
            ));
        };
        editor.add_request_validator(path, method, vb, vp)?;
    }
    Ok(())
}

fn request_parameters(
    editor: &mut Editor<'_>,
    event_id: &str,
    params: &Value,
    method: &str,
    path: &str,
) -> Result<(), ErrorItem> {
    const KEYS_MSG: &str = "Invalid value for 'RequestParameters' property. Keys must be in the format 'method.request.[querystring|path|header].{value}', e.g 'method.request.header.Authorization'.";
    let valid_name = |n: &str| {
        [
            "method.request.querystring.",
            "method.request.path.",
            "method.request.header.",
        ]
        .iter()
        .any(|p| n.starts_with(p))
    };
    let mut out = Vec::new();
    for param in params.as_array().map(Vec::as_slice).unwrap_or_default() {
        match param {
            Value::Object(m) => {
                let Some((name, value)) = m.iter().next() else {
                    return Err(ErrorItem::event(
                        event_id,
                        "'NoneType' object is not iterable",
                    ));
                };
                if !valid_name(name) {
                    return Err(ErrorItem::event(event_id, KEYS_MSG));
                }
                let Value::Object(settings) = value else {
                    return Err(ErrorItem::event(
                        event_id,
                        "Invalid value for 'RequestParameters' property. Values must be an object, e.g { Required: true, Caching: false }",
                    ));
                };
                if !settings.keys().all(|k| k == "Required" || k == "Caching") {
                    return Err(ErrorItem::event(
                        event_id,
                        "Invalid value for 'RequestParameters' property. Values must be an object, e.g { Required: true, Caching: false }",
                    ));
                }
                out.push((
                    name.clone(),
                    settings
                        .get("Required")
                        .cloned()
                        .unwrap_or(Value::Bool(false)),
                    settings
                        .get("Caching")
                        .cloned()
                        .unwrap_or(Value::Bool(false)),
                ));
            }
            Value::String(name) => {
                if !valid_name(name) {
                    return Err(ErrorItem::event(event_id, KEYS_MSG));
                }
                out.push((name.clone(), Value::Bool(false), Value::Bool(false)));
            }
            _ => {
                return Err(ErrorItem::event(
                    event_id,
                    "Invalid value for 'RequestParameters' property. Property must be either a string or an object",
                ));
            }
        }
    }
    editor.add_request_parameters(path, method, &out)
}

/// `Api.add_auth_to_swagger`.
#[allow(clippy::too_many_arguments)]
fn add_auth(
    ctx: &Ctx,
    event_auth: &Map<String, Value>,
    api: &Map<String, Value>,
    api_id: &str,
    event_id: &str,
    method: &str,
    path: &str,
    stage: &str,
    editor: &mut Editor<'_>,
) -> Result<(), ErrorItem> {
    let method_authorizer = event_auth.get("Authorizer").filter(|v| !is_falsy(v));
    let api_auth = match api.get("Auth") {
        Some(a) => Some(ctx.resolve_params(a)?),
        None => None,
    };
    let api_auth = api_auth.filter(|a| !is_falsy(a));
    if let Some(authorizer) = method_authorizer {
        let api_authorizers = api_auth
            .as_ref()
            .and_then(|a| a.get("Authorizers"))
            .filter(|v| !is_falsy(v));
        if let Some(a) = api_authorizers
            && !a.is_object()
        {
            return Err(ErrorItem::resource(
                api_id,
                "Property 'Auth.Authorizers' should be a map.",
            ));
        }
        let shown = py_str(authorizer);
        if authorizer.as_str() != Some("AWS_IAM") {
            if authorizer.as_str() != Some("NONE") {
                let Some(api_authorizers) = api_authorizers else {
                    return Err(ErrorItem::event(
                        event_id,
                        format!(
                            "Unable to set Authorizer [{shown}] on API method [{method}] for path [{path}] because the related API does not define any Authorizers."
                        ),
                    ));
                };
                if !authorizer.is_string() {
                    return Err(ErrorItem::event(
                        event_id,
                        format!(
                            "Unable to set Authorizer [{shown}] on API method [{method}] for path [{path}]. The method authorizer must be a string with a corresponding dict entry in the api authorizer."
                        ),
                    ));
                }
                if api_authorizers.get(&shown).is_none_or(is_falsy) {
                    return Err(ErrorItem::event(
                        event_id,
                        format!(
                            "Unable to set Authorizer [{shown}] on API method [{method}] for path [{path}] because it wasn't defined in the API's Authorizers."
                        ),
                    ));
                }
            } else if api_auth
                .as_ref()
                .and_then(|a| a.get("DefaultAuthorizer"))
                .is_none_or(is_falsy)
            {
                return Err(ErrorItem::event(
                    event_id,
                    format!(
                        "Unable to set Authorizer on API method [{method}] for path [{path}] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified."
                    ),
                ));
            }
        }
    }
    if let Some(scopes) = event_auth
        .get("AuthorizationScopes")
        .filter(|v| !is_falsy(v))
    {
        if !scopes.is_array() {
            return Err(ErrorItem::event(
                event_id,
                "Property 'Auth.AuthorizationScopes' should be a list.",
            ));
        }
        if method_authorizer.is_none() {
            return Err(ErrorItem::event(
                event_id,
                "AuthorizationScopes works only when Authorizer is set",
            ));
        }
    }
    let key_required = event_auth.get("ApiKeyRequired").filter(|v| !v.is_null());
    if key_required.is_some_and(is_falsy)
        && api_auth
            .as_ref()
            .and_then(|a| a.get("ApiKeyRequired"))
            .is_none_or(is_falsy)
    {
        return Err(ErrorItem::event(
            event_id,
            format!(
                "Unable to set ApiKeyRequired [False] on API method [{method}] for path [{path}] because the related API does not specify any ApiKeyRequired."
            ),
        ));
    }
    if method_authorizer.is_some() || key_required.is_some() {
        let raw_authorizers = api.get("Auth").and_then(|a| a.get("Authorizers"));
        auth::add_auth_to_method(editor, path, method, event_auth, raw_authorizers)?;
    }
    if let Some(rp) = event_auth.get("ResourcePolicy").filter(|v| !is_falsy(v)) {
        let Value::Object(rp) = rp else {
            return Err(ErrorItem::resource(
                event_id,
                "Property 'Auth.ResourcePolicy' should be a map.",
            ));
        };
        auth::add_resource_policy(editor, rp, path, &Value::String(stage.to_string()))?;
        if let Some(cs) = rp.get("CustomStatements").filter(|v| !is_falsy(v)) {
            auth::add_custom_statements(editor, cs);
        }
    }
    Ok(())
}
