//! Small helpers shared by the HTTP API, custom domain and usage plan code:
//! the translator's `sam_expect` checks and Python truthiness.

use serde_json::{Map, Value, json};

use crate::error::ErrorItem;

/// Python truthiness of an optional value (`if value:`).
pub(crate) fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !crate::ids::is_falsy(v))
}

/// `sam_expect(value, id, path).to_be_a_map()` on a resource.
pub(crate) fn expect_map<'a>(
    value: &'a Value,
    logical_id: &str,
    path: &str,
) -> Result<&'a Map<String, Value>, ErrorItem> {
    value.as_object().ok_or_else(|| {
        ErrorItem::resource(logical_id, format!("Property '{path}' should be a map."))
    })
}

/// `sam_expect(value, id, path).to_not_be_none()` on a resource.
pub(crate) fn expect_some<'a>(
    value: Option<&'a Value>,
    logical_id: &str,
    path: &str,
) -> Result<&'a Value, ErrorItem> {
    match value {
        Some(v) if !v.is_null() => Ok(v),
        _ => Err(ErrorItem::resource(
            logical_id,
            format!("Property '{path}' is required."),
        )),
    }
}

/// `sam_expect(value, id, path).to_be_a_string()` on a resource.
pub(crate) fn expect_str<'a>(
    value: &'a Value,
    logical_id: &str,
    path: &str,
) -> Result<&'a str, ErrorItem> {
    value.as_str().ok_or_else(|| {
        ErrorItem::resource(logical_id, format!("Property '{path}' should be a string."))
    })
}

/// `sam_expect(value, id, path).to_be_a_bool()` on a resource.
pub(crate) fn expect_bool(value: &Value, logical_id: &str, path: &str) -> Result<bool, ErrorItem> {
    value.as_bool().ok_or_else(|| {
        ErrorItem::resource(
            logical_id,
            format!("Property '{path}' should be a boolean."),
        )
    })
}

/// `sam_expect(value, id, path).to_be_a_list_of(STRING)` on a resource.
pub(crate) fn expect_list_of_str<'a>(
    value: &'a Value,
    logical_id: &str,
    path: &str,
) -> Result<&'a [Value], ErrorItem> {
    let items = value.as_array().ok_or_else(|| {
        ErrorItem::resource(logical_id, format!("Property '{path}' should be a list."))
    })?;
    for (i, item) in items.iter().enumerate() {
        expect_str(item, logical_id, &format!("{path}[{i}]"))?;
    }
    Ok(items)
}

/// A value lookup treating `null` as absent (Python's `dict.get(k)` being `None`).
pub(crate) fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).filter(|v| !v.is_null())
}

/// `{"Ref": id}`.
pub(crate) fn ref_(id: &str) -> Value {
    json!({ "Ref": id })
}

/// `make_conditional(condition, data)`: `{"Fn::If": [condition, data, {"Ref": "AWS::NoValue"}]}`,
/// moving `data` instead of copying it.
pub(crate) fn conditional(condition: &str, data: Value) -> Value {
    let mut m = Map::new();
    m.insert(
        "Fn::If".into(),
        Value::Array(vec![
            Value::String(condition.to_string()),
            data,
            ref_("AWS::NoValue"),
        ]),
    );
    Value::Object(m)
}

/// `{"Fn::GetAtt": [id, attr]}`.
pub(crate) fn get_att(id: &str, attr: &str) -> Value {
    json!({ "Fn::GetAtt": [id, attr] })
}

/// Python's `str(list_of_strings)`: `['A', 'B']`.
pub(crate) fn py_list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("'{s}'")).collect();
    format!("[{}]", quoted.join(", "))
}

/// Python's `str.isalnum()` for one string (non-empty, all alphanumeric).
pub(crate) fn is_alnum(s: &str) -> bool {
    !s.is_empty() && s.chars().all(char::is_alphanumeric)
}

/// A resource's attributes that pass through to generated resources
/// (`Condition`, `DeletionPolicy`, `UpdateReplacePolicy`).
pub fn passthrough_attributes(resource: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["Condition", "DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(v) = resource.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    out
}

/// `make_combined_condition`: `Fn::Or` over the (sorted) conditions, split
/// into several conditions of at most 10 each (`Name2`, `Name1`, `Name`).
pub(crate) fn make_combined_condition(
    mut conditions: Vec<String>,
    name: &str,
) -> Map<String, Value> {
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

/// `parse_s3_uri`: `s3://bucket/key?versionId=v` → `(bucket, key, version)`.
pub(crate) fn parse_s3_uri(uri: &str) -> Option<(String, String, Option<String>)> {
    let rest = uri.strip_prefix("s3://")?;
    let rest = rest.split('#').next().unwrap_or_default();
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (bucket, path) = main.split_once('/')?;
    if bucket.is_empty() {
        return None;
    }
    let path = format!("/{path}");
    let versions: Vec<&str> = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|kv| kv.strip_prefix("versionId="))
        .filter(|v| !v.is_empty())
        .collect();
    let version = (versions.len() == 1).then(|| versions[0].to_string());
    Some((
        bucket.to_string(),
        path.trim_start_matches('/').to_string(),
        version,
    ))
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
    fn s3_uris_parse_like_the_translator() {
        assert_eq!(
            parse_s3_uri("s3://b/k/x.yaml?versionId=3"),
            Some(("b".into(), "k/x.yaml".into(), Some("3".into())))
        );
        assert_eq!(parse_s3_uri("s3://b"), None);
        assert_eq!(parse_s3_uri("https://b/k"), None);
    }
}
