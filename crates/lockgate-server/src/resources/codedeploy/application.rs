use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType};

resource_type! {
    /// A CodeDeploy application (SAM makes one per stack with
    /// `DeploymentPreference`). Recorded. `Ref` is its name.
    pub struct Application = "AWS::CodeDeploy::Application";
}

#[async_trait]
impl ResourceType for Application {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["ApplicationName", "ComputePlatform"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(n) = p.str("ApplicationName") {
            crate::resources::names::APPLICATION_NAME.check(n)?;
        }
        Ok(Physical {
            physical_id: p
                .str("ApplicationName")
                .map(str::to_string)
                .unwrap_or_else(|| {
                    current
                        .map(|c| c.physical_id.clone())
                        .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 100))
                }),
            attributes: Map::new(),
        })
    }
}
