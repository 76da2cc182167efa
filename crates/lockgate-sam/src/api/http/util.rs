//! Small helpers shared by the HTTP API, custom domain and usage plan code:
//! the translator's `sam_expect` checks and Python truthiness.

use serde_json::{Map, Value};

use crate::error::ErrorItem;
use crate::intrinsics::ref_;

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
    fn s3_uris_parse_like_the_translator() {
        assert_eq!(
            parse_s3_uri("s3://b/k/x.yaml?versionId=3"),
            Some(("b".into(), "k/x.yaml".into(), Some("3".into())))
        );
        assert_eq!(parse_s3_uri("s3://b"), None);
        assert_eq!(parse_s3_uri("https://b/k"), None);
    }
}
