use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::json;

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, object};

resource_type! {
    /// A layer version: code unpacked once per digest and made visible to
    /// the functions that list its ARN in `Layers` (as `/opt` is on Lambda).
    /// Immutable: any change replaces it. `Ref` and `Fn::GetAtt
    /// LayerVersionArn` are its ARN (always version 1 locally).
    pub struct LayerVersion = "AWS::Lambda::LayerVersion";
}

#[async_trait]
impl ResourceType for LayerVersion {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["*"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        _current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let content = p
            .get("Content")
            .ok_or_else(|| ProviderError::invalid("Content: required"))?;
        cx.stage.code.fetch("Content", content).await?;
        let name = match p.str("LayerName") {
            Some(n) => crate::resources::names::layer_name(n)?.to_string(),
            None => cx.stage.physical_name(cx.id(), 140),
        };
        let arn = cx.stage.arn("lambda", &format!("layer:{name}:1"));
        Ok(Physical {
            attributes: object(json!({"LayerVersionArn": arn})),
            physical_id: arn,
        })
    }

    fn realize_order(&self) -> u8 {
        10
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let content = r
            .properties
            .get("Content")
            .unwrap_or(&serde_json::Value::Null);
        if let Some(dir) = stage.inputs().code.dir(content) {
            stage.add_layer(r.physical_id, dir);
        }
    }
}
