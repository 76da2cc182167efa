//! A function's `Events`: validated and linked first (`resources_to_link`),
//! then turned into resources once the function, alias and role exist.

pub mod brokers;
pub mod other;
pub mod pull;
pub mod push;

use serde_json::{Map, Value};

use super::SamFunction;
use crate::ctx::{Ctx, FunctionEvent, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::{get_att, py_str, ref_};
use crate::props::{self, Prop};

/// What `resources_to_link` found for each event, by event ID.
#[derive(Debug, Default)]
pub struct Linked {
    /// S3 events: the bucket's logical ID.
    pub s3_buckets: Map<String, Value>,
    /// Cognito events: the user pool's logical ID.
    pub user_pools: Map<String, Value>,
}

/// What an event targets: the function, or its alias when `AutoPublishAlias` is set.
pub struct Target {
    /// Logical ID of the function or alias.
    pub id: String,
    /// Whether it is the alias.
    pub is_alias: bool,
    /// Attributes passed on to the event's resources.
    pub attrs: Map<String, Value>,
    /// Whether the function has a `Condition` (S3 notifications get an `Fn::If`).
    pub condition: Option<Value>,
}

impl Target {
    /// `get_runtime_attr("name")` (or the alias ARN).
    pub fn name(&self) -> Value {
        ref_(&self.id)
    }

    /// `get_runtime_attr("arn")`.
    pub fn arn(&self) -> Value {
        if self.is_alias {
            ref_(&self.id)
        } else {
            get_att(&self.id, "Arn")
        }
    }
}

/// The event types handled on the function side, and their declared properties.
fn spec_of(event_type: &str) -> Option<&'static [Prop]> {
    Some(match event_type {
        "Schedule" => push::SCHEDULE,
        "CloudWatchEvent" | "EventBridgeRule" => push::CLOUDWATCH_EVENT,
        "S3" => push::S3,
        "SNS" => push::SNS,
        "SQS" => pull::SQS,
        "Kinesis" | "DynamoDB" => pull::STREAM,
        "MSK" => pull::MSK,
        "MQ" => pull::MQ,
        "SelfManagedKafka" => pull::SELF_MANAGED_KAFKA,
        "DocumentDB" => pull::DOCUMENT_DB,
        "CloudWatchLogs" => other::CLOUDWATCH_LOGS,
        "AlexaSkill" => other::ALEXA_SKILL,
        "IoTRule" => other::IOT_RULE,
        "Cognito" => other::COGNITO,
        "ScheduleV2" => other::SCHEDULE_V2,
        _ => return None,
    })
}

const KNOWN_TYPES: &[&str] = &[
    "Schedule",
    "CloudWatchEvent",
    "EventBridgeRule",
    "S3",
    "SNS",
    "SQS",
    "Kinesis",
    "DynamoDB",
    "Api",
    "HttpApi",
    "CloudWatchLogs",
    "AlexaSkill",
    "IoTRule",
    "Cognito",
    "MSK",
    "MQ",
    "SelfManagedKafka",
    "DocumentDB",
    "ScheduleV2",
];

fn event_props(event: &Value) -> Map<String, Value> {
    event
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn wrap(f: &SamFunction, e: ErrorItem) -> ErrorItem {
    match e {
        ErrorItem::InvalidEvent { .. } => ErrorItem::resource(&f.id, e.to_string()),
        other => other,
    }
}

/// `_event_resources_to_link`: validates every event and finds linked resources.
pub fn resources_to_link(ctx: &Ctx, f: &SamFunction) -> Result<Linked, ErrorItem> {
    let mut linked = Linked::default();
    let Some(Value::Object(events)) = f.get("Events") else {
        return Ok(linked);
    };
    for (event_id, event) in events {
        let t = event.get("Type").cloned().unwrap_or(Value::Null);
        let Some(event_type) = t.as_str().filter(|t| KNOWN_TYPES.contains(t)) else {
            let message = format!(
                "Resource dict has missing or invalid value for key Type. Event Type is: {}.",
                py_str(&t)
            );
            return Err(wrap(f, ErrorItem::event(event_id, message)));
        };
        let full_id = format!("{}{event_id}", f.id);
        let Some(spec) = spec_of(event_type) else {
            continue;
        };
        if event.get("Properties").is_some_and(|p| !p.is_object()) {
            return Err(ErrorItem::resource(
                &full_id,
                "Properties of a resource must be an object.",
            ));
        }
        let eprops = event_props(event);
        props::validate(&full_id, event_type, &eprops, spec)?;
        if event_type == "Cognito" {
            let pool = other::cognito_user_pool(ctx, &full_id, event_id, &eprops)
                .map_err(|e| wrap(f, e))?;
            linked
                .user_pools
                .insert(event_id.clone(), Value::String(pool));
        }
        if event_type == "S3" {
            let bucket = eprops.get("Bucket");
            let bucket_ref = bucket
                .and_then(|b| b.as_object())
                .and_then(|b| b.get("Ref"));
            match bucket_ref {
                Some(Value::String(id)) if ctx.resources().contains_key(id) => {
                    linked
                        .s3_buckets
                        .insert(event_id.clone(), Value::String(id.clone()));
                }
                Some(r) if !r.is_string() => {
                    return Err(wrap(
                        f,
                        ErrorItem::event(
                            event_id,
                            "'Ref' value in S3 events is not a valid string.",
                        ),
                    ));
                }
                _ => {
                    return Err(wrap(
                        f,
                        ErrorItem::event(
                            event_id,
                            "S3 events must reference an S3 bucket in the same template.",
                        ),
                    ));
                }
            }
        }
    }
    Ok(linked)
}

/// `_generate_event_resources`: every event's resources, events sorted by `Path` or ID.
pub fn generate(
    ctx: &mut Ctx,
    f: &SamFunction,
    sam_resource: &Value,
    lambda: &Resource,
    alias: Option<&Resource>,
    role: &mut Resource,
    linked: Linked,
) -> Result<Vec<Resource>, ErrorItem> {
    let Some(Value::Object(events)) = f.get("Events") else {
        return Ok(Vec::new());
    };
    let mut ordered: Vec<(&String, &Value)> = events.iter().collect();
    ordered.sort_by_key(|(id, ev)| {
        ev.get("Properties")
            .and_then(|p| p.get("Path"))
            .map(py_str)
            .unwrap_or_else(|| (*id).clone())
    });
    let target = match alias {
        Some(a) => Target {
            id: a.logical_id.clone(),
            is_alias: true,
            attrs: a.passthrough_attributes(),
            condition: a.attributes.get("Condition").cloned(),
        },
        None => Target {
            id: lambda.logical_id.clone(),
            is_alias: false,
            attrs: lambda.passthrough_attributes(),
            condition: lambda.attributes.get("Condition").cloned(),
        },
    };
    // The event sees the function as it stands after Globals.
    let mut sam_function = sam_resource.clone();
    if let Value::Object(m) = &mut sam_function {
        m.insert("Properties".into(), Value::Object(f.props.clone()));
    }
    let mut out = Vec::new();
    for (event_id, event) in ordered {
        let event_type = event
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let full_id = format!("{}{event_id}", lambda.logical_id);
        let eprops = event_props(event);
        let ev = EventCtx {
            full_id: &full_id,
            event_id,
            props: &eprops,
            target: &target,
        };
        let produced = match event_type {
            "Schedule" => push::schedule(&ev)?,
            "CloudWatchEvent" | "EventBridgeRule" => push::cloudwatch_event(&ev)?,
            "S3" => {
                let bucket_id = linked
                    .s3_buckets
                    .get(event_id)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                push::s3(ctx, &ev, &bucket_id)?
            }
            "SNS" => push::sns(ctx, &ev, role)?,
            "CloudWatchLogs" => other::cloudwatch_logs(ctx, &ev),
            "AlexaSkill" => other::alexa_skill(&ev),
            "ScheduleV2" => other::schedule_v2(&ev)?,
            "IoTRule" => other::iot_rule(ctx, &ev),
            "Cognito" => {
                let pool = linked
                    .user_pools
                    .get(event_id)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                other::cognito(ctx, &ev, &pool, &lambda.logical_id)?
            }
            "SQS" | "Kinesis" | "DynamoDB" | "MSK" | "MQ" | "SelfManagedKafka" | "DocumentDB" => {
                pull::translate(ctx, &ev, event_type, role)?
            }
            "Api" | "HttpApi" => {
                let fe = FunctionEvent {
                    function_id: &f.id,
                    sam_function: &sam_function,
                    function: lambda,
                    alias,
                    role: Some(&*role),
                    event_id,
                    event,
                };
                if event_type == "Api" {
                    crate::api::rest::translate_api_event(ctx, &fe)?
                } else {
                    crate::api::http::translate_http_api_event(ctx, &fe)?
                }
            }
            _ => Vec::new(),
        };
        out.extend(produced);
    }
    Ok(out)
}

/// What one event translator reads.
pub struct EventCtx<'a> {
    /// `FunctionId` + `EventId`: the event's logical ID.
    pub full_id: &'a str,
    /// The event's key under `Events`.
    pub event_id: &'a str,
    /// The event's properties.
    pub props: &'a Map<String, Value>,
    /// The function or alias it targets.
    pub target: &'a Target,
}

impl EventCtx<'_> {
    /// A property, `null` counting as absent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        props::get(self.props, name)
    }

    /// `InvalidEventException(relative_id, message)`.
    pub fn err(&self, message: impl Into<String>) -> ErrorItem {
        ErrorItem::event(self.event_id, message)
    }

    /// `InvalidEventException(logical_id, message)` (some checks use the full ID).
    pub fn err_full(&self, message: impl Into<String>) -> ErrorItem {
        ErrorItem::event(self.full_id, message)
    }

    /// `_construct_permission`.
    pub fn permission(
        &self,
        principal: &str,
        source_arn: Option<Value>,
        source_account: Option<Value>,
        suffix: &str,
    ) -> Resource {
        let id = if suffix.is_empty() || suffix.chars().all(|c| c.is_alphanumeric()) {
            format!("{}Permission{suffix}", self.full_id)
        } else {
            crate::ids::logical_id(
                &format!("{}Permission", self.full_id),
                &Value::String(suffix.to_string()),
            )
        };
        let mut p = Resource::new(id, "AWS::Lambda::Permission").with_attrs(&self.target.attrs);
        p.properties.insert(
            "Action".into(),
            Value::String("lambda:InvokeFunction".into()),
        );
        p.properties
            .insert("FunctionName".into(), self.target.name());
        p.properties
            .insert("Principal".into(), Value::String(principal.into()));
        if let Some(a) = source_arn {
            p.properties.insert("SourceArn".into(), a);
        }
        if let Some(a) = source_account {
            p.properties.insert("SourceAccount".into(), a);
        }
        p
    }
}
