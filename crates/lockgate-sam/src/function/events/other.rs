//! Less common push event sources: CloudWatchLogs, AlexaSkill, IoTRule and
//! Cognito (`model/eventsources/cloudwatchlogs.py`, `push.py`).

use serde_json::{Map, Value, json};

use super::EventCtx;
use super::push::check_dlq_config;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::props::{Check, Prop, p};

/// `CloudWatchLogs.property_types`.
pub const CLOUDWATCH_LOGS: &[Prop] = &[
    p("LogGroupName", true, Check::Str),
    p("FilterPattern", true, Check::Str),
];
/// `AlexaSkill.property_types`.
pub const ALEXA_SKILL: &[Prop] = &[p("SkillId", false, Check::Str)];
/// `IoTRule.property_types`.
pub const IOT_RULE: &[Prop] = &[
    p("Sql", true, Check::Str),
    p("AwsIotSqlVersion", false, Check::Str),
];
/// `Cognito.property_types`.
pub const COGNITO: &[Prop] = &[
    p("UserPool", true, Check::Str),
    Prop {
        name: "Trigger",
        required: true,
        check: Check::StrOrListOfStr,
        intrinsics: false,
    },
];

fn arn(ctx: &Ctx, service: &str, resource: &str) -> String {
    format!(
        "arn:{}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}",
        ctx.opts.partition
    )
}

/// `CloudWatchLogs.to_cloudformation`: a permission and a subscription filter.
pub fn cloudwatch_logs(ctx: &Ctx, ev: &EventCtx<'_>) -> Vec<Resource> {
    let group = ev.get("LogGroupName").cloned().unwrap_or(Value::Null);
    let source_arn = json!({"Fn::Sub": [arn(ctx, "logs", "log-group:${__LogGroupName__}:*"), {"__LogGroupName__": group}]});
    let permission = ev.permission("logs.amazonaws.com", Some(source_arn), None, "");
    let mut filter =
        Resource::new(ev.full_id, "AWS::Logs::SubscriptionFilter").with_attrs(&ev.target.attrs);
    filter
        .attributes
        .insert("DependsOn".into(), json!([permission.logical_id]));
    filter
        .properties
        .insert("DestinationArn".into(), ev.target.arn());
    filter.properties.insert(
        "FilterPattern".into(),
        ev.get("FilterPattern").cloned().unwrap_or(Value::Null),
    );
    filter.properties.insert("LogGroupName".into(), group);
    vec![permission, filter]
}

/// `AlexaSkill.to_cloudformation`: a permission with the skill as event source token.
pub fn alexa_skill(ev: &EventCtx<'_>) -> Vec<Resource> {
    let mut permission = ev.permission("alexa-appkit.amazon.com", None, None, "");
    if let Some(id) = ev.get("SkillId") {
        permission
            .properties
            .insert("EventSourceToken".into(), id.clone());
    }
    vec![permission]
}

/// `IoTRule.to_cloudformation`: a permission and the topic rule.
pub fn iot_rule(ctx: &Ctx, ev: &EventCtx<'_>) -> Vec<Resource> {
    let source_arn = json!({"Fn::Sub": [arn(ctx, "iot", "rule/${RuleName}"), {"RuleName": {"Ref": ev.full_id}}]});
    let permission = ev.permission(
        "iot.amazonaws.com",
        Some(source_arn),
        Some(json!({"Fn::Sub": "${AWS::AccountId}"})),
        "",
    );
    let mut rule = Resource::new(ev.full_id, "AWS::IoT::TopicRule").with_attrs(&ev.target.attrs);
    let mut payload = Map::new();
    payload.insert("Sql".into(), ev.get("Sql").cloned().unwrap_or(Value::Null));
    payload.insert("RuleDisabled".into(), json!(false));
    payload.insert(
        "Actions".into(),
        json!([{"Lambda": {"FunctionArn": ev.target.arn()}}]),
    );
    if let Some(v) = ev
        .get("AwsIotSqlVersion")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        payload.insert("AwsIotSqlVersion".into(), v.clone());
    }
    rule.properties
        .insert("TopicRulePayload".into(), Value::Object(payload));
    vec![permission, rule]
}

/// `Cognito.resources_to_link`: the user pool's logical ID.
pub fn cognito_user_pool(
    ctx: &Ctx,
    full_id: &str,
    event_id: &str,
    props: &Map<String, Value>,
) -> Result<String, ErrorItem> {
    if let Some(Value::Object(pool)) = props.get("UserPool")
        && let Some(r) = pool.get("Ref")
    {
        let Value::String(id) = r else {
            return Err(ErrorItem::event(
                full_id,
                "Ref in Userpool is not a string.",
            ));
        };
        if ctx.resources().contains_key(id) {
            return Ok(id.clone());
        }
    }
    Err(ErrorItem::event(
        event_id,
        "Cognito events must reference a Cognito UserPool in the same template.",
    ))
}

/// `Cognito.to_cloudformation`: a permission, and the user pool with the trigger added.
pub fn cognito(
    ctx: &mut Ctx,
    ev: &EventCtx<'_>,
    pool_id: &str,
    function_id: &str,
) -> Result<Vec<Resource>, ErrorItem> {
    let source_arn = json!({"Fn::GetAtt": [pool_id, "Arn"]});
    let mut permission = ev.permission("cognito-idp.amazonaws.com", Some(source_arn), None, "");
    permission.logical_id = format!("{function_id}CognitoPermission");
    let mut pool = ctx
        .resources()
        .get(pool_id)
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let triggers: Vec<Value> = match ev.get("Trigger") {
        Some(Value::Array(items)) => items.clone(),
        Some(v) => vec![v.clone()],
        None => Vec::new(),
    };
    if let Value::Object(pool_map) = &mut pool {
        let props = pool_map
            .entry("Properties")
            .or_insert_with(|| Value::Object(Map::new()));
        if props.is_null() {
            *props = Value::Object(Map::new());
        }
        if let Value::Object(props) = props {
            let config = props
                .entry("LambdaConfig")
                .or_insert_with(|| Value::Object(Map::new()));
            if config.is_null() {
                *config = Value::Object(Map::new());
            }
            let Value::Object(config) = config else {
                return Err(ErrorItem::resource(
                    pool_id,
                    "Property 'LambdaConfig' should be a map.",
                ));
            };
            for t in triggers {
                let key = crate::intrinsics::py_str(&t);
                if config.contains_key(&key) {
                    let shown =
                        crate::intrinsics::py_str(ev.get("Trigger").unwrap_or(&Value::Null));
                    return Err(ev.err(format!(
                        "Cognito trigger \"{shown}\" defined multiple times."
                    )));
                }
                config.insert(key, ev.target.arn());
            }
        }
    }
    ctx.resources_mut()
        .insert(pool_id.to_string(), pool.clone());
    let r = Resource::from_template(pool_id, "AWS::Cognito::UserPool", &pool);
    Ok(vec![permission, r])
}

/// `SchedulerEventSource.property_types` (`ScheduleV2`).
pub const SCHEDULE_V2: &[Prop] = &[
    p("PermissionsBoundary", false, Check::Str),
    p("ScheduleExpression", true, Check::Str),
    p("FlexibleTimeWindow", false, Check::Map),
    p("Name", false, Check::Str),
    p("State", false, Check::Str),
    p("Description", false, Check::Str),
    p("StartDate", false, Check::Str),
    p("EndDate", false, Check::Str),
    p("ScheduleExpressionTimezone", false, Check::Str),
    p("GroupName", false, Check::Str),
    p("KmsKeyArn", false, Check::Str),
    p("Input", false, Check::Str),
    p("RoleArn", false, Check::Str),
    p("DeadLetterConfig", false, Check::Map),
    p("RetryPolicy", false, Check::Map),
    crate::props::strict("OmitName", false, Check::Bool),
];

/// `SchedulerEventSource.to_cloudformation` for a function target: the
/// schedule, its DLQ and its execution role.
pub fn schedule_v2(ev: &EventCtx<'_>) -> Result<Vec<Resource>, ErrorItem> {
    let attrs = &ev.target.attrs;
    let mut schedule = Resource::new(ev.full_id, "AWS::Scheduler::Schedule").with_attrs(attrs);
    let pr = &mut schedule.properties;
    pr.insert(
        "ScheduleExpression".into(),
        ev.get("ScheduleExpression").cloned().unwrap_or(Value::Null),
    );
    pr.insert(
        "FlexibleTimeWindow".into(),
        ev.get("FlexibleTimeWindow")
            .filter(|v| !crate::ids::is_falsy(v))
            .cloned()
            .unwrap_or_else(|| json!({"Mode": "OFF"})),
    );
    let omit = ev.get("OmitName").is_some_and(|v| !crate::ids::is_falsy(v));
    let name = ev.get("Name").filter(|v| !crate::ids::is_falsy(v));
    if omit {
        if name.is_some() {
            return Err(ev.err_full("Name cannot be set when OmitName is True"));
        }
    } else {
        pr.insert(
            "Name".into(),
            name.cloned().unwrap_or_else(|| json!(ev.full_id)),
        );
    }
    if let Some(s) = ev.get("State").filter(|v| !crate::ids::is_falsy(v)) {
        pr.insert("State".into(), s.clone());
    }
    for k in [
        "Description",
        "StartDate",
        "EndDate",
        "ScheduleExpressionTimezone",
        "GroupName",
        "KmsKeyArn",
    ] {
        if let Some(v) = ev.get(k) {
            pr.insert(k.into(), v.clone());
        }
    }
    let mut resources = Vec::new();
    let mut dlq_arn = None;
    if let Some(dlq) = ev.get("DeadLetterConfig") {
        check_dlq_config(ev.full_id, dlq)?;
        if let Some(arn) = dlq.get("Arn").filter(|v| !v.is_null()) {
            dlq_arn = Some(arn.clone());
        } else {
            let queue_id = match dlq.get("QueueLogicalId") {
                None | Some(Value::Null) => format!("{}Queue", ev.full_id),
                Some(Value::String(s)) => s.clone(),
                Some(_) => return Err(ev.err_full("QueueLogicalId must be a string")),
            };
            dlq_arn = Some(json!({"Fn::GetAtt": [queue_id, "Arn"]}));
            resources.push(Resource::new(&queue_id, "AWS::SQS::Queue").with_attrs(attrs));
        }
    }
    let role_arn = match ev.get("RoleArn").filter(|v| !crate::ids::is_falsy(v)) {
        Some(arn) => arn.clone(),
        None => {
            let role_id = format!("{}Role", ev.full_id);
            let mut role = Resource::new(&role_id, "AWS::IAM::Role").with_attrs(attrs);
            role.properties.insert(
                "AssumeRolePolicyDocument".into(),
                json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["scheduler.amazonaws.com"]}}]}),
            );
            let mut policies = vec![crate::function::extras::sqs_sns_s3_policy(
                "Lambda",
                ev.full_id,
                &ev.target.arn(),
            )];
            if let Some(arn) = &dlq_arn {
                policies.push(crate::function::extras::sqs_sns_s3_policy(
                    "SQS", ev.full_id, arn,
                ));
            }
            role.properties
                .insert("Policies".into(), Value::Array(policies));
            if let Some(pb) = ev
                .get("PermissionsBoundary")
                .filter(|v| !crate::ids::is_falsy(v))
            {
                role.properties
                    .insert("PermissionsBoundary".into(), pb.clone());
            }
            let arn = json!({"Fn::GetAtt": [role_id, "Arn"]});
            resources.push(role);
            arn
        }
    };
    let mut target = Map::new();
    target.insert("Arn".into(), ev.target.arn());
    target.insert("RoleArn".into(), role_arn);
    if let Some(i) = ev.get("Input") {
        target.insert("Input".into(), i.clone());
    }
    if ev.get("DeadLetterConfig").is_some() {
        target.insert("DeadLetterConfig".into(), json!({"Arn": dlq_arn}));
    }
    if let Some(r) = ev.get("RetryPolicy") {
        target.insert("RetryPolicy".into(), r.clone());
    }
    schedule
        .properties
        .insert("Target".into(), Value::Object(target));
    let mut out = vec![schedule];
    out.extend(resources);
    Ok(out)
}
