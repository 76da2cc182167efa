//! The function's `Code` from `InlineCode`, `CodeUri` or `ImageUri`, and the
//! package-type checks (`_construct_code_dict`, `_validate_package_type`).

use serde_json::{Map, Value};

use super::SamFunction;
use crate::ctx::Resource;
use crate::error::ErrorItem;

/// `parse_s3_uri`: `s3://bucket/key?versionId=v` → `(bucket, key, version)`.
pub fn parse_s3_uri(uri: &str) -> Option<(String, String, Option<String>)> {
    let rest = uri.strip_prefix("s3://")?;
    let (before_fragment, _) = rest.split_once('#').unwrap_or((rest, ""));
    let (path_part, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let (netloc, path) = match path_part.find('/') {
        Some(i) => (&path_part[..i], &path_part[i..]),
        None => (path_part, ""),
    };
    if netloc.is_empty() || path.is_empty() {
        return None;
    }
    // Python's urlparse rejects bracketed hosts that are not IPv6 addresses.
    if netloc.contains('[') || netloc.contains(']') {
        let inner = netloc
            .split_once('[')
            .and_then(|(_, r)| r.split_once(']'))
            .map(|(h, _)| h)?;
        inner.parse::<std::net::Ipv6Addr>().ok()?;
    }
    let mut versions = Vec::new();
    for pair in query.split(['&', ';']) {
        if let Some((k, v)) = pair.split_once('=')
            && k == "versionId"
            && !v.is_empty()
        {
            versions.push(v.to_string());
        }
    }
    let version = if versions.len() == 1 {
        versions.pop()
    } else {
        None
    };
    Some((
        netloc.to_string(),
        path.trim_start_matches('/').to_string(),
        version,
    ))
}

/// `construct_s3_location_object`.
pub fn s3_location(
    location: &Value,
    logical_id: &str,
    property: &str,
) -> Result<Map<String, Value>, ErrorItem> {
    let (bucket, key, version) = match location {
        Value::Object(m) => {
            let ok = |k: &str| m.get(k).is_some_and(|v| !crate::ids::is_falsy(v));
            if !ok("Bucket") || !ok("Key") {
                return Err(ErrorItem::resource(
                    logical_id,
                    format!("'{property}' requires Bucket and Key properties to be specified."),
                ));
            }
            (
                m["Bucket"].clone(),
                m["Key"].clone(),
                m.get("Version").cloned(),
            )
        }
        Value::String(s) => {
            if has_dynamic_reference(s) {
                return Err(ErrorItem::resource(
                    logical_id,
                    format!(
                        "Unsupported dynamic reference detected in '{property}'. Please consider using alternative 'FunctionCode' object format."
                    ),
                ));
            }
            let Some((b, k, v)) = parse_s3_uri(s) else {
                return Err(ErrorItem::resource(
                    logical_id,
                    format!(
                        "'{property}' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter."
                    ),
                ));
            };
            (Value::String(b), Value::String(k), v.map(Value::String))
        }
        _ => {
            return Err(ErrorItem::resource(
                logical_id,
                format!("'{property}' must be of type dict or string."),
            ));
        }
    };
    let mut code = Map::new();
    code.insert("S3Bucket".into(), bucket);
    code.insert("S3Key".into(), key);
    if let Some(v) = version {
        code.insert("S3ObjectVersion".into(), v);
    }
    Ok(code)
}

/// `{{resolve:ssm|ssm-secure|secretsmanager:NAME(:N)?}}` containing a `/`.
fn has_dynamic_reference(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find("{{resolve:") {
        let after = &rest[i + "{{resolve:".len()..];
        for service in ["ssm-secure:", "ssm:", "secretsmanager:"] {
            if let Some(name_part) = after.strip_prefix(service) {
                let name_len = name_part
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-/".contains(c)))
                    .unwrap_or(name_part.len());
                let name = &name_part[..name_len];
                let mut tail = &name_part[name_len..];
                if let Some(t) = tail.strip_prefix(':') {
                    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
                    if digits > 0 {
                        tail = &t[digits..];
                    }
                }
                if !name.is_empty()
                    && tail.starts_with("}}")
                    && (name.contains('/') || service.contains('/'))
                {
                    return true;
                }
            }
        }
        rest = &rest[i + 2..];
    }
    false
}

/// `_construct_code_dict`.
pub fn construct(f: &SamFunction) -> Result<Map<String, Value>, ErrorItem> {
    let package_type = f
        .get("PackageType")
        .cloned()
        .filter(|v| !crate::ids::is_falsy(v));
    let package_type = package_type.unwrap_or(Value::String("Zip".into()));
    let pt = package_type.as_str().unwrap_or_default();
    let artifacts: Vec<(&str, Option<&Value>)> = match pt {
        "Zip" => vec![
            ("InlineCode", f.get("InlineCode")),
            ("CodeUri", f.get("CodeUri")),
        ],
        "Image" => vec![("ImageUri", f.get("ImageUri"))],
        _ => {
            return Err(f.err(format!(
                "invalid 'PackageType' : {}",
                crate::intrinsics::py_str(&package_type)
            )));
        }
    };
    let present: Vec<(&str, &Value)> = artifacts
        .iter()
        .filter_map(|(k, v)| v.map(|v| (*k, v)))
        .collect();
    if present.is_empty() {
        if pt == "Zip" {
            return Err(f.err("Only one of 'InlineCode' or 'CodeUri' can be set."));
        }
        return Err(f.err("'ImageUri' must be set."));
    }
    if present.len() > 1 && pt == "Image" {
        return Err(f.err("'ImageUri' must be set."));
    }
    let pick = ["InlineCode", "CodeUri", "ImageUri"]
        .iter()
        .find_map(|k| present.iter().find(|(name, _)| name == k))
        .copied();
    let Some((key, value)) = pick else {
        return Err(f.err("Either 'InlineCode' or 'CodeUri' must be set."));
    };
    let mut code = match key {
        "InlineCode" => {
            let mut m = Map::new();
            m.insert("ZipFile".into(), value.clone());
            m
        }
        "CodeUri" => s3_location(value, &f.id, "CodeUri")?,
        _ => {
            if crate::ids::is_falsy(value) {
                return Err(
                    f.err("'ImageUri' requires that a image hosted at a registry be specified.")
                );
            }
            let mut m = Map::new();
            m.insert("ImageUri".into(), value.clone());
            m
        }
    };
    if let Some(kms) = f
        .get("SourceKMSKeyArn")
        .filter(|v| !crate::ids::is_falsy(v))
        && pt == "Zip"
    {
        code.insert("SourceKMSKeyArn".into(), kms.clone());
    }
    Ok(code)
}

/// `_validate_package_type` on the generated function.
pub fn validate_package_type(lambda: &Resource) -> Result<(), ErrorItem> {
    let p = &lambda.properties;
    let set = |k: &str| p.get(k).is_some_and(|v| !crate::ids::is_falsy(v));
    let pt = p
        .get("PackageType")
        .filter(|v| !crate::ids::is_falsy(v))
        .cloned()
        .unwrap_or(Value::String("Zip".into()));
    let err = |m: &str| ErrorItem::resource(&lambda.logical_id, m);
    match pt.as_str() {
        Some("Zip") => {
            if !(set("Runtime") && set("Handler")) {
                return Err(err(
                    "Runtime and Handler needs to be present when PackageType is of type `Zip`",
                ));
            }
            let image_uri = p
                .get("Code")
                .and_then(|c| c.get("ImageUri"))
                .is_some_and(|v| !crate::ids::is_falsy(v));
            if image_uri || set("ImageConfig") {
                return Err(err(
                    "ImageUri or ImageConfig cannot be present when PackageType is of type `Zip`",
                ));
            }
        }
        Some("Image") => {
            if set("Handler") || set("Runtime") || set("Layers") {
                return Err(err(
                    "Runtime, Handler, Layers cannot be present when PackageType is of type `Image`",
                ));
            }
            let image_uri = p
                .get("Code")
                .and_then(|c| c.get("ImageUri"))
                .is_some_and(|v| !crate::ids::is_falsy(v));
            if !image_uri {
                return Err(err(
                    "ImageUri needs to be present when PackageType is of type `Image`",
                ));
            }
        }
        _ => return Err(err("PackageType needs to be `Zip` or `Image`")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_s3_uris() {
        assert_eq!(
            parse_s3_uri("s3://bucket/key/file.zip?versionId=3"),
            Some(("bucket".into(), "key/file.zip".into(), Some("3".into())))
        );
        assert_eq!(parse_s3_uri("s3://bucket"), None);
        assert_eq!(parse_s3_uri("https://x/y"), None);
    }
}
