//! Usage plans and API keys of REST APIs (`Auth.UsagePlan`), as the
//! translator's `ApiGenerator._construct_usage_plan` builds them.
//!
//! Entry point: [`usage_plan_resources`], called by the REST API generator
//! once the API's stage is known.

use serde_json::{Map, Value, json};

use crate::api::http::util::get;
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::ref_;

/// Name of the condition the shared usage plan resources get when every API
/// using it has a condition.
pub const SHARED_USAGE_PLAN_CONDITION_NAME: &str = "SharedUsagePlanCondition";

const USAGE_PLAN_FIELDS: [&str; 6] = [
    "CreateUsagePlan",
    "Description",
    "Quota",
    "Tags",
    "Throttle",
    "UsagePlanName",
];

/// State of `CreateUsagePlan: SHARED` across the APIs of one template
/// (the translator's `SharedApiUsagePlan`).
#[derive(Debug, Default, Clone)]
pub struct SharedUsagePlan {
    /// `StageKeys` of the shared API key so far.
    stage_keys: Vec<Value>,
    /// `ApiStages` of the shared usage plan so far.
    api_stages: Vec<Value>,
    /// `DependsOn` of the shared usage plan: the APIs using it.
    depends_on: Vec<Value>,
    /// Conditions of the APIs using it, in the order seen.
    conditions: Vec<String>,
    /// Whether an API without a condition uses it (then no condition at all).
    any_api_without_condition: bool,
    deletion_policy: Option<Value>,
    update_replace_policy: Option<Value>,
}

impl SharedUsagePlan {
    /// `get_combined_resource_attributes`: folds one more API's attributes
    /// into the shared state and returns the attributes of the shared resources.
    fn combined_attributes(
        &mut self,
        attrs: &Map<String, Value>,
        template_has_conditions: bool,
        new_conditions: &mut Map<String, Value>,
    ) -> Result<Map<String, Value>, ErrorItem> {
        if let Some(dp) = attrs
            .get("DeletionPolicy")
            .filter(|v| !crate::ids::is_falsy(v))
            && (self.deletion_policy.is_none() || dp == "Retain")
        {
            self.deletion_policy = Some(dp.clone());
        }
        if let Some(urp) = attrs
            .get("UpdateReplacePolicy")
            .filter(|v| !crate::ids::is_falsy(v))
        {
            let replace = match &self.update_replace_policy {
                None => true,
                Some(cur) => urp == "Retain" || (urp == "Snapshot" && cur == "Delete"),
            };
            if replace {
                self.update_replace_policy = Some(urp.clone());
            }
        }
        self.set_condition(
            attrs.get("Condition"),
            template_has_conditions,
            new_conditions,
        )?;

        let mut out = Map::new();
        if let Some(dp) = &self.deletion_policy {
            out.insert("DeletionPolicy".into(), dp.clone());
        }
        if let Some(urp) = &self.update_replace_policy {
            out.insert("UpdateReplacePolicy".into(), urp.clone());
        }
        if !self.conditions.is_empty() && !self.any_api_without_condition {
            out.insert("Condition".into(), json!(SHARED_USAGE_PLAN_CONDITION_NAME));
        }
        Ok(out)
    }

    fn set_condition(
        &mut self,
        condition: Option<&Value>,
        template_has_conditions: bool,
        new_conditions: &mut Map<String, Value>,
    ) -> Result<(), ErrorItem> {
        if self.any_api_without_condition {
            return Ok(());
        }
        match condition.filter(|v| !v.is_null()) {
            Some(c) if !crate::ids::is_falsy(c) => {
                let name = c.as_str().unwrap_or_default().to_string();
                if self.conditions.contains(&name) {
                    return Ok(());
                }
                if !template_has_conditions {
                    return Err(ErrorItem::template(
                        "Can't have condition without having 'Conditions' section in the template",
                    ));
                }
                self.conditions.push(name.clone());
                let value = if self.conditions.len() > 1 {
                    let items: Vec<Value> = self
                        .conditions
                        .iter()
                        .map(|c| json!({ "Condition": c }))
                        .collect();
                    json!({ "Fn::Or": items })
                } else {
                    Value::String(name)
                };
                new_conditions.insert(SHARED_USAGE_PLAN_CONDITION_NAME.into(), value);
            }
            Some(_) => {}
            None => {
                self.any_api_without_condition = true;
                new_conditions.shift_remove(SHARED_USAGE_PLAN_CONDITION_NAME);
            }
        }
        Ok(())
    }
}

/// Builds the usage plan resources of a REST API from its `Auth` property.
///
/// - `api_logical_id`: the SAM API's logical ID (the `RestApi`'s);
/// - `auth`: the API's `Auth` (after Globals, parameter `Ref`s resolved); `None` when absent;
/// - `stage_logical_id`: the logical ID of the generated `AWS::ApiGateway::Stage`
///   (`None` when the API has no stage: nothing is generated then);
/// - `passthrough`: the API's pass-through attributes (`Condition`,
///   `DeletionPolicy`, `UpdateReplacePolicy`).
///
/// Returns `[UsagePlan, ApiKey, UsagePlanKey]` for `PER_API` (IDs
/// `<Api>UsagePlan`, `<Api>ApiKey`, `<Api>UsagePlanKey`) and `SHARED`
/// (`ServerlessUsagePlan`, `ServerlessApiKey`, `ServerlessUsagePlanKey`,
/// each returned again by every API sharing them with the state so far, so
/// the last copy written wins), nothing for `NONE`. A shared plan used only by
/// APIs with conditions gets the condition `SharedUsagePlanCondition`, added
/// to `ctx.new_conditions`.
pub fn usage_plan_resources(
    ctx: &mut Ctx,
    api_logical_id: &str,
    auth: Option<&Value>,
    stage_logical_id: Option<&str>,
    passthrough: &Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let Some(auth) = auth.filter(|a| !crate::ids::is_falsy(a)) else {
        return Ok(Vec::new());
    };
    let Some(plan) = auth.get("UsagePlan").filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let plan = ctx.resolve_params(plan)?;
    let Some(plan) = plan.as_object() else {
        return Err(ErrorItem::resource(
            api_logical_id,
            "'UsagePlan' must be a dictionary",
        ));
    };
    if plan
        .keys()
        .any(|k| !USAGE_PLAN_FIELDS.contains(&k.as_str()))
    {
        return Err(ErrorItem::resource(
            api_logical_id,
            "Invalid property for 'UsagePlan'",
        ));
    }
    let accepted = ["SHARED", "PER_API", "NONE"];
    let mode = match get(plan, "CreateUsagePlan") {
        None => {
            return Err(ErrorItem::resource(
                api_logical_id,
                "'CreateUsagePlan' is a required field for UsagePlan.",
            ));
        }
        Some(m) => match m.as_str().filter(|m| accepted.contains(m)) {
            Some(m) => m,
            None => {
                return Err(ErrorItem::resource(
                    api_logical_id,
                    format!(
                        "'CreateUsagePlan' accepts one of {}.",
                        crate::intrinsics::py_list(&accepted)
                    ),
                ));
            }
        },
    };
    let Some(stage_id) = stage_logical_id else {
        return Ok(Vec::new());
    };
    if mode == "NONE" {
        return Ok(Vec::new());
    }

    let api_stage = json!({ "ApiId": ref_(api_logical_id), "Stage": ref_(stage_id) });
    let stage_key = json!({ "RestApiId": ref_(api_logical_id), "StageName": ref_(stage_id) });
    let (plan_id, key_id, plan_key_id, mut usage_plan, mut api_key, mut plan_key);
    if mode == "PER_API" {
        plan_id = format!("{api_logical_id}UsagePlan");
        key_id = format!("{api_logical_id}ApiKey");
        plan_key_id = format!("{api_logical_id}UsagePlanKey");
        usage_plan = with_attrs(
            &plan_id,
            "AWS::ApiGateway::UsagePlan",
            passthrough,
            json!([api_logical_id]),
        );
        usage_plan
            .properties
            .insert("ApiStages".into(), json!([api_stage]));
        api_key = with_attrs(
            &key_id,
            "AWS::ApiGateway::ApiKey",
            passthrough,
            json!([plan_id]),
        );
        api_key.properties.insert("Enabled".into(), json!(true));
        api_key
            .properties
            .insert("StageKeys".into(), json!([stage_key]));
        plan_key = with_attrs(
            &plan_key_id,
            "AWS::ApiGateway::UsagePlanKey",
            passthrough,
            json!([key_id]),
        );
    } else {
        plan_id = "ServerlessUsagePlan".to_string();
        key_id = "ServerlessApiKey".to_string();
        plan_key_id = "ServerlessUsagePlanKey".to_string();
        let has_conditions = ctx.template.get("Conditions").is_some_and(|c| !c.is_null());
        let shared = &mut ctx.shared_usage_plan;
        let api_ref = json!(api_logical_id);
        if !shared.depends_on.contains(&api_ref) {
            shared.depends_on.push(api_ref);
        }
        let attrs =
            shared.combined_attributes(passthrough, has_conditions, &mut ctx.new_conditions)?;
        usage_plan = with_attrs(
            &plan_id,
            "AWS::ApiGateway::UsagePlan",
            &attrs,
            Value::Array(shared.depends_on.clone()),
        );
        if !shared.api_stages.contains(&api_stage) {
            shared.api_stages.push(api_stage);
        }
        usage_plan
            .properties
            .insert("ApiStages".into(), Value::Array(shared.api_stages.clone()));

        let attrs =
            shared.combined_attributes(passthrough, has_conditions, &mut ctx.new_conditions)?;
        api_key = with_attrs(&key_id, "AWS::ApiGateway::ApiKey", &attrs, json!([plan_id]));
        api_key.properties.insert("Enabled".into(), json!(true));
        if !shared.stage_keys.contains(&stage_key) {
            shared.stage_keys.push(stage_key);
        }
        api_key
            .properties
            .insert("StageKeys".into(), Value::Array(shared.stage_keys.clone()));

        let attrs =
            shared.combined_attributes(passthrough, has_conditions, &mut ctx.new_conditions)?;
        plan_key = with_attrs(
            &plan_key_id,
            "AWS::ApiGateway::UsagePlanKey",
            &attrs,
            json!([key_id]),
        );
    }
    plan_key.properties.insert("KeyId".into(), ref_(&key_id));
    plan_key
        .properties
        .insert("KeyType".into(), json!("API_KEY"));
    plan_key
        .properties
        .insert("UsagePlanId".into(), ref_(&plan_id));

    for name in ["UsagePlanName", "Description", "Quota", "Tags", "Throttle"] {
        if let Some(v) = plan.get(name).filter(|v| !crate::ids::is_falsy(v)) {
            usage_plan.properties.insert(name.into(), v.clone());
        }
    }
    Ok(vec![usage_plan, api_key, plan_key])
}

fn with_attrs(id: &str, ty: &str, attrs: &Map<String, Value>, depends_on: Value) -> Resource {
    let mut r = Resource::new(id, ty);
    r.attributes.insert("DependsOn".into(), depends_on);
    for (k, v) in attrs {
        r.attributes.insert(k.clone(), v.clone());
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_attributes_prefer_retain_and_drop_condition_for_unconditional_api() {
        let mut shared = SharedUsagePlan::default();
        let mut conds = Map::new();
        let a = json!({ "Condition": "C1", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete" });
        let attrs = shared
            .combined_attributes(a.as_object().unwrap(), true, &mut conds)
            .unwrap();
        assert_eq!(attrs["Condition"], SHARED_USAGE_PLAN_CONDITION_NAME);
        assert_eq!(conds[SHARED_USAGE_PLAN_CONDITION_NAME], "C1");

        let b = json!({ "Condition": "C2", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Snapshot" });
        let attrs = shared
            .combined_attributes(b.as_object().unwrap(), true, &mut conds)
            .unwrap();
        assert_eq!(attrs["DeletionPolicy"], "Retain");
        assert_eq!(attrs["UpdateReplacePolicy"], "Snapshot");
        assert_eq!(
            conds[SHARED_USAGE_PLAN_CONDITION_NAME],
            json!({ "Fn::Or": [{ "Condition": "C1" }, { "Condition": "C2" }] })
        );

        let attrs = shared
            .combined_attributes(&Map::new(), true, &mut conds)
            .unwrap();
        assert!(!attrs.contains_key("Condition"));
        assert!(conds.is_empty());
    }

    #[test]
    fn condition_needs_a_conditions_section() {
        let mut shared = SharedUsagePlan::default();
        let a = json!({ "Condition": "C1" });
        let err = shared
            .combined_attributes(a.as_object().unwrap(), false, &mut Map::new())
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("Can't have condition without having 'Conditions' section")
        );
    }
}
