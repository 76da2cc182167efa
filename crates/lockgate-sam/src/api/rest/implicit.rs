//! The plugins that run before translation for REST APIs:
//! `DefaultDefinitionBodyPlugin` (for `AWS::Serverless::Api`) and
//! `ImplicitRestApiPlugin` (the implicit `ServerlessRestApi`).

use serde_json::{Map, Value, json};

use super::swagger::{self, Editor};
use crate::ctx::Ctx;
use crate::error::ErrorItem;
use crate::intrinsics::make_combined_condition;
use crate::translate::MACRO_TYPES;

/// Logical ID of the implicit REST API.
pub const IMPLICIT_API_ID: &str = "ServerlessRestApi";
const IMPLICIT_API_CONDITION: &str = "ServerlessRestApiCondition";
const API_TYPE: &str = "AWS::Serverless::Api";
/// `Api.get_rest_api_id_string`: the logical ID inside a `Ref`, else the value.
pub fn rest_api_id_string(v: Option<&Value>) -> Option<Value> {
    let v = v?;
    match v.as_object().and_then(|m| m.get("Ref")) {
        Some(r) => Some(r.clone()),
        None => Some(v.clone()),
    }
}

fn resource_type(r: &Value) -> Option<&str> {
    r.get("Type").and_then(Value::as_str)
}

fn is_valid_sam(r: &Value) -> bool {
    resource_type(r).is_some_and(|t| MACRO_TYPES.contains(&t))
}

/// `DefaultDefinitionBodyPlugin` for REST APIs.
pub fn default_definition_bodies(ctx: &mut Ctx) {
    for resource in ctx.resources_mut().values_mut() {
        if resource_type(resource) != Some(API_TYPE) {
            continue;
        }
        let Some(Value::Object(props)) = resource.get_mut("Properties") else {
            continue;
        };
        let has =
            |p: &Map<String, Value>, k: &str| p.get(k).is_some_and(|v| !crate::ids::is_falsy(v));
        let (has_body, has_uri) = (has(props, "DefinitionBody"), has(props, "DefinitionUri"));
        if has_body {
            // Kept for the deployment hash: which strings the user wrote.
            let original = props.get("DefinitionBody").cloned().unwrap_or_default();
            props.insert(super::ORIGINAL_BODY_KEY.into(), original);
        }
        if has_body || has_uri {
            continue;
        }
        props.insert("DefinitionBody".into(), swagger::skeleton());
        props.insert("__MANAGE_SWAGGER".into(), Value::Bool(true));
    }
}

#[derive(Default)]
struct State {
    conditions: Map<String, Value>,
    deletion_policies: Map<String, Value>,
    update_replace_policies: Map<String, Value>,
}

impl State {
    fn record(&mut self, api_id: &str, path: &str, method: &str, attrs: &Value) {
        let cond = attrs.get("Condition").cloned().unwrap_or(Value::Null);
        let api = self.conditions.entry(api_id).or_insert_with(|| json!({}));
        if let Value::Object(api) = api {
            let p = api.entry(path).or_insert_with(|| json!({}));
            if let Value::Object(p) = p {
                p.insert(method.to_string(), cond);
            }
        }
        for (map, key) in [
            (&mut self.deletion_policies, "DeletionPolicy"),
            (&mut self.update_replace_policies, "UpdateReplacePolicy"),
        ] {
            let list = map.entry(api_id).or_insert_with(|| json!([]));
            if let Value::Array(l) = list {
                l.push(attrs.get(key).cloned().unwrap_or(Value::Null));
            }
        }
    }
}

/// `ImplicitRestApiPlugin.on_before_transform_template`.
pub fn implicit_api(ctx: &mut Ctx) -> Result<(), Vec<ErrorItem>> {
    let existing = ctx.resources().get(IMPLICIT_API_ID).cloned();
    let implicit = json!({
        "Type": API_TYPE,
        "Properties": {
            "StageName": "Prod",
            "DefinitionBody": swagger::skeleton(),
            "__MANAGE_SWAGGER": true
        }
    });
    ctx.resources_mut()
        .insert(IMPLICIT_API_ID.to_string(), implicit);

    let mut state = State::default();
    let mut errors = Vec::new();
    let ids: Vec<String> = ctx.resources().keys().cloned().collect();
    for id in ids {
        let Some(resource) = ctx.resources().get(&id) else {
            continue;
        };
        let t = resource_type(resource);
        if t != Some("AWS::Serverless::Function") && t != Some("AWS::Serverless::StateMachine") {
            continue;
        }
        match process_function(ctx, &id, &mut state) {
            Ok(()) => {}
            Err(Failure::Event(e)) => errors.push(ErrorItem::resource(&id, e.to_string())),
            Err(Failure::Document(e)) => return Err(vec![e]),
        }
    }

    add_condition_to_implicit_api(ctx, &state);
    add_policies_to_implicit_api(ctx, &state);
    add_conditions_to_paths(ctx, &state).map_err(|e| vec![e])?;
    remove_implicit_api_if_empty(ctx, IMPLICIT_API_ID, existing);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

enum Failure {
    Event(ErrorItem),
    Document(ErrorItem),
}

fn event_err(event_id: &str, msg: impl Into<String>) -> Failure {
    Failure::Event(ErrorItem::event(event_id, msg))
}

fn process_function(ctx: &mut Ctx, fn_id: &str, state: &mut State) -> Result<(), Failure> {
    let Some(resource) = ctx.resources().get(fn_id) else {
        return Ok(());
    };
    let Some(Value::Object(props)) = resource.get("Properties") else {
        return Ok(());
    };
    let Some(Value::Object(events)) = props.get("Events") else {
        return Ok(());
    };
    let attrs = resource.clone();
    let api_event_ids: Vec<String> = events
        .iter()
        .filter(|(_, e)| {
            e.as_object().is_some_and(|m| !m.is_empty())
                && e.get("Type").and_then(Value::as_str) == Some("Api")
        })
        .map(|(k, _)| k.clone())
        .collect();
    if api_event_ids.is_empty() {
        return Ok(());
    }
    let fn_tags = props.get("Tags").cloned();
    let fn_propagate = props.get("PropagateTags").cloned();
    for event_id in api_event_ids {
        let event_props = ctx
            .resources()
            .get(fn_id)
            .and_then(|r| {
                r.pointer(&format!(
                    "/Properties/Events/{}/Properties",
                    escape(&event_id)
                ))
            })
            .cloned();
        let Some(event_props) = event_props.filter(|p| !crate::ids::is_falsy(p)) else {
            continue;
        };
        let Value::Object(mut event_props) = event_props else {
            return Err(event_err(&event_id, "Properties should be a map."));
        };
        if !event_props.contains_key("RestApiId") {
            add_tags_to_implicit_api(ctx, fn_tags.as_ref(), fn_propagate.as_ref());
            event_props.insert("RestApiId".into(), json!({"Ref": IMPLICIT_API_ID}));
            write_event_props(ctx, fn_id, &event_id, &event_props);
        }
        let api_id = rest_api_id_string(event_props.get("RestApiId"));
        let path = event_props.get("Path").filter(|v| !v.is_null());
        let method = event_props.get("Method").filter(|v| !v.is_null());
        if path.is_none() {
            return Err(event_err(&event_id, "Property 'Path' is required."));
        }
        if method.is_none() {
            return Err(event_err(&event_id, "Property 'Method' is required."));
        }
        let Some(Value::String(api_id)) = api_id else {
            return Err(event_err(
                &event_id,
                "Property 'RestApiId' should be a string.",
            ));
        };
        let Some(Value::String(path)) = path else {
            return Err(event_err(&event_id, "Property 'Path' should be a string."));
        };
        let Some(Value::String(method)) = method else {
            return Err(event_err(
                &event_id,
                "Property 'Method' should be a string.",
            ));
        };
        state.record(&api_id, path, method, &attrs);
        add_api_to_swagger(ctx, &event_id, &api_id, path, method)?;
    }
    Ok(())
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn write_event_props(ctx: &mut Ctx, fn_id: &str, event_id: &str, props: &Map<String, Value>) {
    let target = ctx
        .resources_mut()
        .get_mut(fn_id)
        .and_then(|r| r.pointer_mut(&format!("/Properties/Events/{}", escape(event_id))));
    if let Some(Value::Object(ev)) = target {
        ev.insert("Properties".into(), Value::Object(props.clone()));
    }
}

fn add_tags_to_implicit_api(ctx: &mut Ctx, tags: Option<&Value>, propagate: Option<&Value>) {
    let globals = ctx
        .template
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .filter(|g| !crate::ids::is_falsy(g))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let truthy = |v: Option<&Value>| v.filter(|v| !crate::ids::is_falsy(v)).cloned();
    let should_propagate = truthy(propagate).or_else(|| truthy(globals.get("PropagateTags")));
    let tags = truthy(tags).or_else(|| truthy(globals.get("Tags")));
    let (Some(tags), Some(_)) = (tags, should_propagate) else {
        return;
    };
    let Some(Value::Object(props)) = ctx
        .resources_mut()
        .get_mut(IMPLICIT_API_ID)
        .and_then(|r| r.get_mut("Properties"))
    else {
        return;
    };
    let entry = props.entry("Tags").or_insert_with(|| json!({}));
    if let (Value::Object(dst), Value::Object(src)) = (entry, &tags) {
        for (k, v) in src {
            dst.insert(k.clone(), v.clone());
        }
    }
    props.insert("PropagateTags".into(), Value::Bool(true));
}

fn add_api_to_swagger(
    ctx: &mut Ctx,
    event_id: &str,
    api_id: &str,
    path: &str,
    method: &str,
) -> Result<(), Failure> {
    let target = ctx.resources().get(api_id);
    if target.is_none() || target.and_then(resource_type) == Some("AWS::Serverless::HttpApi") {
        return Err(event_err(
            event_id,
            "RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource in same template.",
        ));
    }
    let Some(Value::Object(props)) = ctx
        .resources_mut()
        .get_mut(api_id)
        .and_then(|r| r.get_mut("Properties"))
    else {
        return Ok(());
    };
    if !swagger::is_valid(props.get("DefinitionBody")) {
        return Ok(());
    }
    if props
        .get("__MANAGE_SWAGGER")
        .is_none_or(crate::ids::is_falsy)
    {
        return Ok(());
    }
    let Some(body) = props.get_mut("DefinitionBody") else {
        return Ok(());
    };
    let mut editor = Editor::new(body).map_err(Failure::Document)?;
    editor.add_path(path, method).map_err(Failure::Document)
}

fn condition_set(methods: &Map<String, Value>) -> (Vec<String>, bool) {
    let mut set: Vec<String> = Vec::new();
    let mut has_none = false;
    for cond in methods.values() {
        match cond.as_str() {
            Some(c) => {
                if !set.iter().any(|x| x == c) {
                    set.push(c.to_string());
                }
            }
            None => has_none = true,
        }
    }
    set.sort();
    (set, has_none)
}

fn add_condition_to_implicit_api(ctx: &mut Ctx, state: &State) {
    let Some(Value::Object(api)) = state.conditions.get(IMPLICIT_API_ID) else {
        return;
    };
    if api.is_empty() {
        return;
    }
    let mut all = Map::new();
    for (path, methods) in api {
        if let Value::Object(m) = methods {
            for (method, c) in m {
                all.insert(format!("{path} {method}"), c.clone());
            }
        }
    }
    let (set, has_none) = condition_set(&all);
    if all.is_empty() || has_none {
        return;
    }
    let condition = if set.len() == 1 {
        set[0].clone()
    } else {
        ctx.add_conditions(make_combined_condition(set, IMPLICIT_API_CONDITION));
        IMPLICIT_API_CONDITION.to_string()
    };
    if let Some(Value::Object(r)) = ctx.resources_mut().get_mut(IMPLICIT_API_ID) {
        r.insert("Condition".into(), Value::String(condition));
    }
}

fn add_policies_to_implicit_api(ctx: &mut Ctx, state: &State) {
    for (map, key, order) in [
        (
            &state.deletion_policies,
            "DeletionPolicy",
            &["Retain", "Delete"][..],
        ),
        (
            &state.update_replace_policies,
            "UpdateReplacePolicy",
            &["Retain", "Snapshot", "Delete"][..],
        ),
    ] {
        let Some(Value::Array(list)) = map.get(IMPLICIT_API_ID) else {
            continue;
        };
        if !list.iter().any(|p| !crate::ids::is_falsy(p)) {
            continue;
        }
        let chosen = order
            .iter()
            .find(|want| list.iter().any(|p| p.as_str() == Some(**want)));
        if let (Some(chosen), Some(Value::Object(r))) =
            (chosen, ctx.resources_mut().get_mut(IMPLICIT_API_ID))
        {
            r.insert(key.into(), Value::String((*chosen).to_string()));
        }
    }
}

fn add_conditions_to_paths(ctx: &mut Ctx, state: &State) -> Result<(), ErrorItem> {
    let api_ids: Vec<String> = ctx
        .resources()
        .iter()
        .filter(|(_, r)| resource_type(r) == Some(API_TYPE) && is_valid_sam(r))
        .filter(|(_, r)| {
            r.pointer("/Properties/__MANAGE_SWAGGER")
                .is_some_and(|v| !crate::ids::is_falsy(v))
        })
        .map(|(k, _)| k.clone())
        .collect();
    for api_id in api_ids {
        let mut new_conditions: Vec<(String, Vec<String>)> = Vec::new();
        {
            let Some(body) = ctx
                .resources_mut()
                .get_mut(&api_id)
                .and_then(|r| r.pointer_mut("/Properties/DefinitionBody"))
            else {
                continue;
            };
            let mut editor = Editor::new(body)?;
            for path in editor.path_names() {
                let methods = state
                    .conditions
                    .get(&api_id)
                    .and_then(|a| a.get(&path))
                    .and_then(Value::as_object);
                let Some(methods) = methods else { continue };
                let (set, has_none) = condition_set(methods);
                if methods.is_empty() || has_none {
                    continue;
                }
                if set.len() == 1 {
                    editor.make_path_conditional(&path, &set[0]);
                } else {
                    let logical = path
                        .replace('/', "SLASH")
                        .replace('{', "OB")
                        .replace('}', "CB");
                    let name = format!("{api_id}{logical}PathCondition");
                    editor.make_path_conditional(&path, &name);
                    new_conditions.push((name, set));
                }
            }
        }
        for (name, set) in new_conditions {
            ctx.add_conditions(make_combined_condition(set, &name));
        }
    }
    Ok(())
}

/// `_maybe_remove_implicit_api`: when the implicit API `api_id` ended up with
/// no paths, puts back the user's resource of that ID (`existing`) or removes it.
pub(crate) fn remove_implicit_api_if_empty(ctx: &mut Ctx, api_id: &str, existing: Option<Value>) {
    let empty = ctx
        .resources()
        .get(api_id)
        .and_then(|r| r.pointer("/Properties/DefinitionBody/paths"))
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty);
    if !empty {
        return;
    }
    match existing {
        Some(r) => {
            ctx.resources_mut().insert(api_id.to_string(), r);
        }
        None => {
            ctx.resources_mut().shift_remove(api_id);
        }
    }
}
