//! Push event sources (`model/eventsources/push.py`): Schedule,
//! CloudWatchEvent/EventBridgeRule, S3 and SNS.

use serde_json::{Map, Value, json};

use super::EventCtx;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::{get_att, logical_id_of, make_conditional, ref_};
use crate::props::{Check, Prop, p, pass};

/// `Schedule.property_types`.
pub const SCHEDULE: &[Prop] = &[
    p("Schedule", true, Check::Str),
    p("RuleName", false, Check::Str),
    p("Input", false, Check::Str),
    p("Enabled", false, Check::Bool),
    p("State", false, Check::Str),
    p("Name", false, Check::Str),
    p("Description", false, Check::Str),
    p("DeadLetterConfig", false, Check::Map),
    p("RetryPolicy", false, Check::Map),
];

/// `CloudWatchEvent.property_types` (also `EventBridgeRule`).
pub const CLOUDWATCH_EVENT: &[Prop] = &[
    p("EventBusName", false, Check::Str),
    p("RuleName", false, Check::Str),
    p("Pattern", false, Check::Map),
    p("DeadLetterConfig", false, Check::Map),
    p("RetryPolicy", false, Check::Map),
    p("Input", false, Check::Str),
    p("InputPath", false, Check::Str),
    p("Target", false, Check::Map),
    p("Enabled", false, Check::Bool),
    p("State", false, Check::Str),
    p("InputTransformer", false, Check::Map),
];

/// `S3.property_types`.
pub const S3: &[Prop] = &[
    p("Bucket", true, Check::Str),
    Prop {
        name: "Events",
        required: true,
        check: Check::StrOrListOfStr,
        intrinsics: false,
    },
    p("Filter", false, Check::MapOfStr),
];

/// `SNS.property_types`.
pub const SNS: &[Prop] = &[
    p("Topic", true, Check::Str),
    p("Region", false, Check::Str),
    pass("FilterPolicy", false),
    pass("FilterPolicyScope", false),
    p("SqsSubscription", false, Check::BoolOrMap),
    p("RedrivePolicy", false, Check::Map),
];

/// Property order of generated `AWS::Events::Rule`s.
pub(crate) const RULE_ORDER: &[&str] = &[
    "Description",
    "EventBusName",
    "EventPattern",
    "Name",
    "RoleArn",
    "ScheduleExpression",
    "State",
    "Targets",
];

/// An EventBridge target `Id`: `{logical_id}{suffix}`, the logical ID cut
/// so that the whole stays within 64 characters.
pub(crate) fn suffixed_target_id(logical_id: &str, suffix: &str) -> String {
    if logical_id.chars().count() + suffix.len() <= 64 {
        return format!("{logical_id}{suffix}");
    }
    let kept: String = logical_id.chars().take(64 - suffix.len()).collect();
    format!("{kept}{suffix}")
}

fn target_id(logical_id: &str) -> String {
    suffixed_target_id(logical_id, "LambdaTarget")
}

/// `EventBridgeRuleUtils.validate_dlq_config`: `DeadLetterConfig` has either
/// `Arn` or `Type` (and `Type` is `SQS`).
pub(crate) fn check_dlq_config(full_id: &str, dlq: &Value) -> Result<(), ErrorItem> {
    let err = |message: &str| Err(ErrorItem::event(full_id, message));
    let has_arn = dlq.get("Arn").is_some();
    let has_type = dlq.get("Type").is_some();
    if has_arn && has_type {
        return err("You can either define 'Arn' or 'Type' property of DeadLetterConfig.");
    }
    if has_type && dlq.get("Type").and_then(Value::as_str) != Some("SQS") {
        return err("The only valid value for 'Type' property of DeadLetterConfig is 'SQS'.");
    }
    if !has_arn && !has_type {
        return err("No 'Arn' or 'Type' property provided for DeadLetterConfig.");
    }
    Ok(())
}

/// The `DeadLetterConfig` of an EventBridge rule (`EventBridgeRuleUtils`):
/// checks it (`Arn` or `Type: SQS`), then returns the DLQ ARN and, for
/// `Type: SQS`, the queue and its policy (with the target's attributes).
pub(crate) fn event_rule_dlq(
    full_id: &str,
    attrs: &Map<String, Value>,
    dlq: &Value,
    rule_arn: &Value,
) -> Result<(Value, Vec<Resource>), ErrorItem> {
    check_dlq_config(full_id, dlq)?;
    if let Some(arn) = dlq.get("Arn") {
        return Ok((arn.clone(), Vec::new()));
    }
    let queue_id = match dlq.get("QueueLogicalId") {
        None | Some(Value::Null) => format!("{full_id}Queue"),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ErrorItem::event(full_id, "QueueLogicalId must be a string")),
    };
    let queue = Resource::new(&queue_id, "AWS::SQS::Queue").with_attrs(attrs);
    let queue_arn = get_att(&queue_id, "Arn");
    let mut policy =
        Resource::new(format!("{full_id}QueuePolicy"), "AWS::SQS::QueuePolicy").with_attrs(attrs);
    policy.properties.insert(
        "PolicyDocument".into(),
        json!({"Version": "2012-10-17", "Statement": [{
            "Action": "sqs:SendMessage", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Resource": queue_arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}}
        }]}),
    );
    policy
        .properties
        .insert("Queues".into(), json!([ref_(&queue_id)]));
    Ok((queue_arn, vec![queue, policy]))
}

fn state_of(ev: &EventCtx<'_>) -> Result<Option<Value>, ErrorItem> {
    let state = ev.get("State").filter(|s| !crate::ids::is_falsy(s));
    let enabled = ev.get("Enabled");
    if state.is_some() && enabled.is_some() {
        return Err(ev.err("State and Enabled Properties cannot both be specified."));
    }
    if let Some(s) = state {
        return Ok(Some(s.clone()));
    }
    if let Some(e) = enabled {
        let on = !crate::ids::is_falsy(e);
        return Ok(Some(Value::String(
            if on { "ENABLED" } else { "DISABLED" }.into(),
        )));
    }
    Ok(None)
}

/// `Schedule.to_cloudformation`.
pub fn schedule(ev: &EventCtx<'_>) -> Result<Vec<Resource>, ErrorItem> {
    let mut rule = Resource::new(ev.full_id, "AWS::Events::Rule").with_attrs(&ev.target.attrs);
    let mut resources = Vec::new();
    rule.set_opt("ScheduleExpression", ev.get("Schedule").cloned());
    rule.set_opt("State", state_of(ev)?);
    rule.set_opt("Name", ev.get("Name").cloned());
    rule.set_opt("Description", ev.get("Description").cloned());
    let rule_arn = get_att(ev.full_id, "Arn");
    let mut dlq_arn = None;
    if let Some(dlq) = ev.get("DeadLetterConfig") {
        let (arn, res) = event_rule_dlq(ev.full_id, &ev.target.attrs, dlq, &rule_arn)?;
        dlq_arn = Some(arn);
        resources.extend(res);
    }
    let mut target = Map::new();
    target.insert("Arn".into(), ev.target.arn());
    target.insert("Id".into(), Value::String(target_id(ev.full_id)));
    if let Some(i) = ev.get("Input") {
        target.insert("Input".into(), i.clone());
    }
    if let Some(a) = dlq_arn {
        target.insert("DeadLetterConfig".into(), json!({"Arn": a}));
    }
    if let Some(r) = ev.get("RetryPolicy") {
        target.insert("RetryPolicy".into(), r.clone());
    }
    rule.properties.insert("Targets".into(), json!([target]));
    rule.properties = crate::function::ordered(std::mem::take(&mut rule.properties), RULE_ORDER);
    let permission = ev.permission("events.amazonaws.com", Some(rule_arn), None, "");
    let mut out = vec![rule];
    out.extend(resources);
    out.push(permission);
    Ok(out)
}

/// `CloudWatchEvent.to_cloudformation` (and `EventBridgeRule`).
pub fn cloudwatch_event(ev: &EventCtx<'_>) -> Result<Vec<Resource>, ErrorItem> {
    let mut rule = Resource::new(ev.full_id, "AWS::Events::Rule").with_attrs(&ev.target.attrs);
    rule.set_opt("EventBusName", ev.get("EventBusName").cloned());
    rule.set_opt("EventPattern", ev.get("Pattern").cloned());
    rule.set_opt("Name", ev.get("RuleName").cloned());
    let rule_arn = get_att(ev.full_id, "Arn");
    let mut resources = Vec::new();
    let mut dlq_arn = None;
    if let Some(dlq) = ev.get("DeadLetterConfig") {
        let (arn, res) = event_rule_dlq(ev.full_id, &ev.target.attrs, dlq, &rule_arn)?;
        dlq_arn = Some(arn);
        resources.extend(res);
    }
    rule.set_opt("State", state_of(ev)?);
    let id = ev
        .get("Target")
        .and_then(|t| t.get("Id"))
        .cloned()
        .unwrap_or_else(|| Value::String(target_id(ev.full_id)));
    let mut target = Map::new();
    target.insert("Arn".into(), ev.target.arn());
    target.insert("Id".into(), id);
    for k in ["Input", "InputPath"] {
        if let Some(v) = ev.get(k) {
            target.insert(k.into(), v.clone());
        }
    }
    if let Some(a) = dlq_arn {
        target.insert("DeadLetterConfig".into(), json!({"Arn": a}));
    }
    for k in ["RetryPolicy", "InputTransformer"] {
        if let Some(v) = ev.get(k) {
            target.insert(k.into(), v.clone());
        }
    }
    rule.properties.insert("Targets".into(), json!([target]));
    rule.properties = crate::function::ordered(std::mem::take(&mut rule.properties), RULE_ORDER);
    let permission = ev.permission("events.amazonaws.com", Some(rule_arn), None, "");
    let mut out = resources;
    out.push(rule);
    out.push(permission);
    Ok(out)
}

/// `S3.to_cloudformation`: the permission, and the bucket with the notification added.
pub fn s3(ctx: &mut Ctx, ev: &EventCtx<'_>, bucket_id: &str) -> Result<Vec<Resource>, ErrorItem> {
    let permission = ev.permission("s3.amazonaws.com", None, Some(ref_("AWS::AccountId")), "");
    let mut bucket = ctx
        .resources()
        .get(bucket_id)
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let Value::Object(bucket_map) = &mut bucket else {
        return Err(ErrorItem::resource(
            bucket_id,
            "Properties should be a map.",
        ));
    };
    if let Some(cond) = permission.attributes.get("Condition") {
        depend_using_tag(bucket_map, bucket_id, &permission.logical_id, cond)?;
    } else {
        let deps = match bucket_map.get("DependsOn") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![Value::String(s.clone())],
            Some(Value::Array(items)) if items.iter().all(Value::is_string) => items.clone(),
            Some(_) => {
                return Err(ErrorItem::resource(
                    ev.full_id,
                    "Invalid type for field 'DependsOn'. Expected a string or list of strings.",
                ));
            }
        };
        let mut set: Vec<Value> = Vec::new();
        for d in deps {
            if !set.contains(&d) {
                set.push(d);
            }
        }
        let pid = Value::String(permission.logical_id.clone());
        if !set.contains(&pid) {
            set.push(pid);
        }
        bucket_map.insert("DependsOn".into(), Value::Array(set));
    }
    inject_notification(ev, bucket_map, bucket_id)?;
    // Later events on the same bucket build on this one, as in the translator.
    ctx.resources_mut()
        .insert(bucket_id.to_string(), bucket.clone());
    let r = Resource::from_template(bucket_id, "AWS::S3::Bucket", &bucket);
    Ok(vec![permission, r])
}

fn depend_using_tag(
    bucket: &mut Map<String, Value>,
    bucket_id: &str,
    permission_id: &str,
    condition: &Value,
) -> Result<(), ErrorItem> {
    let props = bucket
        .entry("Properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(props) = props else {
        return Err(ErrorItem::resource(
            bucket_id,
            "Properties should be a map.",
        ));
    };
    let tags = props
        .entry("Tags")
        .or_insert_with(|| Value::Array(Vec::new()));
    let Value::Array(tags) = tags else {
        return Err(ErrorItem::resource(
            bucket_id,
            "Property 'Tags' should be a list.",
        ));
    };
    tags.push(json!({
        "Key": format!("sam:ConditionalDependsOn:{permission_id}"),
        "Value": {"Fn::If": [condition, ref_(permission_id), "no dependency"]}
    }));
    Ok(())
}

fn inject_notification(
    ev: &EventCtx<'_>,
    bucket: &mut Map<String, Value>,
    bucket_id: &str,
) -> Result<(), ErrorItem> {
    let mut base = Map::new();
    base.insert("Function".into(), ev.target.arn());
    if let Some(filter) = ev.get("Filter") {
        base.insert("Filter".into(), filter.clone());
    }
    let event_types: Vec<Value> = match ev.get("Events") {
        Some(Value::Array(items)) => items.clone(),
        Some(v) => vec![v.clone()],
        None => Vec::new(),
    };
    let mut mappings = Vec::new();
    for t in event_types {
        let mut m = base.clone();
        m.insert("Event".into(), t);
        let mut v = Value::Object(m);
        if let Some(cond) = &ev.target.condition {
            v = make_conditional(&crate::intrinsics::py_str(cond), v, None);
        }
        mappings.push(v);
    }
    let props = bucket
        .entry("Properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(props) = props else {
        return Err(ErrorItem::resource(
            bucket_id,
            "Properties should be a map.",
        ));
    };
    let nc = props
        .entry("NotificationConfiguration")
        .or_insert_with(|| Value::Object(Map::new()));
    if nc.is_null() {
        *nc = Value::Object(Map::new());
    }
    let Value::Object(nc) = nc else {
        return Err(ErrorItem::resource(
            bucket_id,
            "Property 'NotificationConfiguration' should be a map.",
        ));
    };
    let lc = nc
        .entry("LambdaConfigurations")
        .or_insert_with(|| Value::Array(Vec::new()));
    if lc.is_null() {
        *lc = Value::Array(Vec::new());
    }
    let Value::Array(lc) = lc else {
        return Err(ErrorItem::resource(
            bucket_id,
            "Invalid type for LambdaConfigurations. Must be a list.",
        ));
    };
    for m in mappings {
        if !lc.contains(&m) {
            lc.push(m);
        }
    }
    Ok(())
}

fn subscription(ev: &EventCtx<'_>, protocol: &str, endpoint: Value) -> Resource {
    let mut s = Resource::new(ev.full_id, "AWS::SNS::Subscription").with_attrs(&ev.target.attrs);
    s.properties.insert("Endpoint".into(), endpoint);
    s.properties
        .insert("Protocol".into(), Value::String(protocol.into()));
    s.set_opt("TopicArn", ev.get("Topic").cloned());
    for k in [
        "Region",
        "FilterPolicy",
        "FilterPolicyScope",
        "RedrivePolicy",
    ] {
        s.set_opt(k, ev.get(k).cloned());
    }
    s
}

fn queue_policy(
    ev: &EventCtx<'_>,
    queue_arn: &Value,
    queue_url: &Value,
    id: Option<String>,
) -> Resource {
    let id = id.unwrap_or_else(|| format!("{}QueuePolicy", ev.full_id));
    let mut p = Resource::new(id, "AWS::SQS::QueuePolicy").with_attrs(&ev.target.attrs);
    p.properties.insert(
        "PolicyDocument".into(),
        json!({"Version": "2012-10-17", "Statement": [{
            "Action": "sqs:SendMessage", "Effect": "Allow", "Principal": "*", "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": ev.get("Topic").cloned().unwrap_or(Value::Null)}}
        }]}),
    );
    p.properties.insert("Queues".into(), json!([queue_url]));
    p
}

/// `SNS.to_cloudformation`.
pub fn sns(
    ctx: &mut Ctx,
    ev: &EventCtx<'_>,
    role: &mut Resource,
) -> Result<Vec<Resource>, ErrorItem> {
    let sqs_sub = ev
        .get("SqsSubscription")
        .filter(|v| !crate::ids::is_falsy(v));
    let Some(sqs_sub) = sqs_sub else {
        let perm = ev.permission("sns.amazonaws.com", ev.get("Topic").cloned(), None, "");
        return Ok(vec![perm, subscription(ev, "lambda", ev.target.arn())]);
    };
    let esm_id = format!("{}EventSourceMapping", ev.full_id);
    if sqs_sub.is_boolean() {
        let fifo = fifo_topic(ctx, ev.get("Topic"))?;
        let queue_id = format!("{}Queue", ev.full_id);
        let mut queue = Resource::new(&queue_id, "AWS::SQS::Queue").with_attrs(&ev.target.attrs);
        if let Some(f) = fifo.filter(|f| !crate::ids::is_falsy(f)) {
            queue.properties.insert("FifoQueue".into(), f);
        }
        let queue_arn = get_att(&queue_id, "Arn");
        let policy = queue_policy(ev, &queue_arn, &ref_(&queue_id), None);
        let sub = subscription(ev, "sqs", queue_arn.clone());
        let mut out = super::pull::sqs_mapping(ev, &esm_id, queue_arn, json!(10), role);
        out.push(queue);
        out.push(policy);
        out.push(sub);
        return Ok(out);
    }
    let Value::Object(sub) = sqs_sub else {
        return Err(ev.err("Property 'SqsSubscription' should be a map."));
    };
    let queue_arn = sub.get("QueueArn").filter(|v| !crate::ids::is_falsy(v));
    let queue_url = sub.get("QueueUrl").filter(|v| !crate::ids::is_falsy(v));
    let (Some(queue_arn), Some(queue_url)) = (queue_arn, queue_url) else {
        return Err(ev.err("No QueueARN or QueueURL provided."));
    };
    let policy_id = sub
        .get("QueuePolicyLogicalId")
        .and_then(Value::as_str)
        .map(str::to_string);
    let batch = sub
        .get("BatchSize")
        .filter(|v| !crate::ids::is_falsy(v))
        .cloned()
        .unwrap_or(json!(10));
    let policy = queue_policy(ev, queue_arn, queue_url, policy_id);
    let subr = subscription(ev, "sqs", queue_arn.clone());
    let mut out = super::pull::sqs_mapping(ev, &esm_id, queue_arn.clone(), batch, role);
    out.push(policy);
    out.push(subr);
    Ok(out)
}

fn fifo_topic(ctx: &Ctx, topic: Option<&Value>) -> Result<Option<Value>, ErrorItem> {
    let Some(id) = topic.and_then(logical_id_of) else {
        return Ok(None);
    };
    let fifo = ctx
        .resources()
        .get(id)
        .and_then(|r| r.get("Properties"))
        .and_then(|p| p.get("FifoTopic"))
        .cloned();
    match fifo {
        Some(v) => Ok(Some(ctx.resolve_params(&v)?)),
        None => Ok(None),
    }
}
