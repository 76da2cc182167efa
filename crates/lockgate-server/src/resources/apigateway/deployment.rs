use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType, random_id};

resource_type! {
    /// A deployment of a REST API (a snapshot its stages serve). Recorded:
    /// a stage serves its API's current routes. `Ref` is the deployment ID.
    pub struct Deployment = "AWS::ApiGateway::Deployment";
}

#[async_trait]
impl ResourceType for Deployment {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["RestApiId", "DeploymentCanarySettings"]
    }

    async fn put(
        &self,
        _cx: &Ctx<'_>,
        current: Option<&Physical>,
        _p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        Ok(Physical {
            physical_id: current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(random_id),
            attributes: Map::new(),
        })
    }
}
