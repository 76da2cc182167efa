use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::json;

use super::function_name_of;
use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, object};

resource_type! {
    /// A mapping from a queue or stream (SQS, Kinesis, DynamoDB Streams,
    /// Kafka, MQ) to a function. Checked and recorded: its function must be
    /// a function of the stage, and it must name its source
    /// (`EventSourceArn` or `SelfManagedEventSource`). Polling the source
    /// is not emulated yet: the stage says so. `Ref` is the mapping's UUID.
    pub struct EventSourceMapping = "AWS::Lambda::EventSourceMapping";
}

#[async_trait]
impl ResourceType for EventSourceMapping {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &[
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
            "Topics",
            "Queues",
        ]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let (function, _) = function_name_of(p.required_str("FunctionName")?);
        if cx.stage.function(&function).is_none() {
            return Err(ProviderError::not_found(format!(
                "FunctionName: Function not found: {} (no function `{function}` in this stage)",
                cx.stage.function_arn(&function)
            )));
        }
        if p.get("EventSourceArn").is_none() && p.get("SelfManagedEventSource").is_none() {
            return Err(ProviderError::invalid(
                "EventSourceArn: required (or SelfManagedEventSource for a self-managed Kafka cluster)",
            ));
        }
        if let Some(n) = p.number("BatchSize")
            && !(1..=10_000).contains(&n)
        {
            return Err(ProviderError::invalid(format!(
                "BatchSize: {n} is out of range: expected 1 to 10000"
            )));
        }
        let id = current
            .map(|c| c.physical_id.clone())
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        Ok(Physical {
            attributes: object(json!({
                "Id": id,
                "EventSourceMappingArn": cx.stage.arn("lambda", &format!("event-source-mapping:{id}")),
            })),
            physical_id: id,
        })
    }

    fn realize_order(&self) -> u8 {
        70
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let source = r.str("EventSourceArn").unwrap_or("a self-managed source");
        stage.warn(format!(
            "{}: events from {source} are not polled locally yet (the mapping is recorded)",
            r.logical_id
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lambda::Function;
    use crate::resources::testing::Harness;

    #[tokio::test]
    async fn a_mapping_needs_a_function_of_the_stage_and_a_source() {
        let h = Harness::new().await;
        let code = h.code_dir("app.py", "x = 1");
        let f = json!({"Runtime": "python3.12", "Handler": "app.h", "Code": code});
        let name = h.put(&Function, "Fn", &f).await.unwrap().physical_id;
        let queue = "arn:aws:sqs:us-east-1:123456789012:jobs";
        let m = h
            .put(
                &EventSourceMapping,
                "Map",
                &json!({"FunctionName": name, "EventSourceArn": queue}),
            )
            .await
            .unwrap();
        assert_eq!(m.attributes["Id"], m.physical_id);
        assert_eq!(m.physical_id.len(), 36);
        let e = h
            .put(
                &EventSourceMapping,
                "Map",
                &json!({"FunctionName": "nope", "EventSourceArn": queue}),
            )
            .await
            .unwrap_err();
        assert!(
            e.message.starts_with("FunctionName: Function not found"),
            "{e}"
        );
        let e = h
            .put(&EventSourceMapping, "Map", &json!({"FunctionName": name}))
            .await
            .unwrap_err();
        assert!(e.message.starts_with("EventSourceArn: required"));
        let e = h
            .put(
                &EventSourceMapping,
                "Map",
                &json!({"FunctionName": name, "EventSourceArn": queue, "BatchSize": 0}),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.message,
            "BatchSize: 0 is out of range: expected 1 to 10000"
        );
        assert!(
            EventSourceMapping
                .replacing_properties()
                .contains(&"EventSourceArn")
        );
    }
}
