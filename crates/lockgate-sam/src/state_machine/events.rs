//! Events of state machines (`model/stepfunctions/events.py` and the
//! scheduler event source): rules and schedules that start executions through
//! a role of their own.

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::function::events::push::{
    RULE_ORDER, check_dlq_config, event_rule_dlq, suffixed_target_id,
};
use crate::intrinsics::py_str;
use crate::props::{self, Check, Prop, p, strict};

/// What the events start: the state machine or its alias.
pub struct Target {
    /// Logical ID of the state machine or alias (`Ref` gives the ARN).
    pub id: String,
    /// Attributes passed on to the event's resources.
    pub attrs: Map<String, Value>,
}

const SCHEDULE: &[Prop] = &[
    p("Schedule", true, Check::Str),
    p("Input", false, Check::Str),
    p("Enabled", false, Check::Bool),
    p("State", false, Check::Str),
    p("Name", false, Check::Str),
    p("Description", false, Check::Str),
    p("DeadLetterConfig", false, Check::Map),
    p("RetryPolicy", false, Check::Map),
    strict("Target", false, Check::Map),
    strict("RoleArn", false, Check::Str),
];

const CLOUDWATCH_EVENT: &[Prop] = &[
    p("EventBusName", false, Check::Str),
    p("RuleName", false, Check::Str),
    p("Pattern", false, Check::Map),
    p("Input", false, Check::Str),
    p("InputPath", false, Check::Str),
    p("DeadLetterConfig", false, Check::Map),
    p("RetryPolicy", false, Check::Map),
    p("State", false, Check::Str),
    strict("Target", false, Check::Map),
    p("InputTransformer", false, Check::Map),
];

fn spec(t: &str) -> Option<&'static [Prop]> {
    Some(match t {
        "Schedule" => SCHEDULE,
        "CloudWatchEvent" | "EventBridgeRule" => CLOUDWATCH_EVENT,
        "ScheduleV2" => crate::function::events::other::SCHEDULE_V2,
        _ => return None,
    })
}

fn wrap(id: &str, e: ErrorItem) -> ErrorItem {
    match e {
        ErrorItem::InvalidEvent { .. } => ErrorItem::resource(id, e.to_string()),
        other => other,
    }
}

/// `_event_resources_to_link`: every event must be of a supported type with valid properties.
pub fn validate(_ctx: &Ctx, id: &str, props: &Map<String, Value>) -> Result<(), ErrorItem> {
    let Some(Value::Object(events)) = props::get(props, "Events") else {
        return Ok(());
    };
    for (event_id, event) in events {
        let t = event.get("Type").cloned().unwrap_or(Value::Null);
        let Some(s) = t.as_str().and_then(spec) else {
            let message = if t.as_str() == Some("Api") {
                "Api events of state machines are not supported by this transform.".to_string()
            } else {
                format!(
                    "Resource dict has missing or invalid value for key Type. Event Type is: {}.",
                    py_str(&t)
                )
            };
            return Err(wrap(id, ErrorItem::event(event_id, message)));
        };
        let full_id = format!("{id}{event_id}");
        let eprops = event
            .get("Properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        props::validate(&full_id, t.as_str().unwrap_or_default(), &eprops, s)?;
    }
    Ok(())
}

fn target_id(logical_id: &str) -> String {
    suffixed_target_id(logical_id, "StepFunctionsTarget")
}

fn start_execution_policy(target: &Target, role_id: &str) -> Value {
    json!({
        "PolicyName": format!("{role_id}StartExecutionPolicy"),
        "PolicyDocument": {"Statement": [{"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": target.id}}]}
    })
}

fn event_role(
    target: &Target,
    full_id: &str,
    principal: &str,
    boundary: Option<&Value>,
) -> Resource {
    let role_id = format!("{full_id}Role");
    let mut role = Resource::new(&role_id, "AWS::IAM::Role").with_attrs(&target.attrs);
    role.properties.insert(
        "AssumeRolePolicyDocument".into(),
        json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": [principal]}}]}),
    );
    role.properties.insert(
        "Policies".into(),
        json!([start_execution_policy(target, &role_id)]),
    );
    if let Some(b) = boundary.filter(|b| !crate::ids::is_falsy(b)) {
        role.properties
            .insert("PermissionsBoundary".into(), b.clone());
    }
    role
}

fn rule(
    ctx_id: &str,
    event_id: &str,
    e: &Map<String, Value>,
    target: &Target,
    boundary: Option<&Value>,
    schedule: bool,
) -> Result<Vec<Resource>, ErrorItem> {
    let full_id = format!("{ctx_id}{event_id}");
    let get = |k: &str| props::get(e, k);
    let mut r = Resource::new(&full_id, "AWS::Events::Rule").with_attrs(&target.attrs);
    let mut out = Vec::new();
    if schedule {
        r.set_opt("ScheduleExpression", get("Schedule").cloned());
        let state = get("State").filter(|v| !crate::ids::is_falsy(v));
        if state.is_some() && get("Enabled").is_some() {
            return Err(ErrorItem::event(
                event_id,
                "State and Enabled Properties cannot both be specified.",
            ));
        }
        r.set_opt("State", state.cloned());
        if let Some(en) = get("Enabled") {
            let on = !crate::ids::is_falsy(en);
            r.properties.insert(
                "State".into(),
                json!(if on { "ENABLED" } else { "DISABLED" }),
            );
        }
        r.set_opt("Name", get("Name").cloned());
        r.set_opt("Description", get("Description").cloned());
    } else {
        r.set_opt("EventBusName", get("EventBusName").cloned());
        r.set_opt("EventPattern", get("Pattern").cloned());
        r.set_opt("Name", get("RuleName").cloned());
        r.set_opt(
            "State",
            get("State").filter(|v| !crate::ids::is_falsy(v)).cloned(),
        );
    }
    let role_arn = match get("RoleArn").filter(|_| schedule) {
        Some(arn) => arn.clone(),
        None => {
            let role = event_role(target, &full_id, "events.amazonaws.com", boundary);
            let arn = json!({"Fn::GetAtt": [role.logical_id, "Arn"]});
            out.push(role);
            arn
        }
    };
    let rule_arn = json!({"Fn::GetAtt": [full_id, "Arn"]});
    let mut dlq_arn = None;
    if let Some(config) = get("DeadLetterConfig") {
        let (arn, res) = event_rule_dlq(&full_id, &target.attrs, config, &rule_arn)?;
        dlq_arn = Some(arn);
        out.extend(res);
    }
    let id = get("Target")
        .and_then(|t| t.get("Id"))
        .cloned()
        .unwrap_or_else(|| json!(target_id(&full_id)));
    let mut t = Map::new();
    t.insert("Arn".into(), json!({"Ref": target.id}));
    t.insert("Id".into(), id);
    t.insert("RoleArn".into(), role_arn);
    let keys: &[&str] = if schedule {
        &["Input"]
    } else {
        &["Input", "InputPath"]
    };
    for k in keys {
        if let Some(v) = get(k) {
            t.insert((*k).into(), v.clone());
        }
    }
    if get("DeadLetterConfig").is_some() {
        t.insert("DeadLetterConfig".into(), json!({"Arn": dlq_arn}));
    }
    if let Some(v) = get("RetryPolicy") {
        t.insert("RetryPolicy".into(), v.clone());
    }
    if !schedule && let Some(v) = get("InputTransformer") {
        t.insert("InputTransformer".into(), v.clone());
    }
    r.properties.insert("Targets".into(), json!([t]));
    r.properties = crate::function::ordered(std::mem::take(&mut r.properties), RULE_ORDER);
    let mut all = vec![r];
    all.extend(out);
    Ok(all)
}

fn schedule_v2(
    id: &str,
    event_id: &str,
    e: &Map<String, Value>,
    target: &Target,
    boundary: Option<&Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let full_id = format!("{id}{event_id}");
    let get = |k: &str| props::get(e, k);
    let mut s = Resource::new(&full_id, "AWS::Scheduler::Schedule").with_attrs(&target.attrs);
    s.set_opt("ScheduleExpression", get("ScheduleExpression").cloned());
    s.properties.insert(
        "FlexibleTimeWindow".into(),
        get("FlexibleTimeWindow")
            .filter(|v| !crate::ids::is_falsy(v))
            .cloned()
            .unwrap_or_else(|| json!({"Mode": "OFF"})),
    );
    let omit = get("OmitName").is_some_and(|v| !crate::ids::is_falsy(v));
    let name = get("Name").filter(|v| !crate::ids::is_falsy(v));
    if omit {
        if name.is_some() {
            return Err(ErrorItem::event(
                &full_id,
                "Name cannot be set when OmitName is True",
            ));
        }
    } else {
        s.properties.insert(
            "Name".into(),
            name.cloned().unwrap_or_else(|| json!(full_id)),
        );
    }
    s.set_opt(
        "State",
        get("State").filter(|v| !crate::ids::is_falsy(v)).cloned(),
    );
    for k in [
        "Description",
        "StartDate",
        "EndDate",
        "ScheduleExpressionTimezone",
        "GroupName",
        "KmsKeyArn",
    ] {
        s.set_opt(k, get(k).cloned());
    }
    let mut out = Vec::new();
    let mut dlq_arn = None;
    if let Some(config) = get("DeadLetterConfig") {
        check_dlq_config(&full_id, config)?;
        if let Some(arn) = config.get("Arn") {
            dlq_arn = Some(arn.clone());
        } else {
            let queue_id = match config.get("QueueLogicalId") {
                None | Some(Value::Null) => format!("{full_id}Queue"),
                Some(Value::String(q)) => q.clone(),
                Some(_) => {
                    return Err(ErrorItem::event(
                        &full_id,
                        "QueueLogicalId must be a string",
                    ));
                }
            };
            dlq_arn = Some(json!({"Fn::GetAtt": [queue_id, "Arn"]}));
            out.push(Resource::new(&queue_id, "AWS::SQS::Queue").with_attrs(&target.attrs));
        }
    }
    let role_arn = match get("RoleArn").filter(|v| !crate::ids::is_falsy(v)) {
        Some(arn) => arn.clone(),
        None => {
            let role_id = format!("{full_id}Role");
            let mut role = Resource::new(&role_id, "AWS::IAM::Role").with_attrs(&target.attrs);
            role.properties.insert(
                "AssumeRolePolicyDocument".into(),
                json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["scheduler.amazonaws.com"]}}]}),
            );
            let mut policies = vec![start_execution_policy(target, &full_id)];
            if let Some(arn) = &dlq_arn {
                policies.push(crate::function::extras::sqs_sns_s3_policy(
                    "SQS", &full_id, arn,
                ));
            }
            role.properties
                .insert("Policies".into(), Value::Array(policies));
            if let Some(b) = get("PermissionsBoundary")
                .or(boundary)
                .filter(|b| !crate::ids::is_falsy(b))
            {
                role.properties
                    .insert("PermissionsBoundary".into(), b.clone());
            }
            let arn = json!({"Fn::GetAtt": [role_id, "Arn"]});
            out.push(role);
            arn
        }
    };
    let mut t = Map::new();
    t.insert("Arn".into(), json!({"Ref": target.id}));
    t.insert("RoleArn".into(), role_arn);
    if let Some(i) = get("Input") {
        t.insert("Input".into(), i.clone());
    }
    if get("DeadLetterConfig").is_some() {
        t.insert("DeadLetterConfig".into(), json!({"Arn": dlq_arn}));
    }
    if let Some(r) = get("RetryPolicy") {
        t.insert("RetryPolicy".into(), r.clone());
    }
    s.properties.insert("Target".into(), Value::Object(t));
    let mut all = vec![s];
    all.extend(out);
    Ok(all)
}

/// `_generate_event_resources` of the state machine generator.
pub fn generate(
    id: &str,
    props: &Map<String, Value>,
    target: &Target,
) -> Result<Vec<Resource>, ErrorItem> {
    let Some(Value::Object(events)) = props::get(props, "Events") else {
        return Ok(Vec::new());
    };
    let boundary = props::get(props, "PermissionsBoundary");
    let mut out = Vec::new();
    for (event_id, event) in events {
        let e = event
            .get("Properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let produced = match event
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or_default()
        {
            "Schedule" => rule(id, event_id, &e, target, boundary, true),
            "CloudWatchEvent" | "EventBridgeRule" => {
                rule(id, event_id, &e, target, boundary, false)
            }
            "ScheduleV2" => schedule_v2(id, event_id, &e, target, boundary),
            _ => Ok(Vec::new()),
        }?;
        out.extend(produced);
    }
    Ok(out)
}
