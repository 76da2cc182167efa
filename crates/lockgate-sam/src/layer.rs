//! `AWS::Serverless::LayerVersion` → a hashed `AWS::Lambda::LayerVersion` (`SamLayerVersion`).

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource, passthrough_attributes};
use crate::error::ErrorItem;
use crate::function::{code, resource_attributes};
use crate::intrinsics::is_intrinsic;
use crate::props::{self, Check, Prop, p};

pub(crate) const SPEC: &[Prop] = &[
    p("LayerName", false, Check::StrOrMap),
    p("Description", false, Check::Str),
    p("PublishLambdaVersion", false, Check::Bool),
    p("ContentUri", true, Check::StrOrMap),
    p("CompatibleArchitectures", false, Check::ListOfStrOrMap),
    p("CompatibleRuntimes", false, Check::ListOfStrOrMap),
    p("LicenseInfo", false, Check::Str),
    p("RetentionPolicy", false, Check::Str),
];

const OPTIONS: &str = "['Retain', 'Delete']";

fn resolve_string(
    ctx: &Ctx,
    id: &str,
    props: &mut Map<String, Value>,
    name: &str,
) -> Result<(), ErrorItem> {
    let Some(v) = props.get(name).filter(|v| !crate::ids::is_falsy(v)) else {
        return Ok(());
    };
    let resolved = ctx.resolve_params(v)?;
    if !resolved.is_string() && !resolved.is_object() {
        return Err(ErrorItem::resource(
            id,
            format!("Could not resolve parameter for '{name}' or parameter is not a String."),
        ));
    }
    props.insert(name.into(), resolved);
    Ok(())
}

/// Translates one layer; its logical ID changes (recorded in `ctx.changed_logical_ids`).
pub fn translate(
    ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let mut props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    props::validate(logical_id, "AWS::Serverless::LayerVersion", &props, SPEC)?;
    props.retain(|_, v| !v.is_null());
    for name in ["LayerName", "LicenseInfo", "Description", "RetentionPolicy"] {
        resolve_string(ctx, logical_id, &mut props, name)?;
    }
    let retention = match props.get("RetentionPolicy") {
        None => None,
        Some(v) if is_intrinsic(v) => {
            return Err(ErrorItem::resource(
                logical_id,
                format!(
                    "'RetentionPolicy' does not accept intrinsic functions, please use one of the following options: {OPTIONS}"
                ),
            ));
        }
        Some(Value::String(s)) => match s.to_lowercase().as_str() {
            "retain" => Some("Retain"),
            "delete" => Some("Delete"),
            _ => {
                return Err(ErrorItem::resource(
                    logical_id,
                    format!("'RetentionPolicy' must be one of the following options: {OPTIONS}."),
                ));
            }
        },
        Some(_) => {
            return Err(ErrorItem::resource(
                logical_id,
                format!(
                    "Invalid 'RetentionPolicy' type, please use one of the following options: {OPTIONS}"
                ),
            ));
        }
    };
    let all_attrs = resource_attributes(resource);
    let mut attrs = passthrough_attributes(&all_attrs);
    if !attrs.contains_key("DeletionPolicy") {
        attrs.insert("DeletionPolicy".into(), json!("Retain"));
    }
    if let Some(r) = retention {
        attrs.insert("DeletionPolicy".into(), json!(r));
    }

    // The hash covers the SAM resource as the translator writes it, without
    // DeletionPolicy, UpdateReplacePolicy and Metadata.
    let mut hash_res = Map::new();
    hash_res.insert("Type".into(), json!("AWS::Serverless::LayerVersion"));
    if let Some(d) = resource
        .get("DependsOn")
        .filter(|d| !crate::ids::is_falsy(d))
    {
        hash_res.insert("DependsOn".into(), d.clone());
    }
    for (k, v) in &all_attrs {
        if !["DeletionPolicy", "UpdateReplacePolicy", "Metadata"].contains(&k.as_str()) {
            hash_res.insert(k.clone(), v.clone());
        }
    }
    let mut hash_props = Map::new();
    for prop in SPEC {
        if let Some(v) = props.get(prop.name) {
            hash_props.insert(prop.name.into(), v.clone());
        }
    }
    hash_res.insert("Properties".into(), Value::Object(hash_props));
    let mut hash_dict = Map::new();
    hash_dict.insert(logical_id.into(), Value::Object(hash_res));
    let new_id = crate::ids::logical_id(logical_id, &Value::Object(hash_dict));

    let mut layer = Resource::new(&new_id, "AWS::Lambda::LayerVersion").with_attrs(&attrs);
    if let Some(d) = resource
        .get("DependsOn")
        .filter(|d| !crate::ids::is_falsy(d))
    {
        layer.attributes.insert("DependsOn".into(), d.clone());
    }
    let content_uri = props.get("ContentUri").cloned().unwrap_or(Value::Null);
    layer.properties.insert(
        "Content".into(),
        Value::Object(code::s3_location(&content_uri, &new_id, "ContentUri")?),
    );
    if let Some(d) = props.get("Description") {
        layer.properties.insert("Description".into(), d.clone());
    }
    let name = props
        .get("LayerName")
        .filter(|v| !crate::ids::is_falsy(v))
        .cloned()
        .unwrap_or(json!(logical_id));
    layer.properties.insert("LayerName".into(), name);
    if let Some(arch) = props.get("CompatibleArchitectures") {
        layer
            .properties
            .insert("CompatibleArchitectures".into(), arch.clone());
    }
    let archs = props
        .get("CompatibleArchitectures")
        .filter(|v| !crate::ids::is_falsy(v))
        .cloned()
        .unwrap_or(json!(["x86_64"]));
    if !is_intrinsic(&archs)
        && let Value::Array(items) = &archs
    {
        for a in items {
            if !is_intrinsic(a) && a.as_str() != Some("x86_64") && a.as_str() != Some("arm64") {
                return Err(ErrorItem::resource(
                    &new_id,
                    "CompatibleArchitectures needs to be a list of 'x86_64' or 'arm64'",
                ));
            }
        }
    }
    for k in ["CompatibleRuntimes", "LicenseInfo"] {
        if let Some(v) = props.get(k) {
            layer.properties.insert(k.into(), v.clone());
        }
    }
    ctx.changed_logical_ids
        .insert(logical_id.to_string(), Value::String(new_id));
    Ok(vec![layer])
}
