//! Pull event sources (`model/eventsources/pull.py`): SQS, Kinesis and
//! DynamoDB event source mappings and the poller policies on the role.

use serde_json::{Map, Value, json};

use super::EventCtx;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::function::{extras, role};
use crate::props::{Check, Prop, p, pass};

macro_rules! common {
    ($($extra:expr),* $(,)?) => {
        &[
            p("BatchSize", false, Check::Int),
            pass("StartingPosition", false),
            pass("StartingPositionTimestamp", false),
            p("Enabled", false, Check::Bool),
            p("MaximumBatchingWindowInSeconds", false, Check::Int),
            p("MaximumRetryAttempts", false, Check::Int),
            p("BisectBatchOnFunctionError", false, Check::Bool),
            p("MaximumRecordAgeInSeconds", false, Check::Int),
            p("DestinationConfig", false, Check::Map),
            p("ParallelizationFactor", false, Check::Int),
            p("Topics", false, Check::List),
            p("Queues", false, Check::List),
            p("SourceAccessConfigurations", false, Check::List),
            p("SecretsManagerKmsKeyId", false, Check::Str),
            p("TumblingWindowInSeconds", false, Check::Int),
            p("FunctionResponseTypes", false, Check::List),
            p("KafkaBootstrapServers", false, Check::List),
            p("FilterCriteria", false, Check::Map),
            pass("KmsKeyArn", false),
            p("ConsumerGroupId", false, Check::Str),
            p("ScalingConfig", false, Check::Map),
            p("ProvisionedPollerConfig", false, Check::Map),
            p("SchemaRegistryConfig", false, Check::Map),
            p("MetricsConfig", false, Check::Map),
            p("LoggingConfig", false, Check::Map),
            $($extra),*
        ]
    };
}

/// `SQS.property_types`.
pub const SQS: &[Prop] = common!(pass("Queue", true));
/// `MSK.property_types`.
pub const MSK: &[Prop] = common!(pass("Stream", true), pass("StartingPosition", true));
/// `MQ.property_types`.
pub const MQ: &[Prop] = common!(
    pass("Broker", true),
    crate::props::strict("DynamicPolicyName", false, Check::Bool)
);
/// `SelfManagedKafka.property_types`.
pub const SELF_MANAGED_KAFKA: &[Prop] = common!();
/// `DocumentDB.property_types`.
pub const DOCUMENT_DB: &[Prop] = common!(
    pass("Cluster", true),
    pass("DatabaseName", true),
    pass("CollectionName", false),
    pass("FullDocument", false)
);
/// `Kinesis.property_types` / `DynamoDB.property_types`.
pub const STREAM: &[Prop] = common!(pass("Stream", true), pass("StartingPosition", true));

/// Event source mapping property order.
const ESM_ORDER: &[&str] = &[
    "BatchSize",
    "DocumentDBEventSourceConfig",
    "Enabled",
    "EventSourceArn",
    "FunctionName",
    "MaximumBatchingWindowInSeconds",
    "MaximumRetryAttempts",
    "BisectBatchOnFunctionError",
    "MaximumRecordAgeInSeconds",
    "DestinationConfig",
    "ParallelizationFactor",
    "StartingPosition",
    "StartingPositionTimestamp",
    "Topics",
    "Queues",
    "SourceAccessConfigurations",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "SelfManagedEventSource",
    "FilterCriteria",
    "KmsKeyArn",
    "AmazonManagedKafkaEventSourceConfig",
    "SelfManagedKafkaEventSourceConfig",
    "ScalingConfig",
    "ProvisionedPollerConfig",
    "MetricsConfig",
    "LoggingConfig",
];

const FILTERING_TYPES: &str = "DocumentDB, DynamoDB, Kinesis, MQ, MSK, SelfManagedKafka, SQS";

/// `PullEventSource.to_cloudformation` for SQS, Kinesis, DynamoDB, MSK, MQ,
/// SelfManagedKafka and DocumentDB.
pub fn translate(
    ctx: &Ctx,
    ev: &EventCtx<'_>,
    event_type: &str,
    role: &mut Resource,
) -> Result<Vec<Resource>, ErrorItem> {
    let mut esm =
        Resource::new(ev.full_id, "AWS::Lambda::EventSourceMapping").with_attrs(&ev.target.attrs);
    esm.properties
        .insert("FunctionName".into(), ev.target.name());
    let source = match event_type {
        "SQS" => Some("Queue"),
        "MQ" => Some("Broker"),
        "DocumentDB" => Some("Cluster"),
        "SelfManagedKafka" => None,
        _ => Some("Stream"),
    };
    if let Some(source) = source {
        esm.set_opt("EventSourceArn", ev.get(source).cloned());
    }
    for k in [
        "StartingPosition",
        "StartingPositionTimestamp",
        "BatchSize",
        "Enabled",
        "MaximumBatchingWindowInSeconds",
        "MaximumRetryAttempts",
        "BisectBatchOnFunctionError",
        "MaximumRecordAgeInSeconds",
        "ParallelizationFactor",
        "Topics",
        "Queues",
        "SourceAccessConfigurations",
        "TumblingWindowInSeconds",
        "FunctionResponseTypes",
        "FilterCriteria",
        "KmsKeyArn",
        "ScalingConfig",
        "ProvisionedPollerConfig",
        "MetricsConfig",
        "LoggingConfig",
    ] {
        esm.set_opt(k, ev.get(k).cloned());
    }
    if let Some(fc) = ev
        .get("FilterCriteria")
        .filter(|v| !crate::ids::is_falsy(v) && !crate::intrinsics::is_intrinsic(v))
    {
        let keys: Vec<&String> = fc
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        if !(keys.is_empty() || keys == ["Filters"]) {
            return Err(ev.err("FilterCriteria field has a wrong format"));
        }
    }
    if let Some(servers) = ev
        .get("KafkaBootstrapServers")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        esm.properties.insert(
            "SelfManagedEventSource".into(),
            json!({"Endpoints": {"KafkaBootstrapServers": servers}}),
        );
    }
    let kafka_config = match event_type {
        "MSK" => Some("AmazonManagedKafkaEventSourceConfig"),
        "SelfManagedKafka" => Some("SelfManagedKafkaEventSourceConfig"),
        _ => None,
    };
    if let Some(group) = ev
        .get("ConsumerGroupId")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        let Some(key) = kafka_config else {
            return Err(ev.err_full(format!(
                "Property ConsumerGroupId not defined for resource of type {event_type}."
            )));
        };
        esm.properties
            .insert(key.into(), json!({"ConsumerGroupId": group}));
    }
    if let Some(registry) = ev
        .get("SchemaRegistryConfig")
        .filter(|v| !crate::ids::is_falsy(v))
        && let Some(key) = kafka_config
    {
        let entry = esm
            .properties
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(m) = entry {
            m.insert("SchemaRegistryConfig".into(), registry.clone());
        }
    }
    let mut destination_policy = None;
    if let Some(dc) = ev
        .get("DestinationConfig")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        let mut dc = dc.clone();
        let on_failure = dc.get_mut("OnFailure");
        let Some(Value::Object(on_failure)) = on_failure else {
            return Err(ErrorItem::event(
                ev.full_id,
                "Property 'DestinationConfig.OnFailure' should be a map.",
            ));
        };
        if let Some(t) = on_failure
            .get("Type")
            .filter(|v| !crate::ids::is_falsy(v))
            .cloned()
        {
            on_failure.shift_remove("Type");
            let t = t.as_str().unwrap_or_default().to_string();
            if !["SQS", "SNS", "S3", "Kafka"].contains(&t.as_str()) {
                return Err(ev.err_full(
                    "The only valid values for 'Type' are 'SQS', 'SNS', 'S3', and 'Kafka'",
                ));
            }
            let dest = on_failure
                .get("Destination")
                .cloned()
                .unwrap_or(Value::Null);
            destination_policy = match t.as_str() {
                "SQS" => Some(extras::sqs_sns_s3_policy("SQS", ev.full_id, &dest)),
                "SNS" => Some(extras::sqs_sns_s3_policy("SNS", ev.full_id, &dest)),
                "S3" => Some(extras::sqs_sns_s3_policy("S3Bucket", ev.full_id, &dest)),
                _ => None,
            };
        }
        esm.properties.insert("DestinationConfig".into(), dc);
    }
    if event_type == "DocumentDB" {
        let mut config = Map::new();
        config.insert(
            "DatabaseName".into(),
            ev.get("DatabaseName").cloned().unwrap_or(Value::Null),
        );
        for k in ["CollectionName", "FullDocument"] {
            if let Some(v) = ev.get(k).filter(|v| !crate::ids::is_falsy(v)) {
                config.insert(k.into(), v.clone());
            }
        }
        esm.properties
            .insert("DocumentDBEventSourceConfig".into(), Value::Object(config));
    }
    esm.properties = crate::function::ordered(std::mem::take(&mut esm.properties), ESM_ORDER);
    let policy_name = match event_type {
        "SQS" => Some("service-role/AWSLambdaSQSQueueExecutionRole"),
        "Kinesis" => Some("service-role/AWSLambdaKinesisExecutionRole"),
        "DynamoDB" => Some("service-role/AWSLambdaDynamoDBExecutionRole"),
        "MSK" => Some("service-role/AWSLambdaMSKExecutionRole"),
        _ => None,
    };
    let statements = super::brokers::policy_statements(ctx, ev, event_type)?;
    if let Some(name) = policy_name {
        role::add_managed_policy(role, role::aws_managed_policy_arn(ctx, name));
    }
    for p in statements {
        role::add_policy(role, p);
    }
    if let Some(p) = destination_policy {
        role::add_policy(role, p);
    }
    Ok(vec![esm])
}

/// The SQS event source mapping an `SqsSubscription` adds (always enabled).
pub fn sqs_mapping(
    ev: &EventCtx<'_>,
    id: &str,
    queue_arn: Value,
    batch_size: Value,
    role: &mut Resource,
) -> Vec<Resource> {
    let mut esm = Resource::new(id, "AWS::Lambda::EventSourceMapping").with_attrs(&ev.target.attrs);
    esm.properties.insert("BatchSize".into(), batch_size);
    esm.properties.insert("Enabled".into(), Value::Bool(true));
    esm.properties.insert("EventSourceArn".into(), queue_arn);
    esm.properties
        .insert("FunctionName".into(), ev.target.name());
    role::add_managed_policy(
        role,
        Value::String("arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole".into()),
    );
    vec![esm]
}

/// The message for `FilterCriteria` on event types that do not support it.
pub fn filtering_message() -> String {
    format!("FilterCriteria is only available for {FILTERING_TYPES} events.")
}
