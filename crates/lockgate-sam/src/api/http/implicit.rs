//! `ImplicitHttpApiPlugin` (and the HTTP half of `DefaultDefinitionBodyPlugin`):
//! functions' `HttpApi` events without `ApiId` go to the implicit
//! `ServerlessHttpApi`, whose OpenAPI body, route settings, conditions and
//! policies are derived from those events.

use serde_json::{Map, Value, json};

use crate::api::http::openapi::{self, DEFAULT_PATH, Editor, X_ANY_METHOD};
use crate::api::rest::implicit::remove_implicit_api_if_empty;
use crate::ctx::Ctx;
use crate::error::ErrorItem;
use crate::intrinsics::make_combined_condition;

/// Logical ID of the implicit HTTP API.
pub const IMPLICIT_API_ID: &str = "ServerlessHttpApi";
const IMPLICIT_API_CONDITION: &str = "ServerlessHttpApiCondition";
const HTTP_API_TYPE: &str = "AWS::Serverless::HttpApi";

/// Per API: path → method → condition of the function behind it.
type Conditions = Map<String, Value>;

#[derive(Default)]
struct State {
    /// api id → path → method → condition (or null).
    conditions: Map<String, Value>,
    /// api id → `DeletionPolicy` of each event's function.
    deletion_policies: std::collections::HashMap<String, Vec<Option<String>>>,
    /// api id → `UpdateReplacePolicy` of each event's function.
    update_replace_policies: std::collections::HashMap<String, Vec<Option<String>>>,
}

/// An error of the plugin: event errors are collected per function, anything
/// else aborts the transform.
enum PluginError {
    Event(ErrorItem),
    Abort(ErrorItem),
}

/// `DefaultDefinitionBodyPlugin` for HTTP APIs: APIs with neither
/// `DefinitionBody` nor `DefinitionUri` get a skeleton body SAM manages.
pub fn add_default_bodies(ctx: &mut Ctx) {
    for res in ctx.resources_mut().values_mut() {
        if res.get("Type").and_then(Value::as_str) != Some(HTTP_API_TYPE) {
            continue;
        }
        let Value::Object(r) = res else { continue };
        let props = r.entry("Properties").or_insert_with(|| json!({}));
        if props.is_null() {
            *props = json!({});
        }
        let Value::Object(p) = props else { continue };
        let truthy = |k: &str| p.get(k).is_some_and(|v| !crate::ids::is_falsy(v));
        if truthy("DefinitionBody") || truthy("DefinitionUri") {
            continue;
        }
        p.insert("DefinitionBody".into(), openapi::skeleton());
        p.insert("__MANAGE_SWAGGER".into(), json!(true));
    }
}

/// Runs the implicit HTTP API plugin on `ctx.template`.
pub fn run(ctx: &mut Ctx) -> Result<(), Vec<ErrorItem>> {
    let existing = ctx.resources().get(IMPLICIT_API_ID).cloned();
    ctx.resources_mut().insert(
        IMPLICIT_API_ID.into(),
        json!({ "Type": HTTP_API_TYPE, "Properties": { "DefinitionBody": openapi::skeleton(), "__MANAGE_SWAGGER": true } }),
    );
    // `template.get_globals().get(SamResourceType(type).name)`.
    let globals_of = |ctx: &Ctx, section: &str| {
        ctx.template
            .get("Globals")
            .and_then(|g| g.get(section))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let function_globals = globals_of(ctx, "Function");
    let state_machine_globals = globals_of(ctx, "StateMachine");

    let mut state = State::default();
    let mut errors = Vec::new();
    let ids: Vec<String> = ctx
        .resources()
        .iter()
        .filter(|(_, r)| {
            matches!(
                r.get("Type").and_then(Value::as_str),
                Some("AWS::Serverless::Function" | "AWS::Serverless::StateMachine")
            )
        })
        .map(|(k, _)| k.clone())
        .collect();
    for id in ids {
        let Some(full) = ctx.resources().get(&id) else {
            continue;
        };
        let Some(Value::Object(events)) = full.get("Properties").and_then(|p| p.get("Events"))
        else {
            continue;
        };
        let http_events: Vec<(String, Value)> = events
            .iter()
            .filter(|(_, e)| e.get("Type").and_then(Value::as_str) == Some("HttpApi"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if http_events.is_empty() {
            continue;
        }
        let func = slim_function(full);
        let globals = match func.get("Type").and_then(Value::as_str) {
            Some("AWS::Serverless::StateMachine") => &state_machine_globals,
            _ => &function_globals,
        };
        match process_events(ctx, &mut state, &func, globals, http_events, &id) {
            Ok(()) => {}
            Err(PluginError::Event(e)) => errors.push(e),
            Err(PluginError::Abort(e)) => return Err(vec![e]),
        }
    }

    finish_implicit_api(ctx, &state);
    add_conditions_to_paths(ctx, &state).map_err(|e| vec![e])?;
    remove_implicit_api_if_empty(ctx, IMPLICIT_API_ID, existing);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn process_events(
    ctx: &mut Ctx,
    state: &mut State,
    func: &Value,
    globals: &Value,
    events: Vec<(String, Value)>,
    function_id: &str,
) -> Result<(), PluginError> {
    let str_attr = |k: &str| func.get(k).and_then(Value::as_str).map(str::to_string);
    let condition = str_attr("Condition");
    let event_err = |event_id: &str, msg: String| {
        PluginError::Event(ErrorItem::resource(
            function_id,
            format!("Event with id [{event_id}] is invalid. {msg}"),
        ))
    };
    for (event_id, mut event) in events {
        let props = match event.get("Properties") {
            None => json!({}),
            Some(p) => p.clone(),
        };
        let Value::Object(mut props) = props else {
            return Err(event_err(&event_id, "Properties should be a map.".into()));
        };
        add_tags_if_necessary(ctx, &props, func, globals);
        props
            .entry("ApiId")
            .or_insert_with(|| json!({ "Ref": IMPLICIT_API_ID }));
        let truthy =
            |k: &str, p: &Map<String, Value>| p.get(k).is_some_and(|v| !crate::ids::is_falsy(v));
        if !truthy("Path", &props) && !truthy("Method", &props) {
            props.insert("Path".into(), json!(DEFAULT_PATH));
            props.insert("Method".into(), json!(X_ANY_METHOD));
        }
        let api_id = api_id_of(props.get("ApiId"));
        for key in ["Path", "Method"] {
            if props.get(key).is_none_or(Value::is_null) {
                return Err(event_err(
                    &event_id,
                    format!("Property '{key}' is required."),
                ));
            }
        }
        let Some(api_id) = api_id.as_ref().and_then(Value::as_str).map(str::to_string) else {
            return Err(event_err(
                &event_id,
                "Property 'ApiId' should be a string.".into(),
            ));
        };
        let Some(path) = props
            .get("Path")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Err(event_err(
                &event_id,
                "Property 'Path' should be a string.".into(),
            ));
        };
        let Some(method) = props
            .get("Method")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            return Err(event_err(
                &event_id,
                "Property 'Method' should be a string.".into(),
            ));
        };

        let api_conds = state
            .conditions
            .entry(api_id.clone())
            .or_insert_with(|| json!({}));
        if let Value::Object(m) = api_conds {
            let path_conds = m.entry(path.clone()).or_insert_with(|| json!({}));
            if let Value::Object(pm) = path_conds {
                pm.insert(
                    method.clone(),
                    condition.clone().map_or(Value::Null, Value::String),
                );
            }
        }
        state
            .deletion_policies
            .entry(api_id.clone())
            .or_default()
            .push(str_attr("DeletionPolicy"));
        state
            .update_replace_policies
            .entry(api_id.clone())
            .or_default()
            .push(str_attr("UpdateReplacePolicy"));

        add_api_to_openapi(ctx, &api_id, &path, &method).map_err(|e| match e {
            ErrorItem::InvalidEvent { message, .. } => event_err(&event_id, message),
            other => PluginError::Abort(other),
        })?;
        if props.contains_key("RouteSettings") {
            add_route_settings(ctx, &props, &api_id, &path, &method, condition.as_deref())
                .map_err(|e| match e {
                    ErrorItem::InvalidEvent { message, .. } => event_err(&event_id, message),
                    other => PluginError::Abort(other),
                })?;
        }
        if let Value::Object(ev) = &mut event {
            ev.insert("Properties".into(), Value::Object(props));
        }
        // Write the completed event back to the function.
        if let Some(Value::Object(events)) = ctx
            .resources_mut()
            .get_mut(function_id)
            .and_then(|f| f.get_mut("Properties"))
            .and_then(|p| p.get_mut("Events"))
        {
            events.insert(event_id.clone(), event);
        }
    }
    Ok(())
}

/// The parts of a function the plugin reads: its type, attributes, `Tags`
/// and `PropagateTags` (the rest, code included, is not copied).
fn slim_function(full: &Value) -> Value {
    let mut out = Map::new();
    for k in ["Type", "Condition", "DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(v) = full.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    let mut props = Map::new();
    for k in ["Tags", "PropagateTags"] {
        if let Some(v) = full.get("Properties").and_then(|p| p.get(k)) {
            props.insert(k.into(), v.clone());
        }
    }
    out.insert("Properties".into(), Value::Object(props));
    Value::Object(out)
}

/// `Api.get_rest_api_id_string`: the `Ref` target or the value itself.
pub fn api_id_of(v: Option<&Value>) -> Option<Value> {
    let v = v?;
    match v.get("Ref") {
        Some(r) if v.is_object() => Some(r.clone()),
        _ => Some(v.clone()),
    }
}

fn add_tags_if_necessary(ctx: &mut Ctx, props: &Map<String, Value>, func: &Value, globals: &Value) {
    if props.contains_key("ApiId") {
        return;
    }
    let fprops = func.get("Properties");
    let pick = |k: &str| {
        fprops
            .and_then(|p| p.get(k))
            .filter(|v| !crate::ids::is_falsy(v))
            .or_else(|| globals.get(k).filter(|v| !crate::ids::is_falsy(v)))
            .cloned()
    };
    let (Some(_), Some(Value::Object(tags))) = (pick("PropagateTags"), pick("Tags")) else {
        return;
    };
    let Some(Value::Object(api)) = ctx.resources_mut().get_mut(IMPLICIT_API_ID) else {
        return;
    };
    let Some(Value::Object(p)) = api.get_mut("Properties") else {
        return;
    };
    let t = p.entry("Tags").or_insert_with(|| json!({}));
    if let Value::Object(t) = t {
        for (k, v) in tags {
            t.insert(k, v);
        }
    }
    p.insert("PropagateTags".into(), json!(true));
}

/// `_add_api_to_swagger`.
fn add_api_to_openapi(
    ctx: &mut Ctx,
    api_id: &str,
    path: &str,
    method: &str,
) -> Result<(), ErrorItem> {
    let Some(resource) = ctx.resources_mut().get_mut(api_id) else {
        return Err(ErrorItem::event(
            "",
            "ApiId must be a valid reference to an 'AWS::Serverless::HttpApi' resource in same template.",
        ));
    };
    let Some(Value::Object(props)) = resource.get_mut("Properties") else {
        return Ok(());
    };
    if !openapi::is_valid(props.get("DefinitionBody")) {
        return Ok(());
    }
    if props
        .get("__MANAGE_SWAGGER")
        .is_none_or(crate::ids::is_falsy)
    {
        return Ok(());
    }
    let Some(Value::Object(body)) = props.get_mut("DefinitionBody") else {
        return Ok(());
    };
    Editor::new(body).add_path(path, method)
}

/// `_add_route_settings_to_api`.
fn add_route_settings(
    ctx: &mut Ctx,
    props: &Map<String, Value>,
    api_id: &str,
    path: &str,
    method: &str,
    condition: Option<&str>,
) -> Result<(), ErrorItem> {
    let route = if method == X_ANY_METHOD {
        path.to_string()
    } else {
        format!("{} {path}", method.to_uppercase())
    };
    let Some(resource) = ctx.resources_mut().get_mut(api_id) else {
        return Ok(());
    };
    let Value::Object(r) = resource else {
        return Ok(());
    };
    let p = r.entry("Properties").or_insert_with(|| json!({}));
    let Value::Object(p) = p else { return Ok(()) };
    let mut api_settings = match p.get("RouteSettings") {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(ErrorItem::resource(
                api_id,
                "Property 'RouteSettings' should be a map.",
            ));
        }
    };
    let event_settings = props.get("RouteSettings").cloned().unwrap_or(Value::Null);
    let event_settings = match condition {
        Some(c) => crate::api::http::util::conditional(c, event_settings),
        None => event_settings,
    };
    let Value::Object(event_settings) = event_settings else {
        return Err(ErrorItem::event(
            "",
            "Property 'RouteSettings' should be a map.",
        ));
    };
    let entry = api_settings.entry(route).or_insert_with(|| json!({}));
    if let Value::Object(e) = entry {
        for (k, v) in event_settings {
            e.insert(k, v);
        }
    }
    p.insert("RouteSettings".into(), Value::Object(api_settings));
    Ok(())
}

/// Condition, `DeletionPolicy` and `UpdateReplacePolicy` of the implicit API.
fn finish_implicit_api(ctx: &mut Ctx, state: &State) {
    let implicit_conds = state
        .conditions
        .get(IMPLICIT_API_ID)
        .and_then(Value::as_object);
    let mut new_condition: Option<(String, Map<String, Value>)> = None;
    let mut api_condition = None;
    if let Some(paths) = implicit_conds.filter(|m| !m.is_empty()) {
        let mut all: Vec<Value> = Vec::new();
        for methods in paths.values().filter_map(Value::as_object) {
            for c in methods.values() {
                if !all.contains(c) {
                    all.push(c.clone());
                }
            }
        }
        if !all.is_empty() && !all.contains(&Value::Null) {
            if all.len() == 1 {
                api_condition = all[0].as_str().map(str::to_string);
            } else {
                let mut names: Vec<String> = all
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                names.sort();
                api_condition = Some(IMPLICIT_API_CONDITION.to_string());
                new_condition = Some((
                    IMPLICIT_API_CONDITION.to_string(),
                    make_combined_condition(names, IMPLICIT_API_CONDITION),
                ));
            }
        }
    }
    if let Some((_, conds)) = new_condition {
        ctx.add_conditions(conds);
    }
    let Some(Value::Object(api)) = ctx.resources_mut().get_mut(IMPLICIT_API_ID) else {
        return;
    };
    if let Some(c) = api_condition {
        api.insert("Condition".into(), Value::String(c));
    }
    let none = Vec::new();
    let dp = state
        .deletion_policies
        .get(IMPLICIT_API_ID)
        .unwrap_or(&none);
    if dp.iter().any(Option::is_some) {
        if dp.iter().any(|p| p.as_deref() == Some("Retain")) {
            api.insert("DeletionPolicy".into(), json!("Retain"));
        } else if dp.iter().any(|p| p.as_deref() == Some("Delete")) {
            api.insert("DeletionPolicy".into(), json!("Delete"));
        }
    }
    let urp = state
        .update_replace_policies
        .get(IMPLICIT_API_ID)
        .unwrap_or(&none);
    if urp.iter().any(Option::is_some) {
        for candidate in ["Retain", "Snapshot", "Delete"] {
            if urp.iter().any(|p| p.as_deref() == Some(candidate)) {
                api.insert("UpdateReplacePolicy".into(), json!(candidate));
                break;
            }
        }
    }
}

/// `_maybe_add_conditions_to_implicit_api_paths`.
fn add_conditions_to_paths(ctx: &mut Ctx, state: &State) -> Result<(), ErrorItem> {
    let ids: Vec<String> = ctx
        .resources()
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(HTTP_API_TYPE))
        .filter(|(_, r)| {
            r.get("Properties")
                .and_then(|p| p.get("__MANAGE_SWAGGER"))
                .is_some_and(|v| !crate::ids::is_falsy(v))
        })
        .map(|(k, _)| k.clone())
        .collect();
    for api_id in ids {
        let mut new_conditions = Map::new();
        {
            let Some(body) = ctx
                .resources_mut()
                .get_mut(&api_id)
                .and_then(|r| r.get_mut("Properties"))
                .and_then(|p| p.get_mut("DefinitionBody"))
            else {
                continue;
            };
            openapi::check(Some(body))?;
            let Value::Object(body) = body else { continue };
            let mut editor = Editor::new(body);
            let empty = Conditions::new();
            let api_conds = state
                .conditions
                .get(&api_id)
                .and_then(Value::as_object)
                .unwrap_or(&empty);
            for path in editor.path_names() {
                let mut all: Vec<Value> = Vec::new();
                if let Some(methods) = api_conds.get(&path).and_then(Value::as_object) {
                    for c in methods.values() {
                        if !all.contains(c) {
                            all.push(c.clone());
                        }
                    }
                }
                if all.is_empty() || all.contains(&Value::Null) {
                    continue;
                }
                if all.len() == 1 {
                    if let Some(c) = all[0].as_str() {
                        editor.make_path_conditional(&path, c);
                    }
                } else {
                    let logical = path
                        .replace('/', "SLASH")
                        .replace('{', "OB")
                        .replace('}', "CB");
                    let name = format!("{api_id}{logical}PathCondition");
                    let mut names: Vec<String> = all
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect();
                    names.sort();
                    for (k, v) in make_combined_condition(names, &name) {
                        new_conditions.insert(k, v);
                    }
                    editor.make_path_conditional(&path, &name);
                }
            }
        }
        if !new_conditions.is_empty() {
            ctx.add_conditions(new_conditions);
        }
    }
    Ok(())
}
