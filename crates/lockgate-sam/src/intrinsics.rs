//! Intrinsic-function helpers and the translator's small resolver: parameter
//! `Ref`s and `Fn::Sub` variables, `Fn::FindInMap` through `Mappings`, and the
//! final rewriting of references to SAM resources (`MyFn.Alias`, renamed IDs).

use serde_json::{Map, Value, json};

use crate::error::ErrorItem;

/// `{"Ref": name}`.
pub fn ref_(name: &str) -> Value {
    json!({ "Ref": name })
}

/// `{"Fn::GetAtt": [id, attr]}`.
pub fn get_att(id: &str, attr: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attr] })
}

/// `{"Fn::If": [condition, then, else]}`; `else` defaults to `AWS::NoValue`.
pub fn make_conditional(condition: &str, then: Value, otherwise: Option<Value>) -> Value {
    json!({ "Fn::If": [condition, then, otherwise.unwrap_or_else(|| ref_("AWS::NoValue"))] })
}

/// `{"Fn::Not": [{"Condition": c}]}`.
pub fn make_not_conditional(condition: &str) -> Value {
    json!({ "Fn::Not": [{ "Condition": condition }] })
}

/// `make_combined_condition`: `Fn::Or` over the (sorted) conditions, split
/// into several conditions of at most 10 each (`Name2`, `Name1`, `Name`).
pub fn make_combined_condition(mut conditions: Vec<String>, name: &str) -> Map<String, Value> {
    let mut out = Map::new();
    if conditions.len() < 2 {
        return out;
    }
    const MAX: usize = 10;
    let mut remaining_extra = 1 + (conditions.len() - 2) / (MAX - 1) - 1;
    while conditions.len() > 1 {
        let new_name = if remaining_extra > 0 {
            let n = format!("{name}{remaining_extra}");
            remaining_extra -= 1;
            n
        } else {
            name.to_string()
        };
        let take = conditions.len().min(MAX);
        let chunk: Vec<Value> = conditions
            .drain(..take)
            .map(|c| json!({ "Condition": c }))
            .collect();
        conditions.push(new_name.clone());
        out.insert(new_name, json!({ "Fn::Or": chunk }));
    }
    out
}

/// Python's `str(list_of_strings)`: `['A', 'B']`.
pub fn py_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The single key of a one-key map.
fn single_key(v: &Value) -> Option<&str> {
    match v {
        Value::Object(m) if m.len() == 1 => m.keys().next().map(String::as_str),
        _ => None,
    }
}

/// Whether the value looks like an intrinsic: a one-key map keyed `Ref`,
/// `Condition` or `Fn::…`.
pub fn is_intrinsic(v: &Value) -> bool {
    single_key(v).is_some_and(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))
}

/// Whether the value is an `Fn::If`.
pub fn is_if(v: &Value) -> bool {
    single_key(v) == Some("Fn::If")
}

/// Whether the value is `{"Ref": "AWS::NoValue"}`.
pub fn is_no_value(v: &Value) -> bool {
    single_key(v) == Some("Ref") && v.get("Ref").and_then(Value::as_str) == Some("AWS::NoValue")
}

/// The three items of an `Fn::If`, or the translator's complaint.
pub fn if_items(v: &Value) -> Result<&[Value], String> {
    match v.get("Fn::If") {
        Some(Value::Array(items)) if items.len() == 3 => Ok(items),
        _ => Err("Fn::If requires 3 arguments".to_string()),
    }
}

/// Logical ID behind a `Ref` or `Fn::GetAtt`.
pub fn logical_id_of(v: &Value) -> Option<&str> {
    if !is_intrinsic(v) {
        return None;
    }
    if let Some(Value::String(s)) = v.get("Ref") {
        return Some(s);
    }
    match v.get("Fn::GetAtt") {
        Some(Value::Array(items)) if items.len() == 2 => items[0].as_str(),
        Some(Value::String(s)) => {
            let parts: Vec<&str> = s.split('.').collect();
            if parts.len() == 2 {
                Some(parts[0])
            } else {
                None
            }
        }
        _ => None,
    }
}

fn param_value<'a>(params: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    match params.get(name) {
        Some(Value::String(s)) if s.starts_with("{{IntrinsicFunction:") => None,
        other => other,
    }
}

/// `IntrinsicsResolver(parameters).resolve_parameter_refs`: inlines `Ref`s to
/// parameters and `${Param}` variables of `Fn::Sub`; everything else stays.
pub fn resolve_parameter_refs(v: &Value, params: &Map<String, Value>) -> Result<Value, ErrorItem> {
    let mut out = v.clone();
    resolve_params_in_place(&mut out, params)?;
    Ok(out)
}

/// In-place form of [`resolve_parameter_refs`].
pub fn resolve_params_in_place(
    v: &mut Value,
    params: &Map<String, Value>,
) -> Result<(), ErrorItem> {
    if params.is_empty() {
        return Ok(());
    }
    match single_key(v) {
        Some("Ref") => {
            if let Some(Value::String(name)) = v.get("Ref")
                && let Some(val) = param_value(params, name)
            {
                *v = val.clone();
            }
        }
        Some("Fn::Sub") => {
            let Some(sub) = v.get_mut("Fn::Sub") else {
                return Ok(());
            };
            let text = match sub {
                Value::String(s) => Some(s),
                Value::Array(items) => match items.first_mut() {
                    Some(Value::String(s)) => Some(s),
                    _ => None,
                },
                _ => None,
            };
            if let Some(text) = text {
                *text = sub_all_refs(text, |full, name| match param_value(params, name) {
                    Some(val) => val.clone(),
                    None => Value::String(full.to_string()),
                })?;
            }
        }
        _ => {}
    }
    match v {
        Value::Object(m) => {
            for (_, child) in m.iter_mut() {
                resolve_params_in_place(child, params)?;
            }
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                resolve_params_in_place(child, params)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Python's `repr` of a JSON value, for messages quoting a value.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(py_repr).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("'{k}': {}", py_repr(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Python's `str()` of a value (strings bare, everything else as `repr`).
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => py_repr(other),
    }
}

/// Replaces every `${Name}` (names of `[A-Za-z0-9.]+` or `AWS::Xxx`) in a
/// `Fn::Sub` string through the handler, first occurrence each time.
fn sub_all_refs(
    text: &str,
    mut handler: impl FnMut(&str, &str) -> Value,
) -> Result<String, ErrorItem> {
    let mut substituted = text.to_string();
    for (full, name) in sub_variables(text) {
        let replacement = handler(&full, &name);
        let Value::String(rep) = replacement else {
            return Err(ErrorItem::document(format!(
                "Invalid Fn::Sub variable value {}. Fn::Sub expects all variables to be strings.",
                py_repr(&replacement)
            )));
        };
        substituted = substituted.replacen(&full, &rep, 1);
    }
    Ok(substituted)
}

/// The `${…}` variables of a `Fn::Sub` string that the translator recognises:
/// `(full match, name)` pairs in order.
pub fn sub_variables(text: &str) -> Vec<(String, String)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            let start = i + 2;
            if let Some(len) = text[start..].find('}') {
                let name = &text[start..start + len];
                if is_sub_name(name) {
                    out.push((format!("${{{name}}}"), name.to_string()));
                    i = start + len + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

fn is_sub_name(name: &str) -> bool {
    if name.is_empty() {
        return false;
    }
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.') {
        return true;
    }
    if let Some(rest) = name.strip_prefix("AWS::") {
        let mut chars = rest.chars();
        return chars.next().is_some_and(|c| c.is_ascii_uppercase())
            && chars.all(|c| c.is_ascii_alphabetic());
    }
    false
}

/// `IntrinsicsResolver(mappings, {FindInMap}).resolve_parameter_refs`.
pub fn resolve_find_in_map(v: &Value, mappings: &Map<String, Value>) -> Result<Value, ErrorItem> {
    let mut out = v.clone();
    find_in_map_in_place(&mut out, mappings)?;
    Ok(out)
}

fn find_in_map_in_place(v: &mut Value, mappings: &Map<String, Value>) -> Result<(), ErrorItem> {
    if mappings.is_empty() {
        return Ok(());
    }
    if single_key(v) == Some("Fn::FindInMap") {
        let args = v.get("Fn::FindInMap").cloned().unwrap_or(Value::Null);
        let Value::Array(items) = &args else {
            return Err(find_in_map_arity(&args));
        };
        if items.len() != 3 {
            return Err(find_in_map_arity(&args));
        }
        let mut keys = Vec::with_capacity(3);
        for item in items {
            let mut resolved = item.clone();
            find_in_map_in_place(&mut resolved, mappings)?;
            keys.push(resolved);
        }
        if let (Some(map_name), Some(top), Some(second)) =
            (keys[0].as_str(), keys[1].as_str(), keys[2].as_str())
        {
            let not_two_level = || {
                ErrorItem::document(format!(
                    "Cannot use Fn::FindInMap on Mapping '{map_name}' which is not a a two-level map."
                ))
            };
            if let Some(map) = mappings.get(map_name) {
                let map = map.as_object().ok_or_else(not_two_level)?;
                if let Some(level) = map.get(top) {
                    let level = level.as_object().ok_or_else(not_two_level)?;
                    if let Some(found) = level.get(second) {
                        *v = found.clone();
                    }
                }
            }
        }
    }
    match v {
        Value::Object(m) => {
            for (_, child) in m.iter_mut() {
                find_in_map_in_place(child, mappings)?;
            }
        }
        Value::Array(items) => {
            for child in items.iter_mut() {
                find_in_map_in_place(child, mappings)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn find_in_map_arity(args: &Value) -> ErrorItem {
    ErrorItem::document(format!(
        "Invalid FindInMap value {}. FindInMap expects an array with 3 values.",
        py_repr(args)
    ))
}

/// `resolve_sam_resource_refs`: `{"Ref": "MyFn.Alias"}`, `Fn::GetAtt` and
/// `${MyFn.Alias}` in `Fn::Sub` become the generated logical IDs.
/// `refs` maps `"LogicalId.Property"` to the generated logical ID.
pub fn resolve_resource_refs(v: &mut Value, refs: &Map<String, Value>) {
    if refs.is_empty() {
        return;
    }
    let lookup = |id: &str, prop: &str| -> Option<String> {
        refs.get(&format!("{id}.{prop}"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    match single_key(v) {
        Some("Ref") => {
            if let Some(Value::String(s)) = v.get("Ref")
                && let Some((id, prop)) = s.split_once('.')
                && !id.is_empty()
                && !prop.is_empty()
                && let Some(res) = lookup(id, prop)
            {
                *v = ref_(&res);
            }
        }
        Some("Fn::GetAtt") => {
            if let Some(Value::Array(items)) = v.get("Fn::GetAtt")
                && items.len() >= 2
                && items.iter().all(Value::is_string)
            {
                let joined: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                let joined = joined.join(".");
                let parts: Vec<&str> = joined.split('.').collect();
                if parts.len() >= 2
                    && let Some(res) = lookup(parts[0], parts[1])
                {
                    let mut new_items = vec![Value::String(res)];
                    new_items.extend(parts[2..].iter().map(|p| Value::String((*p).to_string())));
                    v["Fn::GetAtt"] = Value::Array(new_items);
                }
            }
        }
        Some("Fn::Sub") => {
            if let Some(text) = sub_text_mut(v) {
                let original = text.clone();
                let mut result = original.clone();
                for (full, name) in sub_variables(&original) {
                    let parts: Vec<&str> = name.split('.').collect();
                    if parts.len() < 2 {
                        continue;
                    }
                    if let Some(res) = lookup(parts[0], parts[1]) {
                        let replacement = format!("{}.{}", parts[0], parts[1]);
                        let new_full = full.replace(&replacement, &res);
                        result = result.replacen(&full, &new_full, 1);
                    }
                }
                *text = result;
            }
        }
        _ => {}
    }
    for_children(v, |c| resolve_resource_refs(c, refs));
}

/// `resolve_sam_resource_id_refs`: references to renamed logical IDs follow the rename.
pub fn resolve_resource_id_refs(v: &mut Value, ids: &Map<String, Value>) {
    if ids.is_empty() {
        return;
    }
    let lookup = |id: &str| ids.get(id).and_then(Value::as_str).map(str::to_string);
    match single_key(v) {
        Some("Ref") => {
            if let Some(Value::String(s)) = v.get("Ref")
                && !s.contains('.')
                && let Some(res) = lookup(s)
            {
                *v = ref_(&res);
            }
        }
        Some("Fn::GetAtt") => {
            if let Some(Value::Array(items)) = v.get("Fn::GetAtt")
                && items.len() >= 2
                && items.iter().all(Value::is_string)
            {
                let joined: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                let joined = joined.join(".");
                let parts: Vec<&str> = joined.split('.').collect();
                if let Some(res) = lookup(parts[0]) {
                    let mut new_items = vec![Value::String(res)];
                    new_items.extend(parts[1..].iter().map(|p| Value::String((*p).to_string())));
                    v["Fn::GetAtt"] = Value::Array(new_items);
                }
            }
        }
        Some("Fn::Sub") => {
            if let Some(text) = sub_text_mut(v) {
                let original = text.clone();
                let mut result = original.clone();
                for (full, name) in sub_variables(&original) {
                    let id = name.split('.').next().unwrap_or_default();
                    if let Some(res) = lookup(id) {
                        let new_full = full.replace(id, &res);
                        result = result.replacen(&full, &new_full, 1);
                    }
                }
                *text = result;
            }
        }
        _ => {}
    }
    for_children(v, |c| resolve_resource_id_refs(c, ids));
}

fn sub_text_mut(v: &mut Value) -> Option<&mut String> {
    match v.get_mut("Fn::Sub")? {
        Value::String(s) => Some(s),
        Value::Array(items) => match items.first_mut() {
            Some(Value::String(s)) => Some(s),
            _ => None,
        },
        _ => None,
    }
}

fn for_children(v: &mut Value, mut f: impl FnMut(&mut Value)) {
    match v {
        Value::Object(m) => m.values_mut().for_each(&mut f),
        Value::Array(items) => items.iter_mut().for_each(&mut f),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_condition_splits_by_ten() {
        let names: Vec<String> = (0..12).map(|i| format!("C{i:02}")).collect();
        let out = make_combined_condition(names, "X");
        let keys: Vec<&String> = out.keys().collect();
        assert_eq!(keys, vec!["X1", "X"]);
        assert_eq!(out["X1"]["Fn::Or"].as_array().map(Vec::len), Some(10));
        assert_eq!(
            out["X"],
            json!({ "Fn::Or": [{ "Condition": "C10" }, { "Condition": "C11" }, { "Condition": "X1" }] })
        );
        assert!(make_combined_condition(vec!["A".into()], "X").is_empty());
    }

    #[test]
    fn resolves_parameter_refs_and_sub_variables() {
        let mut params = Map::new();
        params.insert("Stage".into(), json!("prod"));
        let v = json!({"a": {"Ref": "Stage"}, "b": {"Fn::Sub": "x-${Stage}-${Other}"}, "c": {"Ref": "Other"}});
        let out = resolve_parameter_refs(&v, &params).unwrap();
        assert_eq!(
            out,
            json!({"a": "prod", "b": {"Fn::Sub": "x-prod-${Other}"}, "c": {"Ref": "Other"}})
        );
    }

    #[test]
    fn resolves_sam_resource_refs() {
        let mut refs = Map::new();
        refs.insert("Fn.Alias".into(), json!("FnAliaslive"));
        let mut v = json!([{"Ref": "Fn.Alias"}, {"Fn::GetAtt": ["Fn.Alias", "Arn"]}, {"Fn::Sub": "${Fn.Alias}"}]);
        resolve_resource_refs(&mut v, &refs);
        assert_eq!(
            v,
            json!([{"Ref": "FnAliaslive"}, {"Fn::GetAtt": ["FnAliaslive", "Arn"]}, {"Fn::Sub": "${FnAliaslive}"}])
        );
    }

    #[test]
    fn find_in_map_resolves_two_level_maps() {
        let mappings = json!({"M": {"a": {"b": "found"}}});
        let v = json!({"Fn::FindInMap": ["M", "a", "b"]});
        assert_eq!(
            resolve_find_in_map(&v, mappings.as_object().unwrap()).unwrap(),
            json!("found")
        );
    }
}
