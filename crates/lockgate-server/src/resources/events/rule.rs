use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::{Value, json};

use crate::resource_type;
use crate::resources::{
    Ctx, LiveResource, Props, ResourceType, ScheduledTarget, StageBuilder, object,
};

resource_type! {
    /// An EventBridge rule. A `ScheduleExpression` (`rate(…)` or `cron(…)`,
    /// with AWS's rules) is checked at deploy and armed in the stage's
    /// scheduler, which invokes each function target asynchronously with
    /// its `Input` or EventBridge's Scheduled Event; `State: DISABLED`
    /// rules are not armed. Event-pattern rules are recorded. `Ref` is the
    /// rule name, `Fn::GetAtt Arn` its ARN.
    pub struct Rule = "AWS::Events::Rule";
}

#[async_trait]
impl ResourceType for Rule {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["Name", "EventBusName"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(expr) = p.str("ScheduleExpression") {
            crate::schedule::Schedule::parse(expr)
                .map_err(|e| ProviderError::invalid(format!("ScheduleExpression: {e}")))?;
        }
        if let Some(n) = p.str("Name") {
            crate::resources::names::RULE_NAME.check(n)?;
        }
        let name = p.str("Name").map(str::to_string).unwrap_or_else(|| {
            current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 64))
        });
        Ok(Physical {
            attributes: object(json!({"Arn": cx.stage.arn("events", &format!("rule/{name}"))})),
            physical_id: name,
        })
    }

    fn realize_order(&self) -> u8 {
        70
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let Some(expr) = r.str("ScheduleExpression") else {
            return;
        };
        if r.str("State") == Some("DISABLED") {
            return;
        }
        for t in r
            .properties
            .get("Targets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let arn = t.get("Arn").and_then(Value::as_str).unwrap_or("");
            match stage.target_of(arn) {
                Some(function) => stage.add_schedule(ScheduledTarget {
                    rule: r.physical_id.to_string(),
                    expression: expr.to_string(),
                    function,
                    input: t.get("Input").and_then(Value::as_str).map(str::to_string),
                }),
                None => stage.warn(format!(
                    "{}: target {arn} is not a function of this stage; not scheduled",
                    r.logical_id
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::Harness;

    #[tokio::test]
    async fn a_bad_schedule_is_refused_with_its_reason() {
        let h = Harness::new().await;
        let r = h
            .put(
                &Rule,
                "Tick",
                &json!({"ScheduleExpression": "rate(5 minutes)"}),
            )
            .await
            .unwrap();
        assert_eq!(r.physical_id, "app-dev-Tick");
        let e = h
            .put(
                &Rule,
                "Bad",
                &json!({"ScheduleExpression": "rate(0 minutes)"}),
            )
            .await
            .unwrap_err();
        assert!(e.message.starts_with("ScheduleExpression: "), "{e}");
    }
}
