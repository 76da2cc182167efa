//! Execution-role statements of the broker event sources (MSK, MQ,
//! SelfManagedKafka, DocumentDB), with their `SourceAccessConfigurations`
//! and `SchemaRegistryConfig` checks (`model/eventsources/pull.py`).

use serde_json::{Value, json};

use super::EventCtx;
use crate::ctx::Ctx;
use crate::error::ErrorItem;
use crate::intrinsics::{is_intrinsic, py_str};

const AUTH_MECHANISMS: &[&str] = &[
    "SASL_SCRAM_256_AUTH",
    "SASL_SCRAM_512_AUTH",
    "BASIC_AUTH",
    "CLIENT_CERTIFICATE_TLS_AUTH",
];

fn vpc_permission() -> Value {
    json!({
        "Action": [
            "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
            "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"
        ],
        "Effect": "Allow",
        "Resource": "*"
    })
}

fn secret(uri: &Value) -> Value {
    json!({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": uri})
}

fn kms_key_id(ev: &EventCtx<'_>) -> Result<Option<String>, ErrorItem> {
    match ev
        .get("SecretsManagerKmsKeyId")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ev.err("Property 'SecretsManagerKmsKeyId' should be a string.")),
    }
}

fn kms_arn(key: &str) -> Value {
    json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:kms:${{AWS::Region}}:${{AWS::AccountId}}:key/{key}")})
}

/// The statements and policies an event source adds to the role, as
/// `get_policy_statements` makes them.
pub fn policy_statements(
    ctx: &Ctx,
    ev: &EventCtx<'_>,
    event_type: &str,
) -> Result<Vec<Value>, ErrorItem> {
    match event_type {
        "MSK" => msk(ctx, ev),
        "MQ" => mq(ev),
        "SelfManagedKafka" => self_managed_kafka(ctx, ev),
        "DocumentDB" => document_db(ev),
        _ => Ok(Vec::new()),
    }
}

fn msk(ctx: &Ctx, ev: &EventCtx<'_>) -> Result<Vec<Value>, ErrorItem> {
    let mut statements = Vec::new();
    if ev
        .get("SchemaRegistryConfig")
        .is_some_and(|v| !crate::ids::is_falsy(v))
    {
        statements.extend(schema_registry_permissions(ctx, ev)?);
    }
    if let Some(Value::Array(confs)) = ev.get("SourceAccessConfigurations") {
        for conf in confs {
            if conf.get("Type").and_then(Value::as_str) == Some("CLIENT_CERTIFICATE_TLS_AUTH")
                && let Some(uri) = conf.get("URI").filter(|v| !crate::ids::is_falsy(v))
            {
                statements.push(secret(uri));
            }
        }
    }
    if statements.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![
        json!({"PolicyName": "MSKExecutionRolePolicy", "PolicyDocument": {"Statement": statements}}),
    ])
}

/// `_validate_source_access_configurations`: the URI of the required type.
fn required_uri(
    ev: &EventCtx<'_>,
    event_type: &str,
    supported: &[&str],
    required: &str,
) -> Result<Value, ErrorItem> {
    let confs = ev
        .get("SourceAccessConfigurations")
        .filter(|v| !crate::ids::is_falsy(v));
    let Some(confs) = confs else {
        return Err(ev.err(format!(
            "No SourceAccessConfigurations for Amazon {event_type} event provided."
        )));
    };
    let Value::Array(confs) = confs else {
        return Err(ev.err("Provided SourceAccessConfigurations cannot be parsed into a list."));
    };
    let mut found: Option<Value> = None;
    for (index, conf) in confs.iter().enumerate() {
        let Value::Object(conf) = conf else {
            return Err(ev.err(format!(
                "Property 'SourceAccessConfigurations[{index}]' should be a map."
            )));
        };
        let Some(t) = conf.get("Type").and_then(Value::as_str) else {
            return Err(ev.err(format!(
                "Property 'SourceAccessConfigurations[{index}].Type' should be a string."
            )));
        };
        if !supported.contains(&t) {
            let list: Vec<String> = supported.iter().map(|s| format!("'{s}'")).collect();
            return Err(ev.err(format!(
                "Invalid property Type specified in SourceAccessConfigurations. The supported values are: [{}].",
                list.join(", ")
            )));
        }
        if t == required {
            if found.is_some() {
                return Err(ev.err(format!(
                    "Multiple {required} properties specified in SourceAccessConfigurations."
                )));
            }
            let uri = conf.get("URI").filter(|v| !crate::ids::is_falsy(v));
            let Some(uri) = uri else {
                return Err(ev.err(format!(
                    "No {required} URI property specified in SourceAccessConfigurations."
                )));
            };
            found = Some(uri.clone());
        }
    }
    found.ok_or_else(|| {
        ev.err(format!(
            "No {required} property specified in SourceAccessConfigurations."
        ))
    })
}

fn mq(ev: &EventCtx<'_>) -> Result<Vec<Value>, ErrorItem> {
    let uri = required_uri(ev, "MQ", &["BASIC_AUTH", "VIRTUAL_HOST"], "BASIC_AUTH")?;
    let dynamic = ev
        .get("DynamicPolicyName")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let name = if dynamic {
        format!("{}AMQPolicy", ev.full_id)
    } else {
        "SamAutoGeneratedAMQPolicy".to_string()
    };
    let mut statements = vec![
        json!({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": uri}),
        json!({"Action": ["mq:DescribeBroker"], "Effect": "Allow", "Resource": ev.get("Broker").cloned().unwrap_or(Value::Null)}),
    ];
    if let Some(key) = kms_key_id(ev)? {
        statements
            .push(json!({"Action": "kms:Decrypt", "Effect": "Allow", "Resource": kms_arn(&key)}));
    }
    Ok(vec![
        json!({"PolicyName": name, "PolicyDocument": {"Statement": statements}}),
    ])
}

fn document_db(ev: &EventCtx<'_>) -> Result<Vec<Value>, ErrorItem> {
    let uri = required_uri(ev, "DocumentDB", &["BASIC_AUTH"], "BASIC_AUTH")?;
    let mut statements = vec![
        json!({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": uri}),
        json!({"Action": ["rds:DescribeDBClusterParameters"], "Effect": "Allow",
               "Resource": {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster-pg:*"}}),
        json!({"Action": ["rds:DescribeDBSubnetGroups"], "Effect": "Allow",
               "Resource": {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:subgrp:*"}}),
        json!({"Action": ["rds:DescribeDBClusters"], "Effect": "Allow", "Resource": ev.get("Cluster").cloned().unwrap_or(Value::Null)}),
        vpc_permission(),
    ];
    if let Some(key) = kms_key_id(ev)? {
        statements
            .push(json!({"Action": ["kms:Decrypt"], "Effect": "Allow", "Resource": kms_arn(&key)}));
    }
    Ok(vec![
        json!({"PolicyName": "SamAutoGeneratedDocumentDBPolicy", "PolicyDocument": {"Statement": statements}}),
    ])
}

fn validate_uri(ev: &EventCtx<'_>, uri: Option<&Value>, what: &str) -> Result<(), ErrorItem> {
    let Some(uri) = uri.filter(|v| !crate::ids::is_falsy(v)) else {
        return Err(ev.err(format!(
            "No {what} URI property specified in SourceAccessConfigurations for self managed kafka event."
        )));
    };
    if !uri.is_string() && !is_intrinsic(uri) {
        return Err(ev.err(format!(
            "Wrong Type for {what} URI property specified in SourceAccessConfigurations for self managed kafka event."
        )));
    }
    Ok(())
}

fn self_managed_kafka(ctx: &Ctx, ev: &EventCtx<'_>) -> Result<Vec<Value>, ErrorItem> {
    if ev
        .get("KafkaBootstrapServers")
        .is_none_or(crate::ids::is_falsy)
    {
        return Err(
            ev.err("No KafkaBootstrapServers provided for self managed kafka as an event source")
        );
    }
    let topics = ev.get("Topics").filter(|v| !crate::ids::is_falsy(v));
    let Some(topics) = topics else {
        return Err(ev.err("No Topics provided for self managed kafka as an event source"));
    };
    // `len(Topics)`: a one-key intrinsic counts as one entry too.
    let count = match topics {
        Value::Array(a) => a.len(),
        Value::Object(m) => m.len(),
        Value::String(s) => s.chars().count(),
        _ => 0,
    };
    if count != 1 {
        return Err(
            ev.err("Topics for self managed kafka only supports single configuration entry.")
        );
    }
    let confs = ev
        .get("SourceAccessConfigurations")
        .filter(|v| !crate::ids::is_falsy(v));
    let Some(confs) = confs else {
        return Err(ev.err("No SourceAccessConfigurations for self managed kafka event provided."));
    };
    let Value::Array(confs) = confs else {
        return Err(
            ev.err("SourceAccessConfigurations for self managed kafka event should be a list.")
        );
    };
    let mut auth_uri: Option<Value> = None;
    let mut root_ca_uri: Option<Value> = None;
    let (mut subnet, mut group) = (false, false);
    for conf in confs {
        if !conf.is_object() {
            return Err(ev.err("Property 'SourceAccessConfigurations' should be a map."));
        }
        let t = conf.get("Type").and_then(Value::as_str).unwrap_or_default();
        let uri = conf.get("URI");
        match t {
            "VPC_SUBNET" => {
                validate_uri(ev, uri, "VPC_SUBNET")?;
                subnet = true;
            }
            "VPC_SECURITY_GROUP" => {
                validate_uri(ev, uri, "VPC_SECURITY_GROUP")?;
                group = true;
            }
            t if AUTH_MECHANISMS.contains(&t) => {
                if auth_uri.is_some() {
                    return Err(ev.err("Multiple auth mechanism properties specified in SourceAccessConfigurations for self managed kafka event."));
                }
                validate_uri(ev, uri, "auth mechanism")?;
                auth_uri = uri.cloned();
            }
            "SERVER_ROOT_CA_CERTIFICATE" => {
                validate_uri(ev, uri, "SERVER_ROOT_CA_CERTIFICATE")?;
                root_ca_uri = uri.cloned();
            }
            _ => {
                return Err(ev.err("Invalid SourceAccessConfigurations Type provided for self managed kafka event."));
            }
        }
    }
    if subnet != group {
        return Err(ev.err(
            "VPC_SUBNET and VPC_SECURITY_GROUP in SourceAccessConfigurations for SelfManagedKafka must be both provided.",
        ));
    }
    let mut statements = Vec::new();
    if let Some(uri) = &auth_uri {
        statements.push(secret(uri));
    }
    if root_ca_uri.is_some() {
        // The translator adds the auth mechanism's secret again here (sic).
        statements.push(secret(auth_uri.as_ref().unwrap_or(&Value::Null)));
    }
    if subnet && group {
        statements.push(vpc_permission());
    }
    if let Some(key) = kms_key_id(ev)? {
        statements
            .push(json!({"Action": ["kms:Decrypt"], "Effect": "Allow", "Resource": kms_arn(&key)}));
    }
    if ev
        .get("SchemaRegistryConfig")
        .is_some_and(|v| !crate::ids::is_falsy(v))
    {
        statements.extend(schema_registry_permissions(ctx, ev)?);
    }
    Ok(vec![json!({
        "PolicyDocument": {"Statement": statements, "Version": "2012-10-17"},
        "PolicyName": "SelfManagedKafkaExecutionRolePolicy"
    })])
}

fn validate_schema_registry(ev: &EventCtx<'_>, config: &Value) -> Result<(), ErrorItem> {
    let Value::Object(config) = config else {
        return Err(ev.err("Property 'SchemaRegistryConfig' should be a map."));
    };
    for field in [
        "SchemaRegistryURI",
        "EventRecordFormat",
        "SchemaValidationConfigs",
    ] {
        if !config.contains_key(field) {
            return Err(ev.err(format!(
                "Missing required field {field} in SchemaRegistryConfig"
            )));
        }
    }
    let format = config.get("EventRecordFormat").and_then(Value::as_str);
    if format != Some("JSON") && format != Some("SOURCE") {
        return Err(
            ev.err("EventRecordFormat in SchemaRegistryConfig must be either 'JSON' or 'SOURCE'")
        );
    }
    if !config
        .get("SchemaValidationConfigs")
        .is_some_and(Value::is_array)
    {
        return Err(ev.err("SchemaValidationConfigs must be a list"));
    }
    if let Some(access) = config
        .get("AccessConfigs")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        let Value::Array(items) = access else {
            return Err(ev.err("AccessConfigs in SchemaRegistryConfig must be a list"));
        };
        for item in items {
            if !(item.get("Type").is_some() && item.get("URI").is_some()) {
                return Err(ev.err("Each AccessConfig must be a dict with 'Type' and 'URI' fields"));
            }
        }
    }
    Ok(())
}

/// `get_schema_registry_permissions`.
fn schema_registry_permissions(ctx: &Ctx, ev: &EventCtx<'_>) -> Result<Vec<Value>, ErrorItem> {
    let Some(config) = ev.get("SchemaRegistryConfig") else {
        return Ok(Vec::new());
    };
    validate_schema_registry(ev, config)?;
    let mut statements = Vec::new();
    if let Some(Value::Array(items)) = config.get("AccessConfigs") {
        for item in items {
            if let Some(uri) = item.get("URI") {
                statements.push(secret(uri));
            }
        }
    }
    let uri = config
        .get("SchemaRegistryURI")
        .cloned()
        .unwrap_or(Value::Null);
    let registry_arn = match &uri {
        Value::String(s) => Some(s.clone()),
        Value::Object(_) => ctx.resolve_params(&uri)?.get("Fn::Sub").map(py_str),
        _ => None,
    };
    if let Some(name) = registry_arn.as_deref().and_then(registry_name) {
        statements
            .push(json!({"Action": ["glue:GetRegistry"], "Effect": "Allow", "Resource": uri}));
        statements.push(json!({"Action": ["glue:GetSchemaVersion"], "Effect": "Allow", "Resource": [
            {"Fn::Sub": format!("arn:${{AWS::Partition}}:glue:${{AWS::Region}}:${{AWS::AccountId}}:schema/{name}/*")}
        ]}));
    }
    Ok(statements)
}

fn registry_name(arn: &str) -> Option<String> {
    if !arn.starts_with("arn") {
        return None;
    }
    let parts: Vec<&str> = arn.split(':').collect();
    if parts.len() >= 6 {
        return parts[5].strip_prefix("registry/").map(str::to_string);
    }
    None
}
