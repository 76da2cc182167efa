//! `AutoPublishAlias`: the hashed `AWS::Lambda::Version` and the `AWS::Lambda::Alias`.

use serde_json::{Map, Value, json};

use super::SamFunction;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::{get_att, logical_id_of, ref_};

/// `_get_resolved_alias_name`.
pub fn resolved_alias_name(
    ctx: &Ctx,
    f: &SamFunction,
    property: &str,
    value: &Value,
) -> Result<String, ErrorItem> {
    match ctx.resolve_params(value)? {
        Value::String(s) => Ok(s),
        _ => Err(f.err(format!(
            "'{property}' must be a string or a Ref to a template parameter"
        ))),
    }
}

/// `AutoPublishCodeSha256`: resolved, and appended to the function's description.
pub fn apply_code_sha256(
    ctx: &Ctx,
    f: &SamFunction,
    lambda: &mut Resource,
) -> Result<Option<String>, ErrorItem> {
    let Some(sha) = f
        .get("AutoPublishCodeSha256")
        .filter(|v| !crate::ids::is_falsy(v))
    else {
        return Ok(None);
    };
    let Value::String(code_sha256) = ctx.resolve_params(sha)? else {
        return Err(f.err("AutoPublishCodeSha256 must be a string"));
    };
    let description = ctx.resolve_params(f.get("Description").unwrap_or(&Value::Null))?;
    let new_description = match &description {
        d if crate::ids::is_falsy(d) => Value::String(code_sha256.clone()),
        Value::String(d) => Value::String(format!("{d} {code_sha256}")),
        d => json!({"Fn::Join": [" ", [d, code_sha256]]}),
    };
    lambda
        .properties
        .insert("Description".into(), new_description);
    Ok(Some(code_sha256))
}

/// `_construct_version`.
pub fn construct_version(
    ctx: &Ctx,
    f: &SamFunction,
    lambda: &mut Resource,
    code_sha256: Option<&str>,
) -> Result<Resource, ErrorItem> {
    let code = lambda
        .properties
        .get("Code")
        .cloned()
        .unwrap_or(Value::Null);
    let code = ctx.resolve_params(&code)?;
    // The translator resolves the function's own `Code` in place.
    lambda.properties.insert("Code".into(), code.clone());
    let prefix = format!("{}Version", f.id);
    let all_props = f
        .get("AutoPublishAliasAllProperties")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let logical_dict = if all_props {
        let mut props = lambda.properties.clone();
        if let Some(Value::Array(layers)) = lambda.properties.get("Layers") {
            for layer in layers {
                let Some(layer_id) = logical_id_of(layer) else {
                    continue;
                };
                let Some(layer_res) = ctx.resources().get(layer_id) else {
                    continue;
                };
                let layer_props = layer_res
                    .get("Properties")
                    .cloned()
                    .unwrap_or(Value::Object(Map::new()));
                let publish = layer_props
                    .get("PublishLambdaVersion")
                    .is_some_and(|v| !crate::ids::is_falsy(v));
                if publish {
                    props.insert(layer_id.to_string(), layer_props);
                }
            }
        }
        Value::Object(props)
    } else {
        let mut d = code.as_object().cloned().unwrap_or_default();
        if let Some(Value::Object(env)) = lambda.properties.get("Environment") {
            for (k, v) in env {
                d.insert(k.clone(), v.clone());
            }
        }
        if let Some(mem) = lambda
            .properties
            .get("MemorySize")
            .filter(|v| !crate::ids::is_falsy(v))
        {
            d.insert("MemorySize".into(), mem.clone());
        }
        if let Some(snap) = lambda
            .properties
            .get("SnapStart")
            .filter(|v| !crate::ids::is_falsy(v))
        {
            let apply_on = snap
                .get("ApplyOn")
                .cloned()
                .unwrap_or(Value::String("None".into()));
            if apply_on.as_str() != Some("None") {
                d.insert("SnapStart".into(), snap.clone());
            }
        }
        Value::Object(d)
    };
    let logical_id = match code_sha256.filter(|s| !s.is_empty()) {
        Some(sha) => format!("{prefix}{}", sha.chars().take(10).collect::<String>()),
        None => crate::ids::logical_id(&prefix, &logical_dict),
    };

    let mut attrs = f.passthrough();
    if !attrs.contains_key("DeletionPolicy") {
        let policy = match f.get("VersionDeletionPolicy") {
            Some(p) => p.clone(),
            None if f.get("CapacityProviderConfig").is_some() => Value::String("Delete".into()),
            None => Value::String("Retain".into()),
        };
        attrs.insert("DeletionPolicy".into(), policy);
    }
    let mut v = Resource::new(logical_id, "AWS::Lambda::Version").with_attrs(&attrs);
    v.properties
        .insert("FunctionName".into(), ref_(&lambda.logical_id));
    if let Some(d) = f.get("VersionDescription") {
        v.properties.insert("Description".into(), d.clone());
    }
    if f.get("CapacityProviderConfig").is_some()
        && let Some(fsc) = f.get("FunctionScalingConfig")
    {
        v.properties
            .insert("FunctionScalingConfig".into(), fsc.clone());
    }
    Ok(v)
}

fn valid_alias_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.chars().all(|c| c.is_ascii_digit())
}

/// `_construct_alias`.
pub fn construct_alias(
    f: &SamFunction,
    name: &str,
    lambda: &Resource,
    version: &Resource,
) -> Result<Resource, ErrorItem> {
    if name.is_empty() {
        return Err(f.err("Alias name is required to create an alias"));
    }
    if !valid_alias_name(name) {
        return Err(f.err(format!(
            "AutoPublishAlias name ('{name}') must contain only alphanumeric characters, hyphens, or underscores matching (?!^[0-9]+$)([a-zA-Z0-9-_]+) pattern."
        )));
    }
    let id_name = name.replace('-', "D").replace('_', "U");
    let mut alias = Resource::new(
        format!("{}Alias{id_name}", lambda.logical_id),
        "AWS::Lambda::Alias",
    )
    .with_attrs(&f.passthrough());
    alias
        .properties
        .insert("Name".into(), Value::String(name.to_string()));
    alias
        .properties
        .insert("FunctionName".into(), ref_(&lambda.logical_id));
    alias.properties.insert(
        "FunctionVersion".into(),
        get_att(&version.logical_id, "Version"),
    );
    if let Some(pc) = f
        .get("ProvisionedConcurrencyConfig")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        alias
            .properties
            .insert("ProvisionedConcurrencyConfig".into(), pc.clone());
    }
    Ok(alias)
}
