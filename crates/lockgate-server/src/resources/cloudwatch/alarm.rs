use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::json;

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, object};

resource_type! {
    /// A CloudWatch metric alarm, evaluated on the stage's metrics as
    /// CloudWatch does (statistic or percentile, period, M out of N, missing
    /// data treatment): the `AWS/Lambda` metrics of every invocation
    /// (`FunctionName`, `Resource`, `ExecutedVersion`), what functions put
    /// through the CloudWatch API and their Embedded Metric Format lines.
    /// An alarm a deployment group names rolls back a traffic shift when it
    /// goes to ALARM. Metric math and anomaly detection are refused at
    /// deploy. `Ref` is the alarm name, `Fn::GetAtt Arn` its ARN.
    pub struct Alarm = "AWS::CloudWatch::Alarm";
}

#[async_trait]
impl ResourceType for Alarm {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["AlarmName"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(n) = p.str("AlarmName") {
            crate::resources::names::ALARM_NAME.check(n)?;
        }
        let name = p.str("AlarmName").map(str::to_string).unwrap_or_else(|| {
            current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 255))
        });
        // As CloudWatch's PutMetricAlarm: a definition it cannot evaluate is refused.
        lockgate_metrics::AlarmDefinition::from_cfn_properties(
            &name,
            &serde_json::Value::Object(p.map().clone()),
        )
        .map_err(|e| ProviderError::invalid(e.to_string()))?;
        Ok(Physical {
            attributes: object(
                json!({"Arn": cx.stage.arn("cloudwatch", &format!("alarm:{name}"))}),
            ),
            physical_id: name,
        })
    }

    fn realize_order(&self) -> u8 {
        70
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        stage.add_alarm(r.physical_id, r.properties);
    }
}
