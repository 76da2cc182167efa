//! `DeploymentPreference`: the CodeDeploy application, its service role and
//! one deployment group per function, collected across all functions
//! (`model/preferences/deployment_preference_collection.py`).

use serde_json::{Map, Value, json};

use super::SamFunction;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::ids::truthy;
use crate::intrinsics::{
    if_items, is_if, is_intrinsic, is_no_value, make_combined_condition, ref_,
};

const APPLICATION_ID: &str = "ServerlessDeploymentApplication";
const SERVICE_ROLE_ID: &str = "CodeDeployServiceRole";
const CONDITION_NAME: &str = "ServerlessCodeDeployCondition";
const PREDEFINED: &[&str] = &[
    "Canary10Percent5Minutes",
    "Canary10Percent10Minutes",
    "Canary10Percent15Minutes",
    "Canary10Percent30Minutes",
    "Linear10PercentEvery1Minute",
    "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes",
    "Linear10PercentEvery10Minutes",
    "AllAtOnce",
];

/// One function's parsed preference.
#[derive(Debug, Clone, Default)]
pub struct Preference {
    enabled: bool,
    deployment_type: Value,
    pre_traffic_hook: Option<Value>,
    post_traffic_hook: Option<Value>,
    alarms: Option<Value>,
    role: Option<Value>,
    trigger_configurations: Option<Value>,
    condition: Option<String>,
    tags: Option<Value>,
    propagate_tags: bool,
}

/// Deployment preferences seen so far, by function logical ID (in order).
#[derive(Debug, Default, Clone)]
pub struct Collection {
    prefs: Vec<(String, Preference)>,
}

impl Collection {
    fn needs_resource_condition(&self) -> bool {
        !self.prefs.is_empty()
            && !self
                .prefs
                .iter()
                .any(|(_, p)| p.condition.is_none() && p.enabled)
    }

    fn all_conditions(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, p) in &self.prefs {
            if let Some(c) = &p.condition
                && !out.contains(c)
            {
                out.push(c.clone());
            }
        }
        out
    }

    fn merged_tags(&self) -> Map<String, Value> {
        let mut merged = Map::new();
        for (_, p) in &self.prefs {
            if p.enabled
                && p.propagate_tags
                && let Some(Value::Object(t)) = &p.tags
            {
                for (k, v) in t {
                    merged.insert(k.clone(), v.clone());
                }
            }
        }
        merged
    }

    fn resource_condition(&self) -> Option<String> {
        if !self.needs_resource_condition() {
            return None;
        }
        let conditions = self.all_conditions();
        if conditions.len() <= 1 {
            return conditions.into_iter().next();
        }
        Some(CONDITION_NAME.to_string())
    }

    fn deployment_group(&self, id: &str, p: &Preference) -> Result<Resource, ErrorItem> {
        let mut g = Resource::new(
            format!("{id}DeploymentGroup"),
            "AWS::CodeDeploy::DeploymentGroup",
        );
        let alarms = convert_alarms(p.alarms.as_ref()).map_err(|e| ErrorItem::resource(id, e))?;
        if let Some(a) = alarms {
            g.properties.insert("AlarmConfiguration".into(), a);
        }
        g.properties
            .insert("ApplicationName".into(), ref_(APPLICATION_ID));
        g.properties.insert(
            "AutoRollbackConfiguration".into(),
            json!({"Enabled": true, "Events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]}),
        );
        g.properties.insert(
            "DeploymentConfigName".into(),
            replace_deployment_types(&p.deployment_type, None),
        );
        g.properties.insert(
            "DeploymentStyle".into(),
            json!({"DeploymentType": "BLUE_GREEN", "DeploymentOption": "WITH_TRAFFIC_CONTROL"}),
        );
        let role = match &p.role {
            Some(r) if !crate::ids::is_falsy(r) => r.clone(),
            _ => json!({"Fn::GetAtt": [SERVICE_ROLE_ID, "Arn"]}),
        };
        g.properties.insert("ServiceRoleArn".into(), role);
        if let Some(t) = p
            .trigger_configurations
            .as_ref()
            .filter(|t| !crate::ids::is_falsy(t))
        {
            g.properties
                .insert("TriggerConfigurations".into(), t.clone());
        }
        if let Some(Value::Object(tags)) = &p.tags
            && !tags.is_empty()
        {
            g.properties.insert(
                "Tags".into(),
                Value::Array(super::user_tags(p.tags.as_ref())),
            );
        }
        if let Some(c) = &p.condition {
            g.attributes
                .insert("Condition".into(), Value::String(c.clone()));
        }
        Ok(g)
    }

    /// The resources, new conditions and errors the collection adds after all
    /// functions are translated.
    pub fn finish(&self) -> (Vec<Resource>, Map<String, Value>, Vec<ErrorItem>) {
        let mut resources = Vec::new();
        let mut conditions = Map::new();
        let mut errors = Vec::new();
        if !self.prefs.iter().any(|(_, p)| p.enabled) {
            return (resources, conditions, errors);
        }
        let condition = self.resource_condition();
        let tags = self.merged_tags();
        let mut app = Resource::new(APPLICATION_ID, "AWS::CodeDeploy::Application");
        app.properties
            .insert("ComputePlatform".into(), json!("Lambda"));
        if !tags.is_empty() {
            app.properties.insert(
                "Tags".into(),
                Value::Array(super::user_tags(Some(&Value::Object(tags.clone())))),
            );
        }
        if let Some(c) = &condition {
            app.attributes
                .insert("Condition".into(), Value::String(c.clone()));
        }
        resources.push(app);
        if self.needs_resource_condition() {
            let all = self.all_conditions();
            if all.len() >= 2 {
                conditions = make_combined_condition(all, CONDITION_NAME);
            }
        }
        if !self
            .prefs
            .iter()
            .all(|(_, p)| truthy(p.role.as_ref()) || !p.enabled)
        {
            let mut role = Resource::new(SERVICE_ROLE_ID, "AWS::IAM::Role");
            role.properties.insert(
                "AssumeRolePolicyDocument".into(),
                json!({"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["codedeploy.amazonaws.com"]}}]}),
            );
            role.properties.insert(
                "ManagedPolicyArns".into(),
                json!(["arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda"]),
            );
            if let Some(c) = &condition {
                role.attributes
                    .insert("Condition".into(), Value::String(c.clone()));
            }
            if !tags.is_empty() {
                role.properties.insert(
                    "Tags".into(),
                    Value::Array(super::user_tags(Some(&Value::Object(tags)))),
                );
            }
            resources.push(role);
        }
        for (id, p) in &self.prefs {
            if !p.enabled {
                continue;
            }
            match self.deployment_group(id, p) {
                Ok(g) => resources.push(g),
                Err(e) => errors.push(e),
            }
        }
        (resources, conditions, errors)
    }
}

fn convert_alarms(alarms: Option<&Value>) -> Result<Option<Value>, String> {
    let Some(alarms) = alarms else {
        return Ok(None);
    };
    if crate::ids::is_falsy(alarms) || is_no_value(alarms) {
        return Ok(None);
    }
    if is_if(alarms) {
        let mut processed = alarms.clone();
        let items = if_items(alarms).map_err(|e| e.to_string())?;
        let a = build_alarms(&items[1])?;
        let b = build_alarms(&items[2])?;
        processed["Fn::If"][1] = a;
        processed["Fn::If"][2] = b;
        return Ok(Some(processed));
    }
    Ok(Some(build_alarms(alarms)?))
}

fn build_alarms(alarms: &Value) -> Result<Value, String> {
    let Value::Array(list) = alarms else {
        return Err("Alarms must be a list".into());
    };
    if list.is_empty() || is_no_value(&list[0]) {
        return Ok(json!({}));
    }
    let names: Vec<Value> = list.iter().map(|a| json!({"Name": a})).collect();
    Ok(json!({"Enabled": true, "Alarms": names}))
}

fn replace_deployment_types(value: &Value, key: Option<&str>) -> Value {
    match value {
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| replace_deployment_types(v, None))
                .collect(),
        ),
        v if is_intrinsic(v) => {
            let mut out = Map::new();
            if let Value::Object(m) = v {
                for (k, inner) in m {
                    out.insert(k.clone(), replace_deployment_types(inner, Some(k)));
                }
            }
            Value::Object(out)
        }
        Value::String(s) if PREDEFINED.contains(&s.as_str()) => {
            if key == Some("Fn::Sub") {
                json!(["CodeDeployDefault.Lambda${ConfigName}", {"ConfigName": s}])
            } else {
                json!({"Fn::Sub": ["CodeDeployDefault.Lambda${ConfigName}", {"ConfigName": s}]})
            }
        }
        other => other.clone(),
    }
}

fn resolve_both(ctx: &Ctx, v: &Value) -> Result<Value, ErrorItem> {
    let v = ctx.resolve_params(v)?;
    crate::intrinsics::resolve_find_in_map(&v, &ctx.mappings)
}

/// `_validate_deployment_preference_and_add_update_policy`.
pub fn validate_and_add(
    ctx: &mut Ctx,
    f: &SamFunction,
    alias: Option<&mut Resource>,
) -> Result<(), ErrorItem> {
    let Some(Value::Object(dp)) = f
        .get("DeploymentPreference")
        .filter(|v| !crate::ids::is_falsy(v))
    else {
        return Ok(());
    };
    let mut dp = dp.clone();
    if let Some(e) = dp.get("Enabled").cloned() {
        dp.insert("Enabled".into(), resolve_both(ctx, &e)?);
    }
    if let Some(t) = dp.get("Type").cloned() {
        dp.insert("Type".into(), resolve_both(ctx, &t)?);
    }
    let passthrough = match dp.get("PassthroughCondition").cloned() {
        Some(pc) => {
            let v = resolve_both(ctx, &pc)?;
            match &v {
                Value::Bool(b) => *b,
                Value::String(s) if s == "true" || s == "True" => true,
                Value::String(s) if s == "false" || s == "False" => false,
                v if is_intrinsic(v) => {
                    return Err(f.err("Unsupported intrinsic: the only intrinsic functions supported for property PassthroughCondition are FindInMap and parameter Refs."));
                }
                _ => return Err(f.err("Invalid value for property PassthroughCondition.")),
            }
        }
        None => false,
    };
    let condition = f
        .passthrough()
        .get("Condition")
        .map(crate::intrinsics::py_str);
    let pref = from_dict(
        f,
        &dp,
        condition,
        f.get("Tags"),
        passthrough,
        f.get("PropagateTags"),
    )?;
    let enabled = pref.enabled;
    let update_policy = enabled.then(|| {
        let mut up = Map::new();
        up.insert("ApplicationName".into(), ref_(APPLICATION_ID));
        up.insert(
            "DeploymentGroupName".into(),
            ref_(&format!("{}DeploymentGroup", f.id)),
        );
        if let Some(h) = pref.pre_traffic_hook.clone().filter(|v| !v.is_null()) {
            up.insert("BeforeAllowTrafficHook".into(), h);
        }
        if let Some(h) = pref.post_traffic_hook.clone().filter(|v| !v.is_null()) {
            up.insert("AfterAllowTrafficHook".into(), h);
        }
        json!({"CodeDeployLambdaAliasUpdate": up})
    });
    ctx.deployment_preferences.prefs.push((f.id.clone(), pref));
    if enabled {
        if !truthy(f.get("AutoPublishAlias")) {
            return Err(f.err(
                "'DeploymentPreference' requires AutoPublishAlias property to be specified.",
            ));
        }
        if let (Some(alias), Some(up)) = (alias, update_policy) {
            alias.attributes.insert("UpdatePolicy".into(), up);
        }
    }
    Ok(())
}

/// `DeploymentPreference.from_dict`.
fn from_dict(
    f: &SamFunction,
    dp: &Map<String, Value>,
    condition: Option<String>,
    tags: Option<&Value>,
    passthrough: bool,
    propagate: Option<&Value>,
) -> Result<Preference, ErrorItem> {
    let enabled = dp.get("Enabled").cloned().unwrap_or(Value::Bool(true));
    let enabled = match &enabled {
        Value::String(s) if s == "false" || s == "False" => false,
        v => !crate::ids::is_falsy(v),
    };
    if !enabled {
        return Ok(Preference::default());
    }
    let Some(deployment_type) = dp.get("Type").cloned() else {
        return Err(f.err("'DeploymentPreference' is missing required Property 'Type'"));
    };
    let hooks = dp
        .get("Hooks")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let Value::Object(hooks) = hooks else {
        return Err(f.err("'Hooks' property of 'DeploymentPreference' must be a dictionary"));
    };
    let propagate_tags = propagate.and_then(Value::as_bool).unwrap_or(false);
    Ok(Preference {
        enabled: true,
        deployment_type,
        pre_traffic_hook: hooks.get("PreTraffic").cloned(),
        post_traffic_hook: hooks.get("PostTraffic").cloned(),
        alarms: dp.get("Alarms").cloned(),
        role: dp.get("Role").cloned(),
        trigger_configurations: dp.get("TriggerConfigurations").cloned(),
        condition: if passthrough { condition } else { None },
        tags: if propagate_tags && truthy(tags) {
            tags.cloned()
        } else {
            None
        },
        propagate_tags,
    })
}
