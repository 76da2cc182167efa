use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::json;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType, object};

resource_type! {
    /// A CloudWatch alarm. Recorded with its metric, statistic, period and
    /// threshold. `Ref` is the alarm name, `Fn::GetAtt Arn` its ARN.
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
        let name = p.str("AlarmName").map(str::to_string).unwrap_or_else(|| {
            current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 255))
        });
        Ok(Physical {
            attributes: object(
                json!({"Arn": cx.stage.arn("cloudwatch", &format!("alarm:{name}"))}),
            ),
            physical_id: name,
        })
    }
}
