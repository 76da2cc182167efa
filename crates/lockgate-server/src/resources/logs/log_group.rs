use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::json;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType, object};

resource_type! {
    /// A log group. Recorded; every function's lines are kept by the stage
    /// and read with `lockgate logs`. `Ref` is the group name, `Fn::GetAtt
    /// Arn` its ARN.
    pub struct LogGroup = "AWS::Logs::LogGroup";
}

#[async_trait]
impl ResourceType for LogGroup {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["LogGroupName", "LogGroupClass"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(n) = p.str("LogGroupName") {
            crate::resources::names::LOG_GROUP_NAME.check(n)?;
        }
        let name = p
            .str("LogGroupName")
            .map(str::to_string)
            .unwrap_or_else(|| {
                current
                    .map(|c| c.physical_id.clone())
                    .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 512))
            });
        Ok(Physical {
            attributes: object(
                json!({"Arn": cx.stage.arn("logs", &format!("log-group:{name}:*"))}),
            ),
            physical_id: name,
        })
    }
}
