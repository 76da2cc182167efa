//! `AWS::Serverless::SimpleTable` → `AWS::DynamoDB::Table` (`SamSimpleTable`).

use serde_json::{Value, json};

use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::function::{ordered, resource_attributes, user_tags};
use crate::ids::truthy;
use crate::props::{self, Check, Prop, p, pass};

pub(crate) const SPEC: &[Prop] = &[
    pass("PointInTimeRecoverySpecification", false),
    p("PrimaryKey", false, Check::MapOfStr),
    p("ProvisionedThroughput", false, Check::Any),
    p("TableName", false, Check::StrOrMap),
    p("Tags", false, Check::Map),
    p("SSESpecification", false, Check::Map),
];

const ORDER: &[&str] = &[
    "AttributeDefinitions",
    "GlobalSecondaryIndexes",
    "KeySchema",
    "LocalSecondaryIndexes",
    "PointInTimeRecoverySpecification",
    "ProvisionedThroughput",
    "StreamSpecification",
    "TableName",
    "Tags",
    "SSESpecification",
    "BillingMode",
];

/// Translates one simple table.
pub fn translate(
    _ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    props::validate(logical_id, "AWS::Serverless::SimpleTable", &props, SPEC)?;
    if let Some(Value::Object(pt)) = props::get(&props, "ProvisionedThroughput")
        && !pt
            .values()
            .all(|v| v.is_i64() || v.is_u64() || v.is_boolean() || v.is_object())
    {
        return Err(ErrorItem::resource(
            logical_id,
            "Type of property 'ProvisionedThroughput' is invalid.",
        ));
    }
    let mut table = Resource::new(logical_id, "AWS::DynamoDB::Table")
        .with_attrs(&resource_attributes(resource));
    if let Some(d) = resource.get("DependsOn") {
        table.attributes.insert("DependsOn".into(), d.clone());
    }
    let primary_key = match props::get(&props, "PrimaryKey").filter(|v| !crate::ids::is_falsy(v)) {
        Some(pk) => {
            let name = pk.get("Name").filter(|v| !v.is_null()).ok_or_else(|| {
                ErrorItem::resource(logical_id, "Property 'PrimaryKey.Name' is required.")
            })?;
            let t = pk.get("Type").filter(|v| !v.is_null()).ok_or_else(|| {
                ErrorItem::resource(logical_id, "Property 'PrimaryKey.Type' is required.")
            })?;
            let converted = match t.as_str() {
                Some("String") => "S",
                Some("Number") => "N",
                Some("Binary") => "B",
                _ => {
                    return Err(ErrorItem::resource(
                        logical_id,
                        format!("Invalid 'Type' \"{}\".", crate::intrinsics::py_str(t)),
                    ));
                }
            };
            json!({"AttributeName": name, "AttributeType": converted})
        }
        None => json!({"AttributeName": "id", "AttributeType": "S"}),
    };
    let pr = &mut table.properties;
    pr.insert(
        "KeySchema".into(),
        json!([{"AttributeName": primary_key["AttributeName"], "KeyType": "HASH"}]),
    );
    pr.insert("AttributeDefinitions".into(), json!([primary_key]));
    for k in [
        "PointInTimeRecoverySpecification",
        "ProvisionedThroughput",
        "SSESpecification",
        "TableName",
    ] {
        if truthy(props.get(k)) {
            pr.insert(k.into(), props[k].clone());
        }
    }
    if !truthy(props.get("ProvisionedThroughput")) {
        pr.insert("BillingMode".into(), json!("PAY_PER_REQUEST"));
    }
    if truthy(props.get("Tags")) {
        pr.insert("Tags".into(), Value::Array(user_tags(props.get("Tags"))));
    }
    table.properties = ordered(std::mem::take(&mut table.properties), ORDER);
    Ok(vec![table])
}
