use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType};

resource_type! {
    /// A resource-based permission on a function (who may invoke it, e.g.
    /// API Gateway or EventBridge). Recorded and shown; the local gateway
    /// and scheduler invoke a stage's own functions whatever it says.
    /// Immutable: any change replaces it. `Ref` is its physical ID.
    pub struct Permission = "AWS::Lambda::Permission";
}

#[async_trait]
impl ResourceType for Permission {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["*"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        _p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        Ok(Physical {
            physical_id: current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 128)),
            attributes: Map::new(),
        })
    }
}
